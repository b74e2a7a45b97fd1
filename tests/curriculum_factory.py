"""Small curricula written to a temporary folder, to test the loader and the check on known files."""

import textwrap
from pathlib import Path

TRACKS = """\
tracks:
  - id: basics
    title: Basics
    order: 1
    description: The first steps.
"""


def module_text(
    module_id: str, *, order: int = 1, prerequisites: str = "[]", body: str = "## Intro\n\nHello.\n", extra: str = ""
) -> str:
    return (
        textwrap.dedent(f"""\
        ---
        id: {module_id}
        title: Module {module_id}
        track: basics
        order: {order}
        prerequisites: {prerequisites}
        estimated_minutes: 30
        objectives:
          - Do the thing.
        """)
        + textwrap.dedent(extra)
        + "---\n"
        + body
    )


def write_curriculum(root: Path, modules: dict[str, str], tracks: str = TRACKS) -> Path:
    """`modules` maps a file name inside basics/ to its whole text."""
    (root / "basics").mkdir(parents=True, exist_ok=True)
    (root / "tracks.yaml").write_text(tracks)
    for name, text in modules.items():
        (root / "basics" / name).write_text(text)
    return root


def requirement_text(requirement_id: str, *, kind: str = "shadow", count: int = 1, extra: str = "") -> str:
    """One item of practicum/requirements.yaml, indented as a list item; `extra` at the item's field level."""
    item = textwrap.dedent(f"""\
        - id: {requirement_id}
          kind: {kind}
          title: Requirement {requirement_id}
          summary: Do {requirement_id}.
          count: {count}
          rubric:
            - It was done.
        """) + textwrap.indent(textwrap.dedent(extra), "  ")
    return textwrap.indent(item, "  ")


SCENARIO_BODY = """\
## The situation

The disk of the database primary is 95% full.

## What the game master reveals

- **At 0 min**: the page.
- **At 10 min**: the replication slots.

## Hints

- Who still needs the write-ahead log?

## What a good response looks like

Buy time first, then drop the slot with its owner's agreement.
"""


def scenario_text(scenario_id: str, *, body: str = SCENARIO_BODY, extra: str = "") -> str:
    return (
        textwrap.dedent(f"""\
        ---
        id: {scenario_id}
        title: Scenario {scenario_id}
        service: orders database
        summary: The disk fills up.
        suggested_roles: [incident-commander, operations]
        duration_minutes: 30
        """)
        + textwrap.dedent(extra)
        + "---\n"
        + body
    )


def write_practicum(root: Path, requirements: list[str] | None, scenarios: dict[str, str] | None = None) -> Path:
    """practicum/requirements.yaml from `requirement_text` items (none: no file), and `scenarios`
    (file name inside practicum/drills/ -> whole text)."""
    (root / "practicum" / "drills").mkdir(parents=True, exist_ok=True)
    if requirements is not None:
        (root / "practicum" / "requirements.yaml").write_text("requirements:\n" + "".join(requirements))
    for name, text in (scenarios or {}).items():
        (root / "practicum" / "drills" / name).write_text(text)
    return root
