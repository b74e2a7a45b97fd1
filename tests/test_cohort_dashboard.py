"""The managers' cohort pages against a known data set: every figure computed by hand below.

The known cohort starts on a Monday (`start`, "s") and runs four weeks; its plan has four modules from three
tracks, one due at the end of each week. "Today" is s+23 (a Wednesday in the fourth week).

    module            track         due    Zoe Quick (Maria)    Bob Brown (Nico)            Ada Idle (Maria)
    linux-shell       foundations   s+7    done s+3 (2 days)    done s+5 (4 days)           not started
    files-permissions foundations   s+14   done s+10 (4 days)   submitted (returned twice)  not started
    toil              automation    s+21   done s+18 (4.5 d)    changes requested           not started
    slis-and-slos     slos          s+28   in progress          not started                 not started

Completions by the end of each week: s 0, s+7 2, s+14 3, s+21 4, today 4; of 3 x 4 = 12. The plan: 0, 3, 6, 9, 12.
Pace: 4 in 23 days, 8 to go -> 46 more days -> forecast s+69. Bob's last activity is s+13, Zoe's s+22.
Five lab submissions count for the review service level (Zoe's withdrawn one does not): 24 h, 48 h, 72 h,
24 h, and one still waiting since s+12 (a miss).
"""

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from academy.charts import burn_up_chart
from academy.cohorts import queries
from academy.cohorts.views import matrix_cells
from academy.curriculum.store import read_cached
from academy.models import (
    Cohort,
    CohortModule,
    CohortStaff,
    CohortTrainee,
    Decision,
    LabAttempt,
    ModuleProgress,
    User,
    utcnow,
)
from academy.reviews.queries import returned_twice, trainee_activity
from tests.conftest import REPO, sign_in

FIXED_START = date(2026, 9, 7)  # a Monday
TODAY_OFFSET = 23
PLAN = (
    ("linux-shell", 7),
    ("files-permissions", 14),
    ("toil", 21),
    ("slis-and-slos", 28),
)
TITLES = {
    "linux-shell": "The Linux shell and processes",
    "files-permissions": "Files, permissions and users",
    "toil": "Recognising and measuring toil",
    "slis-and-slos": "SLIs and SLOs",
}
SYMBOLS = {
    "locked": "⊘",
    "not started": "·",
    "in progress": "◐",
    "submitted": "●",
    "changes requested": "↺",
    "done": "✓",
}


@dataclass(frozen=True)
class Known:
    cohort_id: int
    start: date
    zoe: int
    bob: int
    ada: int
    maria: int
    nico: int
    mona: int

    @property
    def today(self) -> date:
        return self.start + timedelta(days=TODAY_OFFSET)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=28)

    def day(self, offset: int) -> date:
        return self.start + timedelta(days=offset)

    def at(self, offset: int, hour: int = 9, minute: int = 0) -> datetime:
        return datetime.combine(self.day(offset), time(hour, minute), tzinfo=UTC)


def build_known_cohort(people, start: date, name: str = "Known 2026") -> Known:
    zoe = people.user("zoe@example.com", "trainee", name="Zoe Quick").id
    bob = people.user("bob@example.com", "trainee", name="Bob Brown").id
    ada = people.user("ada@example.com", "trainee", name="Ada Idle").id
    maria = people.user("maria@example.com", "mentor", name="Maria Mentor").id
    nico = people.user("nico@example.com", "mentor", name="Nico Mentor").id
    mona = people.user("mona@example.com", "manager", name="Mona Manager").id
    with people.session() as s:
        cohort = Cohort(name=name, start_date=start, end_date=start + timedelta(days=28))
        s.add(cohort)
        s.flush()
        known = Known(cohort.id, start, zoe, bob, ada, maria, nico, mona)
        s.add_all(CohortModule(cohort_id=cohort.id, module_id=m, due_date=known.day(due)) for m, due in PLAN)
        s.add_all(
            [
                CohortStaff(cohort_id=cohort.id, user_id=mona, role="manager"),
                CohortStaff(cohort_id=cohort.id, user_id=maria, role="mentor"),
                CohortStaff(cohort_id=cohort.id, user_id=nico, role="mentor"),
            ]
        )
        s.flush()
        s.add_all(
            [
                CohortTrainee(trainee_id=zoe, cohort_id=cohort.id, mentor_id=maria),
                CohortTrainee(trainee_id=bob, cohort_id=cohort.id, mentor_id=nico),
                CohortTrainee(trainee_id=ada, cohort_id=cohort.id, mentor_id=maria),
            ]
        )
        at = known.at
        s.add_all(
            [
                ModuleProgress(
                    trainee_id=zoe, module_id="linux-shell", opened_at=at(1), read_at=at(3, 8), completed_at=at(3)
                ),
                ModuleProgress(
                    trainee_id=zoe,
                    module_id="files-permissions",
                    opened_at=at(6),
                    read_at=at(10, 8),
                    completed_at=at(10),
                ),
                ModuleProgress(
                    trainee_id=zoe, module_id="toil", opened_at=at(14), read_at=at(18, 8), completed_at=at(18, 21)
                ),
                ModuleProgress(trainee_id=zoe, module_id="slis-and-slos", opened_at=at(22)),
                ModuleProgress(
                    trainee_id=bob, module_id="linux-shell", opened_at=at(1), read_at=at(5, 8), completed_at=at(5)
                ),
                ModuleProgress(trainee_id=bob, module_id="files-permissions", opened_at=at(6)),
                ModuleProgress(trainee_id=bob, module_id="toil", opened_at=at(12)),
            ]
        )
        attempts = [
            # trainee, module, lab, number, status, submitted, (mentor, outcome, decided) or None
            (zoe, "files-permissions", 1, "approved", at(8), (maria, "approved", at(9))),
            (zoe, "slis-and-slos", 1, "withdrawn", at(21, 10), None),
            (bob, "files-permissions", 1, "changes_requested", at(7), (maria, "changes_requested", at(9))),
            (bob, "files-permissions", 2, "changes_requested", at(9, 10), (nico, "changes_requested", at(12, 10))),
            (bob, "files-permissions", 3, "submitted", at(12, 12), None),
            (bob, "toil", 1, "changes_requested", at(13), (maria, "changes_requested", at(14))),
        ]
        for trainee, module, number, status, submitted, decision in attempts:
            attempt = LabAttempt(
                trainee_id=trainee,
                module_id=module,
                lab_id=f"{module}-lab",
                number=number,
                status=status,
                evidence="Evidence.",
                request_key=f"{trainee}-{module}-{number}",
                submitted_at=submitted,
                withdrawn_at=submitted + timedelta(hours=1) if status == "withdrawn" else None,
            )
            s.add(attempt)
            s.flush()
            if decision:
                mentor, outcome, decided = decision
                s.add(Decision(attempt_id=attempt.id, mentor_id=mentor, outcome=outcome, decided_at=decided))
        s.commit()
    return known


@pytest.fixture
def fixed(people) -> Known:
    """The known cohort on fixed dates, for the query functions that take `today` and `now`."""
    return build_known_cohort(people, FIXED_START)


@pytest.fixture
def live(people) -> Known:
    """The same cohort placed so that the real today is s+23, for the pages (which read the clock)."""
    return build_known_cohort(people, utcnow().date() - timedelta(days=TODAY_OFFSET))


def signed_in(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def load(db_session, known: Known, today: date | None = None) -> queries.CohortData:
    cohort = db_session.get(Cohort, known.cohort_id)
    return queries.cohort_data(db_session, read_cached(REPO / "curriculum"), cohort, today or known.today)


def text_of(fragment: str) -> str:
    """The visible words of an HTML fragment, tags removed and whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def section(page: str, heading_id: str) -> str:
    found = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, re.S)
    assert found, heading_id
    return found.group(0)


def table_rows(fragment: str) -> list[list[str]]:
    """The cells' text of each body row."""
    body = re.search(r"<tbody>(.*?)</tbody>", fragment, re.S).group(1)
    return [
        [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def long_date(d: date) -> str:
    return d.strftime("%d %b %Y")


# ------------------------------------------------------------------ the matrix


def test_matrix_cells_follow_progress_and_the_latest_lab_attempt(db_session, fixed):
    data = load(db_session, fixed)

    assert [m for m, _ in data.plan] == [m for m, _ in PLAN]
    assert [d for _, d in data.plan] == [fixed.day(due) for _, due in PLAN]
    by_name = {row.name: row for row in data.rows}
    assert [row.name for row in data.rows] == ["Ada Idle", "Bob Brown", "Zoe Quick"]
    assert by_name["Zoe Quick"].cells == {
        "linux-shell": "done",
        "files-permissions": "done",
        "toil": "done",
        "slis-and-slos": "locked",  # opened, but prometheus-metrics is not done: locked is never in progress
    }
    assert by_name["Bob Brown"].cells == {
        "linux-shell": "done",
        "files-permissions": "submitted",  # returned twice, then submitted again: the latest attempt counts
        "toil": "changes requested",
        "slis-and-slos": "locked",
    }
    assert by_name["Ada Idle"].cells == {
        "linux-shell": "not started",
        "files-permissions": "locked",  # needs linux-shell
        "toil": "locked",
        "slis-and-slos": "locked",
    }
    assert [by_name[n].done for n in ("Zoe Quick", "Bob Brown", "Ada Idle")] == [3, 1, 0]
    assert [by_name[n].mentor for n in ("Zoe Quick", "Bob Brown", "Ada Idle")] == [
        "Maria Mentor",
        "Nico Mentor",
        "Maria Mentor",
    ]
    assert [data.behind(by_name[n]) for n in ("Zoe Quick", "Bob Brown", "Ada Idle")] == [0, 2, 3]


def test_the_latest_attempt_is_the_highest_number_whatever_order_the_rows_were_stored_in(db_session, people, fixed):
    """Ada's second attempt is stored before her first (a lower id): the cell follows attempt 2."""
    ada = db_session.exec(select(User.id).where(User.email == "ada@example.com")).one()
    db_session.rollback()
    with people.session() as s:
        done = fixed.at(1)  # toil needs linux-shell: done, so that toil is open to her
        s.add(ModuleProgress(trainee_id=ada, module_id="linux-shell", opened_at=done, read_at=done, completed_at=done))
        for number, status in ((2, "submitted"), (1, "changes_requested")):
            s.add(
                LabAttempt(
                    trainee_id=ada,
                    module_id="toil",
                    lab_id="toil-lab",
                    number=number,
                    status=status,
                    evidence="e",
                    request_key=f"ada-{number}",
                    submitted_at=fixed.at(number),
                )
            )
        s.commit()
    ada_row = next(row for row in load(db_session, fixed).rows if row.trainee_id == ada)
    assert ada_row.cells["toil"] == "submitted"


def progress_row(completed: bool = False) -> ModuleProgress:
    now = utcnow()
    return ModuleProgress(
        trainee_id=1,
        module_id="m",
        opened_at=now,
        read_at=now if completed else None,
        completed_at=now if completed else None,
    )


@pytest.mark.parametrize(
    ("progress", "lab_states", "expected"),
    [
        (None, set(), "not started"),
        (progress_row(), set(), "in progress"),
        (None, {"approved"}, "in progress"),
        (progress_row(), {"submitted"}, "submitted"),
        (progress_row(), {"submitted", "changes_requested"}, "changes requested"),
        (progress_row(), {"approved", "changes_requested"}, "changes requested"),
        (progress_row(completed=True), {"changes_requested"}, "done"),
        (progress_row(completed=True), set(), "done"),
    ],
)
def test_cell_state(progress, lab_states, expected):
    assert queries.cell_state(progress, lab_states) == expected


def test_a_locked_module_is_locked_in_the_matrix_however_it_was_opened():
    assert queries.cell_state(progress_row(), set(), locked=True) == "locked"
    assert queries.cell_state(progress_row(), {"submitted"}, locked=True) == "locked"
    assert queries.cell_state(progress_row(completed=True), set(), locked=True) == "done"


def test_matrix_page_shows_each_status_by_class_symbol_and_words(app, live):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    matrix = re.search(r'<table class="matrix">.*?</table>', page, re.S).group(0)

    headers = re.findall(r'<th scope="col" title="([^"]*)" aria-label="([^"]*)">(\d+)</th>', matrix)
    assert [html.unescape(h[0]) for h in headers] == [
        f"{TITLES[m]} (due {live.day(due).strftime('%d %b')})" for m, due in PLAN
    ]
    assert [(html.unescape(h[1]), h[2]) for h in headers] == [(TITLES[m], str(i)) for i, (m, _) in enumerate(PLAN, 1)]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", matrix, re.S)
    assert [text_of(re.search(r"<a [^>]*>(.*?)</a>", r).group(1)) for r in rows] == [
        "Ada Idle",
        "Bob Brown",
        "Zoe Quick",
    ]
    assert f'href="/trainees/{live.bob}"' in rows[1]
    bob_cells = re.findall(r'<td class="cell cell-([a-z-]+)" title="([^"]*)" aria-label="([^"]*)">(.*?)</td>', rows[1])
    expected = ["done", "submitted", "changes requested", "locked"]
    assert [c[0] for c in bob_cells] == [s.replace(" ", "-") for s in expected]  # the colour, by CSS class
    assert [c[3] for c in bob_cells] == [SYMBOLS[s] for s in expected]  # the shape
    assert [c[2] for c in bob_cells] == expected  # the words, for screen readers
    assert html.unescape(bob_cells[2][1]) == "Recognising and measuring toil: changes requested"
    zoe_cells = re.findall(r'<td class="cell cell-([a-z-]+)"', rows[2])
    assert zoe_cells == ["done", "done", "done", "locked"]  # slis-and-slos opened, prometheus-metrics not done
    assert [text_of(re.search(r"</th><td>(\d+)</td>", r).group(0)) for r in rows] == ["0", "1", "3"]

    legend = re.search(r'<p class="legend">(.*?)</p>', page, re.S).group(1)
    for state, symbol in SYMBOLS.items():
        assert f'<span class="cell cell-{state.replace(" ", "-")}">{symbol}</span> {state}' in legend


def test_matrix_cells_escape_module_titles():
    module = type("Module", (), {"title": '<b>Tricky & "quoted"</b>'})()
    row = queries.MatrixRow(1, "Ada", "ada@example.com", None, {"m": "done"})
    cells = str(matrix_cells([("m", date(2026, 9, 14), module)], [row])[1])
    assert cells == (
        '<td class="cell cell-done" title="&lt;b&gt;Tricky &amp; &#34;quoted&#34;&lt;/b&gt;: done"'
        ' aria-label="done">✓</td>'
    )


def matrix_row_names(page: str) -> list[str]:
    matrix = re.search(r'<table class="matrix">.*?</table>', page, re.S).group(0)
    return [text_of(n) for n in re.findall(r'<th scope="row"><a [^>]*>(.*?)</a></th>', matrix)]


def matrix_column_titles(page: str) -> list[str]:
    matrix = re.search(r'<table class="matrix">.*?</table>', page, re.S).group(0)
    return [text_of(t) for t in re.findall(r'<th scope="col" title="[^"]*" aria-label="([^"]*)">', matrix)]


def test_matrix_sorts_by_progress(app, live):
    client = signed_in(app, "mona@example.com")
    by_name = client.get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    by_progress = client.get(f"/cohorts/{live.cohort_id}?sort=progress").get_data(as_text=True)

    assert matrix_row_names(by_name) == ["Ada Idle", "Bob Brown", "Zoe Quick"]
    assert matrix_row_names(by_progress) == ["Zoe Quick", "Bob Brown", "Ada Idle"]
    assert re.search(r'<option value="progress" selected>', by_progress)


def test_matrix_filters_by_track(app, live):
    client = signed_in(app, "mona@example.com")
    everything = client.get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    foundations = client.get(f"/cohorts/{live.cohort_id}?track=foundations").get_data(as_text=True)
    automation = client.get(f"/cohorts/{live.cohort_id}?track=automation").get_data(as_text=True)
    unknown = client.get(f"/cohorts/{live.cohort_id}?track=no-such-track").get_data(as_text=True)

    assert matrix_column_titles(everything) == [TITLES[m] for m, _ in PLAN]
    assert matrix_column_titles(foundations) == [TITLES["linux-shell"], TITLES["files-permissions"]]
    assert matrix_column_titles(automation) == [TITLES["toil"]]
    assert matrix_column_titles(unknown) == [TITLES[m] for m, _ in PLAN]
    assert re.search(r'<option value="foundations" selected>', foundations)
    matrix = re.search(r'<table class="matrix">.*?</table>', automation, re.S).group(0)
    bob = re.search(r"Bob Brown</a>.*?</tr>", matrix, re.S).group(0)
    assert re.findall(r'<td class="cell cell-([a-z-]+)"', bob) == ["changes-requested"]


@pytest.mark.parametrize(("columns", "trainees"), [(1, 15), (26, 15), (29, 13), (45, 8), (90, 5), (400, 5)])
def test_a_longer_plan_shows_fewer_trainees_per_page_of_the_matrix(columns, trainees):
    """A page of the matrix stays near 400 cells however many modules the plan has, with at least 5 rows."""
    from academy.cohorts.views import matrix_page_size

    assert matrix_page_size(columns) == trainees


def test_matrix_is_shown_a_page_of_trainees_at_a_time_keeping_the_order_and_track(app, live, monkeypatch):
    monkeypatch.setattr("academy.cohorts.views.MATRIX_PAGE", 2)
    client = signed_in(app, "mona@example.com")
    url = f"/cohorts/{live.cohort_id}"

    first = client.get(f"{url}?sort=progress&track=foundations").get_data(as_text=True)
    assert matrix_row_names(first) == ["Zoe Quick", "Bob Brown"]
    assert "Trainees 1–2 of 3, most progress first." in text_of(section(first, "matrix-title"))
    pager = re.search(r'<nav class="pager" aria-label="Pages of the matrix">(.*?)</nav>', first, re.S).group(1)
    assert "Page 1 of 2" in text_of(pager)
    next_href = html.unescape(re.search(r'<a href="([^"]+)">Next →</a>', pager).group(1))
    assert next_href == f"{url}?page=2&track=foundations&sort=progress#matrix-title"

    second = client.get(next_href.split("#")[0]).get_data(as_text=True)
    assert matrix_row_names(second) == ["Ada Idle"]
    assert matrix_column_titles(second) == [TITLES["linux-shell"], TITLES["files-permissions"]]
    assert "Trainees 3–3 of 3" in text_of(section(second, "matrix-title"))
    assert "← Previous" in second and "Next →" not in second

    assert matrix_row_names(client.get(f"{url}?page=99").get_data(as_text=True)) == ["Zoe Quick"]  # the last page
    for odd in ("0", "-3", "x", "99999999999999999999"):
        answer = client.get(f"{url}?page={odd}")
        assert answer.status_code == 200, odd
        assert matrix_row_names(answer.get_data(as_text=True)) in (["Ada Idle", "Bob Brown"], ["Zoe Quick"]), odd


def test_one_page_of_trainees_needs_no_pager(app, live):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    assert 'class="pager"' not in page and "Trainees 1–" not in page
    assert matrix_row_names(page) == ["Ada Idle", "Bob Brown", "Zoe Quick"]


# ------------------------------------------------------------------ burn-up and forecast


def test_weeks_step_by_seven_days_and_end_on_the_last_day():
    start = date(2026, 9, 7)
    assert queries.weeks(start, date(2026, 9, 30)) == [
        date(2026, 9, 7),
        date(2026, 9, 14),
        date(2026, 9, 21),
        date(2026, 9, 28),
        date(2026, 9, 30),
    ]
    assert queries.weeks(start, date(2026, 9, 21)) == [date(2026, 9, 7), date(2026, 9, 14), date(2026, 9, 21)]
    assert queries.weeks(start, start) == [start]


def test_burn_up_points_against_the_plan(db_session, fixed):
    burn = queries.burn_up(load(db_session, fixed))

    assert burn.actual == [
        (date(2026, 9, 7), 0),
        (date(2026, 9, 14), 2),
        (date(2026, 9, 21), 3),
        (date(2026, 9, 28), 4),
        (date(2026, 9, 30), 4),
    ]
    assert burn.planned == [
        (date(2026, 9, 7), 0),
        (date(2026, 9, 14), 3),
        (date(2026, 9, 21), 6),
        (date(2026, 9, 28), 9),
        (date(2026, 10, 5), 12),
    ]
    assert burn.total == 12
    assert burn.done == 4
    assert burn.forecast == date(2026, 11, 15)  # 30 Sep + 46 days


def test_burn_up_counts_only_modules_of_the_plan(db_session, people, fixed):
    with people.session() as s:
        at = fixed.at(11)
        s.add(ModuleProgress(trainee_id=fixed.zoe, module_id="networking", opened_at=at, read_at=at, completed_at=at))
        s.commit()
    burn = queries.burn_up(load(db_session, fixed))
    assert [n for _, n in burn.actual] == [0, 2, 3, 4, 4]
    assert burn.forecast == date(2026, 11, 15)
    assert queries.cohort_summaries(db_session, [fixed.cohort_id])[0].completed == 4


def test_before_the_start_the_burn_up_has_one_point_and_no_forecast(db_session, fixed):
    burn = queries.burn_up(load(db_session, fixed, today=date(2026, 9, 1)))
    assert burn.actual == [(date(2026, 9, 7), 0)]
    assert burn.done == 0
    assert burn.forecast is None


def test_after_the_planned_end_the_burn_up_still_counts_late_completions(db_session, people, fixed):
    """The page's "N of 12 module completions" comes from the burn-up: work finished late must count."""
    with people.session() as s:
        late = fixed.at(40)  # after the planned end (s+28)
        s.add(
            ModuleProgress(
                trainee_id=fixed.ada, module_id="linux-shell", opened_at=late, read_at=late, completed_at=late
            )
        )
        s.commit()
    burn = queries.burn_up(load(db_session, fixed, today=fixed.day(45)))
    assert burn.done == 5


@pytest.mark.parametrize(
    ("today", "done", "total", "expected"),
    [
        (date(2026, 9, 30), 4, 12, date(2026, 11, 15)),  # 8 to go at 4 per 23 days: 46 days
        (date(2026, 9, 30), 3, 4, date(2026, 10, 8)),  # 1 to go at 3 per 23 days: 7.67 -> 8 days
        (date(2026, 9, 30), 1, 4, date(2026, 12, 8)),  # 3 to go at 1 per 23 days: 69 days
        (date(2026, 9, 30), 0, 12, None),  # no pace yet
        (date(2026, 9, 7), 2, 12, None),  # no time has passed
        (date(2026, 9, 1), 2, 12, None),  # before the start
    ],
)
def test_forecast_finish(today, done, total, expected):
    assert queries.forecast_finish(date(2026, 9, 7), today, done, total) == expected


def test_burn_up_chart_is_inline_svg_with_a_text_alternative_and_the_points(app, live):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    chart = re.search(r'<svg class="chart".*?</svg>', page, re.S).group(0)

    assert 'role="img"' in chart and 'aria-labelledby="burnup-title burnup-desc"' in chart
    title = re.search(r'<title id="burnup-title">(.*?)</title>', chart).group(1)
    assert html.unescape(title) == "Burn-up of Known 2026: module completions against the plan"
    polylines = re.findall(r'<polyline [^>]*points="([^"]*)"', chart)
    planned, actual = ([tuple(map(float, p.split(","))) for p in line.split()] for line in polylines)
    # y = 244 - n * 228 / 12 on a 280-high chart with a 36 margin below and 16 above
    assert [y for _, y in actual] == [244 - 19 * n for n in (0, 2, 3, 4, 4)]
    assert [y for _, y in planned] == [244 - 19 * n for n in (0, 3, 6, 9, 12)]
    assert [x for x, _ in actual] == sorted({x for x, _ in actual})
    assert planned[0][0] == actual[0][0] == 56.0
    assert len(re.findall(r"<circle ", chart)) == 5
    assert "<script" not in chart and "href" not in chart  # drawn on the server, needs nothing else
    key = re.search(r'</svg><ul class="chart-key">(.*?)</ul>', page, re.S).group(1)  # the key: the page's text
    assert [text_of(k) for k in re.findall(r"<li>(.*?)</li>", key)] == ["completed", "planned pace", "forecast"]


def forecast_line(chart: str) -> tuple[float, float, float, float]:
    found = re.search(
        r'<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"[^>]*stroke-dasharray="2 4"', chart
    )
    return tuple(map(float, found.groups()))


@pytest.mark.parametrize("years_late", [0, 4])
def test_the_forecast_line_stays_inside_the_chart(years_late):
    """A forecast years past the plan is drawn towards it, but stops at the chart's right edge (x = 700)."""
    start = date(2026, 9, 1)
    planned = [(start + timedelta(weeks=w), 4 * w) for w in range(0, 27, 4)]
    actual = [(start + timedelta(weeks=w), w) for w in range(0, 9, 4)]
    forecast = start + timedelta(weeks=26 + 52 * years_late)
    chart = str(burn_up_chart(actual, planned, 104, forecast, title="t"))
    x1, y1, x2, y2 = forecast_line(chart)
    assert 56 <= x1 < x2 <= 700 and y2 < y1
    if years_late:
        assert x2 == 700 and y2 > 16, "stopped at the edge, below the total"
    else:
        assert (x2, y2) == (700, 16), "the whole way to the total on the forecast day"


def test_burn_up_description_gives_the_figures_and_the_planned_end(app, live):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    desc = html.unescape(re.search(r'<desc id="burnup-desc">(.*?)</desc>', page, re.S).group(1))
    forecast = live.today + timedelta(days=46)
    assert desc == (
        f"4 of 12 module completions so far; the plan line reaches 12 on {long_date(live.end)}."
        f" At the current pace the cohort finishes around {long_date(forecast)}."
    )


def test_cohort_page_states_the_totals_and_the_forecast(app, live):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    lede = text_of(re.search(r'<p class="lede">(.*?)</p>', page, re.S).group(1))
    forecast = live.today + timedelta(days=46)
    assert lede == (
        f"{long_date(live.start)} – {long_date(live.end)} · 3 trainees · 4 of 12 module completions"
        f" · at this pace the cohort finishes around {long_date(forecast)} (planned {long_date(live.end)})"
    )


def test_burn_up_numbers_behind_the_chart(app, live):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    burnup = section(page, "burnup-heading")
    assert "<summary>The numbers behind the chart</summary>" in burnup
    assert table_rows(burnup) == [
        [long_date(live.day(0)), "0"],
        [long_date(live.day(7)), "2"],
        [long_date(live.day(14)), "3"],
        [long_date(live.day(21)), "4"],
        [long_date(live.day(23)), "4"],
    ]


def test_the_numbers_behind_the_chart_leave_out_the_quiet_weeks():
    week = [date(2026, 1, 5) + timedelta(days=7 * i) for i in range(6)]
    actual = list(zip(week, [0, 0, 3, 3, 3, 5], strict=True))
    assert queries.changed_weeks(actual) == [(week[0], 0), (week[2], 3), (week[5], 5)]
    quiet_end = list(zip(week, [0, 2, 4, 4, 4, 4], strict=True))
    assert queries.changed_weeks(quiet_end) == [(week[0], 0), (week[1], 2), (week[2], 4), (week[5], 4)]
    assert queries.changed_weeks(actual[:1]) == actual[:1]
    assert queries.changed_weeks([]) == []


# ------------------------------------------------------------------ at risk


def test_at_risk_reasons_on_the_known_cohort(db_session, fixed):
    data = load(db_session, fixed)
    ids = [r.trainee_id for r in data.rows]
    now = fixed.at(TODAY_OFFSET, 12)
    found = queries.at_risk(data, trainee_activity(db_session, ids), returned_twice(db_session, ids), now)

    assert [(r.row.name, r.reasons) for r in found] == [
        ("Ada Idle", ["behind the plan by 3 modules", "no activity yet"]),
        ("Bob Brown", ["no activity for 7 days", "a lab returned twice"]),  # behind by exactly 2: not a reason
    ]


def test_at_risk_counts_seven_days_of_silence_to_the_second(db_session, fixed):
    data = load(db_session, fixed, today=fixed.day(6))  # nothing overdue yet
    now = fixed.at(20)
    activity = {
        fixed.zoe: (0, now - timedelta(days=7)),
        fixed.bob: (0, now - timedelta(days=7, seconds=1)),
        fixed.ada: (0, now - timedelta(hours=1)),
    }
    found = queries.at_risk(data, activity, set(), now)
    assert [(r.row.trainee_id, r.reasons) for r in found] == [(fixed.bob, ["no activity for 7 days"])]


def test_at_risk_list_on_the_page(app, live):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    risk = section(page, "risk-title")
    items = re.findall(r"<li>(.*?)</li>", risk, re.S)
    assert [text_of(i) for i in items] == [
        "Ada Idle: behind the plan by 3 modules; no activity yet",
        "Bob Brown: no activity for 7 days; a lab returned twice",
    ]
    assert f'href="/trainees/{live.ada}"' in items[0] and f'href="/trainees/{live.bob}"' in items[1]


# ------------------------------------------------------------------ where trainees get stuck


def test_funnel_counts_and_median_days(db_session, fixed):
    assert queries.funnel(load(db_session, fixed)) == [
        queries.Funnel("linux-shell", started=2, submitted=0, returned=0, finished=2, median_days=3.0),
        queries.Funnel("files-permissions", started=2, submitted=2, returned=1, finished=1, median_days=4.0),
        queries.Funnel("toil", started=2, submitted=1, returned=1, finished=1, median_days=4.5),
        # Zoe opened it, but it is locked for her (prometheus-metrics is not done): not started
        queries.Funnel("slis-and-slos", started=0, submitted=0, returned=0, finished=0, median_days=None),
    ]


def test_funnel_table_on_the_page(app, live):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    assert table_rows(section(page, "stuck-title")) == [
        [TITLES["linux-shell"], "2", "0", "0", "2", "3.0 days"],
        [TITLES["files-permissions"], "2", "2", "1", "1", "4.0 days"],
        [TITLES["toil"], "2", "1", "1", "1", "4.5 days"],
    ]
    assert "1 module that nobody has started yet is left out." in text_of(section(page, "stuck-title"))


def test_review_service_level_per_mentor_on_the_page(app, live):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{live.cohort_id}").get_data(as_text=True)
    # decided in 24 h (Maria), 48 h (Maria), 72 h (Nico), 24 h (Maria); one waiting past 48 h: a miss
    assert table_rows(section(page, "sl-title")) == [
        ["All mentors", "5", "60.0%", "36.0 h", "72.0 h", "overspent (-300%)"],
        ["Maria Mentor", "3", "100.0%", "24.0 h", "48.0 h", "100%"],
        ["Nico Mentor", "1", "0.0%", "72.0 h", "72.0 h", "overspent (-900%)"],
        ["Waiting, past target", "1", "0.0%", "—", "—", "overspent (-900%)"],  # 3 + 1 + 1 = 5
    ]


# ------------------------------------------------------------------ the cohorts list


def test_cohort_summaries_and_health_of_the_known_cohort(db_session, people, fixed):
    empty = people.cohort("Empty cohort")  # a plan, no trainees
    summaries = queries.cohort_summaries(db_session, [fixed.cohort_id, empty.id])
    known = next(c for c in summaries if c.id == fixed.cohort_id)
    assert (known.trainees, known.planned_modules, known.completed, known.percent) == (3, 4, 4, 33)
    assert next(c for c in summaries if c.id == empty.id).percent == 0
    assert [c.id for c in queries.cohort_summaries(db_session, [empty.id])] == [empty.id]

    health = queries.cohorts_health(db_session, [fixed.cohort_id], fixed.today)[fixed.cohort_id]
    assert (health.on_track, health.behind) == (1, 2)  # Zoe; Bob and Ada have overdue modules
    # twelve weeks back from s+23 starts at s-61: completions on s+3, s+5 (week 10), s+10 (11), s+18 (12)
    assert health.weekly == [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 1]


def test_cohorts_list_shows_the_figures_and_a_sparkline_that_says_them(app, people, live):
    other = people.user("otto@example.com", "manager", name="Otto Other")
    people.cohort("Not Mona's", trainees=[people.user("x@example.com", "trainee")], managers=[other])
    page = signed_in(app, "mona@example.com").get("/cohorts").get_data(as_text=True)

    assert "Not Mona&#39;s" not in page and "Not Mona's" not in page
    rows = re.findall(r"<tr>\s*<td[^>]*><a href=\"/cohorts/(\d+)\">(.*?)</tr>", page, re.S)
    assert [int(r[0]) for r in rows] == [live.cohort_id]
    row = rows[0][1]
    cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[0] == "3"  # trainees
    assert cells[1] == "33% 33%"  # 4 of 12 completions, in the progress bar and in words
    assert 'value="33"' in row
    assert cells[2] == "1 on track 2 behind"
    assert cells[3] == "60% of 5"  # reviews within target, last 30 days

    svg = re.search(r'<svg class="sparkline".*?</svg>', row, re.S).group(0)
    weekly = [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 1]
    label = "Modules completed per week in Known 2026, last 12 weeks: " + ", ".join(map(str, weekly))
    assert 'role="img"' in svg
    assert html.unescape(re.search(r'aria-label="([^"]*)"', svg).group(1)) == label
    assert html.unescape(re.search(r"<title>(.*?)</title>", svg).group(1)) == label
    points = [tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]*)"', svg).group(1).split()]
    # 28 high, 2 of margin: y = 26 - value / 2 * 24
    assert [y for _, y in points] == [26 - v / 2 * 24 for v in weekly]


def test_cohorts_list_for_a_manager_without_cohorts(app, academy, people):
    people.user("lonely@example.com", "manager")
    page = signed_in(app, "lonely@example.com").get("/cohorts").get_data(as_text=True)
    assert "You do not own a cohort yet" in page
    assert "Cohort A" not in page and "Cohort B" not in page


# ------------------------------------------------------------------ who sees which cohort


def test_a_manager_sees_only_the_cohorts_they_own(as_role, academy):
    client = as_role("manager")
    listing = client.get("/cohorts").get_data(as_text=True)
    assert f'href="/cohorts/{academy.cohort.id}"' in listing
    assert f'href="/cohorts/{academy.other_cohort.id}"' not in listing and "Cohort B" not in listing
    assert client.get(f"/cohorts/{academy.cohort.id}").status_code == 200
    for path in ("", "/progress.csv", "/reviews.csv"):
        refused = client.get(f"/cohorts/{academy.other_cohort.id}{path}")
        assert refused.status_code == 403, path
        assert "outsider@example.com" not in refused.get_data(as_text=True)
        assert not refused.content_type.startswith("text/csv")


@pytest.mark.parametrize("who", ["mentor", "trainee", "other_manager"])
def test_others_cannot_open_a_cohort_or_its_exports(as_role, academy, who):
    client = as_role(who)
    for path in ("", "/progress.csv", "/reviews.csv"):
        assert client.get(f"/cohorts/{academy.cohort.id}{path}").status_code == 403, path


def test_an_admin_opens_any_cohort_and_an_unknown_one_is_not_found(as_role, academy):
    client = as_role("admin")
    for path in ("", "/progress.csv", "/reviews.csv"):
        assert client.get(f"/cohorts/{academy.other_cohort.id}{path}").status_code == 200, path
    assert client.get("/cohorts/999999").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, academy):
    for path in ("/cohorts", f"/cohorts/{academy.cohort.id}", f"/cohorts/{academy.cohort.id}/progress.csv"):
        response = client.get(path)
        assert response.status_code in (302, 401, 403), path
        assert b"trainee@example.com" not in response.data
