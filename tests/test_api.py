"""The REST API: tokens, authorization per role through the same policy, JSON errors, pagination, OpenAPI."""

import hashlib
import json
import re

import pytest
from openapi_spec_validator import validate
from sqlmodel import select

from academy.models import ApiToken, AuditEntry, Decision, LabAttempt, utcnow

LAB, MODULE = "linux-shell-lab", "linux-shell"


@pytest.fixture
def token_for(app, academy):
    """token_for("mentor") -> a fresh API token of that person of the small academy."""
    from academy.api.tokens import create_token
    from tests.conftest import People

    def make(who: str) -> str:
        people = People(app)
        with app.test_request_context(), people.session() as s:
            from academy.models import User

            user = s.get(User, getattr(academy, who).id)
            token, _ = create_token(s, user=user, name=f"{who} test", scope="write")
            s.commit()
        return token

    return make


@pytest.fixture
def api(client, token_for):
    def call(who: str | None, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {token_for(who)}"} if who else {}
        return getattr(client, method)(f"/api/v1{path}", headers=headers, **kwargs)

    return call


def submission(people, trainee, hours_ago=1.0):
    from datetime import timedelta

    with people.session() as s:
        attempt = LabAttempt(
            trainee_id=trainee.id,
            module_id=MODULE,
            lab_id=LAB,
            number=1,
            evidence="e",
            request_key=f"k{trainee.id}",
            submitted_at=utcnow() - timedelta(hours=hours_ago),
        )
        s.add(attempt)
        s.commit()
        return attempt


# ------------------------------------------------------------------ the document


def test_the_openapi_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path in (
        "/api/v1/me",
        "/api/v1/catalogue/modules",
        "/api/v1/me/progress",
        "/api/v1/labs/{lab_id}/attempts",
        "/api/v1/reviews",
        "/api/v1/reviews/{attempt_id}/decision",
        "/api/v1/cohorts",
        "/api/v1/cohorts/{cohort_id}/progress",
        "/api/v1/cohorts/{cohort_id}/at-risk",
    ):
        assert path in spec["paths"], path


def test_the_reference_page_lists_every_endpoint(as_role, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    html = as_role("trainee").get("/api/docs").get_data(as_text=True)
    for path, methods in spec["paths"].items():
        assert f"<code>{path}</code>" in html
        for op in methods.values():
            assert f"Operation id <code>{op['operationId']}</code>" in html
    assert "AttemptStatus: submitted, withdrawn, changes_requested, approved" in html


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, op) for path, methods in spec["paths"].items() for method, op in methods.items()]


def test_every_operation_has_its_own_camel_case_operation_id(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    ids = [op.get("operationId", "") for _, _, op in operations(spec)]
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+", i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    by_route = {(method, path): op["operationId"] for method, path, op in operations(spec)}
    assert by_route[("post", "/api/v1/reviews/{attempt_id}/decision")] == "decideReview"
    assert by_route[("post", "/api/v1/attempts/{attempt_id}/withdraw")] == "withdrawLabAttempt"


def test_the_document_has_no_schema_that_no_operation_uses(client):
    from academy.api.docs import refs

    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    reachable, waiting = set(), refs(spec["paths"])
    while waiting:
        name = waiting.pop()
        assert name in schemas, f"a $ref to a schema the document lacks: {name}"
        if name not in reachable:
            reachable.add(name)
            waiting |= refs(schemas[name])
    assert set(schemas) == reachable
    assert "ValidationErrorModel" not in schemas  # flask-openapi3's, never answered: 422s are ErrorOut


def test_the_document_names_its_server_the_sites_root(migrated, client):
    from tests.conftest import make_app

    assert client.get("/api/v1/openapi.json").get_json()["servers"] == [
        {"url": "/", "description": "The academy that serves this document"}
    ]
    configured = make_app(migrated, BASE_URL="https://academy.example.com/")
    spec = configured.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["servers"] == [{"url": "https://academy.example.com", "description": "This academy"}]
    assert all(path.startswith("/api/v1/") for path in spec["paths"])  # server url + path = the endpoint
    configured.extensions["academy.engine"].dispose()


def test_every_state_is_a_named_enum_spelled_one_way(client):
    from academy.api import schemas as s
    from academy.learning.queries import MODULE_STATES
    from academy.readiness.queries import STAGES

    spec = client.get("/api/v1/openapi.json").get_json()
    components = spec["components"]["schemas"]
    enums = {name: c["enum"] for name, c in components.items() if "enum" in c}
    assert enums == {
        "LabState": ["not_started", "submitted", "changes_requested", "approved"],
        "ModuleState": ["locked", "not_started", "in_progress", "submitted", "changes_requested", "done"],
        "Stage": ["learning", "practising", "ready_for_review", "ready_for_on_call"],
        "DecisionOutcome": ["approved", "changes_requested"],
        "AttemptStatus": ["submitted", "withdrawn", "changes_requested", "approved"],
    }
    codes = [code for values in enums.values() for code in values]
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in codes)
    # every word the pages use has its code: the API never answers a page's word, nor fails on one
    assert set(s.MODULE_STATE) == set(MODULE_STATES) and set(s.STAGE) == set(STAGES)
    assert set(s.LAB_STATE.values()) == set(s.LabState)
    text = json.dumps(spec)
    for words in ("Changes requested", "changes requested", "ready for review", "Not started", "In progress"):
        assert f'"{words}"' not in text
    ref = "#/components/schemas/"
    progress = components["ProgressOut"]["properties"]
    assert progress["status"]["$ref"] == f"{ref}ModuleState"
    assert components["LabStatusOut"]["properties"]["status"]["$ref"] == f"{ref}LabState"
    assert components["MatrixRowOut"]["properties"]["cells"]["additionalProperties"]["$ref"] == f"{ref}ModuleState"
    assert components["DecisionOut"]["properties"]["outcome"]["$ref"] == f"{ref}DecisionOutcome"


# ------------------------------------------------------------------ tokens


def test_token_lifecycle_on_the_account_page(app, as_role, academy, db_session, client):
    browser = as_role("mentor")
    page = browser.post("/account/tokens", data={"token-name": "team dashboard"}).get_data(as_text=True)
    token = page.split('id="new-token" class="copy-box" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert token.startswith("sra_") and len(token) > 40
    row = db_session.exec(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
    row_id = row.id
    db_session.rollback()
    assert token not in browser.get("/account").get_data(as_text=True), "shown only once"

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["email"] == "mentor@example.com"
    assert db_session.get(ApiToken, row_id).last_used_at is not None
    db_session.rollback()

    browser.post(f"/account/tokens/{row_id}/revoke")
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.get_json()["error"] == "Not authenticated"
    actions = [a for a in db_session.exec(select(AuditEntry.action)).all() if a.startswith("token.")]
    assert actions == ["token.created", "token.revoked"]


def test_nobody_revokes_another_persons_token(as_role, token_for, db_session, client):
    token = token_for("mentor")
    row = db_session.exec(select(ApiToken)).one()
    db_session.rollback()
    as_role("trainee").post(f"/account/tokens/{row.id}/revoke")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_token_of_a_deactivated_account_is_refused(token_for, academy, db_session, client):
    from academy.accounts.services import set_active
    from academy.models import User

    token = token_for("trainee")
    set_active(db_session, db_session.get(User, academy.trainee.id), False)
    db_session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer sra_" + "x" * 43])
def test_missing_or_wrong_credentials_get_401_json(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.get_json()["error"] == "Not authenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_api_ignores_a_session_cookie(as_role):
    assert as_role("admin").get("/api/v1/me").status_code == 401


def test_token_create_command_prints_a_working_token(runner, academy, client):
    result = runner.invoke(args=["academy", "token", "create", "Manager@Example.com", "--name", "grafana"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()  # stderr says what the token may do and when it expires
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["email"] == (
        "manager@example.com"
    )
    assert runner.invoke(args=["academy", "token", "create", "nobody@example.com", "--name", "x"]).exit_code != 0


# ------------------------------------------------------------------ endpoints and authorization


def test_catalogue_has_no_answers_and_is_paginated(app, api):
    first = api("trainee", "get", "/catalogue/modules?per_page=5").get_json()
    assert first["total"] >= 28 and len(first["items"]) == 5 and first["page"] == 1
    second = api("trainee", "get", "/catalogue/modules?per_page=5&page=2").get_json()
    assert {m["id"] for m in first["items"]}.isdisjoint(m["id"] for m in second["items"])
    modules = api("trainee", "get", "/catalogue/modules?per_page=100").get_json()["items"]
    keys = set().union(*(m.keys() for m in modules))
    assert not keys & {"quiz", "questions", "answer", "answers", "choices", "explanation"}
    with app.app_context():
        from academy.curriculum.store import catalogue

        explanations = [q.explanation for m in catalogue().modules.values() for q in m.quiz.questions]
    text = json.dumps(modules)
    assert not any(e in text for e in explanations)
    assert api("trainee", "get", f"/catalogue/modules/{MODULE}").get_json()["labs"][0]["id"] == LAB
    assert api("trainee", "get", "/catalogue/modules/nope").status_code == 404
    assert len(api("trainee", "get", "/catalogue/tracks").get_json()["items"]) == 12


@pytest.mark.parametrize("query", ["page=0", "per_page=1000", "page=abc", "per_page=-1", "unexpected=1"])
def test_bad_pagination_is_a_422_naming_the_field(api, query):
    response = api("trainee", "get", f"/catalogue/modules?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"] == "Invalid request" and response.get_json()["detail"]


def test_trainee_submits_evidence_once_per_request_key_and_sees_progress(api, academy, db_session):
    body = {"evidence": "Did it all.", "links": ["https://example.com/mr/1"], "request_key": "b" * 32}
    first = api("trainee", "post", f"/labs/{LAB}/attempts", json=body)
    again = api("trainee", "post", f"/labs/{LAB}/attempts", json=body)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"] and first.get_json()["status"] == "submitted"
    assert len(db_session.exec(select(LabAttempt)).all()) == 1
    db_session.rollback()
    busy = api("trainee", "post", f"/labs/{LAB}/attempts", json={"evidence": "another"})
    assert busy.status_code == 409 and "waiting for a mentor" in busy.get_json()["detail"]
    assert f"POST /api/v1/attempts/{first.get_json()['id']}/withdraw (withdrawLabAttempt)" in busy.get_json()["detail"]
    progress = api("trainee", "get", "/me/progress?per_page=100").get_json()["items"]
    shell = next(p for p in progress if p["module_id"] == MODULE)
    assert shell["labs"] == [{"lab_id": LAB, "status": "submitted"}] and shell["status"] == "submitted"


@pytest.mark.parametrize(
    "change",
    [
        {"evidence": "Did it all, and then some."},
        {"links": ["https://example.com/mr/2"]},
        {"files": [{"name": "out.txt", "content_base64": "aGVsbG8K"}]},
    ],
    ids=["evidence", "links", "files"],
)
def test_a_used_request_key_with_other_content_is_a_conflict_and_the_first_attempt_stays(api, db_session, change):
    """A client that resends its key with a changed body would otherwise hear "201, stored" for content that was
    never stored."""
    body = {"evidence": "Did it all.", "links": ["https://example.com/mr/1"], "request_key": "c" * 32}
    first = api("trainee", "post", f"/labs/{LAB}/attempts", json=body)
    changed = api("trainee", "post", f"/labs/{LAB}/attempts", json=body | change)
    assert first.status_code == 201 and changed.status_code == 409
    assert "used before, for attempt 1 of this lab, with other evidence" in changed.get_json()["detail"]
    stored = db_session.exec(select(LabAttempt)).all()
    assert [(a.id, a.evidence) for a in stored] == [(first.get_json()["id"], "Did it all.")]


def test_a_used_request_key_resent_with_a_file_that_is_not_base64_is_a_422(api, db_session):
    body = {"evidence": "Did it all.", "request_key": "e" * 32}
    assert api("trainee", "post", f"/labs/{LAB}/attempts", json=body).status_code == 201
    bad = api("trainee", "post", f"/labs/{LAB}/attempts", json=body | {"files": [{"name": "x", "content_base64": "!"}]})
    assert bad.status_code == 422 and "is not valid base64" in bad.get_json()["detail"]
    assert len(db_session.exec(select(LabAttempt)).all()) == 1


def test_a_used_request_key_sent_to_another_lab_names_the_lab_it_was_used_for(api, db_session):
    body = {"evidence": "Did it all.", "request_key": "d" * 32}
    assert api("trainee", "post", f"/labs/{LAB}/attempts", json=body).status_code == 201
    other = api("trainee", "post", "/labs/files-permissions-lab/attempts", json=body)
    assert other.status_code == 409 and f"attempt 1 of the lab {LAB}" in other.get_json()["detail"]
    assert len(db_session.exec(select(LabAttempt)).all()) == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"evidence": ""},
        {"evidence": "x", "links": ["ftp://nope"]},
        {"evidence": "x", "extra": 1},
        {"evidence": "x", "request_key": "short"},
        {"evidence": 5},
    ],
)
def test_bad_evidence_is_refused_with_422_and_stores_nothing(api, db_session, body):
    response = api("trainee", "post", f"/labs/{LAB}/attempts", json=body)
    assert response.status_code == 422
    assert set(response.get_json()) == {"error", "detail"}
    assert db_session.exec(select(LabAttempt)).all() == []


def test_only_trainees_submit_and_prerequisites_hold(api, db_session):
    assert api("mentor", "post", f"/labs/{LAB}/attempts", json={"evidence": "x"}).status_code == 403
    locked = api("trainee", "post", "/labs/files-permissions-lab/attempts", json={"evidence": "x"})
    assert locked.status_code == 409 and "Finish these modules first" in locked.get_json()["detail"]
    assert api("trainee", "post", "/labs/no-such-lab/attempts", json={"evidence": "x"}).status_code == 404
    assert db_session.exec(select(LabAttempt)).all() == []


def test_mentor_queue_and_decision(api, people, academy, db_session):
    attempt = submission(people, academy.trainee)
    queue = api("mentor", "get", "/reviews").get_json()
    assert [i["attempt_id"] for i in queue["items"]] == [attempt.id] and queue["items"][0]["assigned_to_me"]
    assert api("trainee", "get", "/reviews").status_code == 403
    assert api("manager", "post", f"/reviews/{attempt.id}/decision", json={"outcome": "approved"}).status_code == 403
    needs_comment = api("mentor", "post", f"/reviews/{attempt.id}/decision", json={"outcome": "changes_requested"})
    assert needs_comment.status_code == 422
    done = api(
        "mentor",
        "post",
        f"/reviews/{attempt.id}/decision",
        json={"outcome": "approved", "comment": "Good.", "criteria": [0, 1]},
    )
    assert done.status_code == 201 and done.get_json()["criteria"] == [0, 1]
    again = api("mentor2", "post", f"/reviews/{attempt.id}/decision", json={"outcome": "approved"})
    assert again.status_code == 409 and again.get_json()["error"] == "Already decided"
    assert len(db_session.exec(select(Decision)).all()) == 1
    assert api("mentor", "post", "/reviews/999999/decision", json={"outcome": "approved"}).status_code == 404


def test_cohorts_for_managers_only_their_own(api, people, academy):
    submission(people, academy.trainee2, hours_ago=300)
    listing = api("manager", "get", "/cohorts").get_json()
    assert [c["name"] for c in listing["items"]] == ["Cohort A"]
    matrix = api("manager", "get", f"/cohorts/{academy.cohort.id}/progress").get_json()
    assert matrix["total"] == 2 and len(matrix["modules"]) >= 28
    assert set(matrix["items"][0]["cells"]) == set(matrix["modules"])
    assert api("manager", "get", f"/cohorts/{academy.other_cohort.id}/progress").status_code == 403
    assert api("other_manager", "get", f"/cohorts/{academy.cohort.id}/at-risk").status_code == 403
    risk = api("manager", "get", f"/cohorts/{academy.cohort.id}/at-risk").get_json()
    assert {r["name"] for r in risk["items"]} == {"Trainee", "Trainee2"}
    for who in ("trainee", "mentor"):
        assert api(who, "get", "/cohorts").status_code == 403
        assert api(who, "get", f"/cohorts/{academy.cohort.id}/progress").status_code == 403
    assert api("admin", "get", f"/cohorts/{academy.other_cohort.id}/progress").status_code == 200
    assert api("admin", "get", "/cohorts/999999/progress").status_code == 404


def test_errors_are_json_never_html(api, client):
    for response in (
        api("trainee", "get", "/nowhere"),
        api("trainee", "delete", "/me"),
        api("trainee", "post", f"/labs/{LAB}/attempts", data="not json", content_type="application/json"),
    ):
        assert response.status_code in (400, 404, 405, 422)
        assert response.is_json and "error" in response.get_json()
