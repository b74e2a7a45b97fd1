"""Versions of what pages show, moved by the database itself on every write, so that no write path can forget to.

Every table has triggers. A write to a table whose rows belong to one trainee (PERSONAL) moves that trainee's
version ("user"), the version of every cohort they are a trainee of ("cohort") and the version of all trainees'
work ("all"); a write to any other table moves the one shared version ("shared"). Tables no kept page reads
(UNSHOWN: throttling, audit, mail, tokens' last use) have none, so that signing in or calling the API keeps pages.

The triggers are made from these lists by `install`, which each migration that adds a table runs again; tests fail
for a table of the models that is in neither list.
"""

from sqlalchemy import Connection, text, tuple_
from sqlmodel import Session, select

from .models import DataVersion

_BY_ATTEMPT = "(SELECT trainee_id FROM lab_attempt WHERE id = {row}.attempt_id)"
PERSONAL = {  # table: the trainee a row belongs to, in terms of the row ({row} is NEW or OLD)
    "module_progress": "{row}.trainee_id",
    "quiz_attempt": "{row}.trainee_id",
    "lab_attempt": "{row}.trainee_id",
    "attachment": _BY_ATTEMPT,
    "check_result": _BY_ATTEMPT,
    "decision": _BY_ATTEMPT,
    "notification": "{row}.user_id",
    "practice_entry": "{row}.trainee_id",
    "practice_decision": "(SELECT trainee_id FROM practice_entry WHERE id = {row}.entry_id)",
    "readiness_request": "{row}.trainee_id",
    "readiness_decision": "(SELECT trainee_id FROM readiness_request WHERE id = {row}.request_id)",
    "credential": "{row}.trainee_id",
}
UNSHOWN = {
    "alembic_version",
    "data_version",
    "login_attempt",
    "audit_entry",
    "outgoing_mail",
    "api_token",
    "provisioning_token",
    "external_identity",
    "calendar_feed",
}
OPERATIONS = ("INSERT", "UPDATE", "DELETE")
UPSERT = "INSERT INTO data_version (scope, id, n) {rows} ON CONFLICT (scope, id) DO UPDATE SET {update};"
BUMPS = {  # dialect: the new version (for @N), and how it replaces the old
    "sqlite": ("1", "n = data_version.n + 1"),
    # PostgreSQL: the id of the writing transaction, set once per transaction. Adding 1 on every statement, a long
    # transaction (the synthetic academy, an import) stacked a row version of data_version's 'all' on another
    # for each statement that wrote, each found through the last, and slowed to minutes. Ids are never reused,
    # so a version never comes back to a value a kept page was keyed by.
    "postgresql": ("pg_current_xact_id()::text::bigint", "n = EXCLUDED.n WHERE data_version.n <> EXCLUDED.n"),
}
SHARED = ["SELECT 'shared', 0, @N WHERE true"]
PERSON = [  # the versions of the trainee {owner}; NULL when a row's parent is gone: the shared one instead
    "SELECT 'all', 0, @N WHERE true",
    "SELECT 'user', {owner}, @N WHERE {owner} IS NOT NULL",
    "SELECT 'cohort', cohort_id, @N FROM cohort_trainee WHERE trainee_id = {owner}",
    "SELECT 'shared', 0, @N WHERE {owner} IS NULL",
]
PERSONS = [  # PostgreSQL, once per statement: the versions of the trainees whose rows are in {owners}
    "SELECT 'all', 0, @N WHERE EXISTS (SELECT FROM ({owners}) o)",
    "SELECT DISTINCT 'user', owner, @N FROM ({owners}) o WHERE owner IS NOT NULL",
    "SELECT DISTINCT 'cohort', cohort_id, @N FROM cohort_trainee WHERE trainee_id IN ({owners})",
    "SELECT 'shared', 0, @N WHERE EXISTS (SELECT FROM ({owners}) o WHERE owner IS NULL)",
]


def bump(selects: list[str], dialect: str) -> str:
    n, update = BUMPS[dialect]
    return "\n".join(UPSERT.format(rows=rows.replace("@N", n), update=update) for rows in selects)


SQLITE_TRIGGER = 'CREATE TRIGGER "dv_{table}_{op}" AFTER {operation} ON "{table}" BEGIN\n{body}\nEND'
SQLITE_TRIGGERS = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'dv\\_%' ESCAPE '\\'"
# PostgreSQL: once per statement, the rows it changed in a transition table
# PostgreSQL: before a statement writes anything, one lock for all writers until they commit, so that two
# transactions never take data_version's rows in opposite orders ('all' then 'shared', and 'shared' then 'all':
# a deadlock). SQLite has one writer at a time already.
WRITERS_LOCK = 4_242_420_001
PG_LOCK = (
    "CREATE OR REPLACE FUNCTION dv_lock() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN PERFORM pg_advisory_xact_lock({key}); RETURN NULL; END $$"
)
PG_LOCK_TRIGGER = (
    'CREATE TRIGGER dv_lock BEFORE INSERT OR UPDATE OR DELETE ON "{table}" '
    "FOR EACH STATEMENT EXECUTE FUNCTION dv_lock()"
)
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN\n{body}\nRETURN NULL; END $$"
)
PG_TRIGGER = (
    'CREATE TRIGGER {name} AFTER {operation} ON "{table}" {referencing} '
    "FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
)
PG_OWNERS = "SELECT {owner} AS owner FROM {relation} r"
PG_ROWS = {  # the transition tables each operation's trigger names and reads
    "INSERT": ("REFERENCING NEW TABLE AS new_rows", ("new_rows",)),
    "UPDATE": ("REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows", ("new_rows", "old_rows")),
    "DELETE": ("REFERENCING OLD TABLE AS old_rows", ("old_rows",)),
}


def _drop_sqlite(connection: Connection) -> None:
    for (name,) in connection.execute(text(SQLITE_TRIGGERS)).all():
        connection.execute(text(f'DROP TRIGGER "{name}"'))


def _install_sqlite(connection: Connection, tables: list[str]) -> None:
    _drop_sqlite(connection)
    for table in tables:
        for operation in OPERATIONS:
            rows = {"INSERT": ("NEW",), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD",)}[operation]  # a row may move
            owners = [PERSONAL[table].format(row=row) for row in rows] if table in PERSONAL else []
            person = bump(PERSON, "sqlite")
            body = "\n".join(person.format(owner=owner) for owner in owners) if owners else bump(SHARED, "sqlite")
            trigger = SQLITE_TRIGGER.format(table=table, op=operation.lower(), operation=operation, body=body)
            connection.execute(text(trigger))


def _install_postgresql(connection: Connection, tables: list[str]) -> None:
    connection.execute(text(PG_FUNCTION.format(name="dv_shared", body=bump(SHARED, "postgresql"))))
    connection.execute(text(PG_LOCK.format(key=WRITERS_LOCK)))
    _drop_postgresql(connection, tables)
    for table in tables:
        connection.execute(text(PG_LOCK_TRIGGER.format(table=table)))
        if table not in PERSONAL:
            trigger = PG_TRIGGER.format(
                name="dv", operation="INSERT OR UPDATE OR DELETE", table=table, referencing="", function="dv_shared"
            )
            connection.execute(text(trigger))
            continue
        for operation, (referencing, relations) in PG_ROWS.items():
            owner = PERSONAL[table].format(row="r")
            owners = " UNION ".join(PG_OWNERS.format(owner=owner, relation=relation) for relation in relations)
            function = f"dv_{table}_{operation.lower()}"
            body = bump(PERSONS, "postgresql").format(owners=owners)
            connection.execute(text(PG_FUNCTION.format(name=function, body=body)))
            name = f"dv_{operation.lower()}"
            trigger = PG_TRIGGER.format(
                name=name, operation=operation, table=table, referencing=referencing, function=function
            )
            connection.execute(text(trigger))


def _drop_postgresql(connection: Connection, tables: list[str]) -> None:
    for table in tables:
        for name in ("dv", "dv_lock", *(f"dv_{operation.lower()}" for operation in OPERATIONS)):
            connection.execute(text(f'DROP TRIGGER IF EXISTS {name} ON "{table}"'))


def install(connection: Connection, tables: list[str]) -> None:
    """(Re)make the triggers of `tables` (every table of the database but the UNSHOWN ones)."""
    tables = [t for t in tables if t not in UNSHOWN]
    if connection.dialect.name == "postgresql":
        _install_postgresql(connection, tables)
    else:
        _install_sqlite(connection, tables)


def uninstall(connection: Connection, tables: list[str]) -> None:
    if connection.dialect.name != "postgresql":
        _drop_sqlite(connection)
        return
    _drop_postgresql(connection, tables)
    functions = [
        "dv_shared",
        "dv_lock",
        *(f"dv_{table}_{operation.lower()}" for table in PERSONAL for operation in OPERATIONS),
    ]
    for function in functions:
        connection.execute(text(f"DROP FUNCTION IF EXISTS {function}()"))


READER_SCOPES = ("shared", "all", "user")  # read with the session check (academy/navigation.py); "user": the reader's


def reader_versions(reader) -> list:
    """Columns for the session check's statement: the versions a signed-in reader's own pages are kept by."""
    return [
        select(DataVersion.n)
        .where(DataVersion.scope == scope, DataVersion.id == (reader if scope == "user" else 0))
        .scalar_subquery()
        .label(f"version_{scope}")
        for scope in READER_SCOPES
    ]


def versions_of(row) -> dict[tuple[str, int], int]:
    return {(scope, row.id if scope == "user" else 0): getattr(row, f"version_{scope}") or 0 for scope in READER_SCOPES}


def versions(session: Session, scopes: list[tuple[str, int]]) -> tuple[int, ...]:
    """The current version of each scope, in order (0 for one never moved)."""
    rows = session.exec(
        select(DataVersion.scope, DataVersion.id, DataVersion.n).where(
            tuple_(DataVersion.scope, DataVersion.id).in_(scopes)
        )
    ).all()
    found = {(scope, id_): n for scope, id_, n in rows}
    return tuple(found.get(scope, 0) for scope in scopes)
