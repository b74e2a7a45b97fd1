"""What every signed-in page needs of its reader, in one statement with the session check: the person and their
roles (accounts/auth.py asks it on every request, since sessions are revocable), and the navigation's numbers:
unread notifications, a mentor's review queue, the survey rounds they were asked to answer and those still waiting;
and the data versions their own kept pages are kept by (academy/page_cache.py).

The statement is built once per process with bound parameters (nothing about a person is kept between requests);
on PostgreSQL it is prepared on each connection and planned once. A page that changed something before it renders
reads the numbers again.

The header that shows them is drawn once per process for each page, set of roles and numbers, and kept: it depends
on nothing else, so it is never stale; only the sign-out form's CSRF token is put in on each request.
"""

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from flask import g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import Date, Integer, bindparam, case, exists, select
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import replacement_traverse

from . import db
from .data_versions import reader_versions, versions_of
from .models import User, UserRole
from .notifications.services import unread_count
from .page_cache import drawn_once
from .reviews.queries import queue_count
from .surveys.queries import survey_counts

READS = {"GET", "HEAD"}
COUNTS = ("unread_notifications", "review_queue_count", "surveys_asked", "surveys_waiting")
SLOT = "@@sign-out-form-slot@@"  # where a kept header takes this request's CSRF token
KEPT_HEADERS = 4096  # per process; past it, the kept headers are dropped and drawn again


def reader_statement():
    reader, today = bindparam("reader", type_=Integer), bindparam("today", type_=Date)
    mentor = exists().where(UserRole.user_id == reader, UserRole.role == "mentor")
    asked, waiting = survey_counts(reader, today)
    statement = (
        select(
            User.id,
            User.email,
            User.display_name,
            User.session_token,
            User.is_active,
            User.time_zone,
            UserRole.role,
            unread_count(reader).label("unread_notifications"),
            case((mentor, queue_count(reader)), else_=None).label("review_queue_count"),
            asked.label("surveys_asked"),
            waiting.label("surveys_waiting"),
            *reader_versions(reader),
        )
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .where(User.id == reader)
    )
    # the constants ('mentor', 'submitted') written into the SQL, so that only the reader and the day vary (on
    # PostgreSQL the server keeps one plan for the prepared statement instead of planning it on every request)
    return replacement_traverse(statement, {}, lambda e: e.render_literal_execute() if _constant(e) else None)


def _constant(element) -> bool:
    return isinstance(element, BindParameter) and element.key not in ("reader", "today")


@dataclass(frozen=True)
class DriverStatement:
    """The reader's statement as the database driver takes it, compiled once per dialect."""

    sql: str
    order: tuple[str, ...] | None  # a driver with positional parameters (SQLite): their names, in order
    day: Callable[[date], object]  # the day as the driver takes it (SQLite: ISO text, as SQLAlchemy stores it)
    row: type

    @classmethod
    @lru_cache(maxsize=4)
    def of(cls, dialect) -> "DriverStatement":
        statement = reader_statement().params(reader=0, today=date.min)  # render_postcompile asks every value
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        row = namedtuple("Reader", [column.key for column in statement.selected_columns])
        order = tuple(compiled.positiontup) if compiled.positiontup else None
        day = Date().dialect_impl(dialect).bind_processor(dialect) or (lambda day: day)
        return cls(str(compiled), order, day, row)

    def run(self, connection, user_id: int, today: date) -> list:
        """On the driver's cursor. Should the driver fail, once more through SQLAlchemy: its error is the one the
        error pages know (503, the database does not answer; a database never migrated), and a lost connection
        makes it drop the pool's others too."""
        values = {"reader": user_id, "today": self.day(today)}
        parameters = tuple(values[name] for name in self.order) if self.order else values
        try:
            cursor = connection.connection.dbapi_connection.cursor()
            try:
                cursor.execute(self.sql, parameters)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        except connection.dialect.loaded_dbapi.Error:
            rows = connection.exec_driver_sql(self.sql, parameters).all()
        return [self.row(*row) for row in rows]


def read_reader(user_id: int, today: date) -> list:
    """One row per role (one with role None for a person without any), each with the person and the counts.

    Every signed-in request runs it, so it runs on the driver's own cursor, on a connection taken from the pool and
    given back at once: through the request's ORM session the same statement cost 270 µs on SQLite (opening the
    session, SQLAlchemy's execution and result, closing the session), on the cursor 90 µs (bench/results.md). It is
    therefore not seen by SQLAlchemy's statement events. The connection is the read engine's (on PostgreSQL, in
    autocommit: no transaction to begin or end).
    """
    with db.read_engine().connect() as connection:
        return DriverStatement.of(connection.dialect).run(connection, user_id, today)


def counts_of(row) -> dict:
    counts = {
        "unread_notifications": row.unread_notifications,
        "surveys_asked": row.surveys_asked,
        "surveys_waiting": row.surveys_waiting,
    }
    if row.review_queue_count is not None:  # a mentor's
        counts["review_queue_count"] = row.review_queue_count
    return counts


def remember(row) -> None:
    """The numbers and data versions read with the session check, for this request's page."""
    g.navigation_counts = counts_of(row)
    g.data_versions = versions_of(row)


def navigation_counts() -> dict:
    """The template context's numbers: those read with the session check, unless the request may have changed
    them (a form that renders its answer), in which case they are read again."""
    if g.get("database_down") or not current_user or not current_user.is_authenticated:
        return {}
    if request.method in READS and "navigation_counts" in g:
        return g.navigation_counts
    from .local_time import installation_today

    rows = read_reader(current_user.id, installation_today())
    return counts_of(rows[0]) if rows else {}


@pass_context
def site_header(context) -> Markup:
    """The page's header (templates/_site_header.html) for this reader, from those kept by what it shows."""
    signed_in = current_user.is_authenticated
    counts = {name: context.get(name) for name in COUNTS}
    key = (request.script_root, request.endpoint, signed_in and frozenset(current_user.roles), *counts.values())
    shown = {name: value for name, value in counts.items() if value is not None}
    drawn = drawn_once(
        "academy.site_headers",
        key,
        lambda: render_template("_site_header.html", sign_out_token=SLOT, **shown),
        limit=KEPT_HEADERS,
    )
    # our template's output, escaped when drawn; the token is URL-safe base64
    return Markup(drawn.replace(SLOT, generate_csrf()) if signed_in else drawn)  # noqa: S704
