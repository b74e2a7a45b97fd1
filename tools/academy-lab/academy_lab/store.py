"""What academy-lab remembers between runs, in small JSON files only the trainee can read (mode 0600).

config.json holds the academy's address and the token; next to it, approved-checks.json holds a sha256 of each
lab's commands the trainee agreed to run, and pending-submissions.json the request key of each submission the
academy has not acknowledged yet.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path

APPROVED_CHECKS = "approved-checks.json"
PENDING_SUBMISSIONS = "pending-submissions.json"


class ConfigError(Exception):
    """academy-lab cannot tell which academy to call with which token, or cannot read what it saved."""


def config_path() -> Path:
    """$ACADEMY_LAB_CONFIG, else the XDG place: $XDG_CONFIG_HOME (or ~/.config)/academy-lab/config.json."""
    if os.environ.get("ACADEMY_LAB_CONFIG"):
        return Path(os.environ["ACADEMY_LAB_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "academy-lab" / "config.json"


def sign_in(url: str, token: str) -> Path:
    write_private(config_path(), {"url": url, "token": token})
    return config_path()


def credentials() -> tuple[str, str]:
    """The academy's address and the token; the environment variables win over the file, one by one."""
    saved = read_json(config_path())
    url = os.environ.get("ACADEMY_LAB_URL") or saved.get("url")
    token = os.environ.get("ACADEMY_LAB_TOKEN") or saved.get("token")
    if not url or not token:
        raise ConfigError("Not signed in: run `academy-lab login https://your-academy` first.")
    return url, token


def commands_digest(checks: list[dict]) -> str:
    """A sha256 of what would run, so that any changed command is shown to the trainee again."""
    return hashlib.sha256(json.dumps([check["run"] for check in checks]).encode()).hexdigest()


def approved_digest(lab_id: str) -> str | None:
    """The digest of the lab's commands the trainee last agreed to run here, if any."""
    return read_json(_beside_config(APPROVED_CHECKS)).get(lab_id)


def approve_checks(lab_id: str, digest: str) -> None:
    _update(APPROVED_CHECKS, lab_id, digest)


def pending_request_key(lab_id: str) -> str | None:
    return read_json(_beside_config(PENDING_SUBMISSIONS)).get(lab_id)


def start_submission(lab_id: str) -> str:
    """A new request key, saved before it is sent: a retry after a lost answer re-sends the same one."""
    key = secrets.token_hex(16)
    _update(PENDING_SUBMISSIONS, lab_id, key)
    return key


def finish_submission(lab_id: str) -> None:
    _update(PENDING_SUBMISSIONS, lab_id, None)


def _update(name: str, lab_id: str, value: str | None) -> None:
    path = _beside_config(name)
    entries = read_json(path)
    if value is None:
        entries.pop(lab_id, None)
    else:
        entries[lab_id] = value
    write_private(path, entries)


def _beside_config(name: str) -> Path:
    return config_path().with_name(name)


def read_json(path: Path) -> dict:
    """The file's object, or {} when there is no file yet; a damaged file is an error the trainee must see."""
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as problem:
        raise ConfigError(f"Cannot read {path}: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Cannot read {path}: it is not a JSON object.")
    return data


def write_private(path: Path, data: dict) -> None:
    """Write through a new file created with mode 0600 and rename it over the old one: the token is never
    readable by others, not even for an instant, and a crash never leaves half a file."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
