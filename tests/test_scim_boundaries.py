"""What provisioning may not reach: the break-glass admins (the provider must not lock out the accounts kept for
when it fails), and anything outside /scim/v2 (a provisioning token is no API token)."""

import json

import pytest

from academy.models import User
from tests.conftest import own_app, sign_in
from tests.scim_factory import ROLE_MAP, USER, is_scim_error, patch, provisioning_token, sessions


@pytest.fixture
def app(migrated):
    with own_app(migrated, OIDC_ROLE_MAP=ROLE_MAP, BREAK_GLASS_ADMINS="root@example.com") as app:
        yield app


@pytest.fixture
def scim(app):
    token = provisioning_token(app)

    def call(method: str, path: str, body=None):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
        data = json.dumps(body) if body is not None else None
        return app.test_client().open(f"/scim/v2{path}", method=method, data=data, headers=headers)

    call.token = token
    return call


def test_the_break_glass_admins_are_unknown_to_provisioning(app, people, scim):
    root = people.user("root@example.com", "admin")
    other = people.user("ada@example.com", "trainee")

    listed = scim("GET", "/Users").get_json()
    assert [u["userName"] for u in listed["Resources"]] == ["ada@example.com"] and listed["totalResults"] == 1
    assert scim("GET", '/Users?filter=userName eq "root@example.com"').get_json()["totalResults"] == 0
    assert is_scim_error(scim("GET", f"/Users/{root.id}"), 404)
    assert is_scim_error(patch(scim, f"/Users/{root.id}", {"op": "replace", "value": {"active": False}}), 404)
    assert is_scim_error(scim("DELETE", f"/Users/{root.id}"), 404)
    group = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "SRE Academy Mentors",
        "members": [{"value": str(root.id)}],
    }
    assert is_scim_error(scim("POST", "/Groups", group), 400, "invalidValue")
    assert is_scim_error(scim("POST", "/Users", {"schemas": [USER], "userName": "root@example.com"}), 409, "uniqueness")
    renamed = patch(scim, f"/Users/{other.id}", {"op": "replace", "path": "userName", "value": "root@example.com"})
    assert is_scim_error(renamed, 409, "uniqueness")
    with sessions(app) as s:
        kept = s.get(User, root.id)
        assert kept.is_active and kept.email == "root@example.com"
    assert sign_in(app.test_client(), "root@example.com").status_code == 302


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/cohorts"])
def test_a_provisioning_token_opens_nothing_outside_scim(app, scim, path):
    answer = app.test_client().get(path, headers={"Authorization": f"Bearer {scim.token}"})
    assert answer.status_code == 401


def test_a_break_glass_address_sent_again_is_refused_without_its_id(app, people, scim):
    root = people.user("root@example.com", "admin")
    response = scim("POST", "/Users", {"schemas": [USER], "userName": "root@example.com"})
    assert is_scim_error(response, 409, "uniqueness") and f"id {root.id}" not in response.get_json()["detail"]
