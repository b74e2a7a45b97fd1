"""Personal access tokens: created and revoked by their owner, shown once, stored as a hash."""

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, select, update

from .. import audit
from ..models import ApiToken, User, utcnow

PREFIX = "sra_"
MAX_ACTIVE = 20


class TokenError(ValueError):
    pass


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(session: Session, *, user: User, name: str) -> tuple[str, ApiToken]:
    """The token itself (to show once) and its stored record."""
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 80:
        raise TokenError("Name the token (at most 80 characters), so that you know later where it is used.")
    active = session.exec(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    if len(active) >= MAX_ACTIVE:
        raise TokenError(f"You have {MAX_ACTIVE} active tokens; revoke one you no longer use first.")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=digest(token), prefix=token[: len(PREFIX) + 6])
    session.add(row)
    audit.record(session, "token.created", user.email, name=name, actor=user.id)
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


def token_owner(session: Session, token: str) -> tuple[ApiToken, User] | None:
    """The live token and its active owner, or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    return (row, user) if user is not None and user.is_active else None


def note_use(session: Session, engine, row: ApiToken, *, writing: bool) -> None:
    """Record when a token was last used, at most every five minutes. A request that writes anyway does it
    in its own transaction; a read does it in a short one of its own, so that reads never take a write lock."""
    now = utcnow()
    if row.last_used_at is not None and now - row.last_used_at < timedelta(minutes=5):
        return
    stamp = update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now)
    if writing:
        session.exec(stamp)
        return
    with Session(engine) as own:
        own.exec(stamp)
        own.commit()


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    rows = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
    return list(session.exec(rows).all())
