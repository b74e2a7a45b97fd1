"""Who may see what: trainees their own work, mentors their cohorts' trainees, managers their own cohorts."""

import pytest
from sqlmodel import select

from academy.models import AuditEntry


@pytest.mark.parametrize("who", ["trainee", "mentor", "manager"])
@pytest.mark.parametrize("path", ["/admin/", "/admin/users", "/admin/cohorts", "/admin/audit", "/admin/cohorts/new"])
def test_only_admins_open_admin_pages(as_role, who, path):
    assert as_role(who).get(path).status_code == 403


def test_a_refusal_is_audited(as_role, academy, db_session):
    as_role("trainee").get(f"/trainees/{academy.trainee2.id}")
    entry = db_session.exec(select(AuditEntry).where(AuditEntry.action == "authorization.refused")).one()
    assert entry.actor_id == academy.trainee.id and entry.target == f"trainee {academy.trainee2.id}"


def test_a_trainee_sees_only_their_own_work(as_role, academy):
    client = as_role("trainee")
    assert client.get(f"/trainees/{academy.trainee.id}").status_code == 200
    assert client.get(f"/trainees/{academy.trainee2.id}").status_code == 403
    assert client.get(f"/trainees/{academy.outsider.id}").status_code == 403
    assert client.get(f"/cohorts/{academy.cohort.id}").status_code == 403
    assert client.get("/reviews").status_code == 403


def test_a_mentor_sees_the_trainees_of_cohorts_they_serve(as_role, academy):
    client = as_role("mentor")
    assert client.get(f"/trainees/{academy.trainee.id}").status_code == 200
    assert client.get(f"/trainees/{academy.outsider.id}").status_code == 403
    assert client.get(f"/cohorts/{academy.cohort.id}").status_code == 403


def test_a_manager_sees_only_the_cohorts_they_own(as_role, academy):
    client = as_role("manager")
    assert client.get(f"/cohorts/{academy.cohort.id}").status_code == 200
    assert client.get(f"/cohorts/{academy.other_cohort.id}").status_code == 403
    assert client.get(f"/trainees/{academy.trainee.id}").status_code == 200
    assert client.get(f"/trainees/{academy.outsider.id}").status_code == 403
    listing = client.get("/cohorts").get_data(as_text=True)
    assert "Cohort A" in listing and "Cohort B" not in listing


def test_an_admin_sees_everything(as_role, academy):
    client = as_role("admin")
    for path in (f"/cohorts/{academy.other_cohort.id}", f"/trainees/{academy.outsider.id}", "/cohorts"):
        assert client.get(path).status_code == 200


def test_review_rights(app, academy):
    from academy import policy
    from academy.accounts.auth import Account

    def account(user, *roles):
        return Account(user.id, user.email, user.display_name, frozenset(roles), "t")

    with app.test_request_context():
        assert policy.may_review(account(academy.mentor, "mentor"), academy.trainee.id)
        assert policy.may_review(account(academy.mentor2, "mentor"), academy.outsider.id)
        assert not policy.may_review(account(academy.mentor, "mentor"), academy.outsider.id)
        assert not policy.may_review(account(academy.manager, "manager"), academy.trainee.id)
        assert policy.may_review(account(academy.admin, "admin"), academy.trainee.id)
        assert not policy.may_review(account(academy.trainee, "trainee", "mentor", "admin"), academy.trainee.id)
