"""Parsers for the few raw values views read from forms and query strings, outside WTForms."""

import re

from flask import abort
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # every id column is a PostgreSQL integer; SQLite's limit, 2**63 - 1, is further still
_ID = re.compile(r"^[0-9]{1,9}$")  # nine digits stay below MAX_ID


def digits_up_to(top: int) -> str:
    """A regular expression for the numbers 0 ... top written in ASCII digits: any shorter number, or one as long
    whose digits stay under top's from the left (2147483647: 20........, 21[0-3]......., ...)."""
    text, parts = str(top), [f"[0-9]{{1,{len(str(top)) - 1}}}"]
    for i, digit in enumerate(map(int, text)):
        rest = len(text) - i - 1
        if digit:
            parts.append(text[:i] + f"[0-{digit - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "(?:" + "|".join([*parts, text]) + ")"


class IdConverter(IntegerConverter):
    """The app's `<int:...>`: an id past the database's integer range matches no route (404), instead of
    reaching a query that overflows (a 500 on either database). The range is in the pattern itself, not only in
    the conversion: a path whose GET and PUT share a rule would otherwise match the other method and answer 405."""

    regex = digits_up_to(MAX_ID)

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


def ticked_or_422(raw: list[str], what: str) -> list[int]:
    """The indexes a reviewer ticked (a lab's criteria, a rubric's items): digits only, at most 50, or a 422 that
    changes nothing; whether each index exists is the service's to say."""
    ticked = [i for i in map(id_or_none, raw[:50]) if i is not None]
    if len(ticked) != len(raw):
        abort(422, description=f"The ticked {what} are not ones of this form. Nothing was changed.")
    return ticked


def flag_or_400(raw: str | None, what: str) -> bool:
    """A form's 0/1 switch; anything else is refused rather than read as "off"."""
    if raw not in ("0", "1"):
        abort(400, description=f"The form did not say whether to {what}. Nothing was changed.")
    return raw == "1"


def form_problems(form) -> list[tuple[str, str]]:
    """Each field's errors (those inside rows of fields too), named by the field's label and linked to it, for a
    form's error summary; a form with no field error failed its CSRF token."""
    problems = []
    for f in form:
        if hasattr(f, "entries") or hasattr(f, "form"):  # a list of rows, or a row
            problems += form_problems(f.form if hasattr(f, "form") else f)
            continue
        problems += [(f"#{f.id}", f"{f.label.text}: {error}") for error in f.errors]
    return problems or [(None, "The form has expired; reload the page and try again. Nothing was changed.")]


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


# ------------------------------------------------------------------ what people send with their work

REQUEST_KEY = re.compile(r"^[0-9a-f]{32}$")  # a form's one-time key: a submit sent twice is stored once
MAX_LINKS = 10


class InputError(ValueError):
    """Why a value was refused, in the person's words; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def is_request_key(value: str | None) -> bool:
    return bool(REQUEST_KEY.match(value or ""))


def web_links(text: str | None, limit: int = MAX_LINKS) -> list[str]:
    """One web address a line, http or https, at most `limit`."""
    links = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(links) > limit:
        raise InputError(f"Give at most {limit} links.", "links")
    for link in links:
        if not re.match(r"^https?://[^\s/$.?#][^\s]*$", link, re.I) or len(link) > 2000:
            raise InputError(f"“{link[:80]}” is not a web address starting with http:// or https://.", "links")
    return links
