"""SCIM 2.0 provisioning at /scim/v2: what an identity provider (Okta, Entra ID) pushes, as it sends it.

Users are accounts (userName is the e-mail address), created, read, filtered, paged, replaced, patched, deactivated
and deleted (deprovisioned: deactivated, history kept, unknown to SCIM, revived by a later creation); groups give
roles through OIDC_ROLE_MAP. Every change is audited with the provider; every refusal is a SCIM Error that changes
nothing; only a provisioning token opens the door. The groups and their roles are in tests/test_scim_groups.py.
"""

import json

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from academy.admin.audit_words import describe
from academy.api import tokens as api_tokens
from academy.models import AuditEntry, ModuleProgress, ProvisioningToken, User
from tests import scim_factory
from tests.conftest import client_of, sign_in
from tests.scim_factory import USER, account, audit_rows, is_scim_error, new_user, patch, sessions

app, token, scim = scim_factory.app, scim_factory.token, scim_factory.scim  # the fixtures

# ------------------------------------------------------------------ creating and reading users


def test_a_created_user_is_an_account_without_password_or_roles_audited_with_the_provider(app, scim):
    response = scim(
        "POST",
        "/Users",
        {
            "schemas": [USER],
            "userName": " Ada.Lovelace@Example.com",
            "displayName": "Ada Lovelace",
            "externalId": "00u1ada",
            "emails": [{"value": "ada.lovelace@example.com", "type": "work", "primary": True}],
            "password": "never stored",
        },
    )

    assert response.status_code == 201 and response.mimetype == "application/scim+json"
    body = response.get_json()
    assert body["userName"] == "ada.lovelace@example.com" and body["externalId"] == "00u1ada"
    assert body["active"] is True and body["emails"] == [
        {"value": "ada.lovelace@example.com", "type": "work", "primary": True}
    ]
    assert body["meta"]["resourceType"] == "User" and body["meta"]["created"]
    assert body["meta"]["location"] == f"http://localhost/scim/v2/Users/{body['id']}" == response.headers["Location"]
    assert "password" not in body
    user = account(app, "ada.lovelace@example.com")
    assert user.password_hash is None and user.external_id == "00u1ada" and str(user.id) == body["id"]
    created = audit_rows(app, "user.created")[-1]
    assert json.loads(created.detail) == {"provider": "Okta", "roles": []}
    assert describe(created.action, created.target, created.detail, None) == (
        "The identity provider (Okta) created the account ada.lovelace@example.com, role none."
    )


@pytest.mark.parametrize(
    ("sent", "display_name"),
    [
        ({"name": {"givenName": "Grace", "familyName": "Hopper"}}, "Grace Hopper"),
        ({"name": {"formatted": "Rear Admiral Grace Hopper", "givenName": "Grace"}}, "Rear Admiral Grace Hopper"),
        ({"displayName": "  Grace   Hopper ", "name": {"givenName": "G"}}, "Grace Hopper"),
        ({}, "grace"),
    ],
)
def test_a_user_without_display_name_takes_it_from_the_name_or_the_address(scim, sent, display_name):
    response = scim("POST", "/Users", {"schemas": [USER], "userName": "grace@example.com"} | sent)

    assert response.status_code == 201
    assert response.get_json()["displayName"] == display_name


@pytest.mark.parametrize("user_name", ["grace", "grace@localhost", "two@at@example.com", "", "a" * 250 + "@x.io"])
def test_a_user_name_that_is_not_an_email_address_is_refused_with_invalid_value(app, scim, user_name):
    response = scim("POST", "/Users", {"schemas": [USER], "userName": user_name, "displayName": "Grace"})

    assert is_scim_error(response, 400, "invalidValue")
    assert audit_rows(app, "user.created") == []


def test_a_second_user_with_the_same_user_name_is_a_409_uniqueness_conflict(app, scim):
    first = new_user(scim, "ada@example.com")

    response = scim("POST", "/Users", {"schemas": [USER], "userName": "ADA@example.com", "displayName": "Other"})

    assert is_scim_error(response, 409, "uniqueness")
    assert first["id"] in response.get_json()["detail"]
    assert account(app, "ada@example.com").display_name == "Ada Lovelace"


def test_an_existing_account_is_found_by_user_name_and_linked_by_the_provider(app, people, scim):
    """Okta and Entra ID look a person up before creating them: an account the admin made is theirs to manage."""
    person = people.user("grace@example.com", "mentor", name="Grace Hopper")

    found = scim("GET", '/Users?filter=userName eq "Grace@Example.com"').get_json()

    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == str(person.id)
    assert patch(scim, f"/Users/{person.id}", {"op": "add", "path": "externalId", "value": "00u9"}).status_code == 200
    assert account(app, "grace@example.com").external_id == "00u9"


def test_a_user_is_read_by_id_and_an_unknown_id_is_a_scim_404(scim):
    created = new_user(scim)

    found = scim("GET", f"/Users/{created['id']}")

    assert found.status_code == 200 and found.get_json() == created
    for unknown in ("9999", "abc", str(2**31), str(2**64), "-1", "1.0"):
        assert is_scim_error(scim("GET", f"/Users/{unknown}"), 404), unknown


def test_attributes_and_excluded_attributes_shape_the_answer(scim):
    created = new_user(scim, externalId="00u1")

    only = scim("GET", f"/Users/{created['id']}?attributes=externalId").get_json()
    without = scim("GET", f"/Users/{created['id']}?excludedAttributes=emails,externalId").get_json()

    assert set(only) == {"schemas", "id", "externalId"}
    assert "emails" not in without and "externalId" not in without and without["userName"] == "ada@example.com"


# ------------------------------------------------------------------ filters and pages


def test_filters_find_users_by_user_name_external_id_and_id(scim):
    ada = new_user(scim, "ada@example.com", externalId="AbC-1")
    new_user(scim, "grace@example.com", externalId="abc-1")

    def ids(query: str) -> list[str]:
        body = scim("GET", f"/Users?filter={query}").get_json()
        assert body["totalResults"] == len(body.get("Resources", []))
        return [r["id"] for r in body.get("Resources", [])]

    assert ids('userName eq "ADA@example.com"') == [ada["id"]]
    assert ids('externalId eq "AbC-1"') == [ada["id"]]  # externalId is case-exact
    assert ids(f'id eq "{ada["id"]}"') == [ada["id"]]
    assert ids('emails.value eq "ada@example.com"') == [ada["id"]]
    assert len(ids('userName eq "ada@example.com" or userName eq "grace@example.com"')) == 2
    assert ids('userName eq "nobody@example.com"') == []
    assert ids(f'id eq "{2**40}"') == []


@pytest.mark.parametrize(
    "query",
    [
        'userName sw "ada"',
        "userName pr",
        'title eq "x"',
        'userName eq "a',
        "((((",
        'userName eq "a"' * 300,
        " or ".join(['userName eq "a@example.com"'] * 300),  # SQLite would refuse so large an expression
        "not (" * 40 + 'userName eq "a"' + ")" * 40,
    ],
)
def test_a_filter_that_is_not_supported_or_not_valid_is_refused_with_invalid_filter(scim, query):
    assert is_scim_error(scim("GET", f"/Users?filter={query}"), 400, "invalidFilter")


def test_users_come_in_pages_with_the_total(scim):
    made = [new_user(scim, f"person{i}@example.com")["id"] for i in range(5)]

    def page(query: str) -> dict:
        response = scim("GET", f"/Users?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    second = page("startIndex=2&count=2")
    assert (second["totalResults"], second["startIndex"], second["itemsPerPage"]) == (5, 2, 2)
    assert [r["id"] for r in second["Resources"]] == made[1:3]
    assert page("count=0")["totalResults"] == 5 and "Resources" not in page("count=0")
    assert page("startIndex=99")["itemsPerPage"] == 0
    assert page(f"startIndex={10**30}&count={10**30}")["totalResults"] == 5
    assert page("startIndex=-4&count=1")["Resources"][0]["id"] == made[0]
    assert is_scim_error(scim("GET", "/Users?count=many"), 400, "invalidValue")


def test_a_search_posted_to_users_search_answers_as_a_filter_does(scim):
    ada = new_user(scim)

    found = scim("POST", "/Users/.search", {"filter": 'userName eq "ada@example.com"', "attributes": ["userName"]})

    assert found.status_code == 200
    assert found.get_json()["Resources"] == [{"schemas": [USER], "id": ada["id"], "userName": "ada@example.com"}]
    assert is_scim_error(scim("POST", "/.search", {"filter": 'userName eq "a"'}), 501)


# ------------------------------------------------------------------ replacing and patching


def test_put_replaces_name_address_and_external_id_and_keeps_what_may_not_change(app, scim):
    ada = new_user(scim, externalId="00u1")
    made = len(audit_rows(app))

    response = scim(
        "PUT",
        f"/Users/{ada['id']}",
        {"schemas": [USER], "id": "77", "userName": "ada.king@example.com", "displayName": "Ada King", "groups": []},
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["id"], body["userName"], body["displayName"]) == (ada["id"], "ada.king@example.com", "Ada King")
    assert "externalId" not in body and body["active"] is True  # left out: cleared; active: as it was
    assert body["emails"][0]["value"] == "ada.king@example.com"
    assert [(e.action, e.target) for e in audit_rows(app)[made:]] == [
        ("user.email_changed", "ada@example.com"),
        ("user.updated", "ada.king@example.com"),
        ("user.external_id_set", "ada.king@example.com"),
    ]


def test_put_to_another_accounts_address_is_a_conflict_that_changes_nothing(app, scim):
    ada, grace = new_user(scim, "ada@example.com"), new_user(scim, "grace@example.com")

    response = scim("PUT", f"/Users/{grace['id']}", {"schemas": [USER], "userName": "ada@example.com"})

    assert is_scim_error(response, 409, "uniqueness")
    assert scim("GET", f"/Users/{grace['id']}").get_json() == grace
    assert scim("GET", f"/Users/{ada['id']}").get_json() == ada


@pytest.mark.parametrize(
    ("operations", "expected"),
    [
        ([{"op": "replace", "path": "displayName", "value": "Ada King"}], {"displayName": "Ada King"}),
        ([{"op": "Replace", "value": {"displayName": "Ada King", "externalId": "e1"}}], {"externalId": "e1"}),
        ([{"op": "add", "path": "externalId", "value": "e2"}], {"externalId": "e2"}),
        ([{"op": "replace", "path": "userName", "value": "ada.k@example.com"}], {"userName": "ada.k@example.com"}),
        # Entra ID: the address in emails and in userName; the emails write is let go, userName counts
        (
            [
                {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ada.k@example.com"},
                {"op": "Replace", "path": "userName", "value": "ada.k@example.com"},
                {"op": "Add", "path": "name.givenName", "value": "Ada"},
                {"op": "Add", "path": f"{USER}:title", "value": "Countess"},
            ],
            {
                "userName": "ada.k@example.com",
                "emails": [{"value": "ada.k@example.com", "type": "work", "primary": True}],
            },
        ),
        ([{"op": "Add", "path": "emails", "value": [{"value": "x@example.com"}]}], {}),
    ],
)
def test_patch_operations_as_okta_and_entra_id_send_them(scim, operations, expected):
    ada = new_user(scim, externalId="e0")

    response = patch(scim, f"/Users/{ada['id']}", *operations)

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert {key: body.get(key) for key in expected} == expected
    assert scim("GET", f"/Users/{ada['id']}").get_json() == body


def test_patch_removes_the_external_id_but_not_what_an_account_always_has(scim):
    ada = new_user(scim, externalId="e0")

    assert "externalId" not in patch(scim, f"/Users/{ada['id']}", {"op": "remove", "path": "externalId"}).get_json()
    for path in ("displayName", "active", "userName"):
        assert is_scim_error(patch(scim, f"/Users/{ada['id']}", {"op": "remove", "path": path}), 400, "mutability")
    assert is_scim_error(
        patch(scim, f"/Users/{ada['id']}", {"op": "replace", "path": "id", "value": "9"}), 400, "mutability"
    )


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "frob", "path": "displayName", "value": "x"}],
        [{"op": "replace", "path": "active", "value": "perhaps"}],
        [{"op": "replace", "path": "displayName", "value": 12}],
        [{"op": "replace", "path": "displayName", "value": "x" * 121}],
        [{"op": "replace", "path": "displayName[", "value": "x"}],
        [{"op": "replace", "path": "userName", "value": "not an address"}],
        [{"op": "replace", "path": "displayName", "value": "Fine"}, {"op": "remove", "path": "displayName"}],
        [],
    ],
)
def test_a_refused_patch_changes_nothing(app, scim, operations):
    ada = new_user(scim)
    before = audit_rows(app)

    response = patch(scim, f"/Users/{ada['id']}", *operations)

    assert response.status_code == 400 and is_scim_error(response, 400, response.get_json()["scimType"])
    assert scim("GET", f"/Users/{ada['id']}").get_json() == ada
    assert audit_rows(app) == before


def test_a_patch_of_more_than_a_thousand_operations_is_refused_whole(scim):
    ada = new_user(scim)
    operations = [{"op": "replace", "path": "displayName", "value": f"Ada {i}"} for i in range(1001)]

    assert is_scim_error(patch(scim, f"/Users/{ada['id']}", *operations), 413)
    assert scim("GET", f"/Users/{ada['id']}").get_json() == ada
    assert patch(scim, f"/Users/{ada['id']}", *operations[:1000]).get_json()["displayName"] == "Ada 999"


# ------------------------------------------------------------------ deactivation and deletion


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "value": {"active": False}},  # Okta
        {"op": "Replace", "path": "active", "value": "False"},  # Entra ID
    ],
)
def test_deactivation_ends_the_persons_session_and_api_tokens_at_once(app, people, scim, operation):
    person = people.user("trainee@example.com", "trainee")
    browser = client_of(app, person)
    with app.test_request_context(), people.session() as s:
        api_token, _ = api_tokens.create_token(s, user=s.get(User, person.id), name="laptop", scope="read")
        s.commit()
    api = {"Authorization": f"Bearer {api_token}"}
    assert (
        browser.get("/account").status_code == 200
        and app.test_client().get("/api/v1/me", headers=api).status_code == 200
    )

    response = patch(scim, f"/Users/{person.id}", operation)

    assert response.status_code == 200 and response.get_json()["active"] is False
    following = browser.get("/account")
    assert following.status_code == 302 and following.headers["Location"].startswith("/login")
    assert app.test_client().get("/api/v1/me", headers=api).status_code == 401
    assert sign_in(app.test_client(), person.email).status_code != 302
    deactivated = audit_rows(app, "user.deactivated")[-1]
    assert json.loads(deactivated.detail) == {"provider": "Okta"}


def test_reactivation_lets_the_person_sign_in_again_without_bringing_back_old_tokens(app, people, scim):
    person = people.user("trainee@example.com", "trainee")
    patch(scim, f"/Users/{person.id}", {"op": "replace", "path": "active", "value": False})

    response = patch(scim, f"/Users/{person.id}", {"op": "replace", "path": "active", "value": True})

    assert response.get_json()["active"] is True
    assert sign_in(app.test_client(), person.email).status_code == 302
    assert [json.loads(e.detail) for e in audit_rows(app, "user.reactivated")] == [{"provider": "Okta"}]


def test_delete_deactivates_keeps_the_history_and_scim_no_longer_knows_the_person(app, people, scim):
    person = people.user("trainee@example.com", "trainee")
    with people.session() as s:
        s.add(ModuleProgress(trainee_id=person.id, module_id="linux-shell"))
        s.commit()

    assert scim("DELETE", f"/Users/{person.id}").status_code == 204

    user = account(app, "trainee@example.com")
    assert not user.is_active and user.deprovisioned_at is not None
    with people.session() as s:
        assert s.get(ModuleProgress, (person.id, "linux-shell")) is not None
    assert is_scim_error(scim("GET", f"/Users/{person.id}"), 404)
    assert is_scim_error(patch(scim, f"/Users/{person.id}", {"op": "add", "path": "active", "value": True}), 404)
    assert is_scim_error(scim("DELETE", f"/Users/{person.id}"), 404)
    assert scim("GET", '/Users?filter=userName eq "trainee@example.com"').get_json()["totalResults"] == 0
    assert scim("GET", "/Users").get_json()["totalResults"] == 0
    assert [e.action for e in audit_rows(app, "user.deactivated", "user.deprovisioned")] == [
        "user.deactivated",
        "user.deprovisioned",
    ]


def test_a_creation_with_a_deleted_persons_address_and_externalid_brings_that_same_account_back(app, people, scim):
    person = people.user("trainee@example.com", "trainee")
    patch(scim, f"/Users/{person.id}", {"op": "add", "path": "externalId", "value": "00u-theo"})
    scim("DELETE", f"/Users/{person.id}")

    revived = new_user(scim, "Trainee@example.com", displayName="Theo Back", externalId="00u-theo")

    assert revived["id"] == str(person.id) and revived["active"] is True and revived["displayName"] == "Theo Back"
    user = account(app, "trainee@example.com")
    assert user.is_active and user.deprovisioned_at is None
    assert sign_in(app.test_client(), person.email).status_code == 302
    assert [e.action for e in audit_rows(app, "user.reprovisioned", "user.reactivated")] == [
        "user.reprovisioned",
        "user.reactivated",
    ]


@pytest.mark.parametrize("sent", [{}, {"externalId": "00u-someone-new"}], ids=["no-externalid", "another-externalid"])
def test_an_address_given_to_someone_new_does_not_bring_back_the_old_holders_account(app, people, scim, sent):
    person = people.user("trainee@example.com", "trainee", "organizer")
    patch(scim, f"/Users/{person.id}", {"op": "add", "path": "externalId", "value": "00u-theo"})
    scim("DELETE", f"/Users/{person.id}")

    response = scim("POST", "/Users", {"schemas": [USER], "userName": "trainee@example.com", **sent})

    assert is_scim_error(response, 409, "uniqueness")
    assert "kept history of a deleted user" in response.get_json()["detail"]
    user = account(app, "trainee@example.com")
    assert not user.is_active and user.deprovisioned_at is not None


# ------------------------------------------------------------------ the token


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer srap_not-a-token", "Basic c2NpbTpzY2lt", "Bearer " + "srap_" + "x" * 300],
)
def test_a_request_without_a_live_provisioning_token_is_a_401_scim_error(client, token, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}

    for method, path in (
        ("GET", "/Users"),
        ("POST", "/Users"),
        ("GET", "/ServiceProviderConfig"),
        ("DELETE", "/Users/1"),
    ):
        response = client.open(f"/scim/v2{path}", method=method, headers=headers, json={"userName": "x@example.com"})
        assert is_scim_error(response, 401), (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_a_personal_token_and_a_session_cookie_open_nothing(app, people, client, token):
    person = people.user("admin@example.com", "admin")
    with app.test_request_context(), people.session() as s:
        personal, _ = api_tokens.create_token(s, user=s.get(User, person.id), name="laptop", scope="write")
        s.commit()
    admin = client_of(app, person)
    assert is_scim_error(admin.get("/scim/v2/Users"), 401)
    assert is_scim_error(client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {personal}"}), 401)
    with sessions(app) as s:
        row = s.exec(select(ProvisioningToken)).one()
    assert admin.post(f"/admin/provisioning/{row.id}/revoke").status_code == 302

    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})

    assert is_scim_error(response, 401) and "revoked" in response.get_json()["detail"]


def test_the_token_notes_when_it_was_last_used(app, scim):
    scim("GET", "/Users")

    with sessions(app) as s:
        assert s.exec(select(ProvisioningToken)).one().last_used_at is not None


def test_the_command_prints_a_working_token_once_and_refuses_a_name_in_use(app, client):
    runner = app.test_cli_runner()

    result = runner.invoke(args=["academy", "token", "create-scim", "--name", "Entra ID"])

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("srap_") and "/scim/v2" in result.stderr
    answer = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    again = runner.invoke(args=["academy", "token", "create-scim", "--name", "entra id"])
    assert again.exit_code != 0 and "in use" in again.output
    with sessions(app) as s:
        row = s.exec(select(ProvisioningToken)).one()
    assert token not in (row.token_hash, row.prefix) and token.startswith(row.prefix)
    assert [(e.action, e.target, e.actor_id) for e in audit_rows(app)] == [
        ("provisioning_token.created", "Entra ID", None)
    ]


# ------------------------------------------------------------------ the admin page


def new_token_on(page: str) -> str:
    return page.split('id="new-token" class="copy-box" type="text" readonly value="', 1)[1].split('"', 1)[0]


def test_an_admin_makes_a_token_seen_once_with_the_scim_address_and_revokes_it(app, people, client):
    admin = client_of(app, people.user("admin@example.com", "admin"))

    made = admin.post("/admin/provisioning", data={"name": "  Okta  production "})

    page = made.get_data(as_text=True)
    assert made.status_code == 200 and "shown only this once" in page
    assert 'value="http://localhost/scim/v2"' in page
    token = new_token_on(page)
    assert client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = admin.get("/admin/provisioning").get_data(as_text=True)
    assert "Okta production" in listing and token not in listing and token[:11] in listing
    with sessions(app) as s:
        row = s.exec(select(ProvisioningToken)).one()
    assert row.created_by == account(app, "admin@example.com").id

    revoked = admin.post(f"/admin/provisioning/{row.id}/revoke", follow_redirects=True)

    assert "is revoked" in revoked.get_data(as_text=True)
    assert client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert [e.action for e in audit_rows(app, "provisioning_token.created", "provisioning_token.revoked")] == [
        "provisioning_token.created",
        "provisioning_token.revoked",
    ]
    assert admin.post("/admin/provisioning/999/revoke").status_code == 404


@pytest.mark.parametrize(("name", "problem"), [("", "Name the identity provider."), ("x" * 81, "80 characters")])
def test_a_refused_token_form_says_why_at_the_top_and_keeps_what_was_typed(app, people, name, problem):
    admin = client_of(app, people.user("admin@example.com", "admin"))

    response = admin.post("/admin/provisioning", data={"name": name})

    page = response.get_data(as_text=True)
    assert response.status_code == 400 and problem in page
    assert page.index("Please correct the problem below.") < page.index(problem)
    assert f'value="{name}"' in page if name else 'id="name"' in page
    with sessions(app) as s:
        assert s.exec(select(ProvisioningToken)).all() == []


def test_a_second_live_token_of_the_same_name_is_refused(app, people):
    admin = client_of(app, people.user("admin@example.com", "admin"))
    admin.post("/admin/provisioning", data={"name": "Okta"})

    response = admin.post("/admin/provisioning", data={"name": "OKTA"})

    assert response.status_code == 400 and "in use already" in response.get_data(as_text=True)
    assert 'value="OKTA"' in response.get_data(as_text=True)


# ------------------------------------------------------------------ discovery and errors


def test_discovery_describes_users_and_groups_as_the_academy_keeps_them(scim):
    config = scim("GET", "/ServiceProviderConfig").get_json()
    types = scim("GET", "/ResourceTypes").get_json()
    schemas = scim("GET", "/Schemas").get_json()

    assert config["patch"]["supported"] and config["filter"] == {"supported": True, "maxResults": 200}
    assert not config["bulk"]["supported"] and config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert [(t["name"], t["endpoint"]) for t in types["Resources"]] == [("User", "/Users"), ("Group", "/Groups")]
    user_schema = scim("GET", f"/Schemas/{USER}").get_json()
    assert user_schema in schemas["Resources"]
    attributes = {a["name"]: a for a in user_schema["attributes"]}
    # besides the attributes every resource has (id, externalId, meta): what the academy keeps of a person
    assert set(attributes) == {"userName", "displayName", "active", "emails", "groups"}
    assert attributes["userName"]["uniqueness"] == "server" and attributes["emails"]["mutability"] == "readOnly"
    assert scim("GET", "/ResourceTypes/Group").get_json()["schema"] == "urn:ietf:params:scim:schemas:core:2.0:Group"
    assert is_scim_error(scim("GET", "/Schemas/urn:example:nothing"), 404)
    assert is_scim_error(scim("GET", "/ResourceTypes/Printer"), 404)


def test_unknown_addresses_and_methods_answer_scim_errors(scim):
    assert is_scim_error(scim("GET", "/Printers"), 404)
    assert is_scim_error(scim("POST", "/Schemas"), 405)
    assert is_scim_error(scim("DELETE", "/Users"), 405)
    assert is_scim_error(scim("PATCH", "/ServiceProviderConfig", {}), 405)


# ------------------------------------------------------------------ hostile bodies


def state(app) -> dict:
    with sessions(app) as s:
        return {
            "users": sorted(
                (u.id, u.email, u.display_name, u.is_active, u.external_id, u.deprovisioned_at)
                for u in s.exec(select(User)).all()
            ),
            "audit": [(e.action, e.target) for e in s.exec(select(AuditEntry)).all()],
        }


HOSTILE = [
    ("not JSON", b"{userName: ada}"),
    ("truncated", b'{"userName": "ada@example.com"'),
    ("a list", b'[{"userName": "ada@example.com"}]'),
    ("a string", b'"ada@example.com"'),
    ("null", b"null"),
    ("not UTF-8", b'{"userName": "ad\xe9@example.com"}'),
    ("NUL", b'{"userName": "ada@example.com", "displayName": "Ada\\u0000"}'),
    ("raw NUL", b'{"userName": "ada@example.com", "displayName": "Ada\x00"}'),
    ("control character", b'{"userName": "ada@example.com", "displayName": "Ada\\u0007"}'),
    ("line break", b'{"userName": "ada@example.com", "displayName": "Ada\\nLovelace"}'),
    ("lone surrogate", b'{"userName": "ada@example.com", "displayName": "\\ud800"}'),
    ("wrong type", b'{"userName": ["ada@example.com"], "displayName": ["Ada"]}'),
    ("wrong type of active", b'{"userName": "ada@example.com", "active": {"yes": 1}}'),
    ("huge number", b'{"userName": "ada@example.com", "active": ' + b"9" * 5000 + b"}"),
    ("huge name", b'{"userName": "ada@example.com", "displayName": "' + b"A" * 200_000 + b'"}'),
    ("huge external id", b'{"userName": "ada@example.com", "externalId": "' + b"e" * 256 + b'"}'),
    ("deep", b'{"userName": "ada@example.com", "name": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}"),
    ("too large", b'{"userName": "ada@example.com", "displayName": "' + b"A" * 1_100_000 + b'"}'),
    ("schemas not a list", b'{"schemas": "urn:x", "userName": "ada@example.com"}'),
    ("another schema", b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"], "displayName": "x"}'),
    ("an id past 2**31 as a member", b'{"displayName": "G", "members": [{"value": "2147483648"}]}'),
    ("a member that is a group", b'{"displayName": "G", "members": [{"value": "1", "type": "Group"}]}'),
    ("members not a list", b'{"displayName": "G", "members": "everyone"}'),
    ("operations not a list", b'{"Operations": "replace everything"}'),
    ("an operation not an object", b'{"Operations": ["replace"]}'),
    ("a path of a number", b'{"Operations": [{"op": "replace", "path": 7, "value": "x"}]}'),
]


@pytest.mark.parametrize(("kind", "body"), HOSTILE, ids=[kind for kind, _ in HOSTILE])
@pytest.mark.parametrize(
    ("method", "where"),
    [
        ("POST", "/Users"),
        ("PUT", "/Users/{user}"),
        ("PATCH", "/Users/{user}"),
        ("POST", "/Groups"),
        ("PUT", "/Groups/{group}"),
        ("PATCH", "/Groups/{group}"),
    ],
)
def test_a_hostile_body_is_refused_with_a_scim_error_and_changes_nothing(app, scim, kind, body, method, where):
    user = new_user(scim, "someone@example.com")
    group = scim("POST", "/Groups", {"displayName": "Someone's team", "members": [{"value": user["id"]}]}).get_json()
    before = state(app)

    response = scim(method, where.format(user=user["id"], group=group["id"]), data=body)

    error = response.get_json(force=True, silent=True) or {}
    assert response.status_code in (400, 409, 413), (response.status_code, response.get_data(as_text=True)[:300])
    assert is_scim_error(response, response.status_code, error.get("scimType")), error
    assert state(app) == before


def test_unknown_attributes_and_extensions_are_let_go(scim):
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

    response = scim(
        "POST",
        "/Users",
        {
            "schemas": [USER, enterprise],
            "userName": "ada@example.com",
            "title": "Countess",
            "phoneNumbers": [{"value": "+44 20 0000 0000"}],
            "favouriteColour": "purple",
            enterprise: {"department": "Engines", "manager": {"value": "7"}},
        },
    )

    assert response.status_code == 201
    assert not {"title", "phoneNumbers", "favouriteColour", enterprise} & set(response.get_json())


def test_the_longest_address_the_academy_takes_is_a_user_name_too(app, scim):
    email = "a" * 64 + "@" + "b" * 186 + ".io"  # 254 characters, the most an address may have

    assert len(email) == 254 and scim("POST", "/Users", {"userName": email}).status_code == 201
    assert scim("GET", f'/Users?filter=userName eq "{email}"').get_json()["totalResults"] == 1
    created = audit_rows(app, "user.created")[-1]  # the log's column holds the longest address whole
    assert created.target == email


# Any JSON at all, with the names SCIM payloads use for keys and values that have hurt servers: never a 500, and a
# refusal changes nothing.
NAMES = [
    "userName",
    "displayName",
    "active",
    "externalId",
    "emails",
    "members",
    "value",
    "name",
    "givenName",
    "Operations",
    "op",
    "path",
    "schemas",
    "id",
    "meta",
    "type",
    "$ref",
    "groups",
    "x",
]
SHARP = [
    "",
    "ada@example.com",
    "add",
    "Replace",
    "remove",
    "members",
    'members[value eq "1"]',
    "active",
    "False",
    str(2**31),
    str(2**64),
    "\u0000",
    "é" * 300,
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "emails[type eq",
]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from(SHARP)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(NAMES), inner, max_size=5),
    max_leaves=20,
)


@pytest.mark.parametrize(
    ("method", "where"),
    [
        ("POST", "/Users"),
        ("PUT", "/Users/{user}"),
        ("PATCH", "/Users/{user}"),
        ("POST", "/Groups"),
        ("PATCH", "/Groups/{group}"),
        ("POST", "/Users/.search"),
    ],
)
def test_no_body_whatever_its_shape_gets_a_500(app, scim, method, where):
    user = new_user(scim, "someone@example.com")
    group = scim("POST", "/Groups", {"displayName": "Someone's team", "members": [{"value": user["id"]}]}).get_json()
    path = where.format(user=user["id"], group=group["id"])

    @settings(
        deadline=None,
        derandomize=True,
        database=None,
        max_examples=120,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(body=st.dictionaries(st.sampled_from(NAMES), JSON, max_size=6) | JSON)
    def property_holds(body):
        before = state(app)
        response = scim(method, path, body)
        assert response.status_code < 500, (body, response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            assert is_scim_error(response, response.status_code, response.get_json().get("scimType")), body
            assert state(app) == before, body

    property_holds()
