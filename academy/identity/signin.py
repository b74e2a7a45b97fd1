"""Who a company sign-in is: the academy account for the identity provider's verified claims.

An account is found by the provider's stable subject (`sub`), never by e-mail alone: an address can be given to
someone else after its owner leaves. A known e-mail is linked to the subject on the first sign-in only when the
provider says the address is verified; an unknown person gets an account only when the installation says so.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, select

from .. import audit
from ..accounts.services import AccountError, create_user, user_by_email
from ..models import ExternalIdentity, User, utcnow
from .groups import follow_groups, roles_from_groups
from .queries import provisioned

MAX_CLAIM = 255


class SignInRefused(Exception):
    """Why this sign-in cannot go on, in the person's words."""


@dataclass(frozen=True)
class Provider:
    """What the sign-in needs to know of the installation's provider."""

    issuer: str
    name: str  # as the button says it: "Sign in with <name>"
    role_map: Mapping[str, str]
    groups_claim: str | None
    create_users: bool = False


def account_for(session: Session, claims: Mapping, provider: Provider) -> User:
    """The active account these verified claims belong to (linked or made if the rules allow), its roles following
    the groups claim; SignInRefused otherwise. The caller commits."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 1 <= len(subject) <= MAX_CLAIM:
        raise SignInRefused(f"{provider.name} did not say who you are (no subject in its answer).")
    found = session.exec(
        select(ExternalIdentity, User)
        .join(User, User.id == ExternalIdentity.user_id)
        .where(ExternalIdentity.issuer == provider.issuer, ExternalIdentity.subject == subject)
    ).first()
    identity, user = found if found else (None, None)
    if user is None:
        identity, user = _link_or_create(session, claims, subject, provider)
    if not user.is_active or user.deprovisioned_at is not None:
        raise SignInRefused("This account is deactivated. Ask an administrator if you should still have access.")
    identity.last_sign_in_at = utcnow()
    session.add(identity)
    if provider.groups_claim and not provisioned(session, user):  # one source of roles: SCIM's groups come first
        groups = groups_of(claims, provider.groups_claim)
        follow_groups(session, user, groups, mapping=provider.role_map, provider=provider.name)
    return user


def groups_of(claims: Mapping, claim: str) -> list[str]:
    """The groups claim as a list of names; a missing claim is no groups (a leaver's groups may be left out)."""
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [g for g in value if isinstance(g, str)]
    return []


def _link_or_create(
    session: Session, claims: Mapping, subject: str, provider: Provider
) -> tuple[ExternalIdentity, User]:
    email = claims.get("email")
    if not isinstance(email, str) or not 3 <= len(email.strip()) <= 254 or "@" not in email:
        raise SignInRefused(f"{provider.name} did not send your e-mail address, so no account can be found for you.")
    verified = claims.get("email_verified") is True or str(claims.get("email_verified")).lower() == "true"
    user = user_by_email(session, email)
    if user is not None:
        if not verified:
            raise SignInRefused(
                f"{provider.name} does not say that {email.strip().lower()} is verified, so it cannot be linked to the "
                "academy account with that address. Ask your administrator."
            )
        taken = session.exec(
            select(ExternalIdentity).where(
                ExternalIdentity.issuer == provider.issuer, ExternalIdentity.user_id == user.id
            )
        ).first()
        if taken is not None:
            raise SignInRefused(
                f"The academy account {user.email} is already linked to another {provider.name} account. "
                "Ask your administrator."
            )
    elif not provider.create_users:
        raise SignInRefused(
            f"There is no academy account for {email.strip().lower()} yet. Ask your administrator to add you."
        )
    elif not verified:
        raise SignInRefused(
            f"{provider.name} does not say that {email.strip().lower()} is verified. Ask your administrator."
        )
    else:
        user = _create(session, claims, email, provider)
    identity = ExternalIdentity(issuer=provider.issuer, subject=subject, user_id=user.id)
    session.add(identity)
    audit.record(session, "user.identity_linked", user.email, provider=provider.name)
    return identity, user


def _create(session: Session, claims: Mapping, email: str, provider: Provider) -> User:
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    name = " ".join((name or email.split("@")[0]).split())[:120] or email.split("@")[0][:120]
    roles = (
        roles_from_groups(groups_of(claims, provider.groups_claim), provider.role_map)
        if provider.groups_claim
        else set()
    )
    try:
        return create_user(session=session, email=email, display_name=name, roles=roles, provider=provider.name)
    except AccountError as error:
        raise SignInRefused(str(error)) from None
