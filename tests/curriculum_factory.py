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
