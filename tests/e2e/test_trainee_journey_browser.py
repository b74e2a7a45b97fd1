"""A trainee's day: open the next module, read it, pass its knowledge check, submit lab evidence."""

from playwright.sync_api import expect

from academy.curriculum.store import catalogue
from tests.e2e.conftest import sign_in_as, visit


def test_trainee_reads_passes_the_check_and_submits_a_lab(app, live_server, page, people, tmp_path):
    trainee = people.user("tess@example.com", "trainee", name="Tess Trainee")
    mentor = people.user("marco@example.com", "mentor", name="Marco Mentor")
    people.cohort("Dublin 2027", trainees=[trainee], mentors=[mentor])
    with app.app_context():
        module = catalogue().get("lab-environment")  # the first module of Foundations: setting up the lab machine
        lab = module.labs[0]

    sign_in_as(page, live_server, "tess@example.com")
    expect(page.get_by_role("heading", name="Your learning path", level=1)).to_be_visible()
    visit(page, page.url)
    page.get_by_role("region", name="Next up").get_by_role("link", name=module.title).click()
    expect(page.get_by_role("heading", name=module.title, level=1)).to_be_visible()
    visit(page, page.url, screenshot="trainee-module")

    page.locator("#progress").get_by_role("button", name="Mark as read").click()
    expect(page.get_by_text("Marked as read.")).to_be_visible()
    expect(page.locator("#progress").get_by_role("button", name="Undo “read”")).to_be_visible()

    quiz = page.locator("#knowledge-check")
    for question in module.quiz.questions:
        for key in question.answer:
            quiz.locator(f'input[name="q-{question.id}"][value="{key}"]').check()
    quiz.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("Passed", exact=True)).to_be_visible()
    visit(page, page.url, screenshot="quiz-result")
    page.get_by_role("link", name="Back to the module").click()

    log = tmp_path / "uptime.log"
    log.write_text("$ uptime\n 10:02:11 up 3 days,  2:14,  1 user,  load average: 0.08, 0.03, 0.01\n")
    section = page.locator(f"#lab-{lab.id}")
    section.get_by_label("Evidence").fill("I ran every step. The exit code of the failing command was **1**.")
    section.get_by_label("Links (optional, one per line)").fill("https://git.example.com/tess/labs/-/merge_requests/1")
    section.get_by_label("Attachments (optional)").set_input_files(str(log))
    section.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text(f"Submitted for review: {lab.title} (attempt 1).")).to_be_visible()
    expect(page.locator(f"#lab-{lab.id}").get_by_role("link", name="uptime.log")).to_be_visible()
    visit(page, page.url, screenshot="lab-submitted")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Learning path").click()
    waiting = page.get_by_role("region", name="Waiting for a mentor")
    expect(waiting.get_by_role("link", name=lab.title)).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=module.title, exact=True))
    expect(row.get_by_text("Submitted")).to_be_visible()
    visit(page, page.url, screenshot="path-after-submit")
    page.goto(f"{live_server}/modules/{module.id}")
    expect(page.locator(f"#lab-{lab.id} h2").get_by_text("Submitted")).to_be_visible()
