"""Provisioning tokens: the bearer tokens an identity provider sends to /scim/v2, made by an admin for that alone.

A token belongs to no person: it is named after the provider that holds it ("Okta", "Entra ID"), and that name is
what the audit log shows as the actor of every change made with it. Shown once, stored as a SHA-256 (the personal
tokens' `digest`); it works until an admin revokes it.
"""

import secrets

from sqlmodel import Session, select

from .. import audit
from ..api.tokens import digest
from ..inputs import InputError
from ..models import ProvisioningToken, User, utcnow

PREFIX = "srap_"  # SRE Academy provisioning: secret scanners and people tell it from a personal token (sra_)
MAX_LIVE = 10
UNKNOWN = "Send a provisioning token made on the academy's admin pages: Authorization: Bearer <token>."


class ProvisioningTokenError(InputError):
    """Why a provisioning token could not be made or revoked, in the admin's words."""


class ProvisioningTokenRefused(Exception):
    """Why /scim/v2 refuses the token it was sent (the detail of a 401)."""


def create_provisioning_token(
    session: Session, *, name: str, created_by: User | None = None
) -> tuple[str, ProvisioningToken]:
    """The token itself (to show once) and its stored record. `created_by` is None from the command line."""
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 80:
        raise ProvisioningTokenError(
            "Name the token after the identity provider that will hold it (at most 80 characters).", "name"
        )
    live = live_tokens(session)
    if any(row.name.casefold() == name.casefold() for row in live):
        raise ProvisioningTokenError(
            f"A token named “{name}” is in use already; the audit log tells providers apart by name.", "name"
        )
    if len(live) >= MAX_LIVE:
        raise ProvisioningTokenError(f"There are {MAX_LIVE} tokens in use; revoke one no longer used first.", "name")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ProvisioningToken(
        name=name,
        token_hash=digest(token),
        prefix=token[: len(PREFIX) + 6],
        created_by=created_by.id if created_by else None,
    )
    session.add(row)
    audit.record(session, "provisioning_token.created", name, actor=created_by.id if created_by else None)
    return token, row


def revoke_provisioning_token(session: Session, token_id: int) -> ProvisioningToken:
    row = session.get(ProvisioningToken, token_id)
    if row is None:
        raise ProvisioningTokenError("There is no such provisioning token.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session, "provisioning_token.revoked", row.name)
    return row


def token_in_use(session: Session, token: str) -> ProvisioningToken:
    """The live provisioning token sent; ProvisioningTokenRefused says why not."""
    if not token.startswith(PREFIX) or len(token) > 200:
        raise ProvisioningTokenRefused(UNKNOWN)
    row = session.exec(select(ProvisioningToken).where(ProvisioningToken.token_hash == digest(token))).first()
    if row is None:
        raise ProvisioningTokenRefused(UNKNOWN)
    if row.revoked_at is not None:
        raise ProvisioningTokenRefused(
            f"This provisioning token was revoked on {row.revoked_at:%Y-%m-%d}; an admin can make a new one."
        )
    return row


def live_tokens(session: Session) -> list[ProvisioningToken]:
    return list(session.exec(select(ProvisioningToken).where(ProvisioningToken.revoked_at.is_(None))).all())
