"""Error pages and JSON errors: every failure gets a clear message and the right status, never a stack."""

import logging
from collections.abc import Callable

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from . import db, migrate

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "Conflict",
    413: "Too large",
    422: "Cannot process this",
    429: "Too many attempts",
    503: "Temporarily unavailable",
}


# Paths whose errors take a shape of their own, as a protocol requires (SCIM's Error, under /scim/v2), even where
# no route matched: a prefix and the function that answers (status, detail). Registered by their blueprint.
ERROR_SHAPES: dict[str, Callable[[int, str], Response]] = {}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def shaped(status: int, detail: str) -> Response | None:
    for prefix, shape in ERROR_SHAPES.items():
        if request.path.startswith(prefix):
            return shape(status, detail)
    return None


def render_error(status: int, detail: str):
    if (response := shaped(status, detail)) is not None:
        return response
    title = TITLES.get(status, "Something went wrong")
    if wants_json():
        return jsonify(error=title, detail=detail), status
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def handle_http_error(error: HTTPException):
    if error.response is not None:  # a response made on purpose (the API's validation errors)
        return error.response
    if error.code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"] // 1_000_000
        return render_error(
            413,
            f"The request is larger than the {limit} MB this site takes in one go. Nothing was "
            "saved; go back and send less (lab evidence takes a few files of moderate size).",
        )
    return render_error(error.code or 500, error.description or "")


DATABASE_DOWN = (
    "The academy's database is not answering just now, so nothing was changed. Please try again in a minute."
)


NO_TABLES = (
    "The academy's database has no tables yet: an administrator must run `flask academy db upgrade`. "
    "Nothing was changed."
)


def handle_database_down(error: DBAPIError):
    """The database went away or is locked: a clear 503 (page or JSON), drawn without asking the database."""
    if missing_table(error) and schema_missing():
        log.error("%s (on %s %s)", migrate.no_tables_message(db.engine()), request.method, request.path)
        return unavailable(NO_TABLES)
    if not (isinstance(error, OperationalError) or error.connection_invalidated):
        return handle_unexpected(error)
    log.warning("database unavailable on %s %s: %s", request.method, request.path, error.orig)
    return unavailable(DATABASE_DOWN)


def missing_table(error: DBAPIError) -> bool:
    """PostgreSQL's undefined_table, or SQLite's "no such table"."""
    return getattr(error.orig, "sqlstate", None) == "42P01" or "no such table" in str(error.orig)


def schema_missing() -> bool:
    """A database never migrated, as opposed to one table gone: asked only after a query named a missing table."""
    try:
        return migrate.schema_missing(db.engine())
    except DBAPIError:
        return False


def unavailable(detail: str):
    g.database_down = True
    title = TITLES[503]
    response = shaped(503, detail)
    if response is None and wants_json():
        response = jsonify(error=title, detail=detail)
    elif response is None:
        # straight from the template: render_template would run context processors that ask the database
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        response = make_response(template.render(title=title, detail=detail, request=request))
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    return response


def handle_unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return render_error(500, InternalServerError.description)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DBAPIError, handle_database_down)
    app.register_error_handler(Exception, handle_unexpected)
