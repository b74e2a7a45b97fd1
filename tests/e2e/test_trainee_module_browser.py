"""The module page as a trainee works through it: the knowledge check on a phone and on a desktop."""

import pytest
from playwright.sync_api import expect

from academy.curriculum.store import catalogue
from tests.e2e.conftest import sign_in_as, visit

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=WIDTHS, ids=list(WIDTHS))
def screen(request, browser):
    context = browser.new_context(viewport=WIDTHS[request.param], is_mobile=request.param == "phone")
    yield context.new_page()
    context.close()


def test_a_failed_check_shows_lettered_choices_and_which_were_wrong_not_the_answers(app, live_server, screen, people):
    people.user("tess@example.com", "trainee", name="Tess Trainee")
    with app.app_context():
        module = catalogue().get("linux-shell")
    sign_in_as(screen, live_server, "tess@example.com")
    visit(screen, f"{live_server}/modules/{module.id}", screenshot="module")

    quiz = screen.locator("#knowledge-check")
    for choice in quiz.locator("label.choice").all():  # text, letter and code flow as one line of text
        assert choice.evaluate("e => getComputedStyle(e).display") not in ("flex", "inline-flex", "grid")
    first = module.quiz.questions[0]
    expect(quiz.locator("fieldset").first.get_by_text(f"({next(iter(first.choices))})", exact=True)).to_be_visible()
    for question in module.quiz.questions:
        wrong = next(key for key in question.choices if key not in question.answer)
        quiz.locator(f'input[name="q-{question.id}"][value="{wrong}"]').check()
    quiz.get_by_role("button", name="Submit answers").click()

    expect(screen.get_by_text("Not passed", exact=True)).to_be_visible()
    expect(screen.get_by_text("correct answer")).to_have_count(0)
    expect(screen.get_by_text("once you pass, or after 3 attempts")).to_be_visible()
    visit(screen, screen.url, screenshot="quiz-failed")
