"""The module page as a trainee works through it: the knowledge check on a phone and on a desktop."""

import pytest
from playwright.sync_api import expect

from academy.curriculum.store import catalogue
from tests.e2e.conftest import SCREENSHOTS, assert_accessible, keep_screenshot, sign_in_as, visit

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def in_view(page, name: str) -> None:
    """What the person sees without scrolling, next to the whole-page screenshot."""
    page.screenshot(path=str(SCREENSHOTS / "trainee-module" / f"{page.viewport_size['width']}-{name}-viewport.png"))


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


def test_a_refused_lab_submission_opens_at_its_form_with_what_was_typed(app, live_server, screen, people, tmp_path):
    """The form sits thousands of pixels down the module: a refusal must be seen there, not at the page top."""
    trainee = people.user("tess@example.com", "trainee", name="Tess Trainee")
    people.cohort("Dublin 2027", trainees=[trainee], mentors=[people.user("marco@example.com", "mentor")])
    with app.app_context():
        module = catalogue().get("linux-shell")
        lab = module.labs[0]
    sign_in_as(screen, live_server, "tess@example.com")
    screen.goto(f"{live_server}/modules/{module.id}")
    log = tmp_path / "uptime.log"
    log.write_text("$ uptime\n 10:02:11 up 3 days\n")
    section = screen.locator(f"#lab-{lab.id}")
    section.get_by_label("Links (optional, one per line)").fill("https://git.example.com/tess/labs/-/merge_requests/1")
    section.get_by_label("Attachments (optional)").set_input_files(str(log))
    section.get_by_role("button", name="Submit for review").click()  # no evidence written: refused

    summary = screen.locator(f"#lab-{lab.id} [data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("Describe what you did")
    expect(summary).to_contain_text("Choose your files again (uptime.log)")
    expect(section.get_by_label("Links (optional, one per line)")).to_have_value(
        "https://git.example.com/tess/labs/-/merge_requests/1"
    )
    assert_accessible(screen)
    keep_screenshot(screen, "lab-refused")
    in_view(screen, "lab-refused")

    section.get_by_label("Evidence").fill("I ran every step; the exit code was **1**.")
    section.get_by_label("Attachments (optional)").set_input_files(str(log))
    section.get_by_role("button", name="Submit for review").click()
    notice = screen.locator(f"#lab-{lab.id}").get_by_text(f"Submitted for review: {lab.title} (attempt 1).")
    expect(notice).to_be_in_viewport()


def test_mark_as_read_sits_where_reading_ends_and_says_so_there(app, live_server, screen, people):
    people.user("tess@example.com", "trainee", name="Tess Trainee")
    with app.app_context():
        module = catalogue().get("linux-shell")
    sign_in_as(screen, live_server, "tess@example.com")
    screen.goto(f"{live_server}/modules/{module.id}")
    end = screen.locator("#read-end")
    assert end.evaluate("e => e.compareDocumentPosition(document.querySelector('.prose')) & 2")  # after the text

    end.get_by_role("button", name="Mark as read").click()

    expect(screen.locator("#read-end").get_by_text("Marked as read.")).to_be_in_viewport()
    expect(screen.locator("#read-end").get_by_role("button", name="Undo “read”")).to_be_visible()
    keep_screenshot(screen, "read-end")
    in_view(screen, "read-end")
