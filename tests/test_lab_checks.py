"""Lab checks on the server: the API hands out the curriculum's checks, takes the results academy-lab reports with
an attempt, refuses results that do not fit the lab, and shows them to the mentor as text."""

import base64
from datetime import timedelta

import pytest
from sqlmodel import select

from academy.models import Attachment, CheckResult, LabAttempt, utcnow
from tests.labchecks_factory import checked_app

LAB = "check-demo-lab"


@pytest.fixture
def app(migrated, tmp_path):
    with checked_app(migrated, tmp_path / "curriculum") as app:
        yield app


@pytest.fixture
def token_for(app, academy, people):
    from academy.api.tokens import create_token
    from academy.models import User

    def make(who: str, scope: str = "lab", **kwargs) -> str:
        with app.test_request_context(), people.session() as s:
            token, _ = create_token(
                s, user=s.get(User, getattr(academy, who).id), name=f"{who} {scope}", scope=scope, **kwargs
            )
            s.commit()
        return token

    return make


def call(client, token, method, path, **kwargs):
    return getattr(client, method)(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs)


def report(**changes):
    results = [
        {
            "check_id": "greets",
            "passed": True,
            "exit_status": 0,
            "timed_out": False,
            "seconds": 0.01,
            "output": "hello from the lab\n",
        },
        {"check_id": "fails", "passed": False, "exit_status": 1, "timed_out": False, "seconds": 0.01, "output": ""},
        {"check_id": "slow", "passed": False, "exit_status": None, "timed_out": True, "seconds": 1.0, "output": ""},
    ]
    body = {"run_at": utcnow().isoformat(), "host": "lab-vm-3", "results": results}
    body.update(changes)
    return body


def evidence(**changes):
    body = {"evidence": "I did the lab.", "request_key": "a" * 32, "checks": report()}
    body.update(changes)
    return body


def stored(people, model=LabAttempt):
    with people.session() as s:
        return s.exec(select(model)).all()


def test_the_api_hands_out_the_labs_checks_as_the_curriculum_declares_them(client, token_for):
    response = call(client, token_for("trainee"), "get", f"/labs/{LAB}/checks")
    assert response.status_code == 200
    body = response.get_json()
    assert [c["id"] for c in body["checks"]] == ["greets", "fails", "slow"]
    assert body["checks"][0] == {
        "id": "greets",
        "name": "The machine greets",
        "run": "echo hello from the lab",
        "timeout_seconds": 5,
        "expect": {"exit_status": 0, "output_matches": "hello", "output_not_matches": None},
        "hint": "Say hello first.",
    }
    assert call(client, token_for("trainee"), "get", "/labs/no-such-lab/checks").status_code == 404


def test_my_labs_lists_the_plans_labs_with_whether_each_can_be_submitted_now(client, token_for):
    response = call(client, token_for("trainee"), "get", "/me/labs")
    items = {i["lab_id"]: i for i in response.get_json()["items"]}
    assert items[LAB] == {
        "lab_id": LAB,
        "title": "Check demo lab",
        "module_id": "check-demo",
        "module_title": "Module check-demo",
        "status": "not_started",
        "open": True,
        "checks": 3,
        "waiting_attempt_id": None,
    }
    assert items["plain-lab"]["checks"] == 0
    assert items["later-lab"]["open"] is False  # locked behind plain

    submitted = call(client, token_for("trainee"), "post", f"/labs/{LAB}/attempts", json=evidence()).get_json()
    waiting = {i["lab_id"]: i for i in call(client, token_for("trainee"), "get", "/me/labs").get_json()["items"]}
    assert (waiting[LAB]["status"], waiting[LAB]["open"]) == ("submitted", False)
    assert waiting[LAB]["waiting_attempt_id"] == submitted["id"]  # what withdrawLabAttempt takes


def test_an_attempt_carries_the_check_results_under_the_curriculums_names(client, token_for, people):
    response = call(client, token_for("trainee"), "post", f"/labs/{LAB}/attempts", json=evidence())
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["checks_passed"], response.get_json()["checks_total"]) == (1, 3)
    (attempt,) = stored(people)
    assert (attempt.checks_passed, attempt.checks_total, attempt.checks_host) == (1, 3, "lab-vm-3")
    results = sorted(stored(people, CheckResult), key=lambda r: r.position)
    assert [(r.check_id, r.name, r.passed, r.timed_out) for r in results] == [
        ("greets", "The machine greets", True, False),
        ("fails", "A file that is not there", False, False),
        ("slow", "A command that takes too long", False, True),
    ]


def test_a_resent_submission_stores_one_attempt_and_one_set_of_results(client, token_for, people):
    token = token_for("trainee")
    first = call(client, token, "post", f"/labs/{LAB}/attempts", json=evidence())
    again = call(client, token, "post", f"/labs/{LAB}/attempts", json=evidence())
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert len(stored(people)) == 1
    assert len(stored(people, CheckResult)) == 3


def test_unreported_checks_count_as_not_passed_and_long_output_keeps_its_end(client, token_for, people):
    results = [{"check_id": "greets", "passed": True, "exit_status": 0, "seconds": 0.1, "output": "x" * 9000 + "END"}]
    response = call(
        client, token_for("trainee"), "post", f"/labs/{LAB}/attempts", json=evidence(checks=report(results=results))
    )
    assert response.status_code == 201
    assert (response.get_json()["checks_passed"], response.get_json()["checks_total"]) == (1, 3)
    (result,) = stored(people, CheckResult)
    assert len(result.output) == 4000 and result.output.endswith("END")


@pytest.mark.parametrize(
    "checks, message",
    [
        (report(results=[{"check_id": "rm-rf", "passed": True, "seconds": 0}]), "has no check rm-rf"),
        (report(results=[{"check_id": "greets", "passed": True, "seconds": 0}] * 2), "more than once"),
        (report(results=[{"check_id": "slow", "passed": True, "timed_out": True, "seconds": 1}]), "timed out"),
        (report(run_at=(utcnow() + timedelta(hours=2)).isoformat()), "in the future"),
        (report(host="\u0007bell"), "printable"),
    ],
)
def test_results_that_do_not_fit_the_lab_are_refused_and_nothing_is_stored(client, token_for, people, checks, message):
    response = call(client, token_for("trainee"), "post", f"/labs/{LAB}/attempts", json=evidence(checks=checks))
    assert response.status_code == 422
    assert message in response.get_json()["detail"]
    assert stored(people) == [] and stored(people, CheckResult) == []


def test_results_for_a_lab_without_checks_are_refused(client, token_for, people):
    response = call(client, token_for("trainee"), "post", "/labs/plain-lab/attempts", json=evidence())
    assert response.status_code == 422
    assert "has no checks" in response.get_json()["detail"]
    assert stored(people) == []


def test_checks_cannot_be_submitted_for_a_locked_lab(client, token_for, people):
    later = report(results=[{"check_id": "later", "passed": True, "seconds": 0}])
    response = call(client, token_for("trainee"), "post", "/labs/later-lab/attempts", json=evidence(checks=later))
    assert response.status_code == 409
    assert stored(people) == []


def test_files_travel_as_base64_and_bad_base64_is_refused(client, token_for, people):
    token = token_for("trainee")
    bad = call(
        client,
        token,
        "post",
        f"/labs/{LAB}/attempts",
        json=evidence(files=[{"name": "out.txt", "content_base64": "not base64!"}]),
    )
    assert bad.status_code == 422 and "base64" in bad.get_json()["detail"]
    assert stored(people) == []
    good = call(
        client,
        token,
        "post",
        f"/labs/{LAB}/attempts",
        json=evidence(files=[{"name": "out.txt", "content_base64": base64.b64encode(b"ss -ltn\n").decode()}]),
    )
    assert good.status_code == 201
    (file,) = stored(people, Attachment)
    assert (file.original_name, file.data) == ("out.txt", b"ss -ltn\n")


def test_a_lab_token_reaches_only_what_academy_lab_needs(client, token_for):
    token = token_for("trainee")
    for path in ("/me", "/me/labs", f"/labs/{LAB}/checks", "/catalogue/modules", "/me/progress"):
        assert call(client, token, "get", path).status_code == 200, path
    mentor_lab_token = token_for("mentor")
    for path in ("/reviews", "/cohorts"):
        refused = call(client, mentor_lab_token, "get", path)
        assert refused.status_code == 403 and "lab checks and submissions only" in refused.get_json()["detail"]
    read_only = call(client, token_for("trainee", "read"), "post", f"/labs/{LAB}/attempts", json=evidence())
    assert read_only.status_code == 403


def test_an_expired_or_revoked_lab_token_is_refused_with_the_reason(client, token_for, app, people, academy):
    from academy.api.tokens import revoke_all
    from academy.models import ApiToken, User

    expired = token_for("trainee")
    with people.session() as s:
        for row in s.exec(select(ApiToken)).all():
            row.expires_at = utcnow() - timedelta(minutes=1)
            s.add(row)
        s.commit()
    assert "expired" in call(client, expired, "get", "/me/labs").get_json()["detail"]
    revoked = token_for("trainee")
    with app.test_request_context(), people.session() as s:
        revoke_all(s, s.get(User, academy.trainee.id), reason="test")
        s.commit()
    answer = call(client, revoked, "get", "/me/labs")
    assert answer.status_code == 401 and "revoked" in answer.get_json()["detail"]


def test_the_mentor_sees_the_results_as_text_with_a_plain_warning_and_can_filter_the_queue(
    client, token_for, people, academy, as_role
):
    hostile = report()
    hostile["results"][1]["output"] = "<script>alert(1)</script>"
    call(client, token_for("trainee"), "post", f"/labs/{LAB}/attempts", json=evidence(checks=hostile))
    call(
        client,
        token_for("trainee2"),
        "post",
        f"/labs/{LAB}/attempts",
        json=evidence(request_key="b" * 32, checks=None, evidence="No checks, just words."),
    )
    mentor = as_role("mentor")
    (attempt, _) = sorted(stored(people), key=lambda a: a.id)
    page = mentor.get(f"/reviews/{attempt.id}").get_data(as_text=True)
    assert "Checks: 1 of 3 passed" in page
    assert "lab-vm-3" in page and "reported by the trainee's own machine" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "✗ timed out" in page
    queue = mentor.get("/reviews").get_data(as_text=True)
    assert "✗ 1 of 3 passed" in queue and "not sent" in queue
    # only attempts with every check passed: none here, so the filtered queue says nothing matches
    assert "Nothing matches these filters" in mentor.get("/reviews?checks=passed").get_data(as_text=True)


def test_the_queue_filtered_by_all_checks_passed_keeps_only_those(client, token_for, as_role):
    passing = report()
    for result in passing["results"]:
        result.update(passed=True, exit_status=0, timed_out=False)
    call(client, token_for("trainee"), "post", f"/labs/{LAB}/attempts", json=evidence(checks=passing))
    call(client, token_for("trainee2"), "post", f"/labs/{LAB}/attempts", json=evidence(request_key="b" * 32))
    queue = as_role("mentor").get("/reviews?checks=passed").get_data(as_text=True)
    assert "✓ 3 of 3 passed" in queue and "1 of 3 passed" not in queue
    api = call(client, token_for("mentor", "read"), "get", "/reviews?checks_passed=true").get_json()
    assert [i["checks_passed"] for i in api["items"]] == [3]


def test_a_persons_data_export_holds_their_check_results(client, token_for, app):
    call(client, token_for("trainee"), "post", f"/labs/{LAB}/attempts", json=evidence())
    result = app.test_cli_runner().invoke(args=["academy", "export-user", "trainee@example.com"])
    assert result.exit_code == 0, result.output
    data = __import__("json").loads(result.output)
    assert sorted(r["check_id"] for r in data["lab_check_results"]) == ["fails", "greets", "slow"]
    assert data["lab_attempts"][0]["checks_host"] == "lab-vm-3"


def test_a_module_page_lists_its_labs_checks_and_the_tool_page_says_how_to_run_them(as_role):
    trainee = as_role("trainee")
    module = trainee.get("/modules/check-demo").get_data(as_text=True)
    assert "3 checks you can run on your lab machine" in module
    assert "academy-lab check check-demo-lab" in module and "The machine greets" in module
    assert "checks you can run" not in trainee.get("/modules/plain").get_data(as_text=True)
    tool = trainee.get("/lab-tool").get_data(as_text=True)
    assert "pipx install http://localhost/downloads/academy-lab.tar.gz" in tool
    assert "academy-lab login http://localhost" in tool


def test_the_tool_downloads_without_signing_in_as_the_same_bytes_each_time(client):
    import io
    import tarfile

    first, second = client.get("/downloads/academy-lab.tar.gz"), client.get("/downloads/academy-lab.tar.gz")
    assert first.status_code == 200 and first.mimetype == "application/gzip"
    assert first.data == second.data
    with tarfile.open(fileobj=io.BytesIO(first.data)) as archive:
        names = archive.getnames()
    assert "academy-lab/pyproject.toml" in names and "academy-lab/academy_lab/cli.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]

