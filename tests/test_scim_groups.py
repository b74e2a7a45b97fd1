"""SCIM groups give roles, as at sign-in: OIDC_ROLE_MAP here is "SRE Academy Mentors=mentor, Staff mentors=mentor,
sre-academy-managers=manager". Whenever a person's memberships change (a group made, replaced, patched, renamed or
deleted), their roles become what the names of all their groups give; roles the map never names stay as they are.
Members come and go in the shapes Entra ID and Okta send; each change is audited with the provider."""

import json

import pytest
from sqlmodel import select

from academy.accounts.services import roles_of
from academy.admin.audit_words import describe
from academy.models import ScimGroup, ScimGroupMember
from tests import scim_factory
from tests.scim_factory import account, audit_rows, is_scim_error, new_user, patch, sessions

app, token, scim = scim_factory.app, scim_factory.token, scim_factory.scim  # the fixtures
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def new_group(scim, name: str, *members: dict, **attributes) -> dict:
    body = {"schemas": [GROUP], "displayName": name, "members": [{"value": m["id"]} for m in members]} | attributes
    response = scim("POST", "/Groups", body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def roles(app, email: str) -> set[str]:
    with sessions(app) as s:
        return set(roles_of(s, account(app, email).id))


def member_ids(scim, group: dict) -> list[str]:
    return [m["value"] for m in scim("GET", f"/Groups/{group['id']}").get_json().get("members", [])]


def test_a_group_gives_its_members_the_role_its_name_maps_to(app, scim):
    ada, grace = new_user(scim, "ada@example.com"), new_user(scim, "grace@example.com")

    group = new_group(scim, "sre academy MENTORS", ada, grace, externalId="g-1")

    assert group["meta"]["location"] == f"http://localhost/scim/v2/Groups/{group['id']}"
    assert group["members"] == [
        {"value": u["id"], "$ref": f"http://localhost/scim/v2/Users/{u['id']}", "type": "User"} for u in (ada, grace)
    ]
    assert roles(app, "ada@example.com") == roles(app, "grace@example.com") == {"mentor"}
    assert scim("GET", f"/Users/{ada['id']}").get_json()["groups"] == [
        {
            "value": group["id"],
            "$ref": f"http://localhost/scim/v2/Groups/{group['id']}",
            "display": "sre academy MENTORS",
            "type": "direct",
        }
    ]
    changed = audit_rows(app, "user.roles_changed")
    assert [json.loads(e.detail) for e in changed] == [{"after": ["mentor"], "before": [], "provider": "Okta"}] * 2
    assert describe(changed[0].action, changed[0].target, changed[0].detail, None) == (
        "The identity provider (Okta) changed the roles of ada@example.com from none to mentor."
    )


def test_roles_the_map_never_names_stay_as_an_admin_set_them(app, people, scim):
    admin = people.user("admin@example.com", "admin", "trainee")
    group = new_group(scim, "sre-academy-managers", {"id": str(admin.id)})

    assert roles(app, "admin@example.com") == {"admin", "trainee", "manager"}
    patch(scim, f"/Groups/{group['id']}", {"op": "remove", "path": f'members[value eq "{admin.id}"]'})
    assert roles(app, "admin@example.com") == {"admin", "trainee"}


def test_a_group_the_map_does_not_name_gives_no_role(app, scim):
    ada = new_user(scim)

    new_group(scim, "Everyone in Lisbon", ada)

    assert roles(app, "ada@example.com") == set()


def test_entra_id_adds_members_and_removes_them_by_value(app, scim):
    ada, grace = new_user(scim, "ada@example.com"), new_user(scim, "grace@example.com")
    group = new_group(scim, "SRE Academy Mentors")

    added = patch(
        scim,
        f"/Groups/{group['id']}",
        {"op": "Add", "path": "members", "value": [{"value": ada["id"]}, {"value": grace["id"]}]},
    )
    assert added.status_code == 200 and roles(app, "grace@example.com") == {"mentor"}

    removed = patch(
        scim, f"/Groups/{group['id']}", {"op": "Remove", "path": "members", "value": [{"value": grace["id"]}]}
    )

    assert removed.status_code == 200 and member_ids(scim, group) == [ada["id"]]
    assert roles(app, "grace@example.com") == set() and roles(app, "ada@example.com") == {"mentor"}
    rows = audit_rows(app, "scim_group.members_changed")
    assert [json.loads(e.detail) for e in rows] == [
        {"added": ["ada@example.com", "grace@example.com"], "removed": [], "provider": "Okta"},
        {"added": [], "removed": ["grace@example.com"], "provider": "Okta"},
    ]
    assert describe(rows[1].action, rows[1].target, rows[1].detail, None) == (
        "The identity provider (Okta) changed the members of the group “SRE Academy Mentors”: added none, removed "
        "grace@example.com."
    )


def test_okta_removes_a_member_by_filter_and_replaces_the_members_and_the_name(app, scim):
    ada, grace = new_user(scim, "ada@example.com"), new_user(scim, "grace@example.com")
    group = new_group(scim, "SRE Academy Mentors", ada, grace)

    patch(scim, f"/Groups/{group['id']}", {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'})
    assert member_ids(scim, group) == [grace["id"]] and roles(app, "ada@example.com") == set()

    patch(scim, f"/Groups/{group['id']}", {"op": "replace", "path": "members", "value": [{"value": ada["id"]}]})
    assert member_ids(scim, group) == [ada["id"]] and roles(app, "grace@example.com") == set()

    renamed = patch(
        scim,
        f"/Groups/{group['id']}",
        {"op": "replace", "value": {"id": group["id"], "displayName": "sre-academy-managers"}},
    )
    assert renamed.get_json()["displayName"] == "sre-academy-managers"
    assert roles(app, "ada@example.com") == {"manager"}
    assert [(e.target, json.loads(e.detail)["before"]) for e in audit_rows(app, "scim_group.renamed")] == [
        ("sre-academy-managers", "SRE Academy Mentors")
    ]


def test_put_replaces_a_groups_name_and_members(app, scim):
    ada, grace = new_user(scim, "ada@example.com"), new_user(scim, "grace@example.com")
    group = new_group(scim, "SRE Academy Mentors", ada)

    response = scim(
        "PUT",
        f"/Groups/{group['id']}",
        {"schemas": [GROUP], "displayName": "sre-academy-managers", "members": [{"value": grace["id"]}]},
    )

    assert response.status_code == 200 and [m["value"] for m in response.get_json()["members"]] == [grace["id"]]
    assert roles(app, "ada@example.com") == set() and roles(app, "grace@example.com") == {"manager"}


def test_a_role_two_groups_give_stays_while_one_of_them_does(app, scim):
    ada = new_user(scim)
    first, second = new_group(scim, "SRE Academy Mentors", ada), new_group(scim, "Staff mentors", ada)

    assert scim("DELETE", f"/Groups/{first['id']}").status_code == 204
    assert roles(app, "ada@example.com") == {"mentor"}

    assert scim("DELETE", f"/Groups/{second['id']}").status_code == 204
    assert roles(app, "ada@example.com") == set()
    assert is_scim_error(scim("GET", f"/Groups/{second['id']}"), 404)
    assert [json.loads(e.detail) for e in audit_rows(app, "scim_group.deleted")] == [
        {"members": 1, "provider": "Okta"}
    ] * 2


def test_deleting_a_user_takes_them_out_of_their_groups_and_the_roles_those_gave(app, scim):
    ada, grace = new_user(scim, "ada@example.com"), new_user(scim, "grace@example.com")
    group = new_group(scim, "SRE Academy Mentors", ada, grace)

    scim("DELETE", f"/Users/{ada['id']}")

    assert member_ids(scim, group) == [grace["id"]]
    assert roles(app, "ada@example.com") == set()
    deleted = audit_rows(app, "user.deprovisioned")[0]
    assert json.loads(deleted.detail) == {"groups": ["SRE Academy Mentors"], "provider": "Okta"}


def test_group_names_are_unique_without_regard_to_case(app, scim):
    group = new_group(scim, "SRE Academy Mentors")
    other = new_group(scim, "Staff mentors")

    assert is_scim_error(
        scim("POST", "/Groups", {"schemas": [GROUP], "displayName": "sre academy mentors"}), 409, "uniqueness"
    )
    renamed = patch(
        scim, f"/Groups/{other['id']}", {"op": "replace", "path": "displayName", "value": "SRE ACADEMY MENTORS"}
    )
    assert is_scim_error(renamed, 409, "uniqueness")
    with sessions(app) as s:
        assert [g.display_name for g in s.exec(select(ScimGroup).order_by(ScimGroup.id))] == [
            group["displayName"],
            "Staff mentors",
        ]


@pytest.mark.parametrize(
    "member",
    [
        {"value": "9999"},
        {"value": str(2**31)},
        {"value": "not-an-id"},
        {"value": "{ada}", "type": "Group"},
        {"value": "{gone}"},
    ],
)
def test_a_member_that_is_no_user_here_is_refused_and_nothing_changes(app, scim, member):
    ada, gone = new_user(scim, "ada@example.com"), new_user(scim, "gone@example.com")
    scim("DELETE", f"/Users/{gone['id']}")
    group = new_group(scim, "SRE Academy Mentors")
    member = {key: value.format(ada=ada["id"], gone=gone["id"]) for key, value in member.items()}
    before = audit_rows(app)

    added = patch(
        scim, f"/Groups/{group['id']}", {"op": "add", "path": "members", "value": [{"value": ada["id"]}, member]}
    )
    created = scim("POST", "/Groups", {"schemas": [GROUP], "displayName": "Staff mentors", "members": [member]})

    assert is_scim_error(added, 400, "invalidValue") and is_scim_error(created, 400, "invalidValue")
    assert member_ids(scim, group) == [] and roles(app, "ada@example.com") == set()
    assert audit_rows(app) == before
    with sessions(app) as s:
        assert s.exec(select(ScimGroupMember)).all() == []


def test_groups_are_found_as_entra_id_and_okta_look_for_them(scim):
    ada, grace = new_user(scim, "ada@example.com"), new_user(scim, "grace@example.com")
    mentors = new_group(scim, "SRE Academy Mentors", ada, externalId="okta-00g1")
    staff = new_group(scim, "Staff mentors", grace)

    def found(query: str) -> list[str]:
        response = scim("GET", f"/Groups?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [g["id"] for g in response.get_json().get("Resources", [])]

    assert found('filter=displayName eq "sre academy mentors"') == [mentors["id"]]
    assert found('filter=externalId eq "okta-00g1"') == [mentors["id"]]
    assert found(f'filter=id eq "{mentors["id"]}" and members[value eq "{ada["id"]}"]') == [mentors["id"]]
    assert found(f'filter=id eq "{mentors["id"]}" and members[value eq "{grace["id"]}"]') == []
    assert found(f'filter=members eq "{grace["id"]}"') == [staff["id"]]  # a comparison on members: their value
    assert len(found("startIndex=1&count=1")) == 1
    without = scim("GET", f"/Groups/{mentors['id']}?excludedAttributes=members").get_json()
    assert "members" not in without and without["displayName"] == "SRE Academy Mentors"
    assert is_scim_error(scim("GET", '/Groups?filter=displayName co "Mentors"'), 400, "invalidFilter")
    assert is_scim_error(scim("GET", '/Groups?filter=members[display eq "Ada"]'), 400, "invalidFilter")
    searched = scim("POST", "/Groups/.search", {"filter": 'displayName eq "Staff mentors"'}).get_json()
    assert searched["totalResults"] == 1


def test_an_unknown_group_is_a_scim_404(scim):
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = scim(method, "/Groups/4242", {"schemas": [GROUP], "displayName": "x"})
        assert is_scim_error(response, 404), method
