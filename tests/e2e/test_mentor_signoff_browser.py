"""Sign-off in two rounds: changes requested, then approved, each side seeing the other's work."""

from playwright.sync_api import expect

from academy.curriculum.store import catalogue
from tests.e2e.conftest import sign_in_as, visit


def submit_evidence(page, base_url, module_id, lab_id, text):
    page.goto(f"{base_url}/modules/{module_id}#lab-{lab_id}")
    section = page.locator(f"#lab-{lab_id}")
    section.get_by_label("Evidence").fill(text)
    section.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()


def test_mentor_requests_changes_then_approves(app, live_server, browser, people):
    trainee = people.user("tess@example.com", "trainee", name="Tess Trainee")
    mentor = people.user("marco@example.com", "mentor", name="Marco Mentor")
    people.cohort("Dublin 2027", trainees=[trainee], mentors=[mentor])
    with app.app_context():
        module = catalogue().get("linux-shell")
        lab = module.labs[0]
    tess = browser.new_context().new_page()
    marco = browser.new_context().new_page()

    sign_in_as(tess, live_server, "tess@example.com")
    submit_evidence(tess, live_server, module.id, lab.id, "First try: I ran the commands and it worked.")

    sign_in_as(marco, live_server, "marco@example.com")
    expect(marco.get_by_role("link", name="Review queue (1)")).to_be_visible()
    visit(marco, marco.url, screenshot="review-queue")
    marco.get_by_role("link", name=lab.title).click()
    expect(marco.get_by_role("heading", name=lab.title, level=1)).to_be_visible()
    marco.get_by_role("button", name="I'm reviewing this").click()
    expect(marco.get_by_text("It's yours for the next two hours.")).to_be_visible()
    visit(marco, marco.url, screenshot="review-page")
    marco.get_by_role("button", name="Request changes").click()  # no comment yet: refused, nothing stored
    expect(marco.get_by_text("a comment is needed to request changes")).to_be_visible()
    marco.get_by_label("Comment").fill("Please paste the **output** of each step, not only the commands.")
    marco.get_by_role("button", name="Request changes").click()
    expect(marco.get_by_text("is sent back with your comment")).to_be_visible()
    expect(marco.get_by_role("link", name="Review queue (0)")).to_be_visible()

    tess.goto(f"{live_server}/learn")
    expect(tess.get_by_role("link", name="Notifications 1 unread")).to_be_visible()
    returned = tess.get_by_role("region", name="Waiting for a mentor")
    expect(returned.get_by_text("Changes requested")).to_be_visible()
    expect(tess.get_by_role("region", name="Latest mentor feedback").get_by_text("output")).to_be_visible()
    visit(tess, tess.url, screenshot="trainee-changes-requested")
    tess.goto(f"{live_server}/modules/{module.id}#lab-{lab.id}")
    expect(tess.locator(f"#lab-{lab.id} h2").get_by_text("Changes requested")).to_be_visible()
    expect(tess.locator(f"#lab-{lab.id}").get_by_text("not only the commands")).to_be_visible()
    submit_evidence(tess, live_server, module.id, lab.id, "Second try, with output:\n\n```\n$ echo $?\n1\n```")

    marco.goto(f"{live_server}/reviews")
    marco.get_by_role("link", name=lab.title).click()
    expect(marco.get_by_text("Tess Trainee · attempt 2")).to_be_visible()
    for box in marco.get_by_role("group", name="Acceptance criteria met").get_by_role("checkbox").all():
        box.check()
    marco.get_by_label("Comment").fill("Clear and complete. Approved.")
    marco.get_by_role("button", name="Approve").click()
    expect(marco.get_by_text("is approved")).to_be_visible()

    tess.goto(f"{live_server}/learn")
    tess.goto(f"{live_server}/modules/{module.id}#lab-{lab.id}")
    expect(tess.locator(f"#lab-{lab.id} h2").get_by_text("Approved")).to_be_visible()
    visit(tess, tess.url, screenshot="trainee-approved")
