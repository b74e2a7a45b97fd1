"""What an identity provider's SCIM requests change: accounts and the groups that give roles.

Each function is one unit of work in the caller's transaction (the view commits), and audits with the provider as
the actor: `provider` is the name of the provisioning token the request came with. Refusals are SCIM's own
exceptions (scim2-models), which the views answer as SCIM errors; a refused request changes nothing.
"""

from dataclasses import dataclass

from scim2_models import InvalidValueException, UniquenessException
from sqlalchemy import delete
from sqlmodel import Session

from .. import audit
from ..accounts.services import create_user, set_active, update_profile
from ..inputs import id_or_none, is_email
from ..models import ScimGroup, ScimGroupMember, User, utcnow
from ..policy import break_glass_admins
from . import queries
from .groups import follow_groups, role_map
from .scim_schema import Group as GroupResource
from .scim_schema import User as UserResource

MAX_DISPLAY_NAME, MAX_GROUP_NAME, MAX_EXTERNAL_ID = 120, 200, 255
LISTED = 20  # the e-mails an audit row names, at most; the rest it counts


@dataclass(frozen=True)
class Person:
    """What a SCIM User says, in the academy's terms."""

    email: str
    display_name: str
    active: bool
    external_id: str | None


@dataclass(frozen=True)
class GroupState:
    display_name: str
    external_id: str | None
    member_ids: frozenset[int]


def one_line(value: str | None, *, what: str, limit: int) -> str:
    text = " ".join((value or "").split())
    if not 1 <= len(text) <= limit:
        raise InvalidValueException(detail=f"{what} must be 1 to {limit} characters long.")
    return text


def external_id(value: str | None) -> str | None:
    if value is not None and not 1 <= len(value) <= MAX_EXTERNAL_ID:
        raise InvalidValueException(detail=f"externalId must be 1 to {MAX_EXTERNAL_ID} characters long.")
    return value


def person_of(resource: UserResource) -> Person:
    email = User.normalise_email(resource.user_name or "")
    if not is_email(email):
        raise InvalidValueException(detail="userName must be the person's e-mail address, such as ada@example.com.")
    return Person(
        email=email,
        display_name=one_line(resource.display_name, what="displayName", limit=MAX_DISPLAY_NAME),
        active=bool(resource.active),
        external_id=external_id(resource.external_id),
    )


def group_state_of(resource: GroupResource) -> GroupState:
    ids = set()
    for member in resource.members or []:
        if member.type not in (None, "User"):
            raise InvalidValueException(detail="A group's members are users here; groups cannot hold groups.")
        member_id = id_or_none(member.value)
        if member_id is None:
            raise InvalidValueException(detail=f"No user has the id “{member.value}”.")
        ids.add(member_id)
    return GroupState(
        display_name=one_line(resource.display_name, what="displayName", limit=MAX_GROUP_NAME),
        external_id=external_id(resource.external_id),
        member_ids=frozenset(ids),
    )


# ------------------------------------------------------------------ users


def provision_user(session: Session, person: Person, *, provider: str) -> User:
    """A new account without password or roles (groups give roles); or, when the provider deleted the holder of
    this address before and sends the same externalId again, that same account back, with its history. An address
    given to someone new (another externalId, or none) does not bring back the old holder's account."""
    holder = queries.user_by_user_name(session, person.email)
    if holder is not None and holder.email in break_glass_admins():  # out of SCIM's reach: not even its id
        raise UniquenessException(detail=f"A user with the userName {person.email} exists already.")
    if holder is not None and holder.deprovisioned_at is None:
        raise UniquenessException(detail=f"A user with the userName {person.email} exists already (id {holder.id}).")
    if holder is not None and (holder.external_id is None or holder.external_id != person.external_id):
        raise UniquenessException(
            detail=f"The userName {person.email} belongs to the kept history of a deleted user; the same person comes "
            "back with their own externalId. Someone new needs another address."
        )
    if holder is not None:
        holder.deprovisioned_at = None
        audit.record(session, "user.reprovisioned", holder.email, provider=provider)
        update_user(session, holder, person, provider=provider)
        return holder
    user = create_user(
        session=session, email=person.email, display_name=person.display_name, roles=[], provider=provider
    )
    update_user(session, user, person, provider=provider)  # externalId, and active when it comes as false
    return user


def update_user(session: Session, user: User, person: Person, *, provider: str) -> None:
    """The account becomes what the provider says (PUT and PATCH); deactivation ends every session and token."""
    if person.email != user.email:
        if queries.user_by_user_name(session, person.email) is not None:
            raise UniquenessException(detail=f"Another account has the userName {person.email}.")
        audit.record(session, "user.email_changed", user.email, email=person.email, provider=provider)
        user.email = person.email
    update_profile(session, user, display_name=person.display_name, provider=provider)
    if person.external_id != user.external_id:
        audit.record(session, "user.external_id_set", user.email, external_id=person.external_id, provider=provider)
        user.external_id = person.external_id
    session.add(user)
    set_active(session, user, person.active, provider=provider)


def deprovision_user(session: Session, user: User, *, provider: str) -> None:
    """DELETE: deactivated, out of every group, unknown to SCIM from now on; nothing of their history goes."""
    groups = queries.groups_of(session, [user.id]).get(user.id, [])
    set_active(session, user, False, provider=provider)
    session.exec(delete(ScimGroupMember).where(ScimGroupMember.user_id == user.id))
    user.deprovisioned_at = utcnow()
    session.add(user)
    audit.record(session, "user.deprovisioned", user.email, groups=[g.display_name for g in groups], provider=provider)
    follow_roles(session, [user.id], provider=provider)


# ------------------------------------------------------------------ groups


def create_group(session: Session, state: GroupState, *, provider: str) -> ScimGroup:
    if queries.group_named(session, state.display_name) is not None:
        raise UniquenessException(detail=f"A group named “{state.display_name}” exists already.")
    group = ScimGroup(display_name=state.display_name, external_id=state.external_id)
    session.add(group)
    session.flush()
    audit.record(session, "scim_group.created", group.display_name, provider=provider)
    if state.external_id is not None:
        audit.record(
            session, "scim_group.external_id_set", group.display_name, external_id=state.external_id, provider=provider
        )
    set_members(session, group, state.member_ids, provider=provider)
    return group


def update_group(session: Session, group: ScimGroup, state: GroupState, *, provider: str) -> None:
    """The group becomes what the provider says; its members' roles follow its new name and membership."""
    renamed = state.display_name != group.display_name
    if renamed:
        same = queries.group_named(session, state.display_name)
        if same is not None and same.id != group.id:
            raise UniquenessException(detail=f"A group named “{state.display_name}” exists already.")
        audit.record(session, "scim_group.renamed", state.display_name, before=group.display_name, provider=provider)
        group.display_name = state.display_name
    if state.external_id != group.external_id:
        audit.record(
            session, "scim_group.external_id_set", group.display_name, external_id=state.external_id, provider=provider
        )
        group.external_id = state.external_id
    group.updated_at = utcnow()
    session.add(group)
    session.flush()
    before = set(queries.member_ids(session, [group.id]).get(group.id, []))
    set_members(session, group, state.member_ids, provider=provider)
    if renamed:  # the members that stayed hold a group of another name now
        follow_roles(session, before & state.member_ids, provider=provider)


def delete_group(session: Session, group: ScimGroup, *, provider: str) -> None:
    members = queries.member_ids(session, [group.id]).get(group.id, [])
    session.exec(delete(ScimGroupMember).where(ScimGroupMember.group_id == group.id))
    session.delete(group)
    audit.record(session, "scim_group.deleted", group.display_name, members=len(members), provider=provider)
    session.flush()
    follow_roles(session, members, provider=provider)


def set_members(session: Session, group: ScimGroup, wanted: frozenset[int], *, provider: str) -> None:
    """Exactly these users in the group (each one a user SCIM knows), audited and followed by their roles."""
    if unknown := wanted - queries.live_user_ids(session, wanted):
        raise InvalidValueException(detail=f"No user has the id “{min(unknown)}”.")
    before = set(queries.member_ids(session, [group.id]).get(group.id, []))
    added, removed = wanted - before, before - wanted
    if not added and not removed:
        return
    gone = sorted(removed)
    for start in range(0, len(gone), 1000):  # SQLite takes a bounded number of parameters in one query
        chunk = gone[start : start + 1000]
        session.exec(
            delete(ScimGroupMember).where(ScimGroupMember.group_id == group.id, ScimGroupMember.user_id.in_(chunk))
        )
    session.add_all(ScimGroupMember(group_id=group.id, user_id=user_id) for user_id in sorted(added))
    session.flush()
    audit.record(
        session,
        "scim_group.members_changed",
        group.display_name,
        added=emails(session, added),
        removed=emails(session, removed),
        provider=provider,
    )
    follow_roles(session, added | removed, provider=provider)


def follow_roles(session: Session, user_ids, *, provider: str) -> None:
    """Each user's roles become those the names of all their groups give (ACADEMY_OIDC_ROLE_MAP)."""
    mapping = role_map()
    if not mapping:
        return
    for user_id in sorted(user_ids):
        user = session.get(User, user_id)
        follow_groups(session, user, queries.group_names_of(session, user_id), mapping=mapping, provider=provider)


def emails(session: Session, user_ids: set[int]) -> list[str]:
    """The e-mails of some users, for an audit row: at most LISTED, and how many more."""
    listed = sorted(session.get(User, i).email for i in sorted(user_ids)[:LISTED])
    return listed + ([f"{len(user_ids) - LISTED} more"] if len(user_ids) > LISTED else [])
