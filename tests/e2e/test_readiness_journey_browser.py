"""Issue 15's journey: a trainee logs a shadow shift, the mentor confirms it, the practicum is complete, the
trainee asks for a readiness review, the panel decides ready, the trainee downloads the credential, and a
stranger's browser opens its public page. Every page visited passes axe."""

from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import keep_screenshot, sign_in_as, visit
from tests.practicum_factory import catalogue_of, complete_practicum, finish_modules


def test_from_the_last_shadow_shift_to_a_credential_anyone_can_check(app, live_server, browser, people, tmp_path):
    tess = people.user("tess@example.com", "trainee", name="Tess Trainee")
    marco = people.user("marco@example.com", "mentor", name="Marco Mentor")
    mina = people.user("mina@example.com", "manager", name="Mina Manager")
    people.cohort("Dublin 2027", trainees=[tess], mentors=[marco], managers=[mina])
    cat = catalogue_of(app)
    finish_modules(people, tess, list(cat.modules), cat)
    complete_practicum(people, tess, marco, cat)  # then one shadow shift is taken back: the last one to log
    with people.session() as s:
        from sqlmodel import select

        from academy.models import PracticeDecision, PracticeEntry

        last = s.exec(select(PracticeEntry).where(PracticeEntry.requirement_id == "shadow-shifts")).all()[-1]
        s.delete(s.exec(select(PracticeDecision).where(PracticeDecision.entry_id == last.id)).one())
        s.delete(last)
        s.commit()

    trainee = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_as(trainee, live_server, "tess@example.com")
    trainee.get_by_role("link", name="Practicum").first.click()
    expect(trainee.get_by_role("heading", name="Practicum", level=1)).to_be_visible()
    expect(trainee.get_by_text("Practising.")).to_be_visible()
    visit(trainee, trainee.url, screenshot="practicum")

    form = trainee.locator("#log")
    form.get_by_label("Requirement of the practicum").select_option(
        label=cat.practicum.requirement("shadow-shifts").title
    )
    form.get_by_label("Day it started").fill("2026-11-30")
    form.get_by_label("Time it started").fill("09:00")
    form.get_by_label("How long, in minutes").fill("480")
    form.get_by_label("Rotation or service").fill("Checkout API primary")
    form.get_by_role("button", name="Log it").click()  # nothing said about what happened: refused, kept
    summary = trainee.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Say what happened")
    expect(trainee.get_by_label("Rotation or service")).to_have_value("Checkout API primary")
    keep_screenshot(trainee, "practicum-refused")
    trainee.get_by_label("What happened").fill(
        "Shadowed Marco: one page, **checkout latency** burn rate, a batch job paused."
    )
    trainee.get_by_role("button", name="Log it").click()
    expect(trainee.get_by_text("Logged. Your mentor has been told")).to_be_visible()
    visit(trainee, trainee.url, screenshot="entry-waiting")

    mentor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_as(mentor, live_server, "marco@example.com")
    mentor.goto(f"{live_server}/reviews")
    queue = mentor.get_by_role("region", name="Practice entries to confirm")
    queue.get_by_role("link", name="Tess Trainee").click()
    expect(mentor.get_by_role("heading", name="Your decision")).to_be_visible()
    visit(mentor, mentor.url, screenshot="entry-to-decide")
    for box in mentor.get_by_role("group", name="The rubric: what this entry shows").get_by_role("checkbox").all():
        box.check()
    mentor.get_by_role("button", name="Confirm").click()
    expect(mentor.get_by_text("Confirmed.")).to_be_visible()

    trainee.goto(f"{live_server}/practicum")
    expect(trainee.get_by_text("Ready for review.")).to_be_visible()
    trainee.get_by_label("A note for the panel").fill("Happy to take the primary rotation in January.")
    trainee.get_by_role("button", name="Ask for a readiness review").click()
    expect(trainee.get_by_text("Asked. The panel has been told")).to_be_visible()
    visit(trainee, trainee.url, screenshot="review-asked")

    manager = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_as(manager, live_server, "mina@example.com")
    manager.goto(f"{live_server}/notifications")
    told = manager.locator("li", has_text="Readiness review to decide: Tess Trainee.")
    told.get_by_role("button", name="Open").click()
    expect(manager.get_by_role("heading", name="The panel's decision")).to_be_visible()
    visit(manager, manager.url, screenshot="panel")
    manager.get_by_label("The panel's rationale").fill("Calm on every shift; a clear incident-commander drill.")
    manager.get_by_role("button", name="Ready for on-call").click()
    expect(manager.get_by_text("Their credential is issued.")).to_be_visible()

    trainee.goto(f"{live_server}/account")
    credentials = trainee.get_by_role("region", name="Your credentials")
    with trainee.expect_download() as info:
        credentials.get_by_role("link", name="Download the signed credential (.jwt)").click()
    token = Path(info.value.path()).read_text()
    assert token.count(".") == 2 and token.startswith("ey")
    visit(trainee, trainee.url, screenshot="account-credential")
    public_url = credentials.get_by_role("link", name="Public page").get_attribute("href")

    stranger = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    visit(stranger, f"{live_server}{public_url}", screenshot="public-credential-phone")
    expect(stranger.get_by_text("Tess Trainee").first).to_be_visible()
    expect(stranger.get_by_text("Dublin 2027").first).to_be_visible()
    for page in (trainee, mentor, manager, stranger):
        page.context.close()
