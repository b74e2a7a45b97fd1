"""A small curriculum whose lab declares checks that pass, fail and time out, for the lab-check tests."""

from contextlib import contextmanager
from pathlib import Path

from tests.conftest import own_app
from tests.curriculum_factory import module_text, write_curriculum

CHECKED_LAB = """\
labs:
  - id: check-demo-lab
    title: Check demo lab
    steps:
      - Do the thing.
    acceptance_criteria:
      - The thing is done.
    evidence: [command-output]
    checks:
      - id: greets
        name: The machine greets
        run: "echo hello from the lab"
        timeout_seconds: 5
        expect:
          output_matches: "hello"
        hint: Say hello first.
      - id: fails
        name: A file that is not there
        run: "test -e /nonexistent/academy-lab-check"
        timeout_seconds: 5
        hint: Create the file the lab asks for.
      - id: slow
        name: A command that takes too long
        run: "sleep 5"
        timeout_seconds: 1
        hint: The service does not answer in time.
"""
PLAIN_LAB = """\
labs:
  - id: plain-lab
    title: Plain lab
    steps:
      - Write it down.
    acceptance_criteria:
      - It is written.
    evidence: [write-up]
"""
LOCKED_LAB = """\
labs:
  - id: later-lab
    title: Later lab
    steps:
      - Later.
    acceptance_criteria:
      - Later.
    evidence: [write-up]
    checks:
      - id: later
        name: Later
        run: "true"
        hint: Later.
"""
CHECK_IDS = ("greets", "fails", "slow")


def checked_curriculum(root: Path) -> Path:
    """check-demo (a lab with three checks), plain (a lab without checks), later (locked behind plain)."""
    return write_curriculum(
        root,
        {
            "01-check-demo.md": module_text("check-demo", order=1, extra=CHECKED_LAB),
            "02-plain.md": module_text("plain", order=2, extra=PLAIN_LAB),
            "03-later.md": module_text("later", order=3, prerequisites="[plain]", extra=LOCKED_LAB),
        },
    )


@contextmanager
def checked_app(database_url, folder: Path, **overrides):
    """An app serving the checked curriculum written into `folder`."""
    with own_app(database_url, CURRICULUM_DIR=str(checked_curriculum(folder)), **overrides) as app:
        yield app
