"""Issue 14, mentors and managers: a module's state reads the same for the trainee, their manager's matrix and the
CSV, and a mentor's sign-off cannot be undone by a trainee's click."""

import csv
import io
import re
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


def test_a_manager_downloads_one_row_per_trainee_beside_the_progress_export(live_server, page, people):
    manager = people.user("mina@example.com", "manager", name="Mina Manager")
    mentor = people.user("marco@example.com", "mentor", name="Marco Mentor")
    sly = people.user("sly@example.com", "trainee", name='=HYPERLINK("http://x")')
    tia = people.user("tia@example.com", "trainee", name="Tia Trainee")
    people.cohort("Porto 2027", trainees=[sly, tia], mentors=[mentor], managers=[manager])
    done_at = utcnow()
    with people.session() as s:
        s.add(ModuleProgress(trainee_id=tia.id, module_id="git-for-ops", opened_at=done_at, read_at=done_at))
        s.commit()

    sign_in_as(page, live_server, "mina@example.com")
    page.get_by_role("link", name="Porto 2027").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download one row per trainee (CSV)").click()
    assert info.value.suggested_filename == "Porto-2027-trainees.csv"
    raw = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert [r["email"] for r in rows] == ["sly@example.com", "tia@example.com"]  # by name: "=" sorts first
    assert rows[0]["trainee"] == '\'=HYPERLINK("http://x")'  # neutralised, as in the other exports
    assert raw.splitlines()[1].startswith('"Porto 2027","\'=HYPERLINK')  # every cell quoted
    assert {r["mentor"] for r in rows} == {"Marco Mentor"}
    assert rows[1]["modules_done"] == "0" and int(rows[1]["modules_planned"]) > 1 and rows[1]["labs_approved"] == "0"
    assert rows[1]["last_activity"] and not rows[0]["last_activity"]
    assert rows[0]["state"] in ("on track", "finished") or rows[0]["state"].startswith(("behind", "starts on"))


def test_a_cohort_that_has_not_started_says_when_it_starts_on_both_pages(live_server, page, people):
    from datetime import timedelta

    from academy.models import Cohort

    manager = people.user("mina@example.com", "manager", name="Mina Manager")
    trainees = [people.user(f"t{i}@example.com", "trainee", name=f"Trainee {i}") for i in range(3)]
    cohort = people.cohort("Later 2027", trainees=trainees, managers=[manager])
    start = utcnow().date() + timedelta(weeks=5)
    with people.session() as s:
        row = s.get(Cohort, cohort.id)
        row.start_date, row.end_date = start, start + timedelta(weeks=20)
        s.add(row)
        s.commit()
    when = start.strftime("%d %b %Y")

    sign_in_as(page, live_server, "mina@example.com")
    visit_both_widths(page, f"{live_server}/cohorts", "cohorts")
    cell = page.get_by_role("row", name="Later 2027").locator("td[data-label='On track / behind']")
    expect(cell).to_have_text(f"starts on {when}")
    visit_both_widths(page, f"{live_server}/cohorts/{cohort.id}", "cohort")
    risk = page.get_by_role("region", name="At risk")
    expect(risk).to_contain_text(f"Starts on {when}")
    expect(risk).not_to_contain_text("no activity yet")


def test_zero_on_track_is_not_shown_as_good_news(live_server, page, people):
    from datetime import timedelta

    from academy.models import Cohort

    manager = people.user("mina@example.com", "manager", name="Mina Manager")
    trainee = people.user("tia@example.com", "trainee", name="Tia Trainee")
    cohort = people.cohort("Late 2026", trainees=[trainee], managers=[manager])
    with people.session() as s:  # started long ago: every module of the plan is overdue
        row = s.get(Cohort, cohort.id)
        row.start_date = utcnow().date() - timedelta(weeks=60)
        s.add(row)
        s.commit()

    sign_in_as(page, live_server, "mina@example.com")
    cell = page.get_by_role("row", name="Late 2026").locator("td[data-label='On track / behind']")
    expect(cell.locator(".tag", has_text="0 on track")).not_to_have_class("tag ok")
    expect(cell.locator(".tag.bad")).to_have_text("1 behind")


def test_times_are_in_the_readers_time_zone_and_recent_ones_say_how_long_ago(live_server, page, second_page, people):
    mentor = people.user("marco@example.com", "mentor", name="Marco Mentor")
    trainee = people.user("tia@example.com", "trainee", name="Tia Trainee")
    people.cohort("Porto 2027", trainees=[trainee], mentors=[mentor])
    sign_in_as(page, live_server, "tia@example.com")
    page.goto(f"{live_server}/modules/linux-shell#lab-linux-shell-lab")
    page.locator("#lab-linux-shell-lab").get_by_label("Evidence").fill("Output pasted below.")
    page.locator("#lab-linux-shell-lab").get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()

    sign_in_as(second_page, live_server, "marco@example.com")
    second_page.goto(f"{live_server}/account")
    second_page.get_by_label("Show times in").select_option("Asia/Tokyo")
    second_page.get_by_role("button", name="Save time zone").click()
    expect(second_page.get_by_text("Times are now shown in your time zone.")).to_be_visible()
    visit_both_widths(second_page, f"{live_server}/account", "account")

    visit_both_widths(second_page, f"{live_server}/reviews", "queue")
    row = second_page.get_by_role("row").filter(has_text="Tia Trainee")
    expect(row.locator("td[data-label='Waiting']")).to_have_text("submitted just now")
    visit_both_widths(second_page, f"{live_server}/notifications", "notifications")
    stamp = second_page.locator(".notifications time").first
    expect(stamp).to_have_text("just now")
    expect(stamp).to_have_attribute("title", re.compile(r" JST$"))
    expect(second_page.locator(".notifications")).not_to_contain_text("UTC")
