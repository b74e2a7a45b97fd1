"""Reads for the credential pages: the public page, the graduate's account page, the admins' list, the status list."""

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..models import Credential, User
from ..paging import Page

PAGE_SIZE = 50
PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")  # what secrets.token_urlsafe makes


def by_public_id(session: Session, public_id: str) -> Credential | None:
    """The credential at a public address; anything that is not one of ours is not looked up at all."""
    if not PUBLIC_ID.match(public_id):
        return None
    return session.exec(select(Credential).where(Credential.public_id == public_id)).first()


def credentials_of(session: Session, trainee_id: int) -> list[Credential]:
    rows = select(Credential).where(Credential.trainee_id == trainee_id)
    return list(session.exec(rows.order_by(Credential.issued_at.desc(), Credential.id.desc())).all())


@dataclass(frozen=True)
class Listed:
    credential: Credential
    email: str
    revoked_by: str | None  # the admin's name


def credentials_page(session: Session, *, page: int = 1) -> Page:
    """Every credential, newest first, with the graduate's e-mail and who revoked it, a page at a time."""
    revoker = aliased(User)
    query = (
        select(Credential, User.email, revoker.display_name)
        .join(User, User.id == Credential.trainee_id)
        .outerjoin(revoker, revoker.id == Credential.revoked_by)
    )
    total = session.exec(select(func.count()).select_from(Credential)).one()
    found = session.exec(
        query.order_by(Credential.issued_at.desc(), Credential.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return Page([Listed(*row) for row in found], page, total, PAGE_SIZE)


def revocations(session: Session) -> tuple[list[int], int]:
    """The ids of revoked credentials, and the highest id issued: what the status list is made of."""
    revoked = session.exec(select(Credential.id).where(Credential.revoked_at.is_not(None))).all()
    highest = session.exec(select(func.max(Credential.id))).one()
    return list(revoked), highest or 0
