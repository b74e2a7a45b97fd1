"""`sre-academy`: the `flask academy` commands with the service's own settings, read from the environment file
its systemd units use, so that an administrator's shell never runs a command against other settings."""

import os
from pathlib import Path

import click
from flask.cli import ScriptInfo

from . import create_app
from .cli import AcademyGroup, academy, require_schema


def read_environment_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd reads an EnvironmentFile: the value runs to the end of the line (a `#` after it
    is part of the value), surrounding blanks and one pair of enclosing quotes go; `#` and `;` start a comment
    only at the beginning of a line. A line that is not an assignment is refused with its number."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        key, equals, value = stripped.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key.isidentifier():
            raise click.ClickException(f"{path}:{number}: not a KEY=value line: {stripped[:60]!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


@click.group(cls=AcademyGroup, help="The `flask academy` commands, with the service's settings.")
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="ACADEMY_ENV_FILE",
    required=True,
    help="The service's environment file, e.g. /etc/sre-academy/env (or set ACADEMY_ENV_FILE).",
)
@click.pass_context
def main(ctx: click.Context, env_file: Path) -> None:
    os.environ.update(read_environment_file(env_file))  # the file wins over the shell, as the service sees it
    ctx.obj = ScriptInfo(create_app=create_app, set_debug_flag=False, load_dotenv_defaults=False)
    require_schema(ctx)


for _name, _command in academy.commands.items():
    main.add_command(_command, _name)
