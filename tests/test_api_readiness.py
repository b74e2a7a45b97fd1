"""The readiness endpoints of the API: a trainee's checklist, stage and forecast (for whoever may see the trainee)
and a cohort's (for its managers), refused to everyone else, paginated, and in the OpenAPI document.

In the small academy of conftest: the trainee finished "incident-roles" (practising) and has a readiness review
waiting; trainee2 completed the checklist and a panel decided they are ready today."""

import sys
from datetime import timedelta

import pytest

from academy.models import ReadinessRequest, User, utcnow
from tests.practicum_factory import catalogue_of, complete_checklist, finish_modules
from tests.test_cohort_readiness import (
    entry,
    graduate,
    today_as_the_test_starts,  # noqa: F401 - autouse: its NOW, for graduate()
)

TODAY = utcnow().date()  # set again as each test starts


@pytest.fixture(autouse=True)
def today_here(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "TODAY", utcnow().date())


@pytest.fixture
def token_for(app, academy, people):
    from academy.api.tokens import create_token

    def make(who: str) -> str:
        with app.test_request_context(), people.session() as s:
            token, _ = create_token(s, user=s.get(User, getattr(academy, who).id), name=f"{who} test", scope="read")
            s.commit()
        return token

    return make


@pytest.fixture
def api(client, token_for):
    def get(who: str | None, path: str):
        headers = {"Authorization": f"Bearer {token_for(who)}"} if who else {}
        return client.get(f"/api/v1{path}", headers=headers)

    return get


@pytest.fixture
def staged(app, people, academy):
    cat = catalogue_of(app)
    finish_modules(people, academy.trainee, ["incident-roles"], cat)
    with people.session() as s:
        waiting = ReadinessRequest(trainee_id=academy.trainee.id, requested_by=academy.mentor.id)
        s.add(waiting)
        s.commit()
        academy.waiting = waiting.id
    complete_checklist(people, academy.trainee2, academy.mentor, cat)
    graduate(people, academy.trainee2, academy.manager, on=utcnow())
    return academy


# ------------------------------------------------------------------ a trainee's readiness


@pytest.mark.parametrize("who", ["trainee", "mentor", "mentor2", "manager", "admin"])
def test_the_trainee_their_mentors_their_manager_and_an_admin_see_a_trainees_readiness(api, staged, who):
    response = api(who, f"/trainees/{staged.trainee.id}/readiness")
    assert response.status_code == 200
    body = response.get_json()
    assert body["trainee_id"] == staged.trainee.id
    assert body["stage"] == "practising"
    assert body["pending_request_id"] == staged.waiting
    assert body["graduated_on"] is None
    assert body["forecast"] is None  # no practice entry confirmed yet: not enough activity to tell
    items = {(i["kind"], i["id"]): i for i in body["items"]}
    assert items["module", "incident-roles"]["done_on"] == TODAY.isoformat()
    assert items["module", "slis-and-slos"]["done_on"] is None
    shadow = items["practice", "shadow-shifts"]
    assert shadow["progress"] == "0 of 3" and shadow["locked_by"] == [] and shadow["title"]
    assert items["practice", "reverse-shadow-shifts"]["locked_by"]  # on-call and two shadow shifts first
    assert {i["kind"] for i in body["items"]} == {"module", "lab", "practice"}
    assert body["done"] == sum(1 for i in body["items"] if i["done_on"]) and body["total"] == len(body["items"])


@pytest.mark.parametrize("who", ["trainee2", "outsider", "other_manager"])
def test_anyone_else_is_refused_a_trainees_readiness(api, staged, who):
    response = api(who, f"/trainees/{staged.trainee.id}/readiness")
    assert response.status_code == 403
    assert response.get_json()["error"] and "items" not in response.get_json()


def test_a_mentor_of_another_cohort_is_refused_and_nobody_signed_in_is_asked_to(api, people, staged):
    assert api("mentor2", f"/trainees/{staged.outsider.id}/readiness").status_code == 200  # serves cohort B too
    assert api("mentor", f"/trainees/{staged.outsider.id}/readiness").status_code == 403
    assert api(None, f"/trainees/{staged.trainee.id}/readiness").status_code == 401


def test_an_unknown_trainee_or_someone_who_is_no_trainee_is_not_found(api, staged):
    assert api("admin", "/trainees/999999/readiness").status_code == 404
    assert api("admin", f"/trainees/{staged.mentor.id}/readiness").status_code == 404
    assert api("trainee", "/trainees/999999/readiness").status_code == 403  # not theirs: refused, not looked up


def test_a_graduate_has_the_day_they_were_decided_ready_and_when_their_checklist_was_complete(api, staged):
    body = api("trainee2", f"/trainees/{staged.trainee2.id}/readiness").get_json()
    assert body["stage"] == "ready_for_on_call"
    assert body["graduated_on"] == TODAY.isoformat()
    assert body["forecast"] == TODAY.isoformat()  # complete: the day it was
    assert body["pending_request_id"] is None
    assert body["done"] == body["total"] == len(body["items"])


def test_a_trainees_forecast_follows_their_cadence(app, api, people, staged):
    finish_modules(people, staged.trainee, list(catalogue_of(app).modules), catalogue_of(app))  # modules: done
    days = timedelta(days=1)
    for ago in (20, 10):  # two confirmed shadow shifts in 20 days, 7 of the 9 entries to go: 70 days
        entry(people, staged.trainee, "shadow-shifts", started=utcnow() - ago * days, mentor=staged.mentor)
    body = api("manager", f"/trainees/{staged.trainee.id}/readiness").get_json()
    assert body["stage"] == "practising"
    assert body["forecast"] == (TODAY + 70 * days).isoformat()


# ------------------------------------------------------------------ a cohort's readiness


def test_a_cohorts_readiness_for_its_manager(api, staged):
    response = api("manager", f"/cohorts/{staged.cohort.id}/readiness")
    assert response.status_code == 200
    body = response.get_json()
    assert body["stages"] == {"learning": 0, "practising": 1, "ready_for_review": 0, "ready_for_on_call": 1}
    assert body["total"] == 2 and body["page"] == 1
    rows = {r["name"]: r for r in body["items"]}
    assert set(rows) == {"Trainee", "Trainee2"}
    assert rows["Trainee"]["trainee_id"] == staged.trainee.id
    assert rows["Trainee"]["stage"] == "practising" and rows["Trainee"]["forecast"] is None
    assert rows["Trainee2"] | {"trainee_id": 0} == {
        "trainee_id": 0,
        "name": "Trainee2",
        "stage": "ready_for_on_call",
        "done": rows["Trainee2"]["total"],
        "total": rows["Trainee2"]["total"],
        "graduated_on": TODAY.isoformat(),
        "forecast": TODAY.isoformat(),
    }
    assert rows["Trainee"]["done"] < rows["Trainee"]["total"] == rows["Trainee2"]["total"]


def test_a_cohorts_readiness_is_paginated_and_counts_every_stage_on_every_page(api, staged):
    body = api("admin", f"/cohorts/{staged.cohort.id}/readiness?per_page=1&page=2").get_json()
    assert (body["page"], body["per_page"], body["total"]) == (2, 1, 2)
    assert [r["name"] for r in body["items"]] == ["Trainee2"]
    assert sum(body["stages"].values()) == 2


@pytest.mark.parametrize("who", ["trainee", "mentor", "mentor2", "other_manager"])
def test_a_cohorts_readiness_is_refused_to_all_but_its_managers_and_admins(api, staged, who):
    assert api(who, f"/cohorts/{staged.cohort.id}/readiness").status_code == 403


def test_an_unknown_cohort_is_not_found_and_nobody_signed_in_is_asked_to(api, staged):
    assert api("admin", "/cohorts/999999/readiness").status_code == 404
    assert api(None, f"/cohorts/{staged.cohort.id}/readiness").status_code == 401


# ------------------------------------------------------------------ at risk, and the document


def test_the_at_risk_endpoint_gives_the_practicums_reasons(api, people, staged):
    for _ in range(2):
        entry(people, staged.trainee, "incident-drills", status="changes_requested", mentor=staged.mentor)
    risk = api("manager", f"/cohorts/{staged.cohort.id}/at-risk").get_json()
    reasons = {r["name"]: r["reasons"] for r in risk["items"]}
    assert "drills returned twice" in reasons["Trainee"]
    assert "drills returned twice" not in reasons.get("Trainee2", [])


def test_the_readiness_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    trainee = spec["paths"]["/api/v1/trainees/{trainee_id}/readiness"]["get"]
    cohort = spec["paths"]["/api/v1/cohorts/{cohort_id}/readiness"]["get"]
    assert "readiness" in trainee["tags"] and "readiness" in cohort["tags"]
    assert {"200", "403", "404"} <= set(trainee["responses"]) and {"200", "403", "404"} <= set(cohort["responses"])
    schemas = spec["components"]["schemas"]
    for model in ("TraineeReadinessOut", "CohortTraineeReadinessOut"):
        assert schemas[model]["properties"]["stage"] == {"$ref": "#/components/schemas/Stage"}
    assert schemas["Stage"]["enum"] == ["learning", "practising", "ready_for_review", "ready_for_on_call"]
    assert set(schemas["StageCounts"]["properties"]) == set(schemas["Stage"]["enum"])
    assert "not enough activity" in schemas["CohortTraineeReadinessOut"]["properties"]["forecast"]["description"]
