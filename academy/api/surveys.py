"""The pain-point surveys' API: the rounds a person answers or runs, a round and its pain points, the caller's own
answers (read and replaced, as the answer sheet does), and the results for those who run the round. Answers go
through academy.surveys.services and results come from its queries, so the pages' rules hold: a closed round takes
no answers, and an anonymous round shows nothing until enough people have answered, and never a name."""

import math

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from .. import db
from ..local_time import installation_today
from ..models import PainPoint, PainScore, SurveyRespondent, SurveyRound, User
from ..policy import may_answer_round, may_run_round, may_run_surveys
from ..surveys import queries, services
from ..surveys.services import Answer, Cell
from . import schemas as s
from . import survey_schemas as ss
from .views import api, caller, error, require, surveys_tag

NOT_ASKED = "You were not asked to answer this round."


def respondent(round_id: int) -> SurveyRespondent | None:
    """The caller's row among those asked to answer this round; None when they were not asked."""
    return db.session().get(SurveyRespondent, (round_id, caller().id))


def basics(round_: SurveyRound, today) -> dict:
    return dict(
        id=round_.id,
        title=round_.title,
        closes_on=round_.closes_on,
        open=services.is_open(round_, today),
        anonymous=round_.anonymous,
        asks_effort=round_.asks_effort,
    )


def point_out(point: PainPoint) -> ss.PainPointOut:
    return ss.PainPointOut(
        id=point.id,
        position=point.position,
        title=point.title,
        description=point.description,
        addresses=point.addresses,
    )


def cell_value(score: int | None, unknown: bool) -> int | str | None:
    return "?" if unknown else score


def cell_from(value: int | str | None) -> Cell:
    return Cell(unknown=True) if value == "?" else Cell(score=value)


# ------------------------------------------------------------------ rounds


@api.get("/surveys", operation_id="listSurveys", tags=[surveys_tag], responses={200: ss.SurveysOut})
def surveys():
    """The rounds the caller is asked to answer, with whether they answered and whether each is open; for managers
    and admins, also the rounds they run, with how many of those asked have answered."""
    session, user, today = db.session(), caller(), installation_today()
    to_answer = [
        ss.RoundToAnswerOut(
            **basics(line.round, today), answered=line.my_answer_at is not None, answered_at=line.my_answer_at
        )
        for line in queries.rounds_to_answer(session, user.id)
    ]
    run = [
        ss.RoundRunOut(**basics(line.round, today), asked=line.asked, answered=line.answered)
        for line in (queries.rounds_run_by(session, user) if may_run_surveys(user) else [])
    ]
    return ss.SurveysOut(to_answer=to_answer, run=run).model_dump(mode="json")


@api.get("/surveys/<int:round_id>", operation_id="getSurvey", tags=[surveys_tag], responses={200: ss.RoundOut})
def survey(path: ss.RoundPath):
    """A round and its pain points, in the round's order: for those asked to answer it and those who run it."""
    found = queries.round_or_404(db.session(), path.round_id)
    asked, runs = may_answer_round(caller(), found), may_run_round(caller(), found)
    require(asked or runs, "You are neither asked to answer this round nor running it.")
    return ss.RoundOut(
        **basics(found, installation_today()),
        closed_at=found.closed_at,
        asked_to_answer=asked,
        runs_it=runs,
        points=[point_out(p) for p in queries.points_of(db.session(), found.id)],
    ).model_dump(mode="json")


# ------------------------------------------------------------------ the caller's answers


def answers_out(found: SurveyRound, asked: SurveyRespondent) -> dict:
    points = queries.points_of(db.session(), found.id)
    saved = db.session().exec(
        select(PainScore).where(
            PainScore.respondent_id == asked.user_id, PainScore.pain_point_id.in_([p.id for p in points])
        )
    )
    cells = {row.pain_point_id: row for row in saved}
    answers = [
        ss.AnswerOut(
            pain_point_id=p.id,
            pain=cell_value(cells[p.id].pain, cells[p.id].pain_unknown) if p.id in cells else None,
            effort=cell_value(cells[p.id].effort, cells[p.id].effort_unknown) if p.id in cells else None,
        )
        for p in points
    ]
    return ss.AnswersOut(
        round_id=found.id,
        open=services.is_open(found, installation_today()),
        answered_at=asked.answered_at,
        answers=answers,
    ).model_dump(mode="json")


@api.get(
    "/surveys/<int:round_id>/answers",
    operation_id="getMySurveyAnswers",
    tags=[surveys_tag],
    responses={200: ss.AnswersOut},
)
def my_answers(path: ss.RoundPath):
    """The caller's own answers to a round they are asked to answer: one item per pain point, blank until saved."""
    found = queries.round_or_404(db.session(), path.round_id)
    require(may_answer_round(caller(), found), NOT_ASKED)
    return answers_out(found, respondent(found.id))


def sheet_problems(found: SurveyRound, body: ss.AnswersIn) -> list[dict]:
    """What a script sent wrong that the answer sheet's form cannot: a pain point twice or of another round,
    and effort in a round that does not ask for it."""
    known = {p.id for p in queries.points_of(db.session(), found.id)}
    problems, seen = [], set()
    for n, item in enumerate(body.answers):
        field = f"answers.{n}"
        if item.pain_point_id not in known:
            problems.append({"field": f"{field}.pain_point_id", "message": "This round has no such pain point."})
        elif item.pain_point_id in seen:
            problems.append({"field": f"{field}.pain_point_id", "message": "This pain point is answered twice."})
        if item.effort is not None and not found.asks_effort:
            problems.append({"field": f"{field}.effort", "message": "This round does not ask for effort."})
        seen.add(item.pain_point_id)
    return problems


@api.put(
    "/surveys/<int:round_id>/answers",
    operation_id="saveMySurveyAnswers",
    tags=[surveys_tag],
    responses={200: ss.AnswersOut, 409: s.ErrorOut},
)
def save_my_answers(path: ss.RoundPath, body: ss.AnswersIn):
    """Save the caller's whole sheet, as the answer page does: it replaces what they saved before, and a pain point
    left out is blank. They can change it until the round closes; then it is a 409. A wrong score is a 422 naming
    the cell; either way nothing they saved before changes."""
    found = queries.round_or_404(db.session(), path.round_id)
    require(may_answer_round(caller(), found), NOT_ASKED)
    if not services.is_open(found, installation_today()):
        return error(409, "Closed", "This round has closed: it takes no more answers.")
    if problems := sheet_problems(found, body):
        return error(422, "Invalid answers", problems)
    answers = {a.pain_point_id: Answer(cell_from(a.pain), cell_from(a.effort)) for a in body.answers}
    session = db.session()
    try:
        services.save_answers(
            session,
            round_=found,
            respondent=session.get(User, caller().id),
            answers=answers,
            today=installation_today(),
        )
        session.commit()
    except services.RoundClosed as refused:  # it closed after the check above
        session.rollback()
        return error(409, "Closed", str(refused))
    except services.SurveyError as refused:
        session.rollback()
        return error(422, "Invalid answers", str(refused))
    except IntegrityError:  # the same sheet sent twice at once: one of them is saved
        session.rollback()
        return error(409, "Conflict", "Your answers were being saved by another request; send them again.")
    return answers_out(found, respondent(found.id))


# ------------------------------------------------------------------ results


@api.get(
    "/surveys/<int:round_id>/results",
    operation_id="getSurveyResults",
    tags=[surveys_tag],
    responses={200: ss.ResultsOut},
)
def survey_results(path: ss.RoundPath):
    """The results as the team's sheet had them, for those who run the round: a column per respondent, each pain
    point's averages over the answered cells, its priority, and whether it is struck off. An anonymous round shows
    its respondents as numbers, and nothing (`hidden`) until enough people have answered; its columns only once it
    is closed (`cells_shown`)."""
    found = queries.round_or_404(db.session(), path.round_id)
    require(may_run_round(caller(), found), "Only those who run this round read its results.")
    table = queries.results(db.session(), found, secret=current_app.secret_key)
    checklist = {row.point.id for row in table.checklist}
    return ss.ResultsOut(
        round=ss.RoundBasics(**basics(found, installation_today())),
        asked=table.asked,
        answered=table.answered,
        hidden=table.hidden,
        cells_shown=table.cells_shown,
        columns=[] if table.hidden else table.columns,
        rows=[row_out(row, found.asks_effort, row.point.id in checklist) for row in table.rows],
        checklist_struck=table.struck,
        checklist_size=len(checklist),
    ).model_dump(mode="json")


def row_out(row: queries.Row, asks_effort: bool, on_checklist: bool) -> ss.ResultRowOut:
    priority = row.priority
    infinite = priority is not None and math.isinf(priority)
    point = row.point
    struck = (
        ss.StruckOut(struck_at=point.struck_at, addressed_by=point.struck_with, what=point.struck_note or "")
        if point.struck_at
        else None
    )
    return ss.ResultRowOut(
        point=point_out(point),
        cells=[
            ss.CellOut(
                pain=cell_value(c.pain, c.pain_unknown) if c else None,
                effort=cell_value(c.effort, c.effort_unknown) if c and asks_effort else None,
            )
            for c in row.cells
        ],
        pain=ss.AverageOut(average=row.pain.value, answered=row.pain.answered),
        effort=ss.AverageOut(average=row.effort.value, answered=row.effort.answered) if asks_effort else None,
        priority=None if infinite else priority,
        priority_infinite=infinite,
        on_checklist=on_checklist,
        struck=struck,
    )
