"""Writes about people. Each function is one unit of work inside the caller's transaction; views commit."""

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, text
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..api import tokens
from ..inputs import InputError
from ..models import ROLES, LoginAttempt, User, UserRole, utcnow
from .passwords import password_problem

ACCOUNT_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20
THROTTLE_WINDOW = timedelta(minutes=15)
LINK_MAX_AGE = timedelta(days=7)
_DUMMY_HASH = generate_password_hash("not-a-real-password-only-for-timing", method="scrypt")


class AccountError(InputError):
    """A reason, in the user's words, why an account change was refused; `field` names the form field."""


def new_session_token() -> str:
    return secrets.token_hex(16)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == User.normalise_email(email))).first()


def roles_of(session: Session, user_id: int) -> frozenset[str]:
    return frozenset(session.exec(select(UserRole.role).where(UserRole.user_id == user_id)).all())


def by(provider: str | None) -> dict:
    """The audit detail naming the identity provider that made a change, when one did."""
    return {"provider": provider} if provider else {}


def create_user(
    *,
    session: Session,
    email: str,
    display_name: str,
    roles: Iterable[str],
    password_hash: str | None = None,
    provider: str | None = None,
) -> User:
    """`provider`: the identity provider that asked for it (sign-in or provisioning), named in the audit log."""
    email = User.normalise_email(email)
    roles = set(roles)
    if unknown := roles - set(ROLES):
        raise AccountError(f"Unknown role: {', '.join(sorted(unknown))}.", "roles")
    if user_by_email(session, email):
        raise AccountError("An account with this email already exists.", "email")
    user = User(
        email=email, display_name=display_name.strip(), password_hash=password_hash, session_token=new_session_token()
    )
    session.add(user)
    session.flush()
    session.add_all(UserRole(user_id=user.id, role=role) for role in sorted(roles))
    audit.record(session, "user.created", user.email, roles=sorted(roles), **by(provider))
    return user


# ------------------------------------------------------------------ sign-in


def sign_in_throttled(session: Session, *, email: str, ip: str) -> bool:
    """True after too many recent failures for this account or from this address.

    The caller's transaction holds this account's and this address's turn until it commits or rolls back,
    so that counting the failures and recording the next attempt are one step: parallel guesses cannot all
    read the same count. SQLite's write requests take the database's lock up front (BEGIN IMMEDIATE);
    PostgreSQL takes two transaction-scoped advisory locks, always the account's first, so no two sign-ins
    can wait for each other in a circle."""
    email = User.normalise_email(email)
    if session.get_bind().dialect.name == "postgresql":
        for kind, key in ((1, email), (2, ip)):
            session.exec(text("SELECT pg_advisory_xact_lock(:kind, hashtext(:key))").bindparams(kind=kind, key=key))
    since = utcnow() - THROTTLE_WINDOW
    failures = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    )
    by_account = session.exec(failures.where(LoginAttempt.email == email)).one()
    by_address = session.exec(failures.where(LoginAttempt.ip == ip)).one()
    return by_account >= ACCOUNT_FAILURE_LIMIT or by_address >= ADDRESS_FAILURE_LIMIT


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str,
    permitted: Callable[[str, frozenset[str]], bool] | None = None,
) -> User | None:
    """The active user with this email and password, or None; either way the attempt is recorded.
    An unknown email costs the same hashing work as a wrong password, and so does an account that `permitted`
    (its email and roles) refuses a password sign-in: the answer and its time do not tell them apart."""
    email = User.normalise_email(email)[:254]
    user = user_by_email(session, email)
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    ok = check_password_hash(stored, password) and user is not None and user.is_active and bool(user.password_hash)
    ok = ok and (permitted is None or permitted(user.email, roles_of(session, user.id)))
    session.add(LoginAttempt(email=email, ip=ip[:64], succeeded=ok))
    audit.record(session, "login.succeeded" if ok else "login.failed", email, actor=user.id if ok else None)
    return user if ok else None


def end_sessions(user: User) -> None:
    """Every session of this user stops working: their cookies carry the old token."""
    user.session_token = new_session_token()


def set_password(session: Session, user: User, password: str, *, action: str = "user.password_set") -> None:
    """A new password (chosen by its owner, or through an invitation or reset link) ends every session and
    revokes every API token of the person."""
    if problem := password_problem(password, email=user.email, display_name=user.display_name):
        raise AccountError(problem, "password")
    user.password_hash = hash_password(password)
    end_sessions(user)
    session.add(user)
    audit.record(session, action, user.email)
    tokens.revoke_all(session, user, reason="password changed" if action == "user.password_changed" else "password set")


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise AccountError("That is not your current password.", "current_password")
    set_password(session, user, new, action="user.password_changed")


# ------------------------------------------------------------------ administration


def set_roles(session: Session, user: User, roles: Iterable[str], *, provider: str | None = None) -> None:
    roles = set(roles)
    if unknown := roles - set(ROLES):
        raise AccountError(f"Unknown role: {', '.join(sorted(unknown))}.", "roles")
    before = roles_of(session, user.id)
    if before == roles:
        return
    for role in before - roles:
        session.delete(session.get(UserRole, (user.id, role)))
    session.add_all(UserRole(user_id=user.id, role=role) for role in roles - before)
    audit.record(session, "user.roles_changed", user.email, before=sorted(before), after=sorted(roles), **by(provider))


def update_profile(session: Session, user: User, *, display_name: str, provider: str | None = None) -> None:
    if display_name.strip() != user.display_name:
        audit.record(session, "user.updated", user.email, display_name=display_name.strip(), **by(provider))
        user.display_name = display_name.strip()
        session.add(user)


def set_reminders(session: Session, user: User, *, enabled: bool) -> None:
    """The person's own choice of the weekly "you are behind the plan" e-mail."""
    if user.reminders_enabled != enabled:
        user.reminders_enabled = enabled
        session.add(user)
        audit.record(session, "user.reminders_set", user.email, enabled=enabled)


def set_active(session: Session, user: User, active: bool, *, provider: str | None = None) -> None:
    """Deactivation keeps every record of the person, ends their sessions and revokes their API tokens (so that
    reactivation does not bring them back); nothing is deleted."""
    if user.is_active == active:
        return
    user.is_active = active
    end_sessions(user)
    session.add(user)
    if not active:
        tokens.revoke_all(session, user, reason="account deactivated")
    audit.record(session, "user.reactivated" if active else "user.deactivated", user.email, **by(provider))


# ------------------------------------------------------------------ one-time links (invitations, resets)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="academy.password-link")


def _fingerprint(user: User) -> str:
    """Changes whenever the user's session token does (a password set, a sign-out): links are single use."""
    return hashlib.sha256(f"{user.session_token}:{user.password_hash}".encode()).hexdigest()[:20]


def password_link_token(session: Session, user: User, *, purpose: str) -> str:
    audit.record(session, "user.invited" if purpose == "invite" else "user.password_link", user.email)
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user), "p": purpose})


def user_for_link(session: Session, token: str) -> User:
    """The user a password link is for; AccountError when it is expired, used, or not ours."""
    try:
        data = _serializer().loads(token, max_age=int(LINK_MAX_AGE.total_seconds()))
    except SignatureExpired as exc:
        raise AccountError("This link has expired. Ask an administrator for a new one.") from exc
    except BadSignature as exc:
        raise AccountError("This link is not valid. Check that you copied all of it.") from exc
    user = session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not user.is_active or data.get("f") != _fingerprint(user):
        raise AccountError("This link has already been used or is no longer valid. Ask an administrator for a new one.")
    return user


def set_time_zone(session: Session, user: User, *, name: str) -> None:
    """The zone the person's pages show times in; "" goes back to the installation's. Raises ValueError."""
    from ..local_time import valid_time_zone

    name = (name or "").strip()
    if name and not valid_time_zone(name):
        raise ValueError(f"“{name[:64]}” is not a time zone we know; choose one from the list, e.g. Europe/Lisbon.")
    user.time_zone = name or None
    session.add(user)


TEAM_MAX_LENGTH = 120


def set_team(session: Session, user: User, *, team: str) -> None:
    """Where the person works, as they say it (the meetup's figures count the teams it reaches); "" clears it.
    Spacing is tidied, case kept. Raises ValueError."""
    team = " ".join((team or "").split())
    if len(team) > TEAM_MAX_LENGTH:
        raise ValueError(f"Keep your team to at most {TEAM_MAX_LENGTH} characters: this one has {len(team)}.")
    user.team = team or None
    session.add(user)
