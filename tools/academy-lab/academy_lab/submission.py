"""What `academy-lab submit` sends besides the check results: the note, the files, and a request key that makes
sending twice harmless."""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import api, store

NOTE_TEMPLATE = """<!--
Your note for {title} ({lab_id}), in Markdown, below this comment: what you did, what you saw,
what surprised you. {checks}
This comment is not sent. Save and close the editor to submit; leave the note empty to cancel.
-->

"""
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
RETRY_LATER = "Run the same command again: it will not submit twice."


class UserError(Exception):
    """Something the trainee can put right (a missing file, an empty note, a refused question)."""


def note_from_options(note: str | None, note_file: str | None) -> str | None:
    """The note given on the command line, or None when the editor should ask for it."""
    if note_file is not None:
        try:
            note = Path(note_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as problem:
            raise UserError(f"Cannot read the note {note_file}: {problem}") from None
    if note is not None and not note.strip():
        raise UserError("The note is empty: nothing was submitted.")
    return note if note is None else note.strip()


def note_from_editor(lab: dict, runs: list) -> str:
    """Open the trainee's editor on a template; what they wrote, without the template's comment, is the note."""
    passed = sum(run.passed for run in runs)
    checks = f"Your mentor sees it with the checks: {passed} of {len(runs)} passed." if runs else ""
    descriptor, path = tempfile.mkstemp(prefix="academy-lab-note-", suffix=".md")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(NOTE_TEMPLATE.format(title=lab.get("title"), lab_id=lab["lab_id"], checks=checks))
        edit(path)
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    finally:
        os.unlink(path)
    note = COMMENT.sub("", text).strip()
    if not note:
        raise UserError("The note is empty: nothing was submitted.")
    return note


def edit(path: str) -> None:
    command = editor()
    try:
        edited = subprocess.run([*command, path], check=False)  # noqa: S603 - the trainee's own editor
    except OSError as problem:
        raise UserError(f"Cannot start the editor {command[0]} ({problem.strerror}): set $EDITOR.") from None
    if edited.returncode != 0:
        raise UserError(f"The editor exited with status {edited.returncode}: nothing was submitted.")


def editor() -> list[str]:
    """$VISUAL, else $EDITOR (either may carry arguments, as in "code --wait"), else nano, else vi."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR") or shutil.which("nano") or "vi"
    return shlex.split(chosen)


def attachment(path: str) -> dict:
    try:
        content = Path(path).read_bytes()
    except OSError as problem:
        raise UserError(f"Cannot read {path}: {problem.strerror or problem}") from None
    return {"name": os.path.basename(path), "content_base64": base64.b64encode(content).decode("ascii")}


def send(academy: api.Academy, lab_id: str, body: dict) -> dict:
    """Submit with the pending request key when an earlier run got no answer, else with a new one; the key is
    forgotten once the academy has answered about it."""
    key = store.pending_request_key(lab_id)
    if key:
        print("An earlier submission of this lab got no answer: sending it with the same key, so it counts once.")
    else:
        key = store.start_submission(lab_id)
    try:
        attempt = academy.submit_attempt(lab_id, {**body, "request_key": key})
    except api.NetworkError as problem:
        raise UserError(f"{problem}. {RETRY_LATER}") from None
    except api.ApiError as refused:
        if refused.status in (409, 422):  # the academy stored nothing under this key
            store.finish_submission(lab_id)
        raise
    store.finish_submission(lab_id)
    return attempt
