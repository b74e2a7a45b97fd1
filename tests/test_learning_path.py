"""The trainee's path and progress: opening and reading modules, when a module counts as complete, where
they stand against the cohort's plan, what is locked and why, and the progress record they share."""

import re
from datetime import UTC, date, datetime, timedelta
from html import escape, unescape

import pytest
from sqlmodel import Session, select

from academy.curriculum.store import catalogue
from academy.models import CohortModule, ModuleProgress, utcnow
from tests.conftest import People, empty_tables, make_app, sign_in
from tests.curriculum_factory import module_text, write_curriculum
from tests.test_labs import attempts_of, decide, fetch, open_lab, page, submitted, update
from tests.test_quiz import answers_with, right_answers, submit_quiz


def progress_of(app, trainee, module) -> ModuleProgress | None:
    rows = fetch(
        app,
        select(ModuleProgress).where(ModuleProgress.trainee_id == trainee.id, ModuleProgress.module_id == module.id),
    )
    return rows[0] if rows else None


def mark_read(client, module, read: bool = True):
    return client.post(f"/modules/{module.id}/read", data={"read": "1" if read else "0"})


def complete_directly(app, trainee, module, *, content_hash: str | None = None, when: datetime | None = None):
    """A module the trainee completed earlier, written straight into the database."""
    when = when or utcnow()
    with Session(app.extensions["academy.engine"]) as session:
        session.merge(
            ModuleProgress(
                trainee_id=trainee.id,
                module_id=module.id,
                opened_at=when,
                read_at=when,
                completed_at=when,
                content_hash=content_hash or module.content_hash,
            )
        )
        session.commit()


def modules(app):
    with app.app_context():
        return catalogue()


def plan(app, cohort) -> list[CohortModule]:
    return fetch(
        app,
        select(CohortModule)
        .where(CohortModule.cohort_id == cohort.id)
        .order_by(CohortModule.due_date, CohortModule.module_id),
    )


def path_row(html: str, module_id: str) -> str:
    """The learning path's table row of one module."""
    start = re.search(rf'<td[^>]*><a href="/modules/{re.escape(module_id)}">', html).start()
    return html[start : html.index("</tr>", start)]


def table_cells(html: str) -> list[list[str]]:
    """The text of each body row's cells, whatever attributes and inline markup (data-label, <time>) they carry."""
    body = html[html.index("<tbody") : html.index("</tbody>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in row] for row in cells]


def card(html: str, title_id: str) -> str:
    start = html.index(f'id="{title_id}"')
    return html[start : html.index("</section>", start)]


def day(d: date | datetime) -> str:
    return d.strftime("%d %b %Y")


# ------------------------------------------------------------------ opening and reading


def test_opening_a_module_records_the_first_visit_once(app, as_role, academy):
    module = modules(app).get(open_lab(app).module_id)
    trainee = as_role("trainee")
    before = utcnow()

    page(trainee, f"/modules/{module.id}")

    first = progress_of(app, academy.trainee, module)
    assert first is not None and first.opened_at >= before
    assert (first.read_at, first.completed_at) == (None, None)
    earlier = datetime(2026, 9, 2, 8, 30, tzinfo=UTC)
    update(app, ModuleProgress, (academy.trainee.id, module.id), opened_at=earlier)

    page(trainee, f"/modules/{module.id}")

    assert progress_of(app, academy.trainee, module).opened_at == earlier
    assert len(fetch(app, select(ModuleProgress))) == 1


def test_staff_opening_a_module_records_nothing(app, as_role):
    module = modules(app).get(open_lab(app).module_id)
    for who in ("mentor", "manager", "admin"):
        page(as_role(who), f"/modules/{module.id}")
    assert fetch(app, select(ModuleProgress)) == []


def test_mark_as_read_and_undo(app, as_role, academy):
    module = modules(app).get(open_lab(app).module_id)
    trainee = as_role("trainee")
    assert "Mark as read" in page(trainee, f"/modules/{module.id}")

    response = mark_read(trainee, module)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/modules/{module.id}#progress")
    stored = progress_of(app, academy.trainee, module)
    assert stored.read_at is not None and stored.completed_at is None  # quiz and lab still to do
    html = page(trainee, f"/modules/{module.id}")
    assert "Undo “read”" in html and f"✓ Read on {day(stored.read_at)}" in re.sub(r"<[^>]+>", "", html)  # a <time>

    mark_read(trainee, module, read=False)

    assert progress_of(app, academy.trainee, module).read_at is None
    html = page(trainee, f"/modules/{module.id}")
    assert "Mark as read" in html and "○ Read" in html


def test_marking_read_again_keeps_the_first_time(app, as_role, academy):
    module = modules(app).get(open_lab(app).module_id)
    trainee = as_role("trainee")
    mark_read(trainee, module)
    first = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    update(app, ModuleProgress, (academy.trainee.id, module.id), opened_at=first, read_at=first)

    mark_read(trainee, module)

    assert progress_of(app, academy.trainee, module).read_at == first


def test_only_trainees_mark_modules_read(app, as_role):
    module = modules(app).get(open_lab(app).module_id)
    assert mark_read(as_role("mentor"), module).status_code == 403
    assert fetch(app, select(ModuleProgress)) == []


# ------------------------------------------------------------------ completion: read + knowledge check + every lab


def complete_through_the_pages(app, trainee, academy):
    """Lab approved, knowledge check passed, then marked read: the module of the open lab is complete."""
    lab = open_lab(app)
    module = modules(app).get(lab.module_id)
    decide(app, submitted(app, trainee, academy.trainee, lab), academy.mentor, "approved")
    submit_quiz(trainee, module, right_answers(module))
    assert progress_of(app, academy.trainee, module).completed_at is None  # not read yet
    mark_read(trainee, module)
    return module


def test_a_module_is_complete_once_read_passed_and_its_lab_approved(app, as_role, academy):
    trainee = as_role("trainee")

    module = complete_through_the_pages(app, trainee, academy)

    done = progress_of(app, academy.trainee, module)
    assert done.completed_at is not None and done.content_hash == module.content_hash
    assert ">Done</span>" in page(trainee, f"/modules/{module.id}")
    assert ">Done</span>" in path_row(page(trainee, "/learn"), module.id)


def test_undoing_read_withdraws_a_completion_no_mentor_signed_off(small_academy):
    """A module without labs is complete once read and checked: nothing a mentor decided backs it, so "Undo
    read" is offered and takes the completion back with the reading."""
    app, trainee, learner, _ = small_academy
    module = modules(app).get("no-labs")
    submit_quiz(trainee, module, right_answers(module))
    mark_read(trainee, module)
    assert progress_of(app, learner, module).completed_at is not None
    assert "Undo “read”" in page(trainee, f"/modules/{module.id}")

    response = mark_read(trainee, module, read=False)

    assert response.status_code == 302
    undone = progress_of(app, learner, module)
    assert (undone.read_at, undone.completed_at) == (None, None)
    assert ">Done</span>" not in path_row(page(trainee, "/learn"), module.id)


def test_a_completion_a_mentor_signed_off_cannot_be_undone_by_undoing_read(app, as_role, academy):
    trainee = as_role("trainee")
    module = complete_through_the_pages(app, trainee, academy)
    before = progress_of(app, academy.trainee, module)
    assert "Undo “read”" not in page(trainee, f"/modules/{module.id}")

    response = mark_read(trainee, module, read=False)  # a form kept from before the approval, say

    assert response.status_code == 302
    kept = progress_of(app, academy.trainee, module)
    assert (kept.read_at, kept.completed_at) == (before.read_at, before.completed_at)
    html = page(trainee, "/learn")
    assert "approved by a mentor; it stays read" in html  # refused in words, not silently
    assert ">Done</span>" in path_row(html, module.id)


@pytest.mark.parametrize("lab_state", ["not started", "submitted", "changes_requested", "withdrawn"])
def test_read_and_passed_is_not_complete_until_the_lab_is_approved(app, as_role, academy, lab_state):
    lab = open_lab(app)
    module = modules(app).get(lab.module_id)
    trainee = as_role("trainee")
    if lab_state != "not started":
        attempt = submitted(app, trainee, academy.trainee, lab)
        if lab_state == "withdrawn":
            trainee.post(f"/lab-attempts/{attempt.id}/withdraw")
        elif lab_state == "changes_requested":
            decide(app, attempt, academy.mentor, lab_state)

    mark_read(trainee, module)
    submit_quiz(trainee, module, right_answers(module))

    stored = progress_of(app, academy.trainee, module)
    assert stored.read_at is not None and stored.completed_at is None


def test_read_and_approved_is_not_complete_until_the_knowledge_check_is_passed(app, as_role, academy):
    lab = open_lab(app)
    module = modules(app).get(lab.module_id)
    trainee = as_role("trainee")
    decide(app, submitted(app, trainee, academy.trainee, lab), academy.mentor, "approved")
    mark_read(trainee, module)
    submit_quiz(trainee, module, answers_with(module, right=0))
    assert progress_of(app, academy.trainee, module).completed_at is None

    submit_quiz(trainee, module, right_answers(module))  # passing completes it; nothing else to do

    assert progress_of(app, academy.trainee, module).completed_at is not None


QUIZ = """\
quiz:
  questions:
    - id: only
      prompt: Which is right?
      choices: {a: This one, b: That one}
      answer: a
      explanation: Because it is.
"""
LAB = """\
  - id: {id}
    title: Lab {id}
    steps: [Do the thing.]
    acceptance_criteria: [The thing is done.]
    evidence: [write-up]
"""


@pytest.fixture
def small_academy(migrated, tmp_path):
    """A curriculum with a module of two labs and a module without labs; one trainee and their mentor."""
    root = write_curriculum(
        tmp_path,
        {
            "01-two-labs.md": module_text(
                "two-labs", extra=QUIZ + "labs:\n" + LAB.format(id="lab-a") + LAB.format(id="lab-b")
            ),
            "02-no-labs.md": module_text("no-labs", order=2, extra=QUIZ),
        },
    )
    app = make_app(migrated, CURRICULUM_DIR=str(root))
    empty_tables(app.extensions["academy.engine"])
    people = People(app)
    trainee = people.user("learner@example.com", "trainee")
    mentor = people.user("guide@example.com", "mentor")
    people.cohort("Small cohort", trainees=[trainee], mentors=[mentor])
    client = app.test_client()
    sign_in(client, trainee.email)
    yield app, client, trainee, mentor
    app.extensions["academy.engine"].dispose()


def test_every_lab_of_a_module_must_be_approved(small_academy):
    app, client, trainee, mentor = small_academy
    module = modules(app).get("two-labs")
    lab_a, lab_b = module.labs
    decide(app, submitted(app, client, trainee, lab_a), mentor, "approved")
    submitted(app, client, trainee, lab_b)
    mark_read(client, module)
    submit_quiz(client, module, right_answers(module))
    assert progress_of(app, trainee, module).completed_at is None  # lab b is still waiting

    decide(app, attempts_of(app, trainee, lab_b)[-1], mentor, "approved")
    mark_read(client, module)

    assert progress_of(app, trainee, module).completed_at is not None


def test_a_module_without_labs_is_complete_when_read_and_passed(small_academy):
    app, client, trainee, _ = small_academy
    module = modules(app).get("no-labs")
    mark_read(client, module)
    assert progress_of(app, trainee, module).completed_at is None

    submit_quiz(client, module, right_answers(module))

    assert progress_of(app, trainee, module).completed_at is not None


# ------------------------------------------------------------------ updated since completed


def test_the_path_says_when_a_completed_module_was_updated_since(app, as_role, academy):
    cat = modules(app)
    changed, unchanged = cat.ordered_modules()[:2]
    complete_directly(app, academy.trainee, changed, content_hash="0" * 64)
    complete_directly(app, academy.trainee, unchanged)
    trainee = as_role("trainee")

    html = page(trainee, "/learn")

    assert "updated since you completed it" in path_row(html, changed.id)
    assert "updated since you completed it" not in path_row(html, unchanged.id)
    assert html.count("updated since you completed it") == 1
    assert "This module was updated since you completed it" in page(trainee, f"/modules/{changed.id}")
    assert "This module was updated since you completed it" not in page(trainee, f"/modules/{unchanged.id}")


# ------------------------------------------------------------------ the path: tracks, next up, pace


def test_the_path_shows_every_track_of_the_cohort_with_its_progress(app, as_role, academy):
    cat = modules(app)
    first = cat.ordered_modules()[0]
    complete_directly(app, academy.trainee, first)

    html = page(as_role("trainee"), "/learn")

    total = len(cat.modules)
    assert f"Cohort A · 1 of {total} modules done" in html
    assert f'value="{round(100 / total)}"' in html and f"{round(100 / total)}% overall" in html
    for track in cat.tracks:
        count = len(cat.modules_in(track.id))
        done = 1 if track.id == first.track else 0
        assert f'aria-label="{escape(track.title)}">' in html
        assert (
            f'{escape(track.title)}</span> <progress class="bar" max="100" value="{round(100 * done / count)}"' in html
        )
        assert f'<span class="meta">{done}/{count}</span>' in html


def test_next_up_is_the_first_open_module_not_done(app, as_role, academy):
    cat = modules(app)
    trainee = as_role("trainee")
    due_order = [cat.get(row.module_id) for row in plan(app, academy.cohort)]
    first = due_order[0]
    assert not first.prerequisites
    assert f'href="/modules/{first.id}">{escape(first.title)}</a>' in card(page(trainee, "/learn"), "next-title")

    complete_directly(app, academy.trainee, first)

    expected = next(m for m in due_order[1:] if set(m.prerequisites) <= {first.id})
    assert f'href="/modules/{expected.id}">{escape(expected.title)}</a>' in card(page(trainee, "/learn"), "next-title")


def test_pace_counts_overdue_modules_and_names_the_next_due_date(app, as_role, academy):
    """The plan is set around today: three modules overdue, the fourth due today, the rest later."""
    today = date.today()
    rows = plan(app, academy.cohort)
    for i, row in enumerate(rows):
        update(app, CohortModule, (row.cohort_id, row.module_id), due_date=today + timedelta(days=i - 3))
    cat = modules(app)
    first, second, third = (cat.get(row.module_id) for row in rows[:3])
    trainee = as_role("trainee")

    pace = card(page(trainee, "/learn"), "next-title")
    assert "Behind the plan by 3 modules." in pace
    assert f"Overdue since {day(today - timedelta(days=3))}</strong>." in pace  # in words, not by colour alone
    assert "Next due date" not in pace
    assert page(trainee, "/learn").count('class="overdue"') == 3

    complete_directly(app, academy.trainee, first)
    complete_directly(app, academy.trainee, second)
    pace = card(page(trainee, "/learn"), "next-title")
    assert "Behind the plan by 1 module." in pace
    assert f"Overdue since {day(today - timedelta(days=1))}</strong>." in pace

    complete_directly(app, academy.trainee, third)
    pace = card(page(trainee, "/learn"), "next-title")
    assert "On track." in pace and "Behind" not in pace
    assert f"Next due date: {day(today)}." in pace  # due today is not late yet
    assert "on track" in page(trainee, f"/trainees/{academy.trainee.id}/progress")


def test_a_trainee_outside_any_cohort_is_told_so(app, people):
    loner = people.user("loner@example.com", "trainee")
    client = app.test_client()
    sign_in(client, loner.email)
    assert "You are not in a cohort yet" in page(client, "/learn")


# ------------------------------------------------------------------ locked modules


def test_locked_modules_name_their_missing_prerequisites_with_links(app, as_role, academy):
    cat = modules(app)
    module = next(m for m in cat.ordered_modules() if len(m.prerequisites) >= 2)
    done_first, still_missing = cat.get(module.prerequisites[0]), cat.get(module.prerequisites[1])
    trainee = as_role("trainee")

    row = path_row(page(trainee, "/learn"), module.id)
    assert ">Locked</span>" in row and "Needs first:" in row
    for prerequisite in (done_first, still_missing):
        assert f'<a href="/modules/{prerequisite.id}">{escape(prerequisite.title)}</a>' in row

    complete_directly(app, academy.trainee, done_first)

    row = path_row(page(trainee, "/learn"), module.id)
    assert f'href="/modules/{done_first.id}"' not in row
    assert f'<a href="/modules/{still_missing.id}">{escape(still_missing.title)}</a>' in row
    status = card(page(trainee, f"/modules/{module.id}"), "status-title")
    assert "Finish these first to unlock the knowledge check and labs" in status
    assert f'href="/modules/{still_missing.id}"' in status and f'href="/modules/{done_first.id}"' not in status


def test_a_module_unlocks_when_every_prerequisite_is_complete(app, as_role, academy):
    cat = modules(app)
    module = next(m for m in cat.ordered_modules() if m.prerequisites and m.quiz)
    for prerequisite in module.prerequisites:
        complete_directly(app, academy.trainee, cat.get(prerequisite))
    trainee = as_role("trainee")

    assert "Needs first" not in path_row(page(trainee, "/learn"), module.id)
    assert f'action="/modules/{module.id}/quiz"' in page(trainee, f"/modules/{module.id}")
    assert submit_quiz(trainee, module, right_answers(module)).status_code == 302


# ------------------------------------------------------------------ what the mentors said


def test_the_path_shows_returned_labs_and_the_latest_mentor_feedback(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    first = submitted(app, trainee, academy.trainee, lab)
    decide(app, first, academy.mentor2, "changes_requested", "Add the *exit codes*.", utcnow() - timedelta(days=2))

    html = page(trainee, "/learn")
    assert f'#lab-{lab.id}">{escape(lab.title)}</a> <span class="meta">— revise and submit a new attempt' in html
    feedback = card(html, "feedback-title")
    assert "<strong>Mentor2</strong>" in feedback and "changes requested" in feedback
    assert "<em>exit codes</em>" in feedback

    second = submitted(app, trainee, academy.trainee, lab)
    decide(app, second, academy.mentor, "approved", "Well done.")

    html = page(trainee, "/learn")
    assert "revise and submit a new attempt" not in html
    feedback = card(html, "feedback-title")
    assert "<strong>Mentor</strong>" in feedback and "(approved," in feedback and "Well done." in feedback
    assert "exit codes" not in feedback


# ------------------------------------------------------------------ the progress record


def test_the_progress_record_shows_done_modules_when_and_who_signed_each_lab_off(app, as_role, academy):
    cat = modules(app)
    lab = open_lab(app)
    module = cat.get(lab.module_id)
    not_done = next(m for m in cat.ordered_modules() if m.id != module.id)
    trainee = as_role("trainee")
    signed_off = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
    decide(app, submitted(app, trainee, academy.trainee, lab), academy.mentor2, "approved", decided_at=signed_off)
    mark_read(trainee, module)
    submit_quiz(trainee, module, right_answers(module))

    html = re.sub(r">\s+<", "><", page(trainee, f"/trainees/{academy.trainee.id}/progress"))
    rows = table_cells(html)

    completed_at = progress_of(app, academy.trainee, module).completed_at
    assert "Progress record: Trainee" in html
    assert f"1 of {len(cat.modules)} modules done" in html
    assert [module.title, day(completed_at), f"{lab.title}: Mentor2, 05 Oct 2026"] in rows
    assert not_done.title not in [row[0] for row in rows]


def test_the_progress_record_says_a_module_without_labs_has_no_lab(small_academy):
    app, trainee, learner, _ = small_academy
    module = modules(app).get("no-labs")
    complete_directly(app, learner, module, when=datetime(2026, 9, 20, 10, 0, tzinfo=UTC))
    rows = table_cells(re.sub(r">\s+<", "><", page(trainee, f"/trainees/{learner.id}/progress")))
    assert [module.title, "20 Sep 2026", "no lab"] in rows


def test_the_progress_record_says_when_nothing_is_done(app, as_role, academy):
    assert "No module completed yet." in page(as_role("trainee"), f"/trainees/{academy.trainee.id}/progress")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("trainee", 200),
        ("mentor", 200),
        ("manager", 200),
        ("admin", 200),
        ("trainee2", 403),
        ("outsider", 403),
        ("other_manager", 403),
    ],
)
def test_the_progress_record_is_for_the_trainee_and_their_staff(as_role, academy, who, status):
    response = as_role(who).get(f"/trainees/{academy.trainee.id}/progress")
    assert response.status_code == status
    assert ("Progress record: Trainee" in response.get_data(as_text=True)) == (status == 200)
