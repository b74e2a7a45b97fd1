"""The audit log as admins browse it, the refusal of every admin page to everyone else, and a log nobody can edit."""

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for
from sqlmodel import select

from academy.models import (
    AuditEntry,
    Cohort,
    CohortModule,
    CohortStaff,
    CohortTrainee,
    ProvisioningToken,
    User,
    UserRole,
)
from tests.conftest import sign_in

NON_ADMINS = ("trainee", "mentor", "manager")
LONG_AGO = datetime(2020, 1, 1, 12, 0, tzinfo=UTC)


# ------------------------------------------------------------------ reading what happened


def fetch(people, statement):
    """Rows from a short session of their own, so that no read holds a lock while a request writes."""
    with people.session() as s:
        return s.exec(statement).all()


def entries(people, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(fetch(people, query))


def state(people) -> dict[str, list]:
    """Everything an admin page could change, apart from the audit log itself."""
    return {
        "users": sorted(
            fetch(
                people,
                select(User.id, User.email, User.display_name, User.is_active, User.password_hash, User.session_token),
            )
        ),
        "roles": sorted(fetch(people, select(UserRole.user_id, UserRole.role))),
        "cohorts": sorted(fetch(people, select(Cohort.id, Cohort.name, Cohort.start_date, Cohort.end_date))),
        "plans": sorted(fetch(people, select(CohortModule.cohort_id, CohortModule.module_id, CohortModule.due_date))),
        "trainees": sorted(
            fetch(people, select(CohortTrainee.trainee_id, CohortTrainee.cohort_id, CohortTrainee.mentor_id)), key=str
        ),
        "staff": sorted(fetch(people, select(CohortStaff.cohort_id, CohortStaff.user_id, CohortStaff.role))),
        "provisioning_tokens": sorted(
            fetch(people, select(ProvisioningToken.id, ProvisioningToken.name, ProvisioningToken.revoked_at)), key=str
        ),
    }


def add_entries(people, *rows: tuple[str, str, datetime]) -> None:
    with people.session() as s:
        s.add_all(AuditEntry(action=action, target=target, at=at) for action, target, at in rows)
        s.commit()


def listed(page: str) -> list[tuple[str, str, str]]:
    """The audit table as (action code, by, what happened) rows, top to bottom."""
    rows = re.findall(
        r'<td data-label="What happened">([^<]*)(?:<[^>]*>[^<]*</span>)*</td>\s*<td data-label="By">([^<]*)</td>'
        r'<td data-label="Action code"><code>([^<]*)</code>',
        page,
    )
    return [(html.unescape(code), html.unescape(by), html.unescape(what).strip()) for what, by, code in rows]


def about(rows, *targets: str) -> list[str]:
    """Which of `targets` the rows' sentences name, in the rows' order (fake entries read "... of <target>: ...")."""
    return [t for _, _, what in rows for t in targets if f" of {t}:" in what]


def audit_page(client, **filters) -> list[tuple[str, str, str]]:
    response = client.get("/admin/audit", query_string=filters)
    assert response.status_code == 200
    return listed(response.get_data(as_text=True))


# ------------------------------------------------------------------ browsing


def test_audit_page_lists_entries_newest_first(as_role, people, academy):
    add_entries(
        people,
        ("cohort.updated", "second", LONG_AGO + timedelta(days=1)),
        ("cohort.updated", "third", LONG_AGO + timedelta(days=2)),
        ("cohort.updated", "first", LONG_AGO),
    )
    rows = audit_page(as_role("admin"))
    assert rows[0] == ("login.succeeded", "admin@example.com", "admin@example.com signed in.")  # just now
    assert about(rows, "first", "second", "third") == ["third", "second", "first"]
    assert about(rows[-3:], "first", "second", "third") == ["third", "second", "first"]


def test_entries_at_the_same_moment_list_the_later_written_first(as_role, people, academy):
    add_entries(people, ("cohort.updated", "written first", LONG_AGO), ("cohort.updated", "written second", LONG_AGO))
    assert about(audit_page(as_role("admin")), "written first", "written second") == ["written second", "written first"]


def test_audit_page_pages_through_older_entries(as_role, people, academy):
    add_entries(people, *(("cohort.updated", f"old {n:02d}", LONG_AGO + timedelta(minutes=n)) for n in range(60)))
    admin = as_role("admin")
    first, second = audit_page(admin, action="cohort.updated"), audit_page(admin, action="cohort.updated", page=2)
    olds = [f"old {n:02d}" for n in range(60)]
    assert about(first, *olds) == [f"old {n:02d}" for n in range(59, 9, -1)]
    assert about(second, *olds) == [f"old {n:02d}" for n in range(9, -1, -1)]
    pages = [admin.get(f"/admin/audit?action=cohort.updated&page={n}").get_data(as_text=True) for n in (1, 2)]
    assert "Older →" in pages[0] and "← Newer" not in pages[0]  # newest first: the next page is older
    assert "← Newer" in pages[1] and "Older →" not in pages[1]


def test_audit_page_filters_by_action(as_role, people, academy):
    admin = as_role("admin")
    admin.post(f"/admin/users/{academy.trainee.id}", data={"display_name": "Trainee", "roles": ["trainee", "mentor"]})
    rows = audit_page(admin, action="user.roles_changed")
    assert rows == [
        (
            "user.roles_changed",
            "admin@example.com",
            "Admin changed the roles of trainee@example.com from trainee to mentor, trainee.",
        )
    ]

    cohorts = audit_page(admin, action="cohort.created")
    assert sorted(cohorts) == [
        ("cohort.created", "—", f"A server command created the cohort Cohort {x}, 2026-09-01 to 2027-03-01.")
        for x in "AB"
    ]
    assert len(audit_page(admin, action="no.such.action")) == len(audit_page(admin))  # no filter at all


def test_audit_page_filters_by_actor_email(app, as_role, people, academy):
    sign_in(app.test_client(), "trainee@example.com")
    sign_in(app.test_client(), "trainee2@example.com")
    sign_in(app.test_client(), "trainee@example.com", "a wrong password")
    admin = as_role("admin")

    rows = audit_page(admin, actor="  TRAINEE@Example.com ")
    assert rows == [("login.succeeded", "trainee@example.com", "trainee@example.com signed in.")]
    assert {by for _, by, _ in audit_page(admin, actor="trainee")} == {"trainee@example.com", "trainee2@example.com"}
    assert audit_page(admin, actor="%") == []  # a literal percent sign, which no email holds
    assert audit_page(admin, actor="trainee_@example.com") == []  # and a literal underscore
    assert audit_page(admin, actor="trainee", action="login.succeeded") == [  # newest first
        ("login.succeeded", "trainee2@example.com", "trainee2@example.com signed in."),
        ("login.succeeded", "trainee@example.com", "trainee@example.com signed in."),
    ]
    # a failed attempt has nobody behind it: it is found by its action, not by an actor
    failed = ("login.failed", "—", "A sign-in as trainee@example.com failed (wrong email or password).")
    assert failed in audit_page(admin, action="login.failed")


# ------------------------------------------------------------------ everyone else is refused


def admin_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith("/admin")), key=lambda r: r.rule)


def admin_url(app, rule, user_id: int, cohort_id: int) -> str:
    # token_id: a provisioning token's, which no non-admin gets as far as looking up
    values = {"user_id": user_id, "cohort_id": cohort_id, "token_id": 1}
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def test_the_admin_area_has_the_routes_this_file_expects(app):
    """A sanity check of the sweep below: it covers GET pages and POST forms, and finds them all."""
    rules = admin_rules(app)
    assert sum("GET" in r.methods for r in rules) >= 7
    assert sum("POST" in r.methods for r in rules) >= 10


def test_an_admin_opens_every_admin_page(app, as_role, academy):
    admin = as_role("admin")
    for rule in admin_rules(app):
        if "GET" in rule.methods:
            url = admin_url(app, rule, academy.trainee.id, academy.cohort.id)
            assert admin.get(url).status_code == 200, url


def test_signed_out_visitors_are_sent_to_sign_in(app, academy):
    for rule in admin_rules(app):
        if "GET" in rule.methods:
            response = app.test_client().get(admin_url(app, rule, academy.trainee.id, academy.cohort.id))
            assert response.status_code == 302 and response.headers["Location"].startswith("/login"), rule.rule


@pytest.mark.parametrize("who", NON_ADMINS)
def test_non_admins_get_403_on_every_admin_page_and_the_refusal_is_recorded(app, as_role, people, academy, who):
    client = as_role(who)
    person = getattr(academy, who)
    before = state(people)
    paths = []
    for rule in admin_rules(app):
        if "GET" not in rule.methods:
            continue
        url = admin_url(app, rule, person.id, academy.cohort.id)
        response = client.get(url)
        assert response.status_code == 403, url
        assert "outsider@example.com" not in response.get_data(as_text=True)
        paths.append(url)
    assert state(people) == before

    refused = [e for e in entries(people, "authorization.refused") if e.actor_id == person.id]
    assert [e.target for e in refused] == [f"admin pages: {path}" for path in paths]
    assert all(json.loads(e.detail) == {"method": "GET"} for e in refused)


def admin_form(endpoint: str, academy) -> dict:
    """What an admin's browser would post to each form, aimed where it would hurt."""
    return {
        "admin.new_user": {"display_name": "Intruder", "email": "intruder@example.com", "roles": ["admin"]},
        "admin.edit_user": {"display_name": "Promoted", "roles": ["admin", "trainee", "mentor", "manager"]},
        "admin.set_active": {"active": "0"},
        "admin.new_cohort": {
            "name": "Rogue",
            "start_date": "2027-01-01",
            "end_date": "2027-06-01",
            "tracks": ["culture"],
        },
        "admin.cohort_details": {
            "details-name": "Renamed",
            "details-start_date": "2026-09-01",
            "details-end_date": "2027-03-01",
        },
        "admin.cohort_plan": {"plan-tracks": ["culture"]},
        "admin.add_member": {
            "member-email": "other-manager@example.com",
            "member-role": "manager",
            "member-mentor": "",
        },
        "admin.remove_member": {"user_id": str(academy.trainee2.id), "role": "trainee"},
        "admin.assign_mentor": {"assign-trainee": str(academy.trainee.id), "assign-mentor": str(academy.mentor2.id)},
        "admin.new_provisioning_token": {"name": "Rogue provider"},
        "admin.import_people": {
            "text": "name,email,role,mentor email\nSneaky,sneaky@example.com,trainee,\n",
            "confirm": "1",
        },
    }.get(endpoint, {})


def test_repeated_refusals_of_a_page_count_on_one_row_shown_with_their_count(as_role, people, academy):
    trainee = as_role("trainee")
    for _ in range(3):
        assert trainee.get("/admin/users").status_code == 403
    assert trainee.post("/admin/users/new").status_code == 403
    refused = [e for e in entries(people, "authorization.refused") if e.actor_id == academy.trainee.id]
    assert [(e.target, json.loads(e.detail), e.repeats) for e in refused] == [
        ("admin pages: /admin/users", {"method": "GET"}, 3),
        ("admin pages: /admin/users/new", {"method": "POST"}, 1),
    ]
    page = as_role("admin").get("/admin/audit").get_data(as_text=True)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())
    assert f"×3, last at {refused[0].last_at:%d %b %Y %H:%M} UTC" in text  # in the admin's zone: UTC here
    assert page.count("×") == 1


@pytest.mark.parametrize("who", NON_ADMINS)
def test_non_admins_get_403_on_every_admin_form_and_change_nothing(app, as_role, people, academy, who):
    client = as_role(who)
    person = getattr(academy, who)
    before = state(people)
    paths = []
    for rule in admin_rules(app):
        if "POST" not in rule.methods:
            continue
        url = admin_url(app, rule, person.id, academy.cohort.id)
        response = client.post(url, data=admin_form(rule.endpoint, academy))
        assert response.status_code == 403, (url, response.status_code)
        assert "/welcome/" not in response.get_data(as_text=True)
        paths.append(url)
    assert state(people) == before
    refused = [e for e in entries(people, "authorization.refused") if e.actor_id == person.id]
    assert [(e.target, json.loads(e.detail)) for e in refused] == [
        (f"admin pages: {path}", {"method": "POST"}) for path in paths
    ]


# ------------------------------------------------------------------ nobody edits the log


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_audit_log_cannot_be_changed_through_the_app(as_role, people, academy, method):
    admin = as_role("admin")
    before = [(e.id, e.at, e.action, e.target, e.detail, e.actor_id) for e in entries(people)]
    assert before
    first = before[0][0]
    for url in ("/admin/audit", f"/admin/audit/{first}", f"/admin/audit/{first}/delete"):
        response = admin.open(url, method=method, data={"id": str(first), "action": "nothing.happened"})
        assert response.status_code in (404, 405), (url, response.status_code)
    assert admin.open("/admin/audit", method=method).status_code == 405
    assert [(e.id, e.at, e.action, e.target, e.detail, e.actor_id) for e in entries(people)] == before


def test_no_route_writes_to_the_audit_log_pages(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule


def test_a_target_longer_than_its_column_is_cut_and_kept_whole_in_the_detail():
    from academy import audit

    entry = audit.new_entry("login.oidc_refused", "x" * 300, reason="r")
    assert entry.target == "x" * 253 + "…" and json.loads(entry.detail)["target"] == "x" * 300
    assert audit.new_entry("logout", "y" * 254).target == "y" * 254
