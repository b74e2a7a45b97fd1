"""Personal access tokens: created and revoked by their owner, shown once, stored as a hash.

Each token reads only, or reads and writes (`scope`), and stops working at its expiry (at most a year after it
was made), when its owner's password changes and when the account is deactivated.
"""

import hashlib
import secrets
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlmodel import Session, select, update

from .. import audit, db
from ..models import TOKEN_SCOPES, ApiToken, User, utcnow

PREFIX = "sra_"
MAX_ACTIVE = 20
DEFAULT_DAYS = 90
MAX_DAYS = 365
UNKNOWN = "Send a personal access token: Authorization: Bearer <token>."
READ_ONLY = "This token may only read. Create a token with read and write access to change anything."


class TokenError(ValueError):
    """Why a token could not be made or revoked, in the user's words; `field` names the form field."""

    def __init__(self, message: str, field: str = "name"):
        super().__init__(message)
        self.field = field


class TokenRefused(Exception):
    """Why the API refuses the token it was sent, for the caller (the detail of a 401)."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def expiry(*, days: int | None = None, until: date | None = None, zone: tzinfo = UTC) -> datetime:
    """When a new token stops working: `days` from now (default 90), or at the end of the day `until` in `zone`
    (the person's time zone: the day they picked is their day); never more than a year ahead."""
    now = utcnow()
    if until is None:
        days = DEFAULT_DAYS if days is None else days
        if not 1 <= days <= MAX_DAYS:
            raise TokenError(f"A token lasts from 1 to {MAX_DAYS} days.", "expires")
        return now + timedelta(days=days)
    if until <= now.astimezone(zone).date():
        raise TokenError("Choose a day after today.", "expires_on")
    if until > (now + timedelta(days=MAX_DAYS)).astimezone(zone).date():
        raise TokenError(f"A token lasts at most {MAX_DAYS} days: choose a day within a year.", "expires_on")
    return datetime.combine(until, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def expires(row: ApiToken) -> datetime:
    """A token made before tokens had an expiry lasts the longest a new one may: a year after it was made."""
    return row.expires_at or row.created_at + timedelta(days=MAX_DAYS)


def create_token(
    session: Session, *, user: User, name: str, scope: str, expires_at: datetime | None = None
) -> tuple[str, ApiToken]:
    """The token itself (to show once) and its stored record; `scope` is "read" (GET only), "write", or "lab"
    (what `academy-lab` needs: the caller, the catalogue, their labs, lab checks and submitting evidence)."""
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 80:
        raise TokenError("Name the token (at most 80 characters), so that you know later where it is used.")
    if scope not in TOKEN_SCOPES:
        raise TokenError("Choose read only, read and write, or lab checks and submissions.", "scope")
    expires_at = expires_at or expiry()
    active = session.exec(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    if len(active) >= MAX_ACTIVE:
        raise TokenError(f"You have {MAX_ACTIVE} active tokens; revoke one you no longer use first.")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=digest(token),
        prefix=token[: len(PREFIX) + 6],
        scope=scope,
        expires_at=expires_at,
    )
    session.add(row)
    audit.record(session, "token.created", user.email, name=name, scope=scope, expires_at=expires_at, actor=user.id)
    return token, row


def revoke_token(session: Session, *, user_id: int, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise TokenError("There is no such token of yours.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session, "token.revoked", row.name)
    return row


def revoke_all(session: Session, user: User, *, reason: str) -> int:
    """Every token of this person stops working, in the caller's transaction (a new password, a deactivation),
    so that reactivating the account later does not bring them back."""
    live = session.exec(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    now = utcnow()
    for row in live:
        row.revoked_at = now
        session.add(row)
    if live:
        audit.record(session, "token.revoked", user.email, reason=reason, tokens=sorted(r.name for r in live))
    return len(live)


def token_owner(session: Session, token: str) -> tuple[ApiToken, User]:
    """The live token and its active owner; TokenRefused says why not."""
    if not token.startswith(PREFIX) or len(token) > 200:
        raise TokenRefused(UNKNOWN)
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(token))).first()
    if row is None:
        raise TokenRefused(UNKNOWN)
    if row.revoked_at is not None:
        raise TokenRefused(
            f"This token was revoked on {row.revoked_at:%Y-%m-%d}; create a new one on your account page."
        )
    if expires(row) <= utcnow():
        raise TokenRefused(
            f"This token expired on {expires(row):%Y-%m-%d %H:%M} UTC; create a new one on your account page."
        )
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise TokenRefused(UNKNOWN)
    return row, user


def note_use(session: Session, row, *, writing: bool) -> None:
    """Record when a token (personal, or a provisioning token) was last used, at most every five minutes. A request
    that writes anyway does it in its own transaction; a read, whose own transaction cannot write, does it in a short
    one of its own."""
    now = utcnow()
    if row.last_used_at is not None and now - row.last_used_at < timedelta(minutes=5):
        return
    table = type(row)
    stamp = update(table).where(table.id == row.id).values(last_used_at=now)
    if writing:
        session.exec(stamp)
        return
    with db.short_write_session() as own:
        own.exec(stamp)
        own.commit()


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    rows = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
    return list(session.exec(rows).all())
