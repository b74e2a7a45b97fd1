"""Alembic, driven from the app: the schema is only ever created and changed by migrations."""

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from . import REPO_ROOT

MIGRATIONS = REPO_ROOT / "migrations"


def alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    analyse(engine)


def analyse(engine: Engine) -> None:
    """Fresh planner statistics, after migrations and bulk loads. SQLite has none until asked, and without them
    picks poor indexes on large tables; PostgreSQL's autovacuum gathers its own, but only on its next round:
    until then a freshly loaded table is planned as if empty (a sequential scan of every lab attempt to find
    one cohort's, measured at 13 ms instead of 0.4 ms)."""
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def make_revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the difference between the models and the database."""
    with engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
