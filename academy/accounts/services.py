"""Writes about people: each function is one unit of work; the caller commits."""

import secrets
from collections.abc import Iterable

from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from ..models import ROLES, User, UserRole


class AccountError(ValueError):
    """A reason, in the user's words, why an account change was refused."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def new_session_token() -> str:
    return secrets.token_hex(16)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == User.normalise_email(email))).first()


def create_user(
    *, session: Session, email: str, display_name: str, roles: Iterable[str], password_hash: str | None = None
) -> User:
    email = User.normalise_email(email)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise AccountError(f"Unknown role: {', '.join(sorted(unknown))}.", "roles")
    if user_by_email(session, email):
        raise AccountError("An account with this email already exists.", "email")
    user = User(
        email=email, display_name=display_name.strip(), password_hash=password_hash, session_token=new_session_token()
    )
    session.add(user)
    session.flush()
    session.add_all(UserRole(user_id=user.id, role=role) for role in sorted(set(roles)))
    return user
