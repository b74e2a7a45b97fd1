"""The demo academy's pain-point surveys: the team's own seed sheet a year ago, the same pain points six months ago
(lower where the team acted, two struck through), and a round open now that some have answered."""

from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select

from .curriculum.loader import Catalogue
from .models import (
    CohortStaff,
    CohortTrainee,
    PainPoint,
    PainScore,
    SurveyCohort,
    SurveyRespondent,
    SurveyRound,
    User,
)
from .surveys.services import Answer, Cell, PointDraft, check_addresses, open_round, save_answers, write_points

MANAGER = "manager@example.com"
COHORTS = ("Berlin autumn 2026", "Dublin spring 2026")  # everyone asked: their trainees and their staff
POINTS = (
    PointDraft("Too much toil", "Repeated manual work crowds out engineering.", "track:automation"),
    PointDraft(
        "Out of the loop",
        "We hear of launches and changes after they reach production.",
        "module:cross-functional-teams",
    ),
    PointDraft("Too many alerts", "Pages that need no action, at night.", "module:symptom-alerting"),
    PointDraft("Reliability is not taken seriously", "", "module:explaining-reliability"),
    PointDraft("We have no SRE vision", "Nobody can say what the team should look like in two years."),
)

# Each round as its sheet: a column per person who answered, a row per pain point in POINTS' order, written
# "pain/effort" with "." for a blank cell and "?" for "don't know".
SEED_SHEET = (  # a year ago, anonymous; the first row is the team's: 70 100 100 70 . 80 40 50 50 80 = 71.1 over 9
    ("manager", "mentor", "mentor2", 1, 2, 3, 4, 10, 11, 12),
    "70/30  100/20 100/40 70/25 ./.   80/35 40/30 50/40 50/27 80/30",
    "60/30  80/20  50/40  70/30 40/25 90/35 60/.  ./.   50/20 70/30",
    "90/50  70/40  80/60  60/30 70/45 90/50 50/40 80/55 40/35 60/45",
    "50/40  60/50  ./.    40/60 70/40 30/50 60/30 50/50 40/45 50/50",
    "40/60  ?/.    50/70  60/50 30/.  50/60 40/50 60/70 30/40 40/60",
)
SIX_MONTHS_ON = (  # named: toil and the loop, addressed since, hurt less; Ravi and Aiko did not answer
    ("manager", "mentor", "mentor2", 1, 2, 3, 4, 10, 11),
    "40/20  30/15  50/20  20/10 40/25 30/20 ./.   40/15 30/20",
    "30/20  20/25  40/30  30/20 ./.   20/20 40/30 30/25 30/20",
    "70/40  60/35  60/50  50/30 70/40 40/35 60/45 50/40 60/30",
    "50/45  40/50  60/40  30/50 50/40 40/45 50/50 60/55 40/40",
    "40/50  30/60  ./.    50/40 40/55 30/50 50/60 40/50 30/45",
)
SO_FAR = (  # the open round, anonymous: Tariq (trainee@example.com), Marco, Ravi and Aiko have not answered yet
    ("manager", "mentor2", 2, 3, 4, 10, 11),
    "20/10  30/15  10/10  20/20 30/15 10/10 20/15",
    "20/20  10/15  30/20  20/25 ./.   20/20 10/15",
    "40/35  50/40  30/30  40/30 50/45 30/35 40/40",
    "40/45  30/40  50/50  30/40 40/45 40/40 30/35",
    "30/50  40/55  20/40  ./.   30/45 20/50 30/55",
)
STRUCK = {  # pain point: what addressed it, a few days after the second round closed
    "Too much toil": ("track", "automation"),
    "Out of the loop": ("team", "An SRE in each product team's weekly planning"),
}


def email_of(who: str | int) -> str:
    if isinstance(who, int):
        return "trainee@example.com" if who == 1 else f"trainee{who}@example.com"
    return f"{who}@example.com"


def cell(text: str) -> Cell:
    return Cell(unknown=True) if text == "?" else Cell() if text == "." else Cell(score=int(text))


def sheet_answers(sheet: tuple, point_ids: list[int]) -> dict[str, dict[int, Answer]]:
    """Each person's answers, by e-mail, from a sheet as written above."""
    columns, *rows = sheet
    found: dict[str, dict[int, Answer]] = {email_of(who): {} for who in columns}
    for point_id, row in zip(point_ids, rows, strict=True):
        for who, pair in zip(columns, row.split(), strict=True):
            pain, effort = pair.split("/")
            found[email_of(who)][point_id] = Answer(cell(pain), cell(effort))
    return found


def load_surveys(*, session: Session, catalogue: Catalogue, users: dict[str, User], cohorts: dict, today: date) -> None:
    """Two closed rounds written as history (the services refuse a closing date in the past) and one opened now."""
    for ref in [p.addresses for p in POINTS if p.addresses] + [f"{k}:{w}" for k, w in STRUCK.values() if k == "track"]:
        check_addresses(catalogue, ref)  # a curriculum id renamed fails the demo here, not on a page
    cohort_ids = [cohorts[name].id for name in COHORTS]
    asked = team(session, cohort_ids)
    manager = users[MANAGER]
    first = past_round(session, manager, cohort_ids, asked, closes_on=today - timedelta(days=365), anonymous=True)
    answered(session, first, users, SEED_SHEET)
    second = past_round(session, manager, cohort_ids, asked, closes_on=today - timedelta(days=182), anonymous=False)
    answered(session, second, users, SIX_MONTHS_ON)
    struck_through(session, second, manager)
    now_open = open_round(
        session,
        catalogue,
        by=manager,
        title=f"What hurts most: {today:%B %Y}",
        closes_on=today + timedelta(days=10),
        points=list(POINTS),
        cohort_ids=cohort_ids,
        emails=[],
        anonymous=True,
        asks_effort=True,
        today=today,
    )
    session.flush()
    for email, answers in sheet_answers(SO_FAR, point_ids(session, now_open)).items():
        save_answers(session, round_=now_open, respondent=users[email], answers=answers, today=today)


def team(session: Session, cohort_ids: list[int]) -> list[int]:
    """Who a round for these cohorts asks, as the service works it out: their trainees and their staff."""
    trainees = session.exec(select(CohortTrainee.trainee_id).where(CohortTrainee.cohort_id.in_(cohort_ids))).all()
    staff = session.exec(select(CohortStaff.user_id).where(CohortStaff.cohort_id.in_(cohort_ids))).all()
    return list(dict.fromkeys([*trainees, *staff]))


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0, tzinfo=UTC))


def past_round(session: Session, by: User, cohort_ids, asked, *, closes_on: date, anonymous: bool) -> SurveyRound:
    round_ = SurveyRound(
        title=f"What hurts most: {closes_on:%B %Y}",
        closes_on=closes_on,
        anonymous=anonymous,
        asks_effort=True,
        created_by=by.id,
        created_at=at(closes_on - timedelta(days=14), 9),
    )
    session.add(round_)
    session.flush()
    write_points(session, round_, list(POINTS))
    session.add_all(SurveyCohort(round_id=round_.id, cohort_id=c) for c in cohort_ids)
    session.add_all(SurveyRespondent(round_id=round_.id, user_id=u) for u in asked)
    session.flush()
    return round_


def point_ids(session: Session, round_: SurveyRound) -> list[int]:
    return list(
        session.exec(select(PainPoint.id).where(PainPoint.round_id == round_.id).order_by(PainPoint.position)).all()
    )


def answered(session: Session, round_: SurveyRound, users: dict[str, User], sheet: tuple) -> None:
    """The sheet's scores, each person answering on a different day of the round's two weeks."""
    opened = round_.created_at.date()
    for i, (email, answers) in enumerate(sheet_answers(sheet, point_ids(session, round_)).items()):
        person = users[email]
        session.add_all(
            PainScore(
                pain_point_id=point_id,
                respondent_id=person.id,
                pain=a.pain.score,
                pain_unknown=a.pain.unknown,
                effort=a.effort.score,
                effort_unknown=a.effort.unknown,
            )
            for point_id, a in answers.items()
        )
        respondent = session.get(SurveyRespondent, (round_.id, person.id))
        respondent.answered_at = at(opened + timedelta(days=1 + i), 11 + i % 6)
        session.add(respondent)


def struck_through(session: Session, round_: SurveyRound, by: User) -> None:
    for point in session.exec(select(PainPoint).where(PainPoint.round_id == round_.id)).all():
        if point.title in STRUCK:
            point.struck_with, point.struck_note = STRUCK[point.title]
            point.struck_at, point.struck_by = at(round_.closes_on + timedelta(days=5), 16), by.id
            session.add(point)
