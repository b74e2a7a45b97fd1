"""Issue 14, a trainee's first day: "Next up" offers work they can do now, a passed due date says "Overdue since",
the catalogue shows their state of each module as the learning path does, the mentor's ticked criteria are
counted on the path, and a module on a phone starts with its title."""

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from academy.curriculum.store import catalogue
from academy.models import CohortModule, Decision, LabAttempt, ModuleProgress, QuizAttempt, utcnow
from tests.e2e.conftest import SCREENSHOTS, sign_in_as, visit

OVERDUE_BY = {"linux-shell": 61, "files-permissions": 50}  # days
OVERDUE_BY["networking"] = 45  # before the plan's other modules: next up once it is open


def day(d) -> str:
    return d.strftime("%d %b %Y")


def visit_both_widths(page, url: str, screenshot: str):
    """The page at 1280 px, then at a phone's 390 px, each checked with axe and kept as a whole-page screenshot
    and one of what is seen without scrolling."""
    size = page.viewport_size
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        visit(page, url, screenshot=screenshot)
        page.screenshot(path=str(SCREENSHOTS / f"first-day-{width}-{screenshot}-viewport.png"))
    page.set_viewport_size(size)


class Work:
    """A trainee's work written straight into the database, as the pages and a mentor would have stored it."""

    def __init__(self, app, trainee, mentor):
        self.engine, self.trainee, self.mentor = app.extensions["academy.engine"], trainee, mentor
        with app.app_context():
            self.catalogue = catalogue()

    def read_and_passed(self, module_id: str, *, completed: bool = False) -> None:
        module, now = self.catalogue.get(module_id), utcnow()
        with Session(self.engine) as s:
            s.merge(
                ModuleProgress(
                    trainee_id=self.trainee.id,
                    module_id=module_id,
                    opened_at=now,
                    read_at=now,
                    completed_at=now if completed else None,
                    content_hash=module.content_hash,
                )
            )
            answers = {q.id: list(q.answer) for q in module.quiz.questions}
            total = len(answers)
            s.add(
                QuizAttempt(
                    trainee_id=self.trainee.id,
                    module_id=module_id,
                    content_hash=module.content_hash,
                    answers=json.dumps(answers),
                    correct=total,
                    total=total,
                    passed=True,
                    request_key=f"quiz-{module_id}",
                )
            )
            s.commit()

    def lab(self, module_id: str, status: str = "submitted", criteria=()) -> str:
        """The module's lab submitted; decided with `status` and the ticked `criteria` unless still submitted."""
        lab = self.catalogue.get(module_id).labs[0]
        with Session(self.engine) as s:
            attempt = LabAttempt(
                trainee_id=self.trainee.id,
                module_id=module_id,
                lab_id=lab.id,
                number=1,
                evidence="I ran every step.",
                status=status,
                request_key=f"lab-{module_id}",
            )
            s.add(attempt)
            s.flush()
            if status != "submitted":
                s.add(
                    Decision(
                        attempt_id=attempt.id, mentor_id=self.mentor.id, outcome=status, criteria=json.dumps(criteria)
                    )
                )
            s.commit()
        return lab.title


@pytest.fixture
def tess(app, people):
    """Tess, in a cohort with Marco as her mentor, her lab machine set up; her plan's first three modules are
    overdue, the rest due in a month."""
    trainee = people.user("tess@example.com", "trainee", name="Tess Trainee")
    mentor = people.user("marco@example.com", "mentor", name="Marco Mentor")
    cohort = people.cohort("Dublin 2027", trainees=[trainee], mentors=[mentor])
    today = utcnow().date()  # as the test starts, not as the module was imported (a run may cross midnight UTC)
    due = {module_id: today - timedelta(days=days) for module_id, days in OVERDUE_BY.items()}
    with Session(app.extensions["academy.engine"]) as s:
        for row in s.exec(select(CohortModule).where(CohortModule.cohort_id == cohort.id)):
            row.due_date = due.get(row.module_id, today + timedelta(days=30))
            s.add(row)
        s.commit()
    work = Work(app, trainee, mentor)
    work.due = due
    work.read_and_passed("lab-environment", completed=True)  # her lab machine is set up: the shell comes next
    work.lab("lab-environment", "approved")
    return work


def path_row(page, module_id: str):
    return page.locator(f'table.path-table tr:has(td:first-child > a[href="/modules/{module_id}"])')


def test_next_up_is_work_to_do_now_and_a_passed_due_date_says_overdue(live_server, page, tess):
    lab_title = tess.lab("linux-shell")  # read, checked and submitted: only the mentor can move it now
    tess.read_and_passed("linux-shell")
    sign_in_as(page, live_server, "tess@example.com")

    visit_both_widths(page, f"{live_server}/learn", "path-waiting")
    next_up = page.locator("section[aria-labelledby=next-title]")
    expect(next_up.locator("a.button")).to_have_count(0)  # everything else needs the shell module first
    expect(next_up).to_contain_text(f"Waiting for your mentor on {lab_title}.")
    expect(next_up.get_by_role("link", name=lab_title)).to_have_attribute(
        "href", "/modules/linux-shell#lab-" + tess.catalogue.get("linux-shell").labs[0].id
    )
    overdue = f"Overdue since {day(tess.due['linux-shell'])}"
    expect(next_up.locator(".pace")).to_contain_text(overdue + ".")
    expect(next_up.locator(".pace")).not_to_contain_text("Next due date")
    expect(path_row(page, "linux-shell").locator("td").nth(1)).to_have_text(overdue)

    visit_both_widths(page, f"{live_server}/modules/linux-shell", "module-overdue")
    expect(page.locator("#progress .plan-due")).to_have_text(overdue)


def test_next_up_passes_over_a_module_only_waiting_for_review(live_server, page, tess):
    tess.read_and_passed("linux-shell", completed=True)
    tess.lab("linux-shell", "approved", criteria=[0, 2])
    tess.read_and_passed("files-permissions")
    tess.lab("files-permissions")  # due before networking, but nothing in it is Tess's to do
    sign_in_as(page, live_server, "tess@example.com")

    visit_both_widths(page, f"{live_server}/learn", "path-next-up")
    next_up = page.locator("section[aria-labelledby=next-title]")
    networking = tess.catalogue.get("networking").title
    expect(next_up.locator("a.button")).to_have_text(networking)
    expect(next_up.locator(".meta")).to_contain_text(f"Overdue since {day(tess.due['networking'])}")
    expect(path_row(page, "files-permissions")).to_contain_text("Submitted")
    criteria = len(tess.catalogue.get("linux-shell").labs[0].spec.acceptance_criteria)
    feedback = page.locator("section[aria-labelledby=feedback-title]")
    expect(feedback).to_contain_text(f"2 of {criteria} acceptance criteria met")
    done = path_row(page, "linux-shell").locator("td").nth(1)
    expect(done).to_have_text(day(tess.due["linux-shell"]))  # done: no alarm


STATES = {  # module -> its state in words, on the learning path and the catalogue alike
    "linux-shell": "Done",
    "files-permissions": "Submitted",
    "git-for-ops": "Changes requested",
    "toil": "In progress",
    "networking": "Not started",
    "systemd-logs": "Locked",
}


def test_the_catalogue_shows_a_trainee_their_state_of_each_module_as_the_path_does(live_server, page, tess):
    tess.read_and_passed("linux-shell", completed=True)
    tess.lab("linux-shell", "approved")
    tess.lab("files-permissions")
    tess.lab("git-for-ops", "changes_requested")
    tess.read_and_passed("toil")
    sign_in_as(page, live_server, "tess@example.com")

    visit(page, f"{live_server}/learn")
    on_the_path = {}
    for row in page.locator("table.path-table tbody tr").all():
        module_id = row.locator("td:first-child > a").first.get_attribute("href").removeprefix("/modules/")
        on_the_path[module_id] = row.locator("td .tag").last.inner_text()
    visit_both_widths(page, f"{live_server}/catalogue", "catalogue-states")
    for module_id, words in STATES.items():
        assert on_the_path[module_id] == words, module_id
    for module_id, words in on_the_path.items():
        state = page.locator(f'.module-list li:has(> a[href="/modules/{module_id}"]) .module-state')
        expect(state).to_have_text(f"Your status: {words}")


def test_the_catalogue_shows_no_personal_state_to_a_mentor(live_server, page, tess):
    sign_in_as(page, live_server, "marco@example.com")
    visit(page, f"{live_server}/catalogue")
    expect(page.locator(".module-state")).to_have_count(0)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_module_starts_with_its_title_and_on_a_phone_its_contents_are_folded(browser, live_server, tess, width):
    context = browser.new_context(
        viewport={"width": width, "height": 844 if width < 500 else 900}, is_mobile=width < 500
    )
    page = context.new_page()
    sign_in_as(page, live_server, "tess@example.com")
    visit(page, f"{live_server}/modules/networking", screenshot="module-top")
    title = page.get_by_role("heading", name=tess.catalogue.get("networking").title, level=1)
    contents = page.get_by_role("complementary", name="On this page")
    assert title.bounding_box()["y"] < contents.bounding_box()["y"], "the title comes first"
    expect(title).to_be_in_viewport()
    folded = contents.locator("details")
    if width < 500:
        expect(folded).not_to_have_attribute("open", "")
        expect(contents.get_by_role("list")).to_be_hidden()
        contents.get_by_text("On this page").click()
        expect(contents.get_by_role("list").get_by_role("link").first).to_be_visible()
    else:
        expect(contents.get_by_role("list").get_by_role("link").first).to_be_visible()
        assert contents.bounding_box()["x"] > title.bounding_box()["x"], "beside the text on a desktop"
    context.close()
