"""Reads for provisioning: the users and groups /scim/v2 answers with, and the admin page's tokens.

A person the identity provider deleted (`deprovisioned_at`) is kept with their history, but SCIM no longer knows
them: they are in no answer, as if gone. Nor does it know the break-glass admins (ACADEMY_BREAK_GLASS_ADMINS): the
provider must not be able to lock out the accounts kept for when it fails.
"""

from collections.abc import Iterable

from sqlalchemy import false, func
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, select

from ..inputs import id_or_none
from ..models import ProvisioningToken, ScimGroup, ScimGroupMember, User
from ..policy import break_glass_admins
from .scim_filters import Columns


def _text(column, *, fold: bool = False):
    """`column eq value` for a string attribute; a value of another type equals nothing."""

    def equals(value) -> ColumnElement[bool]:
        if not isinstance(value, str):
            return false()
        return func.lower(column) == value.lower() if fold else column == value

    return equals


def _id(column):
    def equals(value) -> ColumnElement[bool]:
        found = id_or_none(value) if isinstance(value, str) else None
        return column == found if found is not None else false()

    return equals


def _email(value) -> ColumnElement[bool]:
    return User.email == User.normalise_email(value) if isinstance(value, str) else false()


def _active(value) -> ColumnElement[bool]:
    return User.is_active == value if isinstance(value, bool) else false()


def _member(value) -> ColumnElement[bool]:
    user_id = id_or_none(value) if isinstance(value, str) else None
    if user_id is None:
        return false()
    return ScimGroup.id.in_(select(ScimGroupMember.group_id).where(ScimGroupMember.user_id == user_id))


USER_COLUMNS: Columns = {
    ("user_name", None): _email,
    ("emails", "value"): _email,
    ("external_id", None): _text(User.external_id),
    ("id", None): _id(User.id),
    ("display_name", None): _text(User.display_name, fold=True),
    ("active", None): _active,
}
GROUP_COLUMNS: Columns = {
    ("display_name", None): _text(ScimGroup.display_name, fold=True),
    ("external_id", None): _text(ScimGroup.external_id),
    ("id", None): _id(ScimGroup.id),
    ("members", "value"): _member,
}


def _page(session: Session, query, order, *, start: int, count: int) -> tuple[int, list]:
    """(total, the rows from the 1-based `start`, at most `count`); a start past the end reads nothing."""
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    if count == 0 or start > total:
        return total, []
    return total, list(session.exec(query.order_by(order).offset(start - 1).limit(count)).all())


def known_to_scim() -> ColumnElement[bool]:
    return User.deprovisioned_at.is_(None) & User.email.not_in(sorted(break_glass_admins()))


def users_page(
    session: Session, *, condition: ColumnElement[bool] | None, start: int, count: int
) -> tuple[int, list[tuple[User, list[ScimGroup]]]]:
    query = select(User).where(known_to_scim())
    if condition is not None:
        query = query.where(condition)
    total, users = _page(session, query, User.id, start=start, count=count)
    groups = groups_of(session, [u.id for u in users])
    return total, [(u, groups.get(u.id, [])) for u in users]


def scim_user(session: Session, raw_id: str) -> User | None:
    """The user with this SCIM id, unless the identity provider deleted them."""
    user_id = id_or_none(raw_id)
    user = session.get(User, user_id) if user_id is not None else None
    known = user is not None and user.deprovisioned_at is None and user.email not in break_glass_admins()
    return user if known else None


def user_by_user_name(session: Session, email: str) -> User | None:
    """Whoever holds the address, deleted by the provider or not: a creation with it takes that account back."""
    return session.exec(select(User).where(User.email == User.normalise_email(email))).first()


def groups_of(session: Session, user_ids: Iterable[int]) -> dict[int, list[ScimGroup]]:
    ids = list(user_ids)
    found: dict[int, list[ScimGroup]] = {}
    if not ids:
        return found
    rows = session.exec(
        select(ScimGroupMember.user_id, ScimGroup)
        .join(ScimGroup, ScimGroup.id == ScimGroupMember.group_id)
        .where(ScimGroupMember.user_id.in_(ids))
        .order_by(ScimGroup.id)
    )
    for user_id, group in rows:
        found.setdefault(user_id, []).append(group)
    return found


def groups_page(
    session: Session, *, condition: ColumnElement[bool] | None, start: int, count: int
) -> tuple[int, list[tuple[ScimGroup, list[int]]]]:
    query = select(ScimGroup)
    if condition is not None:
        query = query.where(condition)
    total, groups = _page(session, query, ScimGroup.id, start=start, count=count)
    members = member_ids(session, [g.id for g in groups])
    return total, [(g, members.get(g.id, [])) for g in groups]


def scim_group(session: Session, raw_id: str) -> ScimGroup | None:
    group_id = id_or_none(raw_id)
    return session.get(ScimGroup, group_id) if group_id is not None else None


def group_named(session: Session, display_name: str) -> ScimGroup | None:
    """Names compare without regard to case, as the role map compares them."""
    query = select(ScimGroup).where(func.lower(ScimGroup.display_name) == display_name.lower())
    return session.exec(query).first()


def member_ids(session: Session, group_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = list(group_ids)
    found: dict[int, list[int]] = {}
    if not ids:
        return found
    rows = session.exec(
        select(ScimGroupMember.group_id, ScimGroupMember.user_id)
        .where(ScimGroupMember.group_id.in_(ids))
        .order_by(ScimGroupMember.user_id)
    )
    for group_id, user_id in rows:
        found.setdefault(group_id, []).append(user_id)
    return found


def group_names_of(session: Session, user_id: int) -> list[str]:
    query = (
        select(ScimGroup.display_name)
        .join(ScimGroupMember, ScimGroupMember.group_id == ScimGroup.id)
        .where(ScimGroupMember.user_id == user_id)
    )
    return list(session.exec(query).all())


def live_user_ids(session: Session, user_ids: Iterable[int]) -> set[int]:
    """Those of the ids that name a user the identity provider has not deleted."""
    ids, found = sorted(user_ids), set()
    for start in range(0, len(ids), 1000):  # SQLite takes a bounded number of parameters in one query
        chunk = ids[start : start + 1000]
        found |= set(session.exec(select(User.id).where(User.id.in_(chunk), known_to_scim())).all())
    return found


def provisioning_tokens(session: Session) -> list[tuple[ProvisioningToken, str | None]]:
    """Every provisioning token, live ones first, newest first, with the e-mail of the admin who made it."""
    query = (
        select(ProvisioningToken, User.email)
        .join(User, User.id == ProvisioningToken.created_by, isouter=True)
        .order_by(ProvisioningToken.revoked_at.is_not(None), ProvisioningToken.created_at.desc())
    )
    return list(session.exec(query).all())


def provisioned(session: Session, user: User) -> bool:
    """SCIM manages this person (an externalId, or a group): their roles follow its groups, not the sign-in's."""
    if user.external_id is not None:
        return True
    return (
        session.exec(select(ScimGroupMember.user_id).where(ScimGroupMember.user_id == user.id).limit(1)).first()
        is not None
    )
