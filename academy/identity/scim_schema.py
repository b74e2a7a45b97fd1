"""The SCIM resources the academy serves (RFC 7643), built from scim2-models' own parts, and how rows become them.

The resources hold what the academy keeps of a person or a group, no more: an identity provider reads in /Schemas
what it may write, and whatever it writes comes back as written. A User is an account: `userName` is its e-mail
address, `emails` follows it; `displayName` and `active` always have a value, so they are required (a creation
without them gets them, see `with_defaults`). A Group is a group the provider pushes, whose members are users.
Attributes of the core schemas the academy does not keep (a title, phone numbers, the enterprise extension) are
ignored rather than refused, as Entra ID and Okta send them by default.
"""

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    Email,
    ETag,
    Filter,
    GroupMembership,
    Meta,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    Schema,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

from ..models import ScimGroup
from ..models import User as Account

MAX_RESULTS = 200  # a page of a list or a filter, at most


class User(Resource[Any]):
    """A person of the academy: userName is their e-mail address; displayName comes from name when left out."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    display_name: Annotated[str | None, Required.true] = None
    active: Annotated[bool | None, Required.true] = None
    emails: Annotated[list[Email] | None, Mutability.read_only] = None
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None


class Member(ComplexAttribute):
    """A member of a group: a user of the academy (groups do not hold groups here)."""

    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])


class Group(Resource[Any]):
    """A group of the identity provider. Its displayName gives roles through ACADEMY_OIDC_ROLE_MAP."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    members: list[Member] | None = None


# Tolerant where the big providers depart from the RFC: Entra ID removes members by value, and writes
# emails[type eq "work"].value where no such entry exists yet; both send attributes the academy does not keep.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)
CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type="oauthbearertoken",
            name="Provisioning token",
            description="A bearer token an admin makes on the academy's admin pages, or with "
            "`flask academy token create-scim --name NAME`.",
            primary=True,
        )
    ],
)
PROVIDER = ScimProvider(models=[User, Group], config=CONFIG, policy=POLICY)


def user_resource(user: Account, groups: Iterable[ScimGroup], base: str) -> User:
    """`base`: the absolute address of /scim/v2, which locations start with."""
    return User(
        id=str(user.id),
        external_id=user.external_id,
        user_name=user.email,
        display_name=user.display_name,
        active=user.is_active,
        # built as stored: the address passed the academy's check, which is not pydantic's stricter EmailStr
        emails=[Email.model_construct(value=user.email, type=Email.Type.work, primary=True)],
        groups=[
            GroupMembership(value=str(g.id), ref=f"{base}/Groups/{g.id}", display=g.display_name, type="direct")
            for g in groups
        ]
        or None,
        meta=Meta(
            resource_type="User",
            created=user.created_at,
            last_modified=user.created_at,
            location=f"{base}/Users/{user.id}",
        ),
    )


def group_resource(group: ScimGroup, member_ids: Iterable[int], base: str) -> Group:
    return Group(
        id=str(group.id),
        external_id=group.external_id,
        display_name=group.display_name,
        members=[Member(value=str(i), ref=f"{base}/Users/{i}", type="User") for i in member_ids] or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=f"{base}/Groups/{group.id}",
        ),
    )


def published_resource_types(base: str) -> list[ResourceType]:
    """What /ResourceTypes answers (RFC 7643 §6), each with its location."""
    return [
        rt.model_copy(update={"meta": Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/{rt.id}")})
        for rt in PROVIDER.resource_types
    ]


def published_schemas(base: str) -> list[Schema]:
    """What /Schemas answers (RFC 7643 §7): the resources above as scim2-models describes them."""
    return [
        schema.model_copy(update={"meta": Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}")})
        for schema in PROVIDER.schemas
    ]


# ------------------------------------------------------------------ what the academy reads of a payload


def _key(payload: dict, name: str) -> str | None:
    """The key holding an attribute, whatever its case (RFC 7643 §2.1: attribute names are case-insensitive)."""
    return next((key for key in payload if isinstance(key, str) and key.casefold() == name.casefold()), None)


def _given(payload: dict, name: str):
    value = payload.get(_key(payload, name))
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def spoken_name(name) -> str | None:
    """name.formatted, or else givenName and familyName (what Okta and Entra ID send)."""
    if not isinstance(name, dict):
        return None
    if isinstance(formatted := _given(name, "formatted"), str):
        return formatted
    parts = [_given(name, part) for part in ("givenName", "familyName")]
    return " ".join(p for p in parts if isinstance(p, str)) or None


def with_defaults(payload: dict, current: Account | None) -> dict:
    """A User to create (`current` None) or replace, with the values the academy always has where it came without:
    displayName from the name's parts, or what the account had, or the address; active true, or as it was."""
    filled = dict(payload)
    if _given(payload, "displayName") is None:
        user_name = _given(payload, "userName")
        fallback = (
            current.display_name if current else (user_name.partition("@")[0] if isinstance(user_name, str) else None)
        )
        if (display_name := spoken_name(_given(payload, "name")) or fallback) is not None:
            filled.pop(_key(payload, "displayName"), None)
            filled["displayName"] = display_name
    if _given(payload, "active") is None:
        filled.pop(_key(payload, "active"), None)
        filled["active"] = current.is_active if current else True
    return filled


def _about_emails(path) -> bool:
    if not isinstance(path, str):
        return False
    attribute = path.strip().casefold().removeprefix(f"{User.__schema__}:".casefold())
    return attribute.startswith("emails")


def _without_emails(operation):
    """The operation, its value without emails when it has no path; None when it writes emails alone."""
    if not isinstance(operation, dict):
        return operation
    if _about_emails(operation.get(_key(operation, "path"))):
        return None
    value_key = _key(operation, "value")
    value = operation.get(value_key)
    if _key(operation, "path") is not None or not isinstance(value, dict) or _key(value, "emails") is None:
        return operation
    return {**operation, value_key: {k: v for k, v in value.items() if k != _key(value, "emails")}}


def without_emails(payload: dict) -> dict | None:
    """A User's PatchOp without what it writes to emails, which follows userName here (Entra ID writes both);
    None when it wrote emails and nothing else."""
    operations_key = _key(payload, "Operations")
    operations = payload.get(operations_key)
    if not isinstance(operations, list) or not operations:
        return payload
    kept = [op for op in map(_without_emails, operations) if op is not None]
    return {**payload, operations_key: kept} if kept else None
