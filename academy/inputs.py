"""Parsers for the few raw values views read from forms and query strings, outside WTForms."""

import re

from flask import abort
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # every id column is a PostgreSQL integer; SQLite's limit, 2**63 - 1, is further still
_ID = re.compile(r"^[0-9]{1,9}$")  # nine digits stay below MAX_ID


class IdConverter(IntegerConverter):
    """The app's `<int:...>`: an id past the database's integer range matches no route (404), instead of
    reaching a query that overflows (a 500 on either database)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_or_none(raw: str | None) -> int | None:
    """A database id written in ASCII digits (at most nine of them), or None."""
    return int(raw) if raw is not None and _ID.match(raw) else None


def id_or_400(raw: str | None, what: str) -> int:
    found = id_or_none(raw)
    if found is None:
        abort(400, description=f"Choose a valid {what}. Nothing was changed.")
    return found


def flag_or_400(raw: str | None, what: str) -> bool:
    """A form's 0/1 switch; anything else is refused rather than read as "off"."""
    if raw not in ("0", "1"):
        abort(400, description=f"The form did not say whether to {what}. Nothing was changed.")
    return raw == "1"


def page_number(raw: str | None) -> int:
    found = id_or_none(raw)
    return found if found and found < 100_000 else 1


EMAIL_MAX_LENGTH = 254


def is_email(value: str) -> bool:
    """An address of the shape name@domain.tld, at most 254 characters. The length is checked first and the
    shape without a regular expression, so that a crafted value costs one pass over at most 254 characters."""
    return len(value) <= EMAIL_MAX_LENGTH and shaped_like_email(value)


def shaped_like_email(value: str) -> bool:
    """One "@" with something before it, a dot inside the domain, no whitespace anywhere."""
    local, at, domain = value.partition("@")
    if not (local and at) or "@" in domain or "." not in domain[1:-1]:
        return False
    return not any(c.isspace() for c in value)
