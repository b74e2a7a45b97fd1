"""The database: one engine per app, one session per request, SQLite tuned to be shared by workers.

Services commit their own transaction; whatever a request left uncommitted is rolled back at teardown.

A GET reads on a connection that cannot write (PostgreSQL's default_transaction_read_only, SQLite's query_only),
unless it calls `will_write()` first or writes in a `short_write_session()` of its own. The setting is changed only
when a connection goes from reads to writes or back. Those reads run without a transaction around them, each
statement in its own (on PostgreSQL in autocommit: at READ COMMITTED every statement sees its own snapshot either
way), which saves the BEGIN and the ROLLBACK, and on PostgreSQL above all keeps psycopg's prepared statements: it
forgets them at every ROLLBACK, so when every request ended with one, every statement was planned again on every
page (the session check's took 0.5 ms to plan and 0.05 ms to run).
"""

import time

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SQLITE_BUSY_TIMEOUT_MS = 10_000
PING_AFTER_IDLE_SECONDS = 2


def make_engine(url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    connect_args = {"connect_timeout": 5} if parsed.get_backend_name() == "postgresql" else {}
    engine = create_engine(url, pool_size=5, max_overflow=10, connect_args=connect_args)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle(engine.dialect))
    if parsed.get_backend_name() == "postgresql":
        event.listen(engine, "begin", _postgres_on_begin)
    return engine


def _note_checkin(_dbapi_connection, record) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect):
    """A connection taken from the pool is asked whether the server is still there only when it has been idle for
    a while (SQLAlchemy's pre-ping asks every time: a round trip in every request). One that does not answer is
    replaced; a server gone in the last seconds is met by one request (503), after which the pool replaces all its
    connections."""

    def ping(dbapi_connection, record, _proxy) -> None:
        if time.monotonic() - record.info.get("idle_since", 0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the database did not answer the ping") from error

    return ping


def make_read_engine(write_engine: Engine) -> Engine:
    """The same engine and pool, for the request session of a GET: its connections cannot write."""
    if write_engine.dialect.name == "postgresql":
        return write_engine.execution_options(isolation_level="AUTOCOMMIT", reads_only=True)
    return write_engine.execution_options(reads_only=True)


def _reads_only(connection, set_it) -> None:
    """Make the connection read-only, or writable again, when it is not already (the pooled connection remembers)."""
    reads_only = bool(connection.get_execution_options().get("reads_only"))
    info = connection.connection.info  # the DBAPI connection's own, cleared when it is replaced
    if info.get("reads_only", False) != reads_only:
        set_it(reads_only)
        info["reads_only"] = reads_only


def _postgres_on_begin(connection):
    def set_it(reads_only: bool) -> None:
        dbapi = connection.connection.dbapi_connection
        autocommit, dbapi.autocommit = dbapi.autocommit, True  # outside any transaction: kept whatever happens next
        try:
            dbapi.execute(f"SET default_transaction_read_only = {'on' if reads_only else 'off'}")
        finally:
            dbapi.autocommit = autocommit

    _reads_only(connection, set_it)


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
    """A GET's reads (on the read engine's connections, which cannot write) run without a transaction around them,
    each statement in its own, as on PostgreSQL; other reads start a deferred transaction; anything that may write
    takes the write lock up front, so that it waits for its turn (busy timeout) instead of failing when it upgrades."""
    options = connection.get_execution_options()
    _reads_only(connection, lambda on: connection.exec_driver_sql(f"PRAGMA query_only={'ON' if on else 'OFF'}"))
    if options.get("sqlite_immediate"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # a short write of its own inside a GET (a first visit)
    elif options.get("sqlite_deferred"):
        connection.exec_driver_sql("BEGIN")  # a session that only reads, outside any request (tests, reports)
    elif not options.get("reads_only"):
        connection.exec_driver_sql("BEGIN" if request_reads() else "BEGIN IMMEDIATE")


def request_reads() -> bool:
    """This request only reads: a GET (or HEAD, OPTIONS) that did not call `will_write()`."""
    return has_request_context() and request.method in SAFE_METHODS and not g.get("db_will_write")


def will_write() -> None:
    """Call in a GET before it writes through the request's session (an OpenID Connect callback): the read-only
    session it may have read in so far is closed, and the next one can write (on SQLite, taking the lock up front)."""
    g.db_will_write = True
    _close_session(None)


def short_write_session() -> Session:
    """A session of its own for a small write during a read request; on SQLite it takes the lock up front."""
    return Session(engine().execution_options(sqlite_immediate=True))


def engine() -> Engine:
    return current_app.extensions["academy.engine"]


def read_engine() -> Engine:
    """The engine of a GET's session (its connections cannot write) and of the session check (academy/navigation.py,
    which runs its one SELECT on the driver's cursor, outside SQLAlchemy's transaction handling)."""
    return current_app.extensions["academy.read_engine"]


def session() -> Session:
    """The request's session, opened on first use; read-only in a request that only reads."""
    if "db_session" not in g:
        bind = read_engine() if request_reads() else engine()
        g.db_session = Session(bind, expire_on_commit=False)
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
    if s is not None:
        s.close()


def init_app(app: Flask) -> None:
    app.extensions["academy.engine"] = write_engine = make_engine(
        app.config["DATABASE_URL"],
        busy_timeout_ms=int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", SQLITE_BUSY_TIMEOUT_MS)),
    )
    app.extensions["academy.read_engine"] = make_read_engine(write_engine)
    app.teardown_appcontext(_close_session)
