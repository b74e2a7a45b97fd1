"""Knowledge checks: graded on the server, passed at the curriculum's threshold, every attempt kept, one
result per form however often it is sent, and no answer in the page before the trainee submits."""

import math
import re
from html import unescape

import pytest
from sqlmodel import select

from academy.curriculum.store import catalogue
from academy.models import ModuleProgress, QuizAttempt
from tests.conftest import People, empty_tables, make_app, sign_in
from tests.curriculum_factory import module_text, write_curriculum
from tests.test_labs import fetch, new_key, page, stale_once


def quiz_module(app, *, prerequisites: bool = False):
    with app.app_context():
        return next(m for m in catalogue().ordered_modules() if m.quiz and bool(m.prerequisites) == prerequisites)


def right_answers(module) -> dict[str, list[str]]:
    return {q.id: list(q.answer) for q in module.quiz.questions}


def wrong_choice(question) -> str:
    return next(key for key in question.choices if key not in question.answer)


def answers_with(module, right: int) -> dict[str, list[str]]:
    """The first `right` questions answered right, the rest wrong."""
    return {q.id: list(q.answer) if i < right else [wrong_choice(q)] for i, q in enumerate(module.quiz.questions)}


def submit_quiz(client, module, answers: dict[str, list[str]], key: str | None = None, **extra):
    data = {f"q-{qid}": keys for qid, keys in answers.items()}
    data.update(request_key=key or new_key(), **extra)
    return client.post(f"/modules/{module.id}/quiz", data=data)


def quiz_attempts(app, trainee) -> list[QuizAttempt]:
    return fetch(app, select(QuizAttempt).where(QuizAttempt.trainee_id == trainee.id).order_by(QuizAttempt.id))


def visible_text(html: str) -> str:
    """What a reader sees: tags removed, entities decoded, white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# ------------------------------------------------------------------ grading


def test_all_right_passes_and_the_result_shows_the_score_and_every_explanation(app, as_role, academy):
    module = quiz_module(app)
    trainee = as_role("trainee")

    response = submit_quiz(trainee, module, right_answers(module))

    [attempt] = quiz_attempts(app, academy.trainee)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/quiz-attempts/{attempt.id}"
    total = len(module.quiz.questions)
    assert (attempt.correct, attempt.total, attempt.passed) == (total, total, True)
    assert (attempt.module_id, attempt.content_hash) == (module.id, module.content_hash)
    result = page(trainee, response.headers["Location"])
    assert f"{total} of {total} right (100%)" in result
    assert ">Passed</span>" in result
    text = visible_text(result)
    for question in module.questions:
        assert visible_text(str(question.explanation_html)) in text
    assert result.count(">correct answer</span>") == sum(len(q.answer) for q in module.quiz.questions)


def test_a_question_is_right_only_with_exactly_the_right_choices(app, as_role, academy):
    with app.app_context():
        module = next(
            m
            for m in catalogue().ordered_modules()
            if m.quiz and not m.prerequisites and any(q.multiple for q in m.quiz.questions)
        )
    multiple = next(q for q in module.quiz.questions if q.multiple)
    trainee = as_role("trainee")
    answers = right_answers(module)
    total = len(module.quiz.questions)

    for picked in (multiple.answer[:1], sorted(multiple.choices)):
        submit_quiz(trainee, module, {**answers, multiple.id: picked})
    invented = submit_quiz(trainee, module, {**answers, multiple.id: [*multiple.answer, "no-such-choice"]})
    assert invented.status_code == 422  # a choice the question does not offer is refused, not graded
    submit_quiz(trainee, module, {**answers, multiple.id: list(reversed(multiple.answer))})

    # too few, every choice: wrong; the right set in any order: right
    assert [a.correct for a in quiz_attempts(app, academy.trainee)] == [total - 1, total - 1, total]


def test_the_result_page_marks_which_answers_were_wrong(app, as_role, academy):
    module = quiz_module(app)
    trainee = as_role("trainee")
    first = module.quiz.questions[0]

    response = submit_quiz(trainee, module, answers_with(module, right=0))

    result = page(trainee, response.headers["Location"])
    assert "0 of" in result and ">Not passed</span>" in result
    assert result.count("✗ Not right") == len(module.quiz.questions)
    assert f'{module.questions[0].choices_html[wrong_choice(first)]} <span class="tag">your answer</span>' in result


def test_a_failed_result_says_which_were_wrong_without_giving_the_answers_away(app, as_role, academy):
    """Until the trainee passes, or has tried three times, "Try again" must not be copying the answers."""
    module = quiz_module(app)
    trainee = as_role("trainee")

    for attempt_number in (1, 2):
        result = page(trainee, submit_quiz(trainee, module, answers_with(module, right=1)).headers["Location"])
        assert "correct answer" not in result and result.count("✗ Not right") == len(module.quiz.questions) - 1
        assert "once you pass, or after 3 attempts" in visible_text(result)
        text = visible_text(result)
        assert not any(visible_text(str(q.explanation_html)) in text for q in module.questions), attempt_number

    third = page(trainee, submit_quiz(trainee, module, answers_with(module, right=1)).headers["Location"])
    assert third.count(">correct answer</span>") == sum(len(q.answer) for q in module.quiz.questions)
    assert visible_text(str(module.questions[0].explanation_html)) in visible_text(third)


def test_a_failed_result_shows_the_answers_once_the_check_is_passed(app, as_role, academy):
    module = quiz_module(app)
    trainee = as_role("trainee")
    failed = submit_quiz(trainee, module, answers_with(module, right=0)).headers["Location"]
    assert "correct answer" not in page(trainee, failed)

    submit_quiz(trainee, module, right_answers(module))

    assert ">correct answer</span>" in page(trainee, failed)


def test_choices_carry_the_letters_explanations_refer_to_and_say_choose_all_once(app, as_role):
    trainee = as_role("trainee")
    with app.app_context():
        modules = [m for m in catalogue().ordered_modules() if m.quiz and not m.prerequisites]
    module = next((m for m in modules if any(q.multiple for q in m.quiz.questions)), modules[0])
    text = visible_text(page(trainee, f"/modules/{module.id}"))
    for question in module.questions:
        for key, choice in question.choices_html.items():
            assert f"({key}) {visible_text(str(choice))}" in text
    assert text.lower().count("all that apply") == sum(q.multiple for q in module.quiz.questions)


def test_what_the_client_says_about_its_score_is_ignored(app, as_role, academy):
    module = quiz_module(app)
    response = submit_quiz(
        as_role("trainee"), module, answers_with(module, right=0), correct="6", total="6", passed="1", score="100"
    )

    assert response.status_code == 302
    [attempt] = quiz_attempts(app, academy.trainee)
    assert (attempt.correct, attempt.passed) == (0, False)


# ------------------------------------------------------------------ thresholds


def test_passing_needs_the_curriculum_threshold_and_one_answer_fewer_fails(app, as_role, academy):
    module = quiz_module(app)
    total = len(module.quiz.questions)
    needed = math.ceil(module.quiz.pass_threshold * total - 1e-9)
    trainee = as_role("trainee")

    submit_quiz(trainee, module, answers_with(module, right=needed - 1))
    submit_quiz(trainee, module, answers_with(module, right=needed))

    assert [(a.correct, a.passed) for a in quiz_attempts(app, academy.trainee)] == [
        (needed - 1, False),
        (needed, True),
    ]


QUESTION = """\
    - id: q{n}
      prompt: Question {n}?
      choices: {{a: Right, b: Wrong}}
      answer: a
      explanation: Because of reason {n}.
"""


def quiz_extra(questions: int, threshold: float | None) -> str:
    head = "quiz:\n" + (f"  pass_threshold: {threshold}\n" if threshold is not None else "")
    return head + "  questions:\n" + "".join(QUESTION.format(n=n) for n in range(1, questions + 1))


@pytest.fixture
def threshold_academy(migrated, tmp_path):
    """A curriculum with a knowledge check at the default threshold (5 questions) and one at 50% (4 questions)."""
    root = write_curriculum(
        tmp_path,
        {
            "01-default.md": module_text("default-threshold", extra=quiz_extra(5, None)),
            "02-half.md": module_text("half-threshold", order=2, extra=quiz_extra(4, 0.5)),
        },
    )
    app = make_app(migrated, CURRICULUM_DIR=str(root))
    empty_tables(app.extensions["academy.engine"])
    people = People(app)
    trainee = people.user("learner@example.com", "trainee")
    people.cohort("Threshold cohort", trainees=[trainee])
    client = app.test_client()
    sign_in(client, trainee.email)
    yield app, client, trainee
    app.extensions["academy.engine"].dispose()


def test_the_default_threshold_is_80_percent(threshold_academy):
    app, client, trainee = threshold_academy
    with app.app_context():
        module = catalogue().get("default-threshold")
    assert module.quiz.pass_threshold == 0.8

    submit_quiz(client, module, answers_with(module, right=3))
    submit_quiz(client, module, answers_with(module, right=4))

    assert [(a.correct, a.passed) for a in quiz_attempts(app, trainee)] == [(3, False), (4, True)]


def test_a_threshold_set_in_the_curriculum_is_used(threshold_academy):
    app, client, trainee = threshold_academy
    with app.app_context():
        module = catalogue().get("half-threshold")

    first = submit_quiz(client, module, answers_with(module, right=1))
    submit_quiz(client, module, answers_with(module, right=2))

    assert [(a.correct, a.passed) for a in quiz_attempts(app, trainee)] == [(1, False), (2, True)]
    assert "50% is needed" in page(client, first.headers["Location"])
    assert "50% to pass" in page(client, f"/modules/{module.id}")


# ------------------------------------------------------------------ refusals


def test_every_question_must_be_answered(app, as_role, academy):
    module = quiz_module(app)
    answers = right_answers(module)
    del answers[module.quiz.questions[-1].id]

    response = submit_quiz(as_role("trainee"), module, answers)

    assert response.status_code == 422
    assert "Answer every question before submitting (1 left)." in response.get_data(as_text=True)
    # what was chosen stays chosen
    first = module.quiz.questions[0]
    assert f'name="q-{first.id}" value="{first.answer[0]}" checked' in response.get_data(as_text=True)
    assert quiz_attempts(app, academy.trainee) == []


@pytest.mark.parametrize("key", ["", "short", "G" * 32, "../" + "a" * 29])
def test_a_missing_or_malformed_request_key_is_refused(app, as_role, academy, key):
    module = quiz_module(app)
    response = as_role("trainee").post(
        f"/modules/{module.id}/quiz",
        data={**{f"q-{q}": a for q, a in right_answers(module).items()}, "request_key": key},
    )
    assert response.status_code == 422
    assert "reload the page" in response.get_data(as_text=True)
    assert quiz_attempts(app, academy.trainee) == []


def test_a_knowledge_check_behind_missing_prerequisites_is_refused(app, as_role, academy):
    module = quiz_module(app, prerequisites=True)
    with app.app_context():
        missing = [catalogue().get(p).title for p in module.prerequisites]
    trainee = as_role("trainee")

    response = submit_quiz(trainee, module, right_answers(module))

    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Finish these first to unlock the knowledge check and labs" in body  # the page says why
    assert all(title in body for title in missing)
    assert quiz_attempts(app, academy.trainee) == []
    html = page(trainee, f"/modules/{module.id}")
    assert f'action="/modules/{module.id}/quiz"' not in html


def test_only_trainees_submit_knowledge_checks(app, as_role, academy):
    module = quiz_module(app)
    assert submit_quiz(as_role("mentor"), module, right_answers(module)).status_code == 403
    assert fetch(app, select(QuizAttempt)) == []


# ------------------------------------------------------------------ attempts kept, results stored once


def test_every_attempt_is_kept(app, as_role, academy):
    module = quiz_module(app)
    trainee = as_role("trainee")

    submit_quiz(trainee, module, answers_with(module, right=0))
    submit_quiz(trainee, module, right_answers(module))
    submit_quiz(trainee, module, answers_with(module, right=1))

    assert [a.passed for a in quiz_attempts(app, academy.trainee)] == [False, True, False]
    html = page(trainee, f"/modules/{module.id}")
    assert "(3 attempts so far)" in html
    assert "Knowledge check passed" in html  # one pass is enough, whatever came after


def test_the_same_form_sent_twice_stores_one_result(app, as_role, academy):
    module = quiz_module(app)
    trainee = as_role("trainee")
    key = new_key()

    first = submit_quiz(trainee, module, right_answers(module), key=key)
    second = submit_quiz(trainee, module, answers_with(module, right=0), key=key)

    [attempt] = quiz_attempts(app, academy.trainee)
    assert first.headers["Location"] == second.headers["Location"] == f"/quiz-attempts/{attempt.id}"
    assert attempt.passed  # the first answer stands


def test_a_double_click_that_races_the_first_request_stores_one_result(app, as_role, academy, monkeypatch):
    """The second request read before the first committed: the unique request key stops its insert and it
    answers with the first result."""
    from academy.learning import services

    module = quiz_module(app)
    trainee = as_role("trainee")
    key = new_key()
    first = submit_quiz(trainee, module, right_answers(module), key=key)
    stale_once(monkeypatch, services, "by_request_key", None)

    second = submit_quiz(trainee, module, right_answers(module), key=key)

    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert len(quiz_attempts(app, academy.trainee)) == 1


def test_a_passed_check_records_the_module_as_opened(app, as_role, academy):
    module = quiz_module(app)
    submit_quiz(as_role("trainee"), module, right_answers(module))
    [progress] = fetch(app, select(ModuleProgress).where(ModuleProgress.trainee_id == academy.trainee.id))
    assert progress.module_id == module.id and progress.completed_at is None  # not read yet


# ------------------------------------------------------------------ no answers before submitting


def test_the_module_page_holds_no_answer_before_submission(app, as_role):
    module = quiz_module(app)
    html = page(as_role("trainee"), f"/modules/{module.id}")

    assert f'action="/modules/{module.id}/quiz"' in html  # the knowledge check is on the page
    assert "correct answer" not in html.lower()
    assert not re.search(r"data-(answer|correct)", html)
    text = visible_text(html)
    for question in module.questions:
        assert visible_text(str(question.prompt_html)) in text
        assert visible_text(str(question.explanation_html)) not in text
        for key in question.choices_html:  # every choice looks the same: no attribute singles out the answer
            tag = re.search(rf'<input [^>]*name="q-{re.escape(question.spec.id)}" value="{key}"[^>]*>', html)
            assert tag and "checked" not in tag.group(0)


# ------------------------------------------------------------------ who sees a result


@pytest.mark.parametrize(
    ("who", "status"),
    [("trainee", 200), ("mentor", 200), ("manager", 200), ("trainee2", 403), ("outsider", 403), ("other_manager", 403)],
)
def test_a_result_is_seen_by_the_trainee_and_their_staff_only(app, as_role, academy, who, status):
    module = quiz_module(app)
    location = submit_quiz(as_role("trainee"), module, right_answers(module)).headers["Location"]

    response = as_role(who).get(location)

    assert response.status_code == status
    explanation = visible_text(str(module.questions[0].explanation_html))
    assert (explanation in visible_text(response.get_data(as_text=True))) == (status == 200)


def test_an_unknown_result_is_a_404(as_role):
    assert as_role("trainee").get("/quiz-attempts/999999").status_code == 404
