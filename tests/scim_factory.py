"""What the SCIM tests share: an app with a role map, a provisioning token, a client that speaks SCIM with it."""

import json

import pytest
from sqlmodel import Session, select

from academy.identity.provisioning_tokens import create_provisioning_token
from academy.models import AuditEntry, User
from tests.conftest import own_app

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ROLE_MAP = "SRE Academy Mentors=mentor, Staff mentors=mentor, sre-academy-managers=manager"


@pytest.fixture
def app(migrated):
    """The suite's app, with a role map as a company's would have."""
    with own_app(migrated, OIDC_ROLE_MAP=ROLE_MAP) as app:
        yield app


def provisioning_token(app, name: str = "Okta") -> str:
    with app.app_context(), sessions(app) as s:
        token, _ = create_provisioning_token(s, name=name)
        s.commit()
    return token


def sessions(app):
    return Session(app.extensions["academy.engine"], expire_on_commit=False)


@pytest.fixture
def token(app) -> str:
    return provisioning_token(app)


@pytest.fixture
def scim(client, token):
    """scim("POST", "/Users", {...}) -> the response; `data` sends bytes as they are."""

    def call(method: str, path: str, body=None, *, data=None, headers=None):
        sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"} | (headers or {})
        payload = data if data is not None else (json.dumps(body) if body is not None else None)
        return client.open(f"/scim/v2{path}", method=method, data=payload, headers=sent)

    return call


def new_user(scim, email: str = "ada@example.com", **attributes) -> dict:
    body = {"schemas": [USER], "userName": email, "displayName": "Ada Lovelace"} | attributes
    response = scim("POST", "/Users", body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def patch(scim, path: str, *operations: dict):
    return scim("PATCH", path, {"schemas": [PATCH], "Operations": list(operations)})


def account(app, email: str) -> User:
    with sessions(app) as s:
        return s.exec(select(User).where(User.email == email)).one()


def audit_rows(app, *actions: str) -> list[AuditEntry]:
    with sessions(app) as s:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if actions:
            query = query.where(AuditEntry.action.in_(actions))
        return list(s.exec(query).all())


def is_scim_error(response, status: int, scim_type: str | None = None) -> bool:
    body = response.get_json(force=True, silent=True) or {}
    return (
        response.status_code == status
        and response.mimetype == "application/scim+json"
        and body.get("schemas") == [ERROR]
        and body.get("status") == str(status)
        and body.get("scimType") == scim_type
        and bool(body.get("detail"))
    )
