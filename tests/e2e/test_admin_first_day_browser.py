"""An admin's first day in the browser: an empty installation says how to start; a person is invited into a cohort
in one step and their link copied with a button; an import's problems keep the rows to correct, and its links
download as CSV; the audit log reads as sentences. Every page at 1280 and 390 px, checked with axe."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, keep_screenshot, sign_in_as, visit

ROWS_WITH_A_PROBLEM = (
    "name,email,role,mentor email\nNina New,nina@example.com,trainee,\nWilla,willa@example.com,wizard,\n"
)


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def width(request):
    return request.param


def look(page, name: str) -> None:
    assert_accessible(page)
    keep_screenshot(page, name)


def test_an_admins_first_day(live_server, browser, people, width):
    people.user("admin@example.com", "admin", name="Ann Admin")
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in_as(page, live_server, "admin@example.com")

    visit(page, f"{live_server}/admin/", screenshot="overview-empty")
    expect(page.get_by_role("heading", name="Getting started")).to_be_visible()
    for url, name in (("/cohorts", "dashboards-empty"), ("/reviews", "queue-empty"), ("/notifications", "notes")):
        visit(page, live_server + url, screenshot=name)
        expect(page.get_by_text(re.compile(r"An administrator (makes|adds|assigns)"))).to_have_count(0)

    page.goto(f"{live_server}/admin/cohorts/new")
    page.get_by_label("Name").fill("Lisbon 2026")
    page.get_by_label("Start date").fill("2026-09-01")
    page.get_by_label("Planned end date").fill("2027-03-01")
    page.get_by_role("button", name="Create cohort").click()

    page.get_by_label("Email").fill("marco@example.com")
    page.get_by_label("Name (for a new person)").fill("Marco Mentor")
    page.get_by_label("Role in the cohort").select_option("mentor")
    page.get_by_role("button", name="Add to cohort").click()
    expect(page.get_by_text("Marco Mentor has a new account and is now a mentor of Lisbon 2026.")).to_be_visible()
    look(page, "invited-link")  # the answer to a POST: checked and shot as it is, not reloaded
    link = page.get_by_label("One-time link").input_value()
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    page.get_by_role("link", name="Back to Lisbon 2026").click()
    expect(page.get_by_text("1 mentor, 0 managers")).to_be_visible()
    visit(page, page.url, screenshot="cohort")

    page.get_by_role("link", name="Import people from CSV").click()
    page.get_by_label("Or paste the rows").fill(ROWS_WITH_A_PROBLEM)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Try again")).to_be_visible()
    expect(page.get_by_label("Or paste the rows")).to_have_value(ROWS_WITH_A_PROBLEM)
    look(page, "import-try-again")
    page.get_by_label("Or paste the rows").fill(ROWS_WITH_A_PROBLEM.replace("wizard", "trainee"))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Import 2 people").click()
    expect(page.get_by_role("heading", name="2 people imported into Lisbon 2026")).to_be_visible()
    look(page, "import-done")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the links as CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["name", "email", "link"] and sorted(r[1] for r in rows[1:]) == [
        "nina@example.com",
        "willa@example.com",
    ]
    page.get_by_role("button", name="Copy Nina New's link").click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    look(page, "import-done-copied")
    assert page.evaluate("navigator.clipboard.readText()") == next(r[2] for r in rows if r[1] == "nina@example.com")

    visit(page, f"{live_server}/admin/audit", screenshot="audit")
    expect(page.get_by_text("Ann Admin added marco@example.com to Lisbon 2026 as mentor.")).to_be_visible()
    expect(page.get_by_text('{"email"')).to_have_count(0)
    context.close()


def test_without_clipboard_access_the_copy_button_selects_the_link(live_server, browser, people):
    people.user("admin@example.com", "admin")
    people.cohort("Lisbon 2026")
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    sign_in_as(page, live_server, "admin@example.com")
    page.goto(f"{live_server}/admin/cohorts/1")
    page.get_by_label("Email").fill("tess@example.com")
    page.get_by_label("Name (for a new person)").fill("Tess Trainee")
    page.get_by_role("button", name="Add to cohort").click()
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="press Ctrl+C")).to_be_visible()
    selected = page.evaluate(
        "(i => i.value.substring(i.selectionStart, i.selectionEnd))(document.getElementById('link'))"
    )
    assert selected == page.get_by_label("One-time link").input_value()
    context.close()


def test_lab_evidence_and_attachments_read_as_words(app, live_server, browser, people, width, tmp_path):
    from academy.curriculum.store import catalogue
    from academy.formatting import evidence_words

    trainee = people.user("tess@example.com", "trainee", name="Tess Trainee")
    mentor = people.user("marco@example.com", "mentor", name="Marco Mentor")
    people.cohort("Dublin 2027", trainees=[trainee], mentors=[mentor])
    with app.app_context():
        lab = catalogue().get("linux-shell").labs[0]
    (tmp_path / "screen.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 2000)
    (tmp_path / "server.log").write_text("2026-11-01 12:00:01 ERROR disk full\n")
    tess = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_as(tess, live_server, "tess@example.com")
    visit(tess, f"{live_server}/modules/{lab.module_id}", screenshot="module")
    section = tess.locator(f"#lab-{lab.id}")
    expect(section).to_contain_text(f"Evidence to submit: {evidence_words(lab.spec.evidence)}.")
    section.get_by_label("Evidence").fill("I ran the commands; the log and a screenshot are attached.")
    section.locator("input[type=file]").set_input_files([tmp_path / "screen.png", tmp_path / "server.log"])
    section.get_by_role("button", name="Submit for review").click()
    expect(tess.get_by_text("Submitted for review")).to_be_visible()
    visit(tess, tess.url, screenshot="module-submitted")
    expect(tess.get_by_text("PNG image, 2 KB")).to_be_visible()
    expect(tess.get_by_text("image/png")).to_have_count(0)

    marco = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_as(marco, live_server, "marco@example.com")
    marco.goto(f"{live_server}/reviews")
    marco.get_by_role("link", name=lab.title).click()
    visit(marco, marco.url, screenshot="review")
    expect(marco.get_by_text("PNG image, 2 KB")).to_be_visible()
    expect(marco.get_by_text("text file, 36 bytes")).to_be_visible()
