"""Whole pages kept in each process and served again while nothing they show has changed.

A kept page's key holds its address, its reader (who, roles, time zone, the navigation's numbers read with the
session check), the curriculum's signature, the minute (pages say "5 minutes ago") and the versions of the data it
shows (academy/data_versions.py: moved by the database on every write). The versions are read before the page
reads anything (most with the session check), so a kept page is never older than its key. The session is still
checked on every request, before the page is looked up: signing out or deactivation ends a session as before.

What must differ on every serving (the CSRF token, the request keys of the forms) is drawn as a slot and filled
each time. Only a 200 is kept, and never a page drawn with a message waiting in the session.
"""

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from . import db
from .curriculum.store import catalogue
from .data_versions import versions

# random, so that no one can type a slot into a page (as a name) and have it filled with the reader's token
CSRF_SLOT = f"@@csrf-{secrets.token_hex(16)}@@"
ONE_TIME_SLOT = f"@@one-time-{secrets.token_hex(16)}-{{}}@@"
CSRF_SLOT_BYTES = CSRF_SLOT.encode()
# what a signed-in session holds between pages; anything else (a flash, a notice for the next page) is for one page
LASTING_SESSION_KEYS = frozenset(
    {
        "_user_id",
        "_fresh",
        "_id",
        "_permanent",
        "signed_in_at",
        "seen_at",
        "csrf_token",
        "signed_in_with",
        "oidc_id_token",
    }
)
KEPT_TYPES = ("text/html", "text/csv")


@dataclass(frozen=True)
class KeptPage:
    body: bytes  # as sent (UTF-8), so that the limit counts what memory holds
    status: int
    headers: tuple[tuple[str, str], ...]
    one_time: tuple[Callable[[], str], ...]  # what fills each ONE_TIME_SLOT, in order

    def response(self):
        body = self.body
        for number, make in enumerate(self.one_time):
            body = body.replace(ONE_TIME_SLOT.format(number).encode(), make().encode())
        if CSRF_SLOT_BYTES in body:
            body = body.replace(CSRF_SLOT_BYTES, generate_csrf().encode())
        return current_app.response_class(body, self.status, list(self.headers))


class KeptPages:
    """The pages kept in this process, the least recently served dropped first past `limit` bytes."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self._pages: OrderedDict[tuple, KeptPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> KeptPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: KeptPage) -> None:
        with self._lock:
            if (earlier := self._pages.pop(key, None)) is not None:
                self.size -= len(earlier.body)
            self._pages[key] = page
            self.size += len(page.body)
            while self.size > self.limit and self._pages:
                self.size -= len(self._pages.popitem(last=False)[1].body)


def one_time(make: Callable[[], str]) -> str:
    """`make()`, or while a page is drawn to be kept, a slot that each serving fills with its own `make()`: for a
    value no two servings may share, such as a form's request key."""
    slots = g.get("one_time_slots")
    if slots is None:
        return make()
    slots.append(make)
    return ONE_TIME_SLOT.format(len(slots) - 1)


def kept_page(shows: Callable[..., list[tuple[str, int]]]):
    """Keep the view's page by the data versions `shows(**view_args)` names, besides the shared one. Put it under
    the view's access checks: those still run on every request."""

    def decorate(view):
        @wraps(view)
        def serve(**kwargs):
            pages = current_app.extensions.get("academy.kept_pages")
            if pages is None or not keepable_request():
                return view(**kwargs)
            key = page_key([("shared", 0), *shows(**kwargs)])
            page = pages.get(key)
            if page is None:
                page = draw(view, kwargs)
                if not isinstance(page, KeptPage):
                    return page
                if page.status == 200:
                    pages.put(key, page)
            return page.response()

        return serve

    return decorate


def keepable_request() -> bool:
    return request.method in ("GET", "HEAD") and session.keys() <= LASTING_SESSION_KEYS


def page_key(shown: list[tuple[str, int]]) -> tuple:
    reader = current_user
    who = (reader.id, tuple(sorted(reader.roles)), reader.time_zone) if reader.is_authenticated else None
    counts = tuple(sorted(g.get("navigation_counts", {}).items()))
    minute = int(time.time() // 60)
    known = g.get("data_versions", {})  # read with the session check
    missing = [scope for scope in shown if scope not in known]
    read = dict(zip(missing, versions(db.session(), missing), strict=True)) if missing else {}
    shown_versions = tuple(known.get(scope, read.get(scope)) for scope in shown)
    return (request.full_path, who, counts, catalogue().signature, minute, shown_versions)


def draw(view, kwargs):
    """The view's page with slots for what each serving must have its own of; a streamed answer or a file as it
    is (they hold no slot)."""
    token_name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    g.one_time_slots = []
    setattr(g, token_name, CSRF_SLOT)  # what Flask-WTF's generate_csrf gives for the rest of this request
    try:
        response = current_app.make_response(view(**kwargs))
    finally:
        slots = g.pop("one_time_slots")
        g.pop(token_name, None)
    if response.is_streamed or response.mimetype not in KEPT_TYPES:
        return response
    headers = tuple((k, v) for k, v in response.headers.items() if k not in ("Content-Length", "Set-Cookie"))
    return KeptPage(response.get_data(), response.status_code, headers, tuple(slots))


def drawn_once(name: str, key, draw: Callable[[], str], limit: int) -> str:
    """A fragment every page shows (the header, the head's links), drawn once per process for `key` and kept in
    `app.extensions[name]`; past `limit` keys, those kept are dropped and drawn again."""
    kept = current_app.extensions.setdefault(name, {})
    drawn = kept.get(key)
    if drawn is None:
        if len(kept) >= limit:
            kept.clear()
        drawn = kept[key] = draw()
    return drawn


def init_app(app) -> None:
    limit = app.config["KEPT_PAGES_BYTES"]  # a whole number: check_settings
    if limit > 0:
        app.extensions["academy.kept_pages"] = KeptPages(limit)
