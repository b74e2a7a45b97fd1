"""A trainee's record as their managers and mentors see it (/trainees/<id>): the timeline of activity, every
lab attempt with its decision, and the forecast ready date; and who may open it.

The cohort starts on day s and plans four modules, due s+7, s+14, s+21 and s+28; "today" is s+23.
Bob: linux-shell opened s+1, read s+5 08:00, completed s+5; knowledge checks s+2 (2/6) and s+4 (5/6);
files-permissions opened s+6, lab submitted s+7 (returned by Maria s+9), s+9 10:00 (returned by Nico s+12 10:00),
s+12 12:00 (waiting); toil opened s+12, lab submitted s+13 (returned by Maria s+14).
Zoe has done three of the four modules; Ada none.
"""

import html
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from academy.curriculum.store import catalogue
from academy.learning.queries import learning_path, ready_forecast, timeline
from academy.models import (
    Cohort,
    CohortModule,
    CohortStaff,
    CohortTrainee,
    Decision,
    LabAttempt,
    ModuleProgress,
    QuizAttempt,
)
from tests.conftest import sign_in

PLAN = (("linux-shell", 7), ("files-permissions", 14), ("toil", 21), ("slis-and-slos", 28))
TODAY_OFFSET = 23


class Record:
    def __init__(self, start: date):
        self.start = start

    def day(self, offset: int) -> date:
        return self.start + timedelta(days=offset)

    def at(self, offset: int, hour: int = 9, minute: int = 0) -> datetime:
        return datetime.combine(self.day(offset), time(hour, minute), tzinfo=UTC)

    @property
    def today(self) -> date:
        return self.day(TODAY_OFFSET)


def build_record(people, start: date) -> Record:
    record = Record(start)
    at = record.at
    record.bob = people.user("bob@example.com", "trainee", name="Bob Brown").id
    record.zoe = people.user("zoe@example.com", "trainee", name="Zoe Quick").id
    record.ada = people.user("ada@example.com", "trainee", name="Ada Idle").id
    record.maria = people.user("maria@example.com", "mentor", name="Maria Mentor").id
    record.nico = people.user("nico@example.com", "mentor", name="Nico Mentor").id
    record.mona = people.user("mona@example.com", "manager", name="Mona Manager").id
    with people.session() as s:
        cohort = Cohort(name="Record 2026", start_date=start, end_date=record.day(28))
        s.add(cohort)
        s.flush()
        record.cohort_id = cohort.id
        s.add_all(CohortModule(cohort_id=cohort.id, module_id=m, due_date=record.day(due)) for m, due in PLAN)
        s.add_all(
            CohortStaff(cohort_id=cohort.id, user_id=u, role=r)
            for u, r in ((record.mona, "manager"), (record.maria, "mentor"), (record.nico, "mentor"))
        )
        s.flush()
        s.add_all(
            [
                CohortTrainee(trainee_id=record.bob, cohort_id=cohort.id, mentor_id=record.nico),
                CohortTrainee(trainee_id=record.zoe, cohort_id=cohort.id, mentor_id=record.maria),
                CohortTrainee(trainee_id=record.ada, cohort_id=cohort.id, mentor_id=record.maria),
            ]
        )
        bob = record.bob
        s.add_all(
            [
                ModuleProgress(
                    trainee_id=bob, module_id="linux-shell", opened_at=at(1), read_at=at(5, 8), completed_at=at(5)
                ),
                ModuleProgress(trainee_id=bob, module_id="files-permissions", opened_at=at(6)),
                ModuleProgress(trainee_id=bob, module_id="toil", opened_at=at(12)),
                *(
                    ModuleProgress(
                        trainee_id=record.zoe, module_id=m, opened_at=at(d), read_at=at(d), completed_at=at(d)
                    )
                    for m, d in (("linux-shell", 3), ("files-permissions", 10), ("toil", 18))
                ),
            ]
        )
        for created, correct, key in ((at(2), 2, "q1"), (at(4), 5, "q2")):
            s.add(
                QuizAttempt(
                    trainee_id=bob,
                    module_id="linux-shell",
                    content_hash="h",
                    answers="{}",
                    correct=correct,
                    total=6,
                    passed=correct >= 5,
                    request_key=key,
                    created_at=created,
                )
            )
        attempts = [
            ("files-permissions", 1, "changes_requested", at(7), (record.maria, at(9), "Show the `ls -l` output.")),
            ("files-permissions", 2, "changes_requested", at(9, 10), (record.nico, at(12, 10), "Still no umask.")),
            ("files-permissions", 3, "submitted", at(12, 12), None),
            ("toil", 1, "changes_requested", at(13), (record.maria, at(14), "Measure it over a week.")),
        ]
        for module, number, status, submitted, decision in attempts:
            attempt = LabAttempt(
                trainee_id=bob,
                module_id=module,
                lab_id=f"{module}-lab",
                number=number,
                status=status,
                evidence=f"Evidence for {module}, take {number}.",
                request_key=f"{module}-{number}",
                submitted_at=submitted,
            )
            s.add(attempt)
            s.flush()
            if decision:
                mentor, decided, comment = decision
                s.add(
                    Decision(
                        attempt_id=attempt.id,
                        mentor_id=mentor,
                        outcome="changes_requested",
                        decided_at=decided,
                        comment=comment,
                    )
                )
        s.commit()
    return record


@pytest.fixture
def titles(app):
    with app.app_context():
        cat = catalogue()
        return {
            "linux": cat.get("linux-shell").title,
            "files": cat.get("files-permissions").title,
            "toil": cat.get("toil").title,
            "files-lab": cat.lab("files-permissions-lab").title,
            "toil-lab": cat.lab("toil-lab").title,
        }


def expected_timeline(record: Record, t: dict) -> list[tuple[datetime, str]]:
    at = record.at
    return [
        (at(14), f"Maria Mentor asked for changes on “{t['toil-lab']}”"),
        (at(13), f"Submitted “{t['toil-lab']}”, attempt 1"),
        (at(12, 12), f"Submitted “{t['files-lab']}”, attempt 3"),
        (at(12, 10), f"Nico Mentor asked for changes on “{t['files-lab']}”"),
        (at(12), f"Opened “{t['toil']}”"),
        (at(9, 10), f"Submitted “{t['files-lab']}”, attempt 2"),
        (at(9), f"Maria Mentor asked for changes on “{t['files-lab']}”"),
        (at(7), f"Submitted “{t['files-lab']}”, attempt 1"),
        (at(6), f"Opened “{t['files']}”"),
        (at(5), f"Completed “{t['linux']}”"),
        (at(5, 8), f"Read “{t['linux']}”"),
        (at(4), "Knowledge check passed (5/6)"),
        (at(2), "Knowledge check did not pass (2/6)"),
        (at(1), f"Opened “{t['linux']}”"),
    ]


def signed_in(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


# ------------------------------------------------------------------ the queries


def test_timeline_lists_every_event_newest_first(app, db_session, people, titles):
    record = build_record(people, date(2026, 9, 7))
    with app.app_context():
        events = timeline(db_session, catalogue(), record.bob)
    assert [(e.at, e.text) for e in events] == expected_timeline(record, titles)
    assert {e.module.id for e in events if e.module} == {"linux-shell", "files-permissions", "toil"}


def test_timeline_keeps_the_newest_events_up_to_the_limit(app, db_session, people, titles):
    record = build_record(people, date(2026, 9, 7))
    with app.app_context():
        events = timeline(db_session, catalogue(), record.bob, limit=3)
    assert [(e.at, e.text) for e in events] == expected_timeline(record, titles)[:3]


@pytest.mark.parametrize(("who", "done", "expected"), [("zoe", 3, date(2026, 10, 8)), ("bob", 1, date(2026, 12, 8))])
def test_ready_forecast_at_the_trainees_own_pace(app, db_session, people, who, done, expected):
    # 23 days since the start: Zoe, 3 done, needs 1 more at 3 per 23 days (8 days); Bob 3 more at 1 per 23 (69)
    record = build_record(people, date(2026, 9, 7))
    with app.app_context():
        path = learning_path(db_session, catalogue(), getattr(record, who), today=date(2026, 9, 30))
    assert (path.done_count, len(path.items)) == (done, 4)
    assert ready_forecast(path) == expected


def test_no_forecast_without_progress_or_without_a_cohort(app, db_session, people):
    record = build_record(people, date(2026, 9, 7))
    loner = people.user("loner@example.com", "trainee").id
    with app.app_context():
        assert ready_forecast(learning_path(db_session, catalogue(), record.ada, today=date(2026, 9, 30))) is None
        assert ready_forecast(learning_path(db_session, catalogue(), loner, today=date(2026, 9, 30))) is None


# ------------------------------------------------------------------ the page


@pytest.fixture
def record(people) -> Record:
    """Placed so that the page's today (the server's date) is s+23."""
    return build_record(people, date.today() - timedelta(days=TODAY_OFFSET))


@pytest.mark.parametrize("viewer", ["mona@example.com", "nico@example.com", "maria@example.com"])
def test_trainee_page_shows_the_timeline_in_order(app, record, titles, viewer):
    page = signed_in(app, viewer).get(f"/trainees/{record.bob}").get_data(as_text=True)
    found = re.search(r'<ol class="timeline"[^>]*>(.*?)</ol>', page, re.S).group(1)
    items = [text_of(li) for li in re.findall(r"<li>(.*?)</li>", found, re.S)]
    # in the viewer's time zone: nobody chose one, so the installation's, UTC here
    assert items == [f"{at:%d %b %Y %H:%M} UTC {words}" for at, words in expected_timeline(record, titles)]


def test_trainee_page_shows_every_lab_attempt_and_decision(app, record, titles):
    page = signed_in(app, "mona@example.com").get(f"/trainees/{record.bob}").get_data(as_text=True)
    found = re.search(r'<ol class="attempts" reversed>(.*?)</ol>', page, re.S).group(1)
    attempts = re.findall(r'<li class="attempt">(.*?)</li>\s*(?=<li class="attempt">|$)', found, re.S)
    heads = [text_of(re.search(r"<p>(.*?)</p>", a, re.S).group(1)) for a in attempts]
    assert heads == [
        f"Attempt 1 · submitted {record.at(13):%d %b %Y %H:%M} UTC · Changes requested",
        f"Attempt 3 · submitted {record.at(12, 12):%d %b %Y %H:%M} UTC · Submitted",
        f"Attempt 2 · submitted {record.at(9, 10):%d %b %Y %H:%M} UTC · Changes requested",
        f"Attempt 1 · submitted {record.at(7):%d %b %Y %H:%M} UTC · Changes requested",
    ]
    decisions = [
        text_of(d.group(1)) if (d := re.search(r'<div class="decision [a-z_]+">(.*?)</div>\s*$', a, re.S)) else None
        for a in attempts
    ]
    said, criteria = [], []  # the mentor's words, then which acceptance criteria they ticked
    for decision in decisions:
        words, _, ticked = (decision or "").partition(" Acceptance criteria ")
        said.append(words or None)
        criteria.append(re.match(r"\((\d+ of \d+) met\)", ticked).group(1) if ticked else None)
    assert criteria == ["0 of 6", None, "0 of 6", "0 of 6"]
    assert said == [
        f"Maria Mentor asked for changes on {record.day(14):%d %b %Y}: Measure it over a week.",
        None,
        f"Nico Mentor asked for changes on {record.day(12):%d %b %Y}: Still no umask.",
        f"Maria Mentor asked for changes on {record.day(9):%d %b %Y}: Show the ls -l output.",
    ]
    assert "Evidence for toil, take 1." in attempts[0] and "Evidence for files-permissions, take 3." in attempts[1]


@pytest.mark.parametrize(("who", "days", "summary"), [("zoe", 8, "3 of 4"), ("bob", 69, "1 of 4")])
def test_trainee_page_gives_the_forecast_ready_date(app, record, who, days, summary):
    page = signed_in(app, "mona@example.com").get(f"/trainees/{getattr(record, who)}").get_data(as_text=True)
    forecast = text_of(re.search(r"<p>Forecast ready date:(.*?)</p>", page, re.S).group(1))
    assert forecast.startswith(f"{record.today + timedelta(days=days):%d %b %Y} (at their pace since")
    assert f"Record 2026 · {summary} modules done" in text_of(page)


def test_trainee_page_without_progress_says_it_is_too_early_to_tell(app, record):
    page = signed_in(app, "mona@example.com").get(f"/trainees/{record.ada}").get_data(as_text=True)
    assert "Forecast ready date: <strong>not enough progress yet to tell</strong>" in page
    assert "No activity yet." in page and "No lab submitted yet." in page


def test_trainee_page_is_refused_to_staff_of_other_cohorts_and_to_other_trainees(app, people, record):
    olga = people.user("olga@example.com", "mentor", name="Olga Other")
    otto = people.user("otto@example.com", "manager", name="Otto Other")
    people.cohort("Elsewhere", mentors=[olga], managers=[otto])
    for email in ("olga@example.com", "otto@example.com", "zoe@example.com"):
        response = signed_in(app, email).get(f"/trainees/{record.bob}")
        assert response.status_code == 403, email
        assert "Still no umask" not in response.get_data(as_text=True)
    assert signed_in(app, "bob@example.com").get(f"/trainees/{record.bob}").status_code == 200
