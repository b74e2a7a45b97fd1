"""The database: one engine per app, one session per request, SQLite tuned to be shared by workers.

Services commit their own transaction; whatever a request left uncommitted is rolled back at teardown.

A GET reads in a transaction that cannot write (PostgreSQL's READ ONLY, SQLite's query_only), unless it calls
`will_write()` first or writes in a `short_write_session()` of its own. On PostgreSQL that read-only transaction ends
with COMMIT: psycopg forgets its prepared statements at every ROLLBACK, so a request that ended with one left the
next to have every statement planned again (the session check's alone took 0.5 ms to plan and 0.05 ms to run).
"""

import contextlib

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    connect_args = {"connect_timeout": 5} if parsed.get_backend_name() == "postgresql" else {}
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=connect_args)


def _sqlite_on_connect(dbapi_connection, _record):
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see _sqlite_on_begin
    # SQLite's own lower() knows only ASCII; Python's agrees with PostgreSQL and User.normalise_email
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _sqlite_on_begin(connection):
    """Reads start a deferred transaction (the request session's of a GET, one that cannot write); anything that may
    write takes the write lock up front, so that it waits for its turn (busy timeout) instead of failing when it
    upgrades."""
    options = connection.get_execution_options()
    if options.get("sqlite_immediate"):
        reading = False  # a short write of its own inside a GET (a first visit)
    elif options.get("sqlite_deferred"):
        reading = True  # a session that only reads, outside any request (tests, reports)
    else:
        reading = request_reads()
    query_only = bool(options.get("sqlite_query_only"))
    info = connection.connection.info  # the pooled connection's own: the pragma stays set until changed
    if info.get("query_only", False) != query_only:
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if query_only else 'OFF'}")
        info["query_only"] = query_only
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def request_reads() -> bool:
    """This request only reads: a GET (or HEAD, OPTIONS) that did not call `will_write()`."""
    return has_request_context() and request.method in SAFE_METHODS and not g.get("db_will_write")


def will_write() -> None:
    """Call in a GET before it writes through the request's session (an OpenID Connect callback): the read-only
    transaction it may have read in so far ends, and the next one can write (on SQLite, taking the lock up front)."""
    g.db_will_write = True
    _close_session(None)


def short_write_session() -> Session:
    """A session of its own for a small write during a read request; on SQLite it takes the lock up front."""
    return Session(engine().execution_options(sqlite_immediate=True))


def engine() -> Engine:
    return current_app.extensions["academy.engine"]


def session() -> Session:
    """The request's session, opened on first use; read-only in a request that only reads."""
    if "db_session" not in g:
        reads = request_reads()
        bind = current_app.extensions["academy.read_engine"] if reads else engine()
        g.db_session = Session(bind, expire_on_commit=False, info={"reads": reads})
    return g.db_session


def database_answers() -> bool:
    """The database answers a query, and (SQLite) a writer could take the lock within a second."""
    try:
        with engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        if engine().dialect.name == "sqlite":
            return sqlite_writable(engine())
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False


def sqlite_writable(sqlite_engine: Engine, timeout: float = 1.0) -> bool:
    """Take and drop the write lock on a connection of its own: a locked file is a database that cannot serve."""
    import sqlite3

    database = sqlite_engine.url.database
    if not database or database == ":memory:":
        return True
    try:
        probe = sqlite3.connect(database, timeout=timeout, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        finally:
            probe.close()
        return True
    except sqlite3.Error:
        return False


def _close_session(_exc):
    s = g.pop("db_session", None)
    if s is None:
        return
    if s.info["reads"]:  # a transaction that could not write: COMMIT and ROLLBACK are the same to the database
        with contextlib.suppress(SQLAlchemyError):  # one that failed is rolled back by close()
            s.commit()
    s.close()


def init_app(app: Flask) -> None:
    app.extensions["academy.engine"] = write_engine = make_engine(
        app.config["DATABASE_URL"],
        busy_timeout_ms=int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", SQLITE_BUSY_TIMEOUT_MS)),
    )
    # the same engine and pool, for the request session of a GET: its transactions cannot write
    read_only = "postgresql_readonly" if write_engine.dialect.name == "postgresql" else "sqlite_query_only"
    app.extensions["academy.read_engine"] = write_engine.execution_options(**{read_only: True})
    app.teardown_appcontext(_close_session)
