"""The `flask academy ...` commands."""

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from . import db, migrate
from .accounts import services as accounts
from .curriculum.loader import analysis, read_catalogue
from .curriculum.store import catalogue
from .models import ROLES, TOKEN_SCOPES

# these make the schema (or bring a whole database back), or do not touch the database at all
SCHEMA_NOT_NEEDED = {"db", "demo", "synth", "restore", "curriculum"}


def require_schema(ctx: click.Context) -> None:
    """Before any other command: a database without tables is refused with what to do, not a traceback later
    (one query). Also a database that cannot be reached."""
    if ctx.invoked_subcommand in SCHEMA_NOT_NEEDED or ctx.meta.get("academy.help_asked"):
        return
    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        engine = db.engine()
        try:
            missing = migrate.schema_missing(engine)
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            url = engine.url.render_as_string(hide_password=True)
            raise click.ClickException(f"cannot reach the database at {url}: {reason}") from None
        if missing:
            raise click.ClickException(migrate.no_tables_message(engine))


class AcademyGroup(AppGroup):
    """Notes whether the command line asks for help: click runs the group's callback before it parses that."""

    def resolve_command(self, ctx, args):
        ctx.meta["academy.help_asked"] = any(arg in ctx.help_option_names for arg in args)
        return super().resolve_command(ctx, args)


academy = AcademyGroup("academy", help="SRE Academy administration.", callback=click.pass_context(require_schema))
db_group = AppGroup("db", help="The database schema (Alembic migrations).")
curriculum_group = AppGroup("curriculum", help="Check and list the curriculum.")
academy.add_command(db_group)
academy.add_command(curriculum_group)


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Apply migrations up to REVISION (default: the newest)."""
    migrate.upgrade(db.engine(), revision)
    click.echo(f"Database at {revision}.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message):
    """Write a new migration from the difference between the models and the database."""
    migrate.make_revision(db.engine(), message)


@curriculum_group.command("check")
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help="Default: the configured one."
)
def curriculum_check(directory):
    """Validate every curriculum file; list each problem as path:line: message."""
    root = directory or Path(current_app.config["CURRICULUM_DIR"])
    found = analysis(root)
    for problem in found.problems:
        click.echo(f"{root / problem.path}:{problem.line}: {problem.message}")
    if found.problems:
        click.echo(f"{len(found.problems)} problem(s) in {root}.", err=True)
        sys.exit(1)
    practicum = ""
    if found.requirements is not None:
        practicum = f", the practicum and {len(found.scenarios)} drill scenarios"
    click.echo(f"{len(found.modules)} modules{practicum} checked in {root}: no problems.")


@curriculum_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def curriculum_list(as_json):
    """Print the catalogue: tracks, modules, labs and quizzes."""
    cat = read_catalogue(Path(current_app.config["CURRICULUM_DIR"]))
    tracks = [
        {
            "id": t.id,
            "title": t.title,
            "modules": [
                {
                    "id": m.id,
                    "title": m.title,
                    "estimated_minutes": m.estimated_minutes,
                    "prerequisites": m.prerequisites,
                    "quiz_questions": len(m.questions),
                    "labs": [lab.id for lab in m.labs],
                }
                for m in cat.modules_in(t.id)
            ],
        }
        for t in cat.tracks
    ]
    totals = {"tracks": len(cat.tracks), "modules": len(cat.modules), "labs": cat.lab_count, "quizzes": cat.quiz_count}
    if as_json:
        click.echo(json.dumps({"tracks": tracks, "totals": totals}, indent=2))
        return
    click.echo(f"{'track':<14} {'module':<26} {'min':>4} {'quiz':>4} {'labs':>4}  title")
    for track in tracks:
        for m in track["modules"]:
            click.echo(
                f"{track['id']:<14} {m['id']:<26} {m['estimated_minutes']:>4} {m['quiz_questions']:>4} "
                f"{len(m['labs']):>4}  {m['title']}"
            )
    click.echo("Totals: " + ", ".join(f"{v} {k}" for k, v in totals.items()))


@academy.command("demo")
def demo():
    """Migrate the database and load the demo academy (running it again changes nothing)."""
    from .demo import PASSWORD, accounts, load_demo

    migrate.upgrade(db.engine())
    # the graduate's credential names its public page: at ACADEMY_BASE_URL, else where `flask run` serves
    base = current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base), Session(db.engine(), expire_on_commit=False) as session:
        loaded = load_demo(session=session, catalogue=catalogue(), today=date.today())
        session.commit()
    click.echo("Demo academy loaded." if loaded else "Demo academy already loaded: nothing changed.")
    click.echo(f"Sign in with any of these accounts, password '{PASSWORD}':")
    for person in accounts():
        click.echo(f"  {person.email:<24} {', '.join(person.roles)}")


@academy.command("worker")
@click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True, help="Threads running tasks.")
def worker(workers):
    """Run the background worker: sends the outbox's e-mail and runs the scheduled jobs (huey's consumer)."""
    from huey import MemoryHuey

    from .jobs.queue import jobs

    huey = jobs().huey
    if isinstance(huey, MemoryHuey):
        raise click.ClickException("ACADEMY_QUEUE_URL is memory://: no worker can see that queue.")
    # an idle worker looks for new tasks at least every second (a SQLite queue is polled; Redis blocks)
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, max_delay=1.0)
    consumer.run()


@academy.command("create-user")
@click.argument("email")
@click.option("--name", default="", help="Display name (default: the part of the email before @).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(ROLES),
    default=["admin"],
    show_default=True,
    help="Repeat for several roles.",
)
@click.password_option("--password", prompt="Password", help="Asked without echo when not given.")
def create_user(email, name, roles, password):
    """Create an account (the first admin of a real installation, for example)."""
    with Session(db.engine(), expire_on_commit=False) as session:
        try:
            user = accounts.create_user(
                session=session, email=email, display_name=name or email.split("@")[0], roles=roles
            )
            accounts.set_password(session, user, password)
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(roles))}).")


@academy.command("synth")
@click.option("--cohorts", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--trainees", type=click.IntRange(1, 500), default=40, show_default=True, help="Per cohort.")
@click.option("--seed", type=int, default=7, show_default=True)
def synth(cohorts, trainees, seed):
    """Add a synthetic academy for benchmarks: cohorts over two years, with their history."""
    import time

    from .synth import PASSWORD, build, write

    migrate.upgrade(db.engine())
    started = time.monotonic()
    with Session(db.engine(), expire_on_commit=False) as session:
        with click.progressbar(length=cohorts, label="Building cohorts", file=sys.stderr) as bar:
            rows = build(
                session=session,
                catalogue=catalogue(),
                cohorts=cohorts,
                trainees=trainees,
                today=date.today(),
                seed=seed,
                progress=bar.update,
            )
        total = sum(len(v) for v in rows.tables.values())
        with click.progressbar(length=total, label="Writing rows    ", file=sys.stderr) as bar:
            counts = write(session, rows, bar.update)
        session.commit()
    migrate.analyse(db.engine())
    click.echo(", ".join(f"{n:,} {table}" for table, n in counts.items()))
    click.echo(f"Done in {time.monotonic() - started:.0f} s. The synthetic accounts' password is '{PASSWORD}'.")


@academy.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path):
    """Write a consistent snapshot of the database to PATH, while the app keeps serving."""
    from .maintenance import MaintenanceError, backup

    if path.exists():
        raise click.ClickException(f"{path} exists already; choose a new file name.")
    try:
        backup(db.engine(), path)
    except MaintenanceError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {path} ({path.stat().st_size:,} bytes).")


@academy.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path, yes):
    """Replace the database's contents with the backup at PATH."""
    from .maintenance import MaintenanceError, restore

    if not yes:
        click.confirm(f"Replace everything in the database with {path}?", abort=True)
    try:
        restore(db.engine(), path)
    except MaintenanceError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {path}.")
    try:
        migrate.analyse(db.engine())  # restored tables come back without planner statistics
    except SQLAlchemyError as error:
        click.echo(
            f"Planner statistics were not refreshed ({error.__class__.__name__}): run `flask academy db upgrade`."
        )


@academy.command("export-user")
@click.argument("email")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file (default: print).")
@click.option("--with-files", is_flag=True, help="Include attachment contents, base64-encoded.")
def export_user_command(email, output, with_files):
    """Everything stored about a person, as JSON, for a data-protection request."""
    from .maintenance import MaintenanceError, export_user, write_json

    with Session(db.engine().execution_options(sqlite_deferred=True)) as session:
        try:
            data = export_user(session, email, with_files=with_files)
        except MaintenanceError as error:
            raise click.ClickException(str(error)) from error
    if output:
        write_json(data, output)
        click.echo(f"Written to {output}.")
    else:
        click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))


token_group = AppGroup("token", help="Personal access tokens for the API, and provisioning tokens for SCIM.")
academy.add_command(token_group)


@token_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Where the token will be used.")
@click.option("--days", type=click.IntRange(1, 365), default=90, show_default=True, help="Days until it expires.")
@click.option(
    "--scope",
    type=click.Choice(TOKEN_SCOPES),
    default="read",
    show_default=True,
    help="write: also change; lab: what academy-lab needs.",
)
def token_create(email, name, days, scope):
    """Create an API token for EMAIL and print it (it is shown only this once)."""
    from .api.tokens import TokenError, create_token, expiry

    with Session(db.engine(), expire_on_commit=False) as session:
        user = accounts.user_by_email(session, email)
        if user is None or not user.is_active:
            raise click.ClickException(f"No active account has the email {email}.")
        try:
            token, row = create_token(session, user=user, name=name, scope=scope, expires_at=expiry(days=days))
        except TokenError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
    click.echo(token)
    access = "reads and writes" if scope == "write" else "reads only"
    click.echo(f"The token {access} and expires {row.expires_at:%Y-%m-%d %H:%M} UTC.", err=True)


@token_group.command("create-scim")
@click.option("--name", required=True, help="The identity provider that will hold it, e.g. Okta or Entra ID.")
def token_create_scim(name):
    """Create a provisioning token for an identity provider's SCIM client and print it (shown only this once)."""
    from .identity.provisioning_tokens import ProvisioningTokenError, create_provisioning_token
    from .links import base_url

    with Session(db.engine(), expire_on_commit=False) as session:
        try:
            token, row = create_provisioning_token(session, name=name)
        except ProvisioningTokenError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
    click.echo(token)
    where = f"{base_url()}/scim/v2" if base_url() else "https://<the academy's address>/scim/v2"
    click.echo(f"Give “{row.name}” this token with the SCIM base URL {where}; it works until revoked.", err=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(academy)
