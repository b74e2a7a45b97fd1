"""The fixture chain: database -> app -> client. Every test starts from migrated, empty tables.

The suite runs on SQLite (a temporary file) by default, and on PostgreSQL when ACADEMY_TEST_DATABASE_URL
is set: this run then creates its own database on that server and drops it at the end.
"""

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from academy import create_app, migrate

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server_url = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'academy.db'}"
        return
    name = f"academy_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url):
    engine = create_engine(database_url)
    migrate.upgrade(engine)
    engine.dispose()
    return database_url


def empty_tables(engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


def make_app(database_url, **overrides):
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "CURRICULUM_DIR": str(REPO / "curriculum"),
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(migrated):
    app = make_app(migrated)
    engine = app.extensions["academy.engine"]
    empty_tables(engine)
    yield app
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    """A session outside any request, for arranging data and checking what a request stored."""
    from sqlmodel import Session

    with Session(app.extensions["academy.engine"], expire_on_commit=False) as session:
        yield session
