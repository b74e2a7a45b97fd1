"""A manager's weekly look: cohorts, one cohort's matrix and charts, and the CSV for the spreadsheet."""

import csv
import io
from pathlib import Path

from playwright.sync_api import expect

from academy.models import ModuleProgress, utcnow
from tests.e2e.conftest import sign_in_as, visit


def test_manager_opens_a_cohort_and_downloads_the_csv(app, live_server, page, people):
    manager = people.user("mina@example.com", "manager", name="Mina Manager")
    mentor = people.user("marco@example.com", "mentor", name="Marco Mentor")
    trainees = [people.user(f"t{i}@example.com", "trainee", name=f"Trainee {i:02d}") for i in range(1, 18)]
    cohort = people.cohort("Dublin 2027", trainees=trainees, mentors=[mentor], managers=[manager])
    with people.session() as s:
        now = utcnow()
        for i, trainee in enumerate(trainees):
            for module_id in ("linux-shell", "files-permissions", "networking")[: i % 4]:
                s.add(
                    ModuleProgress(
                        trainee_id=trainee.id, module_id=module_id, opened_at=now, read_at=now, completed_at=now
                    )
                )
        s.commit()

    sign_in_as(page, live_server, "mina@example.com")
    expect(page.get_by_role("heading", name="Cohorts", level=1)).to_be_visible()
    visit(page, page.url, screenshot="manager-cohorts")
    page.get_by_role("link", name="Dublin 2027").click()
    expect(page.get_by_role("heading", name="Dublin 2027", level=1)).to_be_visible()
    matrix = page.get_by_role("table", name="Each trainee's status in each module of the plan")
    expect(matrix.get_by_role("row")).to_have_count(9)  # 45 modules in the plan: 8 trainees a page, then the header
    # Trainee 01 to 08 have 0, 1, 2, 3, 0, 1, ... modules done: 12 cells, each named by its state for screen readers
    expect(matrix.get_by_role("cell", name="done", exact=True)).to_have_count(12)
    expect(page.get_by_text("Trainees 1–8 of 17, by name.")).to_be_visible()
    expect(page.get_by_role("img", name="Burn-up of Dublin 2027: module completions against the plan")).to_be_visible()
    visit(page, page.url, screenshot="manager-cohort")
    # a table that fits its box is no tab stop; the chart's key is text of the page, below the drawing
    expect(page.locator("section[aria-labelledby=stuck-title] .table-scroll")).not_to_have_attribute("tabindex", "0")
    expect(page.locator(".chart-key li")).to_have_text(["completed", "planned pace", "forecast"])

    page.get_by_label("Order").select_option("progress")
    page.get_by_role("button", name="Show").click()
    expect(matrix.get_by_role("row").nth(1)).to_contain_text("Trainee 04")
    pages = page.get_by_role("navigation", name="Pages of the matrix")
    pages.get_by_role("link", name="Next →").click()
    expect(page.get_by_text("Trainees 9–16 of 17, most progress first.")).to_be_visible()
    pages.get_by_role("link", name="Next →").click()
    expect(page.get_by_text("Trainees 17–17 of 17, most progress first.")).to_be_visible()
    expect(matrix.get_by_role("row")).to_have_count(2)
    expect(matrix.get_by_role("row").nth(1)).to_contain_text("Trainee 17")  # the last of five with nothing done
    assert page.url.endswith("#matrix-title")
    visit(page, page.url, screenshot="manager-cohort-matrix-page-2")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download progress (CSV)").click()
    download = info.value
    assert download.suggested_filename == "Dublin-2027-progress.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 17 * len({r["module_id"] for r in rows})  # every trainee, not one page of the matrix
    done = [r for r in rows if r["trainee"] == "Trainee 04" and r["status"] == "done"]
    assert {r["module_id"] for r in done} == {"linux-shell", "files-permissions", "networking"}
    assert cohort.id
