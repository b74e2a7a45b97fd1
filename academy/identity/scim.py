"""SCIM 2.0 provisioning (RFC 7643 and 7644): the Users and Groups an identity provider pushes, at /scim/v2.

Every request carries a provisioning token (Authorization: Bearer srap_...), never a cookie. The views parse with
scim2-models, ask `provisioning` to change the academy and answer in SCIM's shape: application/scim+json, and a
SCIM Error for every refusal, under this prefix even where no route matched (errors.ERROR_SHAPES).
"""

import json
import re
from collections.abc import Callable

from flask import Blueprint, Response, current_app, g, request
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    Meta,
    NotFoundException,
    NotImplementedException,
    PatchOp,
    PayloadTooLargeException,
    ResponseParameters,
    SCIMException,
    SearchRequest,
    UniquenessException,
)
from sqlalchemy.exc import IntegrityError

from .. import db, errors
from ..api.tokens import note_use
from ..links import external_path
from . import provisioning, queries
from .provisioning_tokens import ProvisioningTokenRefused, token_in_use
from .scim_filters import where
from .scim_schema import (
    CONFIG,
    MAX_RESULTS,
    POLICY,
    PROVIDER,
    group_resource,
    published_resource_types,
    published_schemas,
    user_resource,
    with_defaults,
    without_emails,
)
from .scim_schema import Group as GroupResource
from .scim_schema import User as UserResource

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
SCIM_JSON = "application/scim+json"
MAX_BODY = 1_000_000  # bytes: a group of some ten thousand members, replaced whole
MAX_OPERATIONS = 1000  # in one PATCH; Okta and Entra ID send a few, or members in batches
BAD_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # control characters, and halves of a surrogate pair


def error_response(status: int, detail: str, scim_type: str | None = None) -> Response:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    return current_app.response_class(error.model_dump_json(), status=status, mimetype=SCIM_JSON)


errors.ERROR_SHAPES[bp.url_prefix + "/"] = error_response


@bp.errorhandler(SCIMException)
def refused(error: SCIMException):
    found = error.to_error()
    return error_response(found.status or 400, found.detail or "", found.scim_type)


@bp.errorhandler(ValidationError)
def invalid(error: ValidationError):
    found = Error.from_validation_error(error.errors()[0])
    return error_response(found.status or 400, found.detail or "", found.scim_type)


@bp.before_request
def authenticate():
    """A live provisioning token, or 401: personal tokens and session cookies open nothing here."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        g.scim_token = token_in_use(db.session(), token.strip() if scheme.lower() == "bearer" else "")
    except ProvisioningTokenRefused as refusal:
        response = error_response(401, str(refusal))
        response.headers["WWW-Authenticate"] = 'Bearer realm="academy-scim"'
        return response
    note_use(db.session(), g.scim_token, writing=request.method not in db.SAFE_METHODS)
    return None


def provider() -> str:
    """Who the audit log names for what this request changes: the token's name."""
    return g.scim_token.name


def base() -> str:
    return external_path(bp.url_prefix)


# ------------------------------------------------------------------ reading requests, writing answers


def payload() -> dict:
    """The request's JSON object: at most MAX_BODY bytes of UTF-8, no control character in any text."""
    if (request.content_length or 0) > MAX_BODY or len(raw := request.get_data(cache=True)) > MAX_BODY:
        raise PayloadTooLargeException(detail=f"The body is larger than {MAX_BODY:,} bytes; nothing was changed.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidSyntaxException(detail="The body is not JSON in UTF-8; nothing was changed.") from None
    if not isinstance(data, dict):
        raise InvalidSyntaxException(detail="The body must be a JSON object; nothing was changed.")
    if bad_text(data):
        raise InvalidValueException(detail="The body holds control characters, which no value may hold.")
    return data


def patch_payload() -> dict:
    """A PatchOp's body: at most MAX_OPERATIONS operations, each one applied in turn to a copy of the resource."""
    data = payload()
    operations = data.get(next((key for key in data if key.casefold() == "operations"), None))
    if isinstance(operations, list) and len(operations) > MAX_OPERATIONS:
        raise PayloadTooLargeException(
            detail=f"Send at most {MAX_OPERATIONS} operations at a time; nothing was changed."
        )
    return data


def bad_text(data) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and BAD_TEXT.search(item):
            return True
        if isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
    return False


def validated(model, data: dict, context: Context):
    return model.model_validate(data, scim_ctx=context, scim_policy=POLICY)


def query_parameters(model) -> ResponseParameters:
    return ResponseParameters[model].model_validate(request.args.to_dict(), scim_policy=POLICY)


def answer(found, status: int = 200, *, context=Context.RESOURCE_QUERY_RESPONSE, params=None) -> Response:
    """`params`: the attributes (or excludedAttributes) the client asked for."""
    body = found.model_dump_json(scim_ctx=context, response_parameters=params, scim_provider=PROVIDER)
    response = current_app.response_class(body, status=status, mimetype=SCIM_JSON)
    if status == 201:
        response.headers["Location"] = found.meta.location
    return response


def commit() -> None:
    """A unique column caught a race (two creations of one userName at once): a conflict, not a 500."""
    try:
        db.session().commit()
    except IntegrityError:
        db.session().rollback()
        raise UniquenessException(detail="Another request made the same user or group at the same moment.") from None


# ------------------------------------------------------------------ discovery (RFC 7644 §4)


@bp.get("/ServiceProviderConfig")
def service_provider_config():
    meta = Meta(resource_type="ServiceProviderConfig", location=f"{base()}/ServiceProviderConfig")
    return answer(CONFIG.model_copy(update={"meta": meta}))


@bp.get("/ResourceTypes")
def resource_types():
    return answer(listing_of(published_resource_types(base())))


@bp.get("/ResourceTypes/<name>")
def resource_type(name: str):
    return answer(one_of(published_resource_types(base()), name, "resource type"))


@bp.get("/Schemas")
def schemas():
    return answer(listing_of(published_schemas(base())))


@bp.get("/Schemas/<schema_id>")
def schema(schema_id: str):
    return answer(one_of(published_schemas(base()), schema_id, "schema"))


def listing_of(items: list) -> ListResponse:
    return ListResponse[type(items[0])](
        total_results=len(items), start_index=1, items_per_page=len(items), resources=items
    )


def one_of(items: list, wanted: str, what: str):
    found = next((item for item in items if item.id.casefold() == wanted.casefold()), None)
    if found is None:
        raise NotFoundException(detail=f"There is no {what} “{wanted}”.")
    return found


@bp.post("/.search")
def search_everything():
    raise NotImplementedException(detail="Search one resource type at a time: /Users/.search or /Groups/.search.")


# ------------------------------------------------------------------ lists and filters (RFC 7644 §3.4.2)


def listing(model, search: SearchRequest, page_of: Callable, columns, to_resource: Callable) -> Response:
    condition = where(search.filter, columns) if search.filter else None
    count = MAX_RESULTS if search.count is None else min(search.count, MAX_RESULTS)
    start = search.start_index or 1
    total, rows = page_of(db.session(), condition=condition, start=start, count=count)
    resources = [to_resource(row) for row in rows]
    found = ListResponse[model](
        total_results=total, start_index=start, items_per_page=len(resources), resources=resources or None
    )
    return answer(found, params=search)


def search_of(model, data: dict) -> SearchRequest:
    return SearchRequest[model].model_validate(data, scim_ctx=Context.SEARCH_REQUEST, scim_policy=POLICY)


def users(search: SearchRequest) -> Response:
    return listing(
        UserResource, search, queries.users_page, queries.USER_COLUMNS, lambda row: user_resource(*row, base())
    )


def groups(search: SearchRequest) -> Response:
    return listing(
        GroupResource, search, queries.groups_page, queries.GROUP_COLUMNS, lambda row: group_resource(*row, base())
    )


@bp.get("/Users")
def list_users():
    return users(search_of(UserResource, request.args.to_dict()))


@bp.post("/Users/.search")
def search_users():
    return users(search_of(UserResource, payload()))


@bp.get("/Groups")
def list_groups():
    return groups(search_of(GroupResource, request.args.to_dict()))


@bp.post("/Groups/.search")
def search_groups():
    return groups(search_of(GroupResource, payload()))


# ------------------------------------------------------------------ users (RFC 7644 §3.3, §3.4.1, §3.5, §3.6)


def user_or_404(user_id: str):
    user = queries.scim_user(db.session(), user_id)
    if user is None:
        raise NotFoundException(detail=f"There is no user with the id “{user_id}”.")
    return user


def user_out(user) -> UserResource:
    return user_resource(user, queries.groups_of(db.session(), [user.id]).get(user.id, []), base())


@bp.post("/Users")
def create_user():
    resource = validated(UserResource, with_defaults(payload(), None), Context.RESOURCE_CREATION_REQUEST)
    user = provisioning.provision_user(db.session(), provisioning.person_of(resource), provider=provider())
    commit()
    return answer(user_out(user), 201, context=Context.RESOURCE_CREATION_RESPONSE)


@bp.get("/Users/<user_id>")
def get_user(user_id: str):
    params = query_parameters(UserResource)
    return answer(user_out(user_or_404(user_id)), params=params)


@bp.put("/Users/<user_id>")
def replace_user(user_id: str):
    user = user_or_404(user_id)
    replacement = validated(UserResource, with_defaults(payload(), user), Context.RESOURCE_REPLACEMENT_REQUEST)
    replacement.replace(user_out(user))  # what may not change (id, meta, emails, groups) stays as it is
    provisioning.update_user(db.session(), user, provisioning.person_of(replacement), provider=provider())
    commit()
    return answer(user_out(user), context=Context.RESOURCE_REPLACEMENT_RESPONSE)


@bp.patch("/Users/<user_id>")
def patch_user(user_id: str):
    """Okta's and Entra ID's shapes alike: {"op": "replace", "value": {"active": false}}, or
    {"op": "Replace", "path": "active", "value": "False"}."""
    user = user_or_404(user_id)
    operations = without_emails(patch_payload())
    resource = user_out(user)
    if operations is not None:
        patch = validated(PatchOp[UserResource], operations, Context.RESOURCE_PATCH_REQUEST)
        if patch.patch(resource, scim_policy=POLICY):
            provisioning.update_user(db.session(), user, provisioning.person_of(resource), provider=provider())
    commit()  # what changed, and when the token was last used
    return answer(user_out(user), context=Context.RESOURCE_PATCH_RESPONSE)


@bp.delete("/Users/<user_id>")
def delete_user(user_id: str):
    provisioning.deprovision_user(db.session(), user_or_404(user_id), provider=provider())
    commit()
    return Response(status=204)


# ------------------------------------------------------------------ groups


def group_or_404(group_id: str):
    group = queries.scim_group(db.session(), group_id)
    if group is None:
        raise NotFoundException(detail=f"There is no group with the id “{group_id}”.")
    return group


def group_out(group) -> GroupResource:
    return group_resource(group, queries.member_ids(db.session(), [group.id]).get(group.id, []), base())


@bp.post("/Groups")
def create_group():
    resource = validated(GroupResource, payload(), Context.RESOURCE_CREATION_REQUEST)
    group = provisioning.create_group(db.session(), provisioning.group_state_of(resource), provider=provider())
    commit()
    return answer(group_out(group), 201, context=Context.RESOURCE_CREATION_RESPONSE)


@bp.get("/Groups/<group_id>")
def get_group(group_id: str):
    params = query_parameters(GroupResource)
    return answer(group_out(group_or_404(group_id)), params=params)


@bp.put("/Groups/<group_id>")
def replace_group(group_id: str):
    group = group_or_404(group_id)
    replacement = validated(GroupResource, payload(), Context.RESOURCE_REPLACEMENT_REQUEST)
    replacement.replace(group_out(group))
    provisioning.update_group(db.session(), group, provisioning.group_state_of(replacement), provider=provider())
    commit()
    return answer(group_out(group), context=Context.RESOURCE_REPLACEMENT_RESPONSE)


@bp.patch("/Groups/<group_id>")
def patch_group(group_id: str):
    """Members come and go by PATCH: Entra ID removes them by value ({"op": "Remove", "path": "members", "value":
    [{"value": "7"}]}), Okta by filter ({"op": "remove", "path": "members[value eq \\"7\\"]"})."""
    group = group_or_404(group_id)
    resource = group_out(group)
    patch = validated(PatchOp[GroupResource], patch_payload(), Context.RESOURCE_PATCH_REQUEST)
    if patch.patch(resource, scim_policy=POLICY):
        provisioning.update_group(db.session(), group, provisioning.group_state_of(resource), provider=provider())
    commit()
    return answer(group_out(group), context=Context.RESOURCE_PATCH_RESPONSE)


@bp.delete("/Groups/<group_id>")
def delete_group(group_id: str):
    provisioning.delete_group(db.session(), group_or_404(group_id), provider=provider())
    commit()
    return Response(status=204)
