"""What a trainee's script does besides submitting lab evidence, through the same services as the pages: withdraw a
waiting submission, mark a module read, take a knowledge check. Each refusal is a JSON error that changes nothing."""

from datetime import timedelta

import pytest
from sqlmodel import select

from academy.models import LabAttempt, ModuleProgress, QuizAttempt, User, utcnow

LAB, MODULE = "linux-shell-lab", "linux-shell"
LOCKED_MODULE = "files-permissions"  # needs linux-shell first


@pytest.fixture
def token_for(app, people, academy):
    """token_for("trainee", "lab") -> a fresh API token of that person of the small academy, of that scope."""
    from academy.api.tokens import create_token

    def make(who: str, scope: str = "write") -> str:
        with app.test_request_context(), people.session() as s:
            token, _ = create_token(s, user=s.get(User, getattr(academy, who).id), name=f"{who} {scope}", scope=scope)
            s.commit()
        return token

    return make


@pytest.fixture
def api(client, token_for):
    def call(who: str, method: str, path: str, *, scope: str = "write", **kwargs):
        headers = {"Authorization": f"Bearer {token_for(who, scope)}"}
        return getattr(client, method)(f"/api/v1{path}", headers=headers, **kwargs)

    return call


def rows(people, model) -> list:
    with people.session() as s:
        return list(s.exec(select(model)).all())


def questions(app, module_id: str = MODULE):
    from academy.curriculum.store import catalogue

    with app.app_context():
        return catalogue().get(module_id).quiz.questions


def right_answers(app, module_id: str = MODULE) -> dict[str, list[str]]:
    return {q.id: list(q.answer) for q in questions(app, module_id)}


def wrong_answers(app) -> dict[str, list[str]]:
    return {q.id: [next(c for c in q.choices if c not in q.answer)] for q in questions(app)}


# ------------------------------------------------------------------ withdrawing a submission


def submitted(api, who: str = "trainee", key: str = "a" * 32) -> dict:
    response = api(who, "post", f"/labs/{LAB}/attempts", json={"evidence": "Ran it all.", "request_key": key})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_trainee_withdraws_their_waiting_submission_and_submits_again(api, people):
    first = submitted(api)
    withdrawn = api("trainee", "post", f"/attempts/{first['id']}/withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.get_json() | {"submitted_at": None} == first | {"status": "withdrawn", "submitted_at": None}
    (lab,) = [i for i in api("trainee", "get", "/me/labs?per_page=100").get_json()["items"] if i["lab_id"] == LAB]
    assert (lab["status"], lab["open"]) == ("not_started", True)
    again = submitted(api, key="b" * 32)
    assert (again["number"], again["status"]) == (2, "submitted")
    assert [(a.number, a.status) for a in rows(people, LabAttempt)] == [(1, "withdrawn"), (2, "submitted")]


def test_the_conflict_of_a_second_submission_names_the_withdraw_operation(api):
    first = submitted(api)
    busy = api("trainee", "post", f"/labs/{LAB}/attempts", json={"evidence": "Better evidence."})
    assert busy.status_code == 409
    assert busy.get_json()["detail"] == (
        f"This lab is waiting for a mentor already (attempt {first['id']}). Withdraw that submission to change it: "
        f"POST /api/v1/attempts/{first['id']}/withdraw (withdrawLabAttempt)."
    )


def test_a_decided_or_withdrawn_submission_cannot_be_withdrawn(api, people, academy):
    decided = people.decided_attempt(academy.trainee, academy.mentor, "changes_requested", comment="More output.")
    refused = api("trainee", "post", f"/attempts/{decided.id}/withdraw")
    assert refused.status_code == 409
    assert refused.get_json() == {
        "error": "Conflict",
        "detail": "Only a submission still waiting for review can be withdrawn.",
    }
    waiting = submitted(api)
    assert api("trainee", "post", f"/attempts/{waiting['id']}/withdraw").status_code == 200
    twice = api("trainee", "post", f"/attempts/{waiting['id']}/withdraw")
    assert twice.status_code == 409
    assert sorted(a.status for a in rows(people, LabAttempt)) == ["changes_requested", "withdrawn"]


def test_a_submission_a_mentor_started_reviewing_stays(api, people, academy):
    waiting = submitted(api)
    with people.session() as s:
        attempt = s.get(LabAttempt, waiting["id"])
        attempt.claimed_by, attempt.claimed_at = academy.mentor.id, utcnow() - timedelta(minutes=5)
        s.add(attempt)
        s.commit()
    refused = api("trainee", "post", f"/attempts/{waiting['id']}/withdraw")
    assert refused.status_code == 409 and "started reviewing" in refused.get_json()["detail"]
    assert [a.status for a in rows(people, LabAttempt)] == ["submitted"]


def test_another_trainees_or_an_unknown_submission_is_not_found_and_stays(api, people):
    theirs = submitted(api, "trainee2")
    for attempt_id in (theirs["id"], 999_999):
        refused = api("trainee", "post", f"/attempts/{attempt_id}/withdraw")
        assert refused.status_code == 404
        assert refused.get_json() == {"error": "Page not found", "detail": "There is no such submission of yours."}
    mentor = api("mentor", "post", f"/attempts/{theirs['id']}/withdraw")
    assert mentor.status_code == 403 and mentor.get_json()["detail"] == "Only trainees withdraw lab evidence."
    assert [(a.status, a.withdrawn_at) for a in rows(people, LabAttempt)] == [("submitted", None)]


def test_a_lab_token_may_withdraw_and_a_read_only_token_may_not(api, people):
    first = submitted(api)
    read_only = api("trainee", "post", f"/attempts/{first['id']}/withdraw", scope="read")
    assert read_only.status_code == 403 and [a.status for a in rows(people, LabAttempt)] == ["submitted"]
    assert api("trainee", "post", f"/attempts/{first['id']}/withdraw", scope="lab").status_code == 200


# ------------------------------------------------------------------ marking a module read


def test_marking_a_module_read_is_what_the_page_does_and_idempotent(api, people, as_role):
    first = api("trainee", "post", f"/me/modules/{MODULE}/read")
    assert first.status_code == 200
    body = first.get_json()
    assert (body["module_id"], body["status"], body["completed_at"]) == (MODULE, "in_progress", None)
    again = api("trainee", "post", f"/me/modules/{MODULE}/read")
    assert again.status_code == 200 and again.get_json() == body  # read_at stays the first time's
    (row,) = rows(people, ModuleProgress)
    assert (row.module_id, row.read_at is not None) == (MODULE, True)
    progress = api("trainee", "get", "/me/progress?per_page=100").get_json()["items"]
    (shell,) = [p for p in progress if p["module_id"] == MODULE]
    assert (shell["read_at"], shell["status"]) == (body["read_at"], "in_progress")
    page = as_role("trainee").get(f"/modules/{MODULE}").get_data(as_text=True)
    assert "In progress" in page  # the pages keep their words


def test_marking_read_is_refused_to_other_roles_unknown_modules_and_lab_tokens(api, people):
    assert api("trainee", "post", "/me/modules/no-such-module/read").status_code == 404
    mentor = api("mentor", "post", f"/me/modules/{MODULE}/read")
    assert mentor.status_code == 403 and mentor.get_json()["detail"] == "Only trainees mark modules read."
    assert api("trainee", "post", f"/me/modules/{MODULE}/read", scope="lab").status_code == 403
    assert api("trainee", "post", f"/me/modules/{MODULE}/read", scope="read").status_code == 403
    assert rows(people, ModuleProgress) == []


# ------------------------------------------------------------------ knowledge checks


def test_the_knowledge_check_is_handed_out_without_its_answers(app, api):
    response = api("trainee", "get", f"/modules/{MODULE}/knowledge-check")
    assert response.status_code == 200
    body = response.get_json()
    spec = questions(app)
    with app.app_context():
        from academy.curriculum.store import catalogue

        assert body["module_id"] == MODULE and body["pass_threshold"] == catalogue().get(MODULE).quiz.pass_threshold
    assert [q["id"] for q in body["questions"]] == [q.id for q in spec]
    assert body["questions"][0] == {
        "id": spec[0].id,
        "prompt": spec[0].prompt,
        "choices": dict(spec[0].choices),
        "multiple": spec[0].multiple,
    }
    assert any(q["multiple"] for q in body["questions"])
    assert not any(q.explanation in response.get_data(as_text=True) for q in spec)
    assert api("trainee", "get", "/modules/no-such-module/knowledge-check").status_code == 404


def test_passing_the_knowledge_check_gives_the_answers_and_explanations(app, api, people):
    response = api("trainee", "post", f"/modules/{MODULE}/knowledge-check", json={"answers": right_answers(app)})
    assert response.status_code == 201
    body = response.get_json()
    spec = questions(app)
    assert (body["correct"], body["total"], body["score"], body["passed"]) == (len(spec), len(spec), 1.0, True)
    assert body["answers_revealed"] is True
    assert body["questions"][0] == {
        "question_id": spec[0].id,
        "right": True,
        "chosen": sorted(spec[0].answer),
        "answer": list(spec[0].answer),
        "explanation": spec[0].explanation,
    }
    (attempt,) = rows(people, QuizAttempt)
    assert (attempt.id, attempt.passed) == (body["attempt_id"], True)


def test_a_failed_check_says_only_which_questions_were_wrong_until_the_third_try(app, api):
    answers = wrong_answers(app) | {questions(app)[0].id: list(questions(app)[0].answer)}  # one right
    results = []
    for n in range(3):
        response = api("trainee", "post", f"/modules/{MODULE}/knowledge-check", json={"answers": answers})
        assert response.status_code == 201
        results.append(response.get_json())
    first, _, third = results
    assert (first["passed"], first["correct"], first["answers_revealed"]) == (False, 1, False)
    assert [q["right"] for q in first["questions"]] == [True] + [False] * (first["total"] - 1)
    assert all(q["answer"] is None and q["explanation"] is None for q in first["questions"])
    assert third["answers_revealed"] is True  # as the result page: after 3 tries the answers are shown anyway
    assert all(q["answer"] and q["explanation"] for q in third["questions"])


def test_the_same_request_key_stores_one_attempt(app, api, people):
    body = {"answers": right_answers(app), "request_key": "c" * 32}
    first = api("trainee", "post", f"/modules/{MODULE}/knowledge-check", json=body)
    again = api("trainee", "post", f"/modules/{MODULE}/knowledge-check", json=body)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert len(rows(people, QuizAttempt)) == 1
    elsewhere = api("trainee", "post", "/modules/networking/knowledge-check", json=body)
    assert elsewhere.status_code == 422 and "another module" in elsewhere.get_json()["detail"]
    assert len(rows(people, QuizAttempt)) == 1


def first_question(app):
    return questions(app)[0]


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda a, q: a | {"no-such-question": ["a"]}, "no such question"),
        (lambda a, q: a | {q.id: ["z"]}, "There is no choice z; choose among "),
        (lambda a, q: {k: v for k, v in a.items() if k != q.id}, "Answer this question."),
        (lambda a, q: a | {q.id: []}, "Answer this question."),
        (lambda a, q: a | {q.id: ["a", "b"]}, "one per question unless it says otherwise"),
        (lambda a, q: a | {q.id: ["b", "b"]}, "one per question unless it says otherwise"),
        (lambda a, q: {}, "Answer this question."),
    ],
    ids=["unknown question", "unknown choice", "missing", "empty", "two for one", "twice the same", "nothing"],
)
def test_bad_answers_are_a_422_with_a_clear_detail_and_store_nothing(app, api, people, change, detail):
    answers = change(right_answers(app), first_question(app))
    response = api("trainee", "post", f"/modules/{MODULE}/knowledge-check", json={"answers": answers})
    assert response.status_code == 422
    assert response.get_json()["error"] == "Invalid answers" and detail in str(response.get_json()["detail"])
    assert rows(people, QuizAttempt) == []


@pytest.mark.parametrize(
    "body",
    [
        {"answers": {"redirect-order": "b"}},
        {"answers": ["b"]},
        {"answers": {"redirect-order": ["b"]}, "extra": 1},
        {"answers": {"redirect-order": ["b"]}, "request_key": "short"},
        {},
    ],
)
def test_a_malformed_body_is_a_422_naming_the_field(api, people, body):
    response = api("trainee", "post", f"/modules/{MODULE}/knowledge-check", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"] == "Invalid request" and response.get_json()["detail"]
    assert rows(people, QuizAttempt) == []


def test_a_locked_module_or_another_role_or_a_lab_token_is_refused(app, api, people):
    locked = api(
        "trainee",
        "post",
        f"/modules/{LOCKED_MODULE}/knowledge-check",
        json={"answers": right_answers(app, LOCKED_MODULE)},
    )
    assert locked.status_code == 409 and "Finish these modules first" in locked.get_json()["detail"]
    body = {"answers": right_answers(app)}
    mentor = api("mentor", "post", f"/modules/{MODULE}/knowledge-check", json=body)
    assert mentor.status_code == 403 and mentor.get_json()["detail"] == "Only trainees take knowledge checks."
    assert api("trainee", "post", f"/modules/{MODULE}/knowledge-check", json=body, scope="lab").status_code == 403
    assert api("trainee", "post", "/modules/no-such-module/knowledge-check", json=body).status_code == 404
    assert rows(people, QuizAttempt) == []


def test_a_passed_check_and_an_approved_lab_complete_a_read_module(app, api, people, academy):
    api("trainee", "post", f"/me/modules/{MODULE}/read")
    api("trainee", "post", f"/modules/{MODULE}/knowledge-check", json={"answers": right_answers(app)})
    attempt = submitted(api)
    decided = api("mentor", "post", f"/reviews/{attempt['id']}/decision", json={"outcome": "approved"})
    assert decided.status_code == 201 and decided.get_json()["outcome"] == "approved"
    body = api("trainee", "post", f"/me/modules/{MODULE}/read").get_json()
    assert body["status"] == "done" and body["completed_at"] is not None
