"""Issue 14, mentors and managers: a module's state reads the same for the trainee, their manager's matrix and the
CSV, and a mentor's sign-off cannot be undone by a trainee's click."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from academy.learning import services as learning
from academy.models import Decision, LabAttempt, ModuleProgress, utcnow
from tests.e2e.conftest import sign_in_as, visit


def visit_both_widths(page, url: str, screenshot: str):
    """The page at 1280 px, then at a phone's 390 px, each checked with axe and kept as a screenshot."""
    visit(page, url, screenshot=screenshot)
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    visit(page, url, screenshot=screenshot)
    page.set_viewport_size(size)


@pytest.fixture
def second_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_opening_a_locked_module_leaves_it_locked_for_the_trainee_and_the_manager(
    live_server, page, second_page, people
):
    manager = people.user("mina@example.com", "manager", name="Mina Manager")
    trainee = people.user("tia@example.com", "trainee", name="Tia Trainee")
    people.cohort("Porto 2027", trainees=[trainee], managers=[manager])

    sign_in_as(page, live_server, "tia@example.com")
    visit_both_widths(page, f"{live_server}/modules/toil", "locked-module")  # needs linux-shell, not done
    expect(page.locator("#status-title")).to_contain_text("Locked")
    visit_both_widths(page, f"{live_server}/learn", "path")
    expect(page.get_by_role("row", name="Recognising and measuring toil · 4 h")).to_contain_text("Locked")

    sign_in_as(second_page, live_server, "mina@example.com")
    second_page.get_by_role("link", name="Porto 2027").click()
    visit_both_widths(second_page, second_page.url, "cohort")
    matrix = second_page.get_by_role("table", name="Each trainee's status in each module of the plan")
    toil = matrix.locator("td[title^='Recognising and measuring toil']")
    expect(toil).to_have_attribute("title", "Recognising and measuring toil: locked")
    expect(matrix.locator("td.cell-in-progress")).to_have_count(0)
    with second_page.expect_download() as info:
        second_page.get_by_role("link", name="Download progress (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert {r["status"] for r in rows if r["module_id"] == "toil"} == {"locked"}
    assert "in progress" not in {r["status"] for r in rows}


def test_a_module_a_mentor_signed_off_offers_no_undo_and_the_service_refuses(live_server, page, people):
    mentor = people.user("marco@example.com", "mentor", name="Marco Mentor")
    trainee = people.user("tia@example.com", "trainee", name="Tia Trainee")
    people.cohort("Porto 2027", trainees=[trainee], mentors=[mentor])
    done_at = utcnow()
    with people.session() as s:
        s.add(
            ModuleProgress(
                trainee_id=trainee.id, module_id="linux-shell", opened_at=done_at, read_at=done_at, completed_at=done_at
            )
        )
        attempt = LabAttempt(
            trainee_id=trainee.id,
            module_id="linux-shell",
            lab_id="linux-shell-lab",
            number=1,
            evidence="ls -la",
            status="approved",
            request_key="a" * 32,
        )
        s.add(attempt)
        s.flush()
        s.add(Decision(attempt_id=attempt.id, mentor_id=mentor.id, outcome="approved"))
        s.commit()

    sign_in_as(page, live_server, "tia@example.com")
    visit_both_widths(page, f"{live_server}/modules/linux-shell", "signed-off-module")
    expect(page.locator("#status-title")).to_contain_text("Done")
    expect(page.get_by_role("button", name="Undo “read”")).to_have_count(0)

    from academy.curriculum.store import catalogue

    with people.app.app_context(), people.session() as s:
        cat = catalogue()
        with pytest.raises(learning.SignedOff):
            learning.set_read(s, cat, trainee_id=trainee.id, module=cat.get("linux-shell"), read=False)
        s.rollback()
        assert s.get(ModuleProgress, (trainee.id, "linux-shell")).completed_at is not None


def test_a_mentors_notification_of_a_submission_someone_else_decided_is_no_longer_new(
    live_server, browser, page, second_page, people
):
    mentor = people.user("marco@example.com", "mentor", name="Marco Mentor")
    people.user("ada@example.com", "admin", name="Ada Admin")
    trainee = people.user("tia@example.com", "trainee", name="Tia Trainee")
    people.cohort("Porto 2027", trainees=[trainee], mentors=[mentor])

    sign_in_as(page, live_server, "tia@example.com")
    page.goto(f"{live_server}/modules/linux-shell#lab-linux-shell-lab")
    page.locator("#lab-linux-shell-lab").get_by_label("Evidence").fill("I ran the commands; output below.")
    page.locator("#lab-linux-shell-lab").get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()

    sign_in_as(second_page, live_server, "marco@example.com")
    second_page.goto(f"{live_server}/notifications")
    expect(second_page.locator(".notifications .tag", has_text="New")).to_have_count(1)

    admin = browser.new_context().new_page()
    sign_in_as(admin, live_server, "ada@example.com")  # an admin decides it, not the mentor told of it
    admin.goto(f"{live_server}/reviews")
    admin.get_by_role("link", name="Processes, signals and pipelines on a machine you can break").click()
    admin.get_by_role("button", name="Approve").click()
    expect(admin.get_by_text("is approved", exact=False)).to_be_visible()
    admin.context.close()

    visit_both_widths(second_page, f"{live_server}/notifications", "notifications")
    expect(second_page.locator(".notifications .tag", has_text="New")).to_have_count(0)
    expect(second_page.get_by_text("Tia Trainee submitted")).to_be_visible()
