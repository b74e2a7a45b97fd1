"""Roles that follow the company's groups, for sign-in (OpenID Connect) and provisioning (SCIM) alike.

ACADEMY_OIDC_ROLE_MAP names which group gives which role: `sre-academy-mentors=mentor,sre-academy-managers=manager`.
The roles the map names are the provider's to give and take; roles it never names (a break-glass admin's, say) stay
as an admin set them. Group names are compared without regard to case or surrounding spaces.
"""

from collections.abc import Iterable, Mapping

from flask import current_app
from sqlmodel import Session

from ..accounts.services import roles_of, set_roles
from ..models import ROLES, User


def parse_role_map(text: str | None) -> dict[str, str]:
    """`group=role` pairs separated by commas; a ValueError names what is wrong (read once, at start)."""
    mapping: dict[str, str] = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        group, equals, role = pair.rpartition("=")
        group, role = group.strip().casefold(), role.strip().lower()
        if not equals or not group:
            raise ValueError(f"ACADEMY_OIDC_ROLE_MAP takes group=role pairs separated by commas, not {pair.strip()!r}")
        if role not in ROLES:
            raise ValueError(f"ACADEMY_OIDC_ROLE_MAP gives the unknown role {role!r}; the roles are {', '.join(ROLES)}")
        if role == "admin":  # a group anyone at the provider can name must not make admins, nor unmake break-glass ones
            raise ValueError("ACADEMY_OIDC_ROLE_MAP cannot give admin: admins are made in the academy's administration")
        if mapping.get(group, role) != role:
            raise ValueError(f"ACADEMY_OIDC_ROLE_MAP gives the group {group!r} two roles; give each group one")
        mapping[group] = role
    return mapping


def role_map() -> dict[str, str]:
    return parse_role_map(current_app.config.get("OIDC_ROLE_MAP"))


def roles_from_groups(groups: Iterable[str], mapping: Mapping[str, str]) -> set[str]:
    return {mapping[g.strip().casefold()] for g in groups if isinstance(g, str) and g.strip().casefold() in mapping}


def follow_groups(
    session: Session, user: User, groups: Iterable[str], *, mapping: Mapping[str, str], provider: str
) -> bool:
    """The roles the map manages become exactly those the groups give; audited with the provider. True if changed."""
    if not mapping:
        return False
    before = roles_of(session, user.id)
    after = (before - set(mapping.values())) | roles_from_groups(groups, mapping)
    if after == before:
        return False
    set_roles(session, user, after, provider=provider)
    return True
