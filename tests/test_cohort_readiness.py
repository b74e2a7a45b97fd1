"""Readiness on the managers' pages (issue 15): the funnel by stage, who became ready this month, each trainee's
forecast and how it is computed, the practicum's at-risk reasons, the readiness CSV and the cohorts list.

The staged cohort started ten days ago and plans every module of the curriculum. Lea has done nothing
(learning); Pia finished ten modules, one of them "incident-roles", which opens shadow shifts and drills
(practising), and has two shadow shifts confirmed, the first 14 days ago; Rex completed the whole checklist
(ready for review); Gus and Ola completed it too and a panel decided they are ready for on-call, Gus today and
Ola on the last day of last month.
"""

import csv
import io
import re
import sys
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from academy.cohorts import queries
from academy.cohorts.readiness import cohort_readiness, practice_counts, ready_counts, stage_chart
from academy.forecast import HOW_IT_IS_COMPUTED, at_cadence, checklist_forecast
from academy.models import (
    Cohort,
    ModuleProgress,
    PracticeDecision,
    PracticeEntry,
    ReadinessDecision,
    ReadinessRequest,
    utcnow,
)
from academy.readiness.queries import readiness_of
from academy.reviews.queries import returned_twice, trainee_activity
from tests.conftest import sign_in
from tests.practicum_factory import catalogue_of, complete_checklist, finish_modules
from tests.test_exports_quoting import ALL_QUOTED, TIA

TODAY = utcnow().date()  # both set again as each test starts (today_as_the_test_starts)
NOW = utcnow()
PRACTICE_REQUIRED = 9  # the curriculum's practicum: 3 shadow shifts, 2 drills, 2 reverse-shadow shifts, 1 + 1


@pytest.fixture(autouse=True)
def today_as_the_test_starts(monkeypatch):
    """TODAY and NOW as each test starts, not as the module was imported: a run that crossed midnight UTC failed
    every test after it. (test_api_readiness, which uses the helpers below, asks for this too.)"""
    now = utcnow()
    monkeypatch.setattr(sys.modules[__name__], "NOW", now)
    monkeypatch.setattr(sys.modules[__name__], "TODAY", now.date())


# ------------------------------------------------------------------ rows, written directly


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def entry(people, trainee, requirement_id: str, *, status="confirmed", started=None, submitted=None, mentor=None):
    """One practice entry; a confirmed or returned one gets its mentor's decision."""
    with people.session() as s:
        row = PracticeEntry(
            trainee_id=trainee.id,
            requirement_id=requirement_id,
            started_at=started or NOW - timedelta(days=1),
            minutes=90,
            service="payments primary",
            role="scribe" if requirement_id == "incident-drills" else None,
            account="Followed the primary.",
            status=status,
            request_key=uuid.uuid4().hex,
            submitted_at=submitted or NOW - timedelta(hours=1),
        )
        s.add(row)
        s.flush()
        if status in ("confirmed", "changes_requested"):
            s.add(PracticeDecision(entry_id=row.id, mentor_id=(mentor or trainee).id, outcome=status))
        s.commit()
        return row.id


def graduate(people, trainee, decider, *, on: datetime) -> int:
    """A readiness request decided "ready" on `on`, as the readiness service leaves it."""
    with people.session() as s:
        request = ReadinessRequest(
            trainee_id=trainee.id, requested_by=trainee.id, requested_at=on - timedelta(days=1), status="decided"
        )
        s.add(request)
        s.flush()
        s.add(
            ReadinessDecision(
                request_id=request.id, decided_by=decider.id, outcome="ready", rationale="Calm.", decided_at=on
            )
        )
        s.commit()
        return request.id


def module_done(people, trainee, module_id: str, *, at: datetime) -> None:
    with people.session() as s:
        s.merge(ModuleProgress(trainee_id=trainee.id, module_id=module_id, opened_at=at, read_at=at, completed_at=at))
        s.commit()


def start_cohort(people, cohort, start: date) -> None:
    with people.session() as s:
        row = s.get(Cohort, cohort.id)
        row.start_date = start
        s.add(row)
        s.commit()


def signed_in(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", fragment).replace("&#39;", "'").split())


# ------------------------------------------------------------------ the staged cohort


@pytest.fixture
def staged(app, people):
    cat = catalogue_of(app)
    ns = type("Staged", (), {})()
    ns.mona = people.user("mona@example.com", "manager", name="Mona Manager")
    ns.maria = people.user("maria@example.com", "mentor", name="Maria Mentor")
    names = {"lea": "Lea Learning", "pia": "Pia Practising", "rex": "Rex Review", "gus": "Gus Graduate"}
    names["ola"] = "Ola Older"
    for key, name in names.items():
        setattr(ns, key, people.user(f"{key}@example.com", "trainee", name=name))
    trainees = [getattr(ns, k) for k in names]
    ns.cohort = people.cohort("Readiness cohort", trainees=trainees, mentors=[ns.maria], managers=[ns.mona])
    start_cohort(people, ns.cohort, TODAY - timedelta(days=10))
    ns.modules = len(cat.modules)
    ns.pia_modules = ["incident-roles", *[m for m in cat.modules if m != "incident-roles"][:9]]
    finish_modules(people, ns.pia, ns.pia_modules, cat)
    entry(people, ns.pia, "shadow-shifts", started=noon(TODAY - timedelta(days=14)), mentor=ns.maria)
    entry(people, ns.pia, "shadow-shifts", started=noon(TODAY - timedelta(days=7)), mentor=ns.maria)
    for trainee in (ns.rex, ns.gus, ns.ola):
        complete_checklist(people, trainee, ns.maria, cat)
    graduate(people, ns.gus, ns.mona, on=NOW)
    graduate(people, ns.ola, ns.mona, on=noon(TODAY.replace(day=1) - timedelta(days=1)))
    assert sum(r.count for r in cat.practicum.requirements) == PRACTICE_REQUIRED
    return ns


def readiness_data(app, db_session, cohort, today=None, now=None):
    with app.test_request_context():
        cat = catalogue_of(app)
        data = queries.cohort_data(db_session, cat, db_session.get(Cohort, cohort.id), today or TODAY)
        return data, cohort_readiness(db_session, cat, data, now or NOW)


def test_the_funnel_counts_the_trainees_at_each_stage(app, db_session, staged):
    _, ready = readiness_data(app, db_session, staged.cohort)
    assert ready.stages == {"learning": 1, "practising": 1, "ready for review": 1, "ready for on-call": 2}
    stages = {t: r.stage for t, r in ready.trainees.items()}
    assert stages == {
        staged.lea.id: "learning",
        staged.pia.id: "practising",
        staged.rex.id: "ready for review",
        staged.gus.id: "ready for on-call",
        staged.ola.id: "ready for on-call",
    }


def test_the_funnel_is_a_picture_with_its_numbers_in_words(app, staged):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{staged.cohort.id}").get_data(as_text=True)
    chart = re.search(r'<svg class="chart stage-chart".*?</svg>', page, re.S).group(0)
    assert 'role="img"' in chart and 'aria-labelledby="stages-title stages-desc"' in chart
    desc = re.search(r'<desc id="stages-desc">(.*?)</desc>', chart).group(1)
    assert desc == "5 trainees. learning: 1; practising: 1; ready for review: 1; ready for on-call: 2."
    labels = re.findall(r"<text [^>]*>(.*?)</text>", chart)
    assert labels == ["Learning: 1", "Practising: 1", "Ready for review: 1", "Ready for on-call: 2"]
    bars = re.findall(r'<rect x="0" y="\d+" width="([\d.]+)" height="14" rx="3" fill="(#(?!e3e7ed)\w+)"/>', chart)
    assert [float(w) for w, _ in bars] == [144.0, 144.0, 144.0, 288.0]  # of 720: a fifth, and two fifths
    assert len({colour for _, colour in bars}) == 4
    assert "<script" not in chart and "style=" not in chart


def test_an_empty_stage_has_no_bar_and_a_small_one_still_shows():
    chart = str(
        stage_chart({"learning": 0, "practising": 199, "ready for review": 1, "ready for on-call": 0}, title="t")
    )
    bars = re.findall(r'width="([\d.]+)" height="14" rx="3" fill="#(?!e3e7ed)', chart)
    assert [float(w) for w in bars] == [716.4, 4.0]  # 199 of 200; one of 200 drawn 4 wide rather than 3.6


def test_who_became_ready_this_month(app, db_session, staged):
    _, ready = readiness_data(app, db_session, staged.cohort)
    assert ready.ready_this_month == [staged.gus.id]  # Ola was decided ready last month

    page = signed_in(app, "mona@example.com").get(f"/cohorts/{staged.cohort.id}").get_data(as_text=True)
    card = re.search(r'<section[^>]*aria-labelledby="readiness-title".*?</section>', page, re.S).group(0)
    this_month = f"Ready for on-call this month ({TODAY:%B %Y}): Gus Graduate."  # one element a name: see the matrix
    assert this_month in text_of(card)
    assert f'<a href="/trainees/{staged.gus.id}">Gus Graduate</a>' in card
    assert "Ola" not in card
    assert HOW_IT_IS_COMPUTED.replace("'", "&#39;") in card  # how the forecast is computed, on the page


def test_nobody_ready_this_month_says_so(app, people, db_session, staged):
    with people.session() as s:
        for decision in s.exec(select(ReadinessDecision)).all():
            decision.decided_at = noon(TODAY.replace(day=1) - timedelta(days=3))
            s.add(decision)
        s.commit()
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{staged.cohort.id}").get_data(as_text=True)
    assert f"Nobody has been decided ready for on-call this month ({TODAY:%B %Y})." in page


# ------------------------------------------------------------------ the forecast


@pytest.mark.parametrize(
    ("since", "done", "remaining", "expected"),
    [
        (None, 0, 0, 0),  # nothing left: today
        (-10, 5, 0, 0),
        (-10, 5, 5, 10),  # half a day each
        (-10, 3, 1, 4),  # 3⅓ days, rounded up
        (-10, 0, 5, None),  # nothing done: no rate
        (None, 2, 5, None),  # no first day
        (0, 2, 5, None),  # all of it today: no whole day to measure
    ],
)
def test_at_cadence(since, done, remaining, expected):
    start = TODAY + timedelta(days=since) if since is not None else None
    found = at_cadence(start, TODAY, done, remaining)
    assert found == (TODAY + timedelta(days=expected) if expected is not None else None)


def forecast(**given):
    values = dict(
        today=TODAY,
        cohort_start=TODAY - timedelta(days=20),
        modules_done=10,
        modules_total=20,
        first_entry=TODAY - timedelta(days=14),
        entries_confirmed=2,
        entries_missing=2,
    )
    values.update(given)
    found = checklist_forecast(**values)
    return (found - TODAY).days if found else None


def test_the_forecast_is_the_later_of_modules_at_pace_and_practice_at_cadence():
    assert forecast() == 20  # modules: 10 in 20 days, 10 to go; practice: 2 in 14 days, 2 to go -> 14
    assert forecast(entries_missing=4) == 28  # practice is now the later
    assert forecast(modules_done=20, entries_missing=0) == 0  # everything done: today
    assert forecast(modules_done=20) == 14  # modules done: practice alone
    assert forecast(entries_missing=0) == 20  # practice done: modules alone
    assert forecast(modules_total=0, entries_missing=0) == 0  # an empty plan is done


def test_without_a_pace_there_is_no_forecast():
    assert forecast(modules_done=0) is None  # no module finished yet
    assert forecast(entries_confirmed=0) is None  # no entry confirmed yet
    assert forecast(first_entry=None, entries_confirmed=0) is None  # no entry at all
    assert forecast(cohort_start=TODAY) is None  # the cohort starts today
    assert forecast(cohort_start=None) is None  # in no cohort: no start to measure from
    assert forecast(cohort_start=None, modules_done=20) == 14  # ... unless no module is left


def test_each_trainees_forecast_in_the_staged_cohort(app, db_session, staged):
    _, ready = readiness_data(app, db_session, staged.cohort)
    pia = ready.trainees[staged.pia.id]
    assert practice_counts(pia.readiness) == (2, PRACTICE_REQUIRED)
    modules = staged.modules - 10  # 10 modules in 10 days: one a day
    practice = 49  # 2 entries in 14 days, 7 to go: 7 x 7 days
    assert pia.forecast == TODAY + timedelta(days=max(modules, practice))
    assert ready.trainees[staged.lea.id].forecast is None  # nothing done at all
    for done in (staged.rex, staged.gus, staged.ola):  # complete: the day the checklist was
        assert ready.trainees[done.id].forecast == TODAY


def test_the_matrix_gives_each_trainees_stage_and_forecast_and_orders_them(app, db_session, staged):
    _, ready = readiness_data(app, db_session, staged.cohort)
    client = signed_in(app, "mona@example.com")
    page = client.get(f"/cohorts/{staged.cohort.id}").get_data(as_text=True)
    assert '<th scope="col">Ready for on-call</th>' in page
    found = re.findall(
        r'<a href="/trainees/\d+">([^<]+)</a></th><td>\d+</td>.*?<td class="readiness">(.*?)</td>', page, re.S
    )
    cells = {name: text_of(cell) for name, cell in found}
    pia = ready.trainees[staged.pia.id].forecast
    assert cells == {
        "Gus Graduate": f"ready since {TODAY:%d %b %Y}",
        "Lea Learning": "learning · too early to tell",
        "Ola Older": f"ready since {TODAY.replace(day=1) - timedelta(days=1):%d %b %Y}",
        "Pia Practising": f"practising · {pia:%d %b %Y}",
        "Rex Review": "checklist done: review",
    }
    soonest = client.get(f"/cohorts/{staged.cohort.id}?sort=ready").get_data(as_text=True)
    matrix = soonest[soonest.index('<table class="matrix">') :]
    order = re.findall(r'<th scope="row"><a href="/trainees/\d+">([^<]+)</a>', matrix)
    assert order == ["Ola Older", "Gus Graduate", "Rex Review", "Pia Practising", "Lea Learning"]
    assert '<option value="ready" selected>Soonest ready first</option>' in soonest


# ------------------------------------------------------------------ at risk: the practicum's reasons


@pytest.fixture
def practising(app, people):
    """A cohort that started 60 days ago, each trainee set up for one case of the practicum's reasons."""
    ns = type("Practising", (), {})()
    ns.mona = people.user("mona@example.com", "manager", name="Mona Manager")
    ns.maria = people.user("maria@example.com", "mentor", name="Maria Mentor")
    cases = ("quiet", "recent", "never", "fresh", "withdrawn", "driller", "once", "learner", "complete")
    for key in cases:
        setattr(ns, key, people.user(f"{key}@example.com", "trainee", name=key.title()))
    ns.cohort = people.cohort(
        "Practicum cohort", trainees=[getattr(ns, k) for k in cases], mentors=[ns.maria], managers=[ns.mona]
    )
    start_cohort(people, ns.cohort, TODAY - timedelta(days=60))
    days = timedelta(days=1)
    opened = {"quiet": 40, "recent": 40, "never": 30, "fresh": 10, "withdrawn": 40, "driller": 40, "once": 40}
    for key, ago in opened.items():  # the module that opens shadow shifts and drills, finished `ago` days ago
        module_done(people, getattr(ns, key), "incident-roles", at=NOW - ago * days)
    entry(people, ns.quiet, "shadow-shifts", status="submitted", submitted=NOW - 22 * days)
    entry(people, ns.recent, "shadow-shifts", status="submitted", submitted=NOW - 20 * days)
    entry(people, ns.withdrawn, "shadow-shifts", status="withdrawn", submitted=NOW - 5 * days)
    for _ in range(2):
        entry(people, ns.driller, "incident-drills", status="changes_requested", mentor=ns.maria)
        entry(people, ns.once, "shadow-shifts", status="changes_requested", mentor=ns.maria)  # not drills
    entry(people, ns.once, "incident-drills", status="changes_requested", mentor=ns.maria)  # one drill only
    complete_checklist(people, ns.complete, ns.maria, catalogue_of(app))
    for _ in range(2):  # returned drills of someone whose checklist is complete no longer count
        entry(people, ns.complete, "incident-drills", status="changes_requested", mentor=ns.maria)
    return ns


def test_the_practicums_reasons_and_only_where_they_apply(app, db_session, practising):
    _, ready = readiness_data(app, db_session, practising.cohort)
    assert ready.trainees[practising.learner.id].stage == "learning"
    assert ready.trainees[practising.complete.id].stage == "ready for review"
    assert ready.risks == {
        practising.quiet.id: ["no practice entry in 3 weeks"],  # the last one logged 22 days ago
        practising.never.id: ["no practice entry in 3 weeks"],  # none, 30 days after the practicum opened
        practising.withdrawn.id: ["no practice entry in 3 weeks"],  # a withdrawn entry is no entry
        practising.driller.id: ["drills returned twice"],
    }  # recent (20 days), fresh (opened 10 days ago), once (one drill), learner and complete: nothing


def test_the_at_risk_list_adds_the_practicums_reasons(app, db_session, practising):
    data, ready = readiness_data(app, db_session, practising.cohort)
    ids = [r.trainee_id for r in data.rows]
    activity = trainee_activity(db_session, ids)
    found = {
        r.row.trainee_id: r.reasons
        for r in queries.at_risk(data, activity, returned_twice(db_session, ids), NOW, ready.risks)
    }
    assert "no practice entry in 3 weeks" in found[practising.quiet.id]
    assert "drills returned twice" in found[practising.driller.id]
    assert not {"no practice entry in 3 weeks", "drills returned twice"} & set(found.get(practising.recent.id, []))
    without = {r.row.trainee_id: r.reasons for r in queries.at_risk(data, activity, set(), NOW)}
    assert "drills returned twice" not in without[practising.driller.id]  # the reasons come from the practicum


def test_logging_practice_is_activity_for_the_seven_day_rule(app, people, practising):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{practising.cohort.id}").get_data(as_text=True)
    risks = dict(re.findall(r'<li><a href="/trainees/\d+">(\w+)</a>: (.*?)</li>', page))
    assert "drills returned twice" in risks["Driller"]
    assert "no activity" not in risks["Driller"]  # its modules are 40 days old, its drills an hour
    assert "no activity for 7 days" in risks["Recent"]  # 20 days since its last entry
    assert "no practice entry in 3 weeks" in risks["Quiet"] and "no practice entry" in risks["Never"]
    assert "no practice entry" not in risks.get("Fresh", "") and "drills" not in risks.get("Once", "")


def test_before_the_cohort_starts_nobody_is_at_risk_for_the_practicum(app, db_session, people, practising):
    start_cohort(people, practising.cohort, TODAY + timedelta(days=1))
    data, ready = readiness_data(app, db_session, practising.cohort)
    assert queries.at_risk(data, {}, set(), NOW, ready.risks) == []


# ------------------------------------------------------------------ the CSV and the cohorts list


def test_the_readiness_csv_has_one_row_per_trainee(app, staged):
    cat = catalogue_of(app)
    response = signed_in(app, "mona@example.com").get(f"/cohorts/{staged.cohort.id}/readiness.csv")
    assert response.status_code == 200 and response.content_type == "text/csv; charset=utf-8"
    assert 'filename="Readiness-cohort-readiness.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    assert ALL_QUOTED.fullmatch(text)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == [
        "cohort",
        "trainee",
        "email",
        "stage",
        "checklist_done",
        "checklist_total",
        "practice_confirmed",
        "practice_required",
        "graduated_on",
        "forecast",
    ]
    labs = {m: len(cat.get(m).labs) for m in cat.modules}
    total = str(len(labs) + sum(labs.values()) + len(cat.practicum.requirements))
    pia_done = str(10 + sum(labs[m] for m in staged.pia_modules))
    by_name = {row[1]: row for row in rows[1:]}
    assert list(by_name) == ["Gus Graduate", "Lea Learning", "Ola Older", "Pia Practising", "Rex Review"]
    today, last_month = TODAY.isoformat(), (TODAY.replace(day=1) - timedelta(days=1)).isoformat()
    assert by_name["Lea Learning"] == [
        "Readiness cohort",
        "Lea Learning",
        "lea@example.com",
        "learning",
        "0",
        total,
        "0",
        "9",
        "",
        "",
    ]
    pia = by_name["Pia Practising"]
    assert pia[3:9] == ["practising", pia_done, total, "2", "9", ""]
    assert pia[9] == (TODAY + timedelta(days=max(staged.modules - 10, 49))).isoformat()
    assert by_name["Rex Review"][3:] == ["ready for review", total, total, "9", "9", "", today]
    assert by_name["Gus Graduate"][3:] == ["ready for on-call", total, total, "9", "9", today, today]
    assert by_name["Ola Older"][8] == last_month


def test_the_readiness_csv_neutralises_formulas(app, people):
    tia = people.user("tia@example.com", "trainee", name=TIA)
    cohort = people.cohort("Semicolon cohort", trainees=[tia], managers=[people.user("mona@example.com", "manager")])
    text = signed_in(app, "mona@example.com").get(f"/cohorts/{cohort.id}/readiness.csv").get_data(as_text=True)
    assert ALL_QUOTED.fullmatch(text.removeprefix("\ufeff"))
    assert "\"Tia;'=cmd|' /C calc'!A0\"" in text and TIA not in text


def test_the_cohort_page_offers_the_readiness_csv(app, staged):
    page = signed_in(app, "mona@example.com").get(f"/cohorts/{staged.cohort.id}").get_data(as_text=True)
    assert f'href="/cohorts/{staged.cohort.id}/readiness.csv">Download readiness (CSV)</a>' in page


def test_the_cohorts_list_says_how_many_are_ready_for_on_call(app, db_session, people, staged):
    other = people.cohort("Nobody ready", trainees=[people.user("new@example.com", "trainee")], managers=[staged.mona])
    page = signed_in(app, "mona@example.com").get("/cohorts").get_data(as_text=True)
    assert '<td data-label="Ready for on-call">2 of 5 ready for on-call</td>' in page
    assert '<td data-label="Ready for on-call">0 of 1 ready for on-call</td>' in page
    with app.test_request_context():  # the one query agrees with the stages of the checklist
        ids = [t.id for t in (staged.lea, staged.pia, staged.rex, staged.gus, staged.ola)]
        stages = [r.stage for r in readiness_of(db_session, catalogue_of(app), ids).values()]
    assert ready_counts(db_session, [staged.cohort.id, other.id]) == {
        staged.cohort.id: stages.count("ready for on-call"),
        other.id: 0,
    }


def test_a_second_ready_decision_counts_the_trainee_once(app, db_session, people, staged):
    graduate(people, staged.gus, staged.mona, on=NOW - timedelta(days=40))  # an earlier review, ready too
    assert ready_counts(db_session, [staged.cohort.id]) == {staged.cohort.id: 2}
