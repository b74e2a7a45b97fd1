"""Who is asking: flask-login wired to a per-user session token that the server can revoke.

The cookie carries "user id:session token". Signing out, a new password or deactivation changes the
token in the database, so every copy of an older cookie stops working. Sessions also end after
8 hours idle and 7 days in all.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

from flask import Flask, g, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, login_user
from flask_wtf.csrf import generate_csrf
from sqlmodel import Session

from ..local_time import installation_today
from ..models import User
from ..navigation import read_reader, remember
from .services import roles_of

IDLE_LIMIT = timedelta(hours=8)
ABSOLUTE_LIMIT = timedelta(days=7)
SEEN_RESOLUTION_SECONDS = 60
ROLE_HOMES = (
    ("admin", "admin.index"),
    ("manager", "cohorts.index"),
    ("mentor", "reviews.index"),
    ("trainee", "learning.path"),
    ("organizer", "meetups.index"),
)

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.session_protection = None  # our own token does the revoking; IP-bound sessions break on phones


@dataclass(frozen=True)
class Account:
    """The signed-in person as the request sees them (not an ORM object, so it outlives any session)."""

    id: int
    email: str
    display_name: str
    roles: frozenset[str]
    session_token: str
    is_active: bool = True
    time_zone: str | None = None  # their own choice; None: the installation's
    is_authenticated: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @classmethod
    def of(cls, user: User, roles: frozenset[str]) -> "Account":
        return cls(user.id, user.email, user.display_name, roles, user.session_token, user.is_active, user.time_zone)


def _expired(now: float) -> bool:
    started, seen = session.get("signed_in_at", 0), session.get("seen_at", 0)
    return now - started > ABSOLUTE_LIMIT.total_seconds() or now - seen > IDLE_LIMIT.total_seconds()


@login_manager.user_loader
def load_account(cookie_id: str) -> Account | None:
    user_id, _, token = cookie_id.partition(":")
    now = time.time()
    if not user_id.isdigit() or not token or _expired(now):
        return None
    rows = read_reader(int(user_id), installation_today())  # with the navigation's numbers
    if not rows or not rows[0].is_active or rows[0].session_token != token:
        return None
    if now - session.get("seen_at", 0) > SEEN_RESOLUTION_SECONDS:
        session["seen_at"] = now
    first = rows[0]
    remember(first)
    roles = frozenset(r.role for r in rows if r.role is not None)
    return Account(first.id, first.email, first.display_name, roles, first.session_token, time_zone=first.time_zone)


class SessionCookies(SecureCookieSessionInterface):
    """The cookie expires when the server ends the session, ABSOLUTE_LIMIT after signing in, rather than a full
    lifetime after each request."""

    def get_expiration_time(self, app, session):
        started = session.get("signed_in_at")
        if session.permanent and started:
            return datetime.fromtimestamp(started, UTC) + ABSOLUTE_LIMIT
        return super().get_expiration_time(app, session)


def start_session(db_session: Session, user: User) -> Account:
    account = Account.of(user, roles_of(db_session, user.id))
    session.clear()
    session.permanent = True
    session["signed_in_at"] = session["seen_at"] = time.time()
    # the new session's CSRF secret goes out in the sign-in's own cookie (made later, by the first page with a form,
    # it cost that page a second cookie, and a client that keeps its first cookie a new secret on every page); the
    # sign-in form's token, kept by Flask-WTF for this request, was made from the old secret
    g.pop("csrf_token", None)
    generate_csrf()
    login_user(account)
    return account


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None: no scheme, no host, no backslash tricks,
    checked as sent and once percent-decoded."""
    if not target:
        return None
    for form in (target, unquote(target)):
        if not form.startswith("/") or form.startswith("//") or "\\" in form:
            return None
        if any(ord(c) < 32 or ord(c) == 127 for c in form):
            return None
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return None
    return target


def home_url(account: Account) -> str:
    for role, endpoint in ROLE_HOMES:
        if account.has_role(role):
            return url_for(endpoint)
    return url_for("catalogue.index")


def init_app(app: Flask) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = ABSOLUTE_LIMIT  # Flask's default, always present, is 31 days
    app.config["REMEMBER_COOKIE_DURATION"] = ABSOLUTE_LIMIT  # never set (no "remember me"), and never longer
    app.session_interface = SessionCookies()
    # the cookie's expiry is fixed at sign-in (SessionCookies) and `seen_at` moves at most once a minute: sending
    # the same cookie again with every answer bought nothing and cost a third of the smallest page's time
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SECURE_COOKIES"))
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config.get("SECURE_COOKIES"))
    login_manager.init_app(app)
