"""The demo academy's pain-point surveys: the seed sheet a year ago, the same pain points six months on with two
struck through, and a round open now; the pages read them on first start."""

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from academy.curriculum.store import catalogue
from academy.models import (
    Cohort,
    Notification,
    PainPoint,
    PainScore,
    SurveyCohort,
    SurveyRespondent,
    SurveyRound,
    User,
)
from academy.surveys import queries
from academy.surveys.services import Answer, Cell, is_open, save_answers
from tests.conftest import sign_in


@pytest.fixture
def demo(runner, db_session):
    result = runner.invoke(args=["academy", "demo"])
    assert result.exit_code == 0, result.output
    rounds = db_session.exec(select(SurveyRound).order_by(SurveyRound.closes_on)).all()
    db_session.rollback()
    return rounds


def emails(db_session, round_: SurveyRound, answered: bool) -> set[str]:
    done = SurveyRespondent.answered_at.is_not(None) if answered else SurveyRespondent.answered_at.is_(None)
    rows = db_session.exec(
        select(User.email).join(SurveyRespondent).where(SurveyRespondent.round_id == round_.id, done)
    ).all()
    db_session.rollback()
    return set(rows)


def test_two_closed_rounds_and_an_open_one_run_by_the_manager_for_two_cohorts(demo, db_session):
    first, second, now_open = demo
    today = date.today()
    assert [is_open(r, today) for r in demo] == [False, False, True]
    assert 350 <= (today - first.closes_on).days <= 380 and 170 <= (today - second.closes_on).days <= 200
    assert 7 <= (now_open.closes_on - today).days <= 14
    assert [r.anonymous for r in demo] == [True, False, True] and all(r.asks_effort for r in demo)
    manager = db_session.exec(select(User.id).where(User.email == "manager@example.com")).one()
    assert {r.created_by for r in demo} == {manager}
    for r in demo:
        cohorts = db_session.exec(select(Cohort.name).join(SurveyCohort).where(SurveyCohort.round_id == r.id)).all()
        assert sorted(cohorts) == ["Berlin autumn 2026", "Dublin spring 2026"]
    db_session.rollback()
    asked = [emails(db_session, r, True) | emails(db_session, r, False) for r in demo]
    assert asked[0] == asked[1] == asked[2] and len(asked[0]) == 11  # eight trainees, the manager, two mentors
    assert [len(emails(db_session, r, True)) for r in demo] == [10, 9, 7]


def test_the_seed_sheets_first_row_averages_71_1_over_9_answers_and_one_said_dont_know(app, demo, db_session):
    found = queries.results(db_session, demo[0], secret="demo", today=date.today())
    toil = next(r for r in found.rows if r.point.title == "Too much toil")
    assert (toil.pain.total, toil.pain.answered, queries.shown(toil.pain.value)) == (640, 9, "71.1")
    assert sorted(c.pain for c in toil.cells if c and c.pain is not None) == [40, 50, 50, 70, 70, 80, 80, 100, 100]
    assert queries.shown(toil.priority, 2) == "2.31"  # 71.1 of pain over 30.8 of effort, as the issue says
    assert [r.point.title for r in found.rows] == [
        "Too much toil",
        "Out of the loop",
        "Too many alerts",
        "Reliability is not taken seriously",
        "We have no SRE vision",
    ]
    unknown = [c for r in found.rows for c in r.cells if c and c.pain_unknown]
    assert len(unknown) == 1
    db_session.rollback()


def test_the_second_round_strikes_toil_through_with_the_automation_track_and_the_pain_fell(app, demo, db_session):
    first, second, _ = demo
    found = queries.results(db_session, second, secret="demo", today=date.today())
    assert "Mina Manager" in found.columns and found.columns == sorted(found.columns, key=str.casefold)  # named
    toil = next(r for r in found.rows if r.point.title == "Too much toil")
    assert queries.shown(toil.pain.value) == "35.0"  # from 71.1 a year before
    struck = {r.point.title: (r.point.struck_with, r.point.struck_note) for r in found.checklist if r.point.struck_at}
    assert struck["Too much toil"] == ("track", "automation") and len(struck) == 2
    assert all(r.point.struck_at.date() > second.closes_on for r in found.checklist if r.point.struck_at)
    with app.app_context():
        assert catalogue().track("automation").title == "Automation and toil"
    links = dict(
        db_session.exec(select(PainPoint.title, PainPoint.addresses).where(PainPoint.round_id == first.id)).all()
    )
    assert links["Too many alerts"] == "module:symptom-alerting" and links["Too much toil"] == "track:automation"
    assert queries.addressed_by(db_session, "symptom-alerting", "observability") == ["Too many alerts"]
    db_session.rollback()


def test_every_pain_point_has_a_trend_over_the_three_rounds_and_toil_falls(demo, db_session):
    trends = queries.trends(db_session, demo[2], None)
    db_session.rollback()
    assert len(trends) == 5 and all(len(series) == 3 for series in trends.values())
    toil = [queries.shown(p.pain.value) for p in trends["too much toil"]]
    assert toil == ["71.1", "35.0", "20.0"]


def test_the_open_round_takes_an_answer_from_someone_yet_to_answer(app, demo, db_session):
    now_open = demo[2]
    assert "trainee@example.com" in emails(db_session, now_open, False)
    trainee = db_session.exec(select(User).where(User.email == "trainee@example.com")).one()
    unread = select(func.count()).where(Notification.user_id == trainee.id, Notification.read_at.is_(None))
    assert db_session.exec(unread.where(Notification.link == f"/surveys/{now_open.id}/answer")).one() == 1
    points = db_session.exec(select(PainPoint.id).where(PainPoint.round_id == now_open.id)).all()
    answers = {p: Answer(Cell(score=30), Cell(unknown=True)) for p in points}
    save_answers(db_session, round_=now_open, respondent=trainee, answers=answers, today=date.today())
    db_session.commit()
    assert "trainee@example.com" in emails(db_session, now_open, True)
    assert queries.results(db_session, now_open, secret="demo", today=date.today()).answered == 8
    db_session.rollback()


def test_the_surveys_pages_are_alive_for_the_manager_and_the_trainee(app, demo):
    first, _, now_open = demo
    manager = app.test_client()
    assert sign_in(manager, "manager@example.com", "academy-demo").status_code == 302
    index = manager.get("/surveys").get_data(as_text=True)
    assert all(r.title in index for r in demo)
    results = manager.get(f"/surveys/{first.id}")
    assert results.status_code == 200 and "71.1" in results.get_data(as_text=True)
    assert manager.get(f"/surveys/{now_open.id}").status_code == 200
    trainee = app.test_client()
    assert sign_in(trainee, "trainee@example.com", "academy-demo").status_code == 302
    assert trainee.get(f"/surveys/{now_open.id}/answer").status_code == 200


def test_the_demo_twice_adds_no_second_set_of_rounds(runner, db_session, demo):
    def counted():
        found = [db_session.exec(select(func.count()).select_from(m)).one() for m in (SurveyRound, PainScore)]
        db_session.rollback()
        return found

    before = counted()
    assert runner.invoke(args=["academy", "demo"]).exit_code == 0
    assert counted() == before == [3, 5 * (10 + 9 + 7)]
