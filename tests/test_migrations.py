"""Migrations: a database made by the first migration, with data in it, goes through every later one and
loses nothing; the result matches the models exactly."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, select
from sqlmodel import SQLModel

from academy import migrate
from academy.accounts.services import hash_password
from tests.conftest import fresh_database, make_app, sign_in

NOW = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
FIRST_DATA = {  # rows for the tables of the first migration
    "user": [
        {
            "id": 1,
            "email": "ann@example.com",
            "display_name": "Ann Émile",
            "password_hash": None,
            "is_active": True,
            "session_token": "t1",
            "created_at": NOW,
        },
        {
            "id": 2,
            "email": "bo@example.com",
            "display_name": "Bo",
            "password_hash": None,
            "is_active": True,
            "session_token": "t2",
            "created_at": NOW,
        },
    ],
    "user_role": [{"user_id": 1, "role": "trainee"}, {"user_id": 2, "role": "mentor"}],
    "cohort": [{"id": 1, "name": "Old cohort", "start_date": NOW.date(), "end_date": NOW.date(), "created_at": NOW}],
    "cohort_trainee": [{"trainee_id": 1, "cohort_id": 1, "mentor_id": 2}],
    "cohort_staff": [{"cohort_id": 1, "user_id": 2, "role": "mentor"}],
    "cohort_module": [{"cohort_id": 1, "module_id": "linux-shell", "due_date": NOW.date()}],
    "module_progress": [
        {
            "trainee_id": 1,
            "module_id": "linux-shell",
            "opened_at": NOW,
            "read_at": NOW,
            "completed_at": None,
            "content_hash": None,
        }
    ],
    "audit_entry": [
        {
            "at": NOW,
            "actor_id": 2,
            "action": "cohort.created",
            "target": "Old cohort",
            "detail": None,
            "ip": None,
        }
    ],
}
LATER_DATA = {  # rows for tables that later migrations add, written right after the migration that adds them
    "login_attempt": [{"at": NOW, "email": "ann@example.com", "ip": "10.0.0.1", "succeeded": False}],
    "lab_attempt": [
        {
            "id": 1,
            "trainee_id": 1,
            "module_id": "linux-shell",
            "lab_id": "linux-shell-lab",
            "number": 1,
            "evidence": "done",
            "links": "[]",
            "status": "approved",
            "request_key": "k",
            "submitted_at": NOW,
            "withdrawn_at": None,
            "claimed_by": None,
            "claimed_at": None,
        }
    ],
    "decision": [
        {
            "id": 1,
            "attempt_id": 1,
            "mentor_id": 2,
            "outcome": "approved",
            "comment": "ok",
            "criteria": "[0]",
            "decided_at": NOW,
        }
    ],
    "notification": [
        {"id": 1, "user_id": 1, "message": "Approved", "link": "/learn", "created_at": NOW, "read_at": None}
    ],
    "api_token": [
        {
            "id": 1,
            "user_id": 2,
            "name": "cli",
            "token_hash": "0" * 64,
            "prefix": "sra_000000",
            "created_at": NOW,
            "last_used_at": None,
            "revoked_at": None,
        }
    ],
}
ROWS = FIRST_DATA | LATER_DATA


@pytest.fixture
def empty_database(tmp_path):
    with fresh_database(tmp_path, prefix="academy_migrations") as url:
        yield url


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config(None))
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def tables_as_they_are(conn) -> dict:
    """The tables as the migrations so far made them (the models may have columns they do not have yet)."""
    metadata = MetaData()
    metadata.reflect(conn)
    return metadata.tables


def insert(engine, rows: dict[str, list[dict]]) -> None:
    with engine.begin() as conn:
        tables = tables_as_they_are(conn)
        for name, values in rows.items():
            conn.execute(tables[name].insert(), values)


def contents(engine, names) -> dict[str, list]:
    """Each table's rows, as the columns that the data was written with (later columns are new)."""
    with engine.connect() as conn:
        tables = tables_as_they_are(conn)
        result = {}
        for n in names:
            columns = [tables[n].c[c] for c in sorted(ROWS[n][0])]
            result[n] = sorted(map(tuple, conn.execute(select(*columns)).all()))
        return result


def test_every_migration_keeps_the_data_of_the_ones_before(empty_database):
    steps = revisions()
    assert len(steps) >= 5
    engine = create_engine(empty_database)
    migrate.upgrade(engine, steps[0])
    insert(engine, FIRST_DATA)
    written = dict(FIRST_DATA)
    expected = contents(engine, written)
    for revision in steps[1:]:
        migrate.upgrade(engine, revision)
        with engine.connect() as conn:
            present = set(conn.dialect.get_table_names(conn))
        assert contents(engine, written) == expected, f"data changed by {revision}"
        new = {n: v for n, v in LATER_DATA.items() if n in present and n not in written}
        insert(engine, new)
        written.update(new)
        expected = contents(engine, written)
    assert set(written) == set(FIRST_DATA) | set(LATER_DATA), "every table got data on the way"
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert differences == [], "the migrations and the models disagree"
    engine.dispose()


def test_an_old_database_works_with_the_app_after_upgrading(empty_database):
    engine = create_engine(empty_database)
    steps = revisions()
    migrate.upgrade(engine, steps[0])
    rows = {k: [dict(r) for r in v] for k, v in FIRST_DATA.items()}
    rows["user"][0]["password_hash"] = hash_password("an old and long passphrase")
    insert(engine, rows)
    migrate.upgrade(engine)
    engine.dispose()
    app = make_app(empty_database)
    client = app.test_client()
    assert sign_in(client, "ann@example.com", "an old and long passphrase").status_code == 302
    page = client.get("/learn").get_data(as_text=True)
    assert "Old cohort" in page
    app.extensions["academy.engine"].dispose()
