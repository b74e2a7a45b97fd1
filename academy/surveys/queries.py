"""Reads for pain-point surveys: the rounds a person answers or runs, a round's results as the team's sheet had
them (averages over answered cells, priority = pain / effort), the checklist, trends across rounds, and the pain
points a module addresses."""

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import abort
from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..local_time import installation_today
from ..models import (
    PainPoint,
    PainScore,
    SurveyCohort,
    SurveyRespondent,
    SurveyRound,
    User,
)
from ..policy import managed_cohort_ids

ANONYMITY_THRESHOLD = 3  # an anonymous round shows nothing until this many people have answered
CHECKLIST_SIZE = 5  # the top pain points by priority become the team's checklist


@dataclass(frozen=True)
class Average:
    """The mean of the answered cells (blank and "don't know" left out), with how many there were."""

    total: int = 0
    answered: int = 0

    @property
    def value(self) -> float | None:
        return self.total / self.answered if self.answered else None


def average(scores: list[int | None]) -> Average:
    answered = [s for s in scores if s is not None]
    return Average(sum(answered), len(answered))


def priority(pain: Average, effort: Average) -> float | None:
    """Average pain over average effort: 71.1 of pain against 30.8 of effort is 2.31. An effort of 0 (free to
    fix) is infinite priority; without effort answers there is none."""
    if pain.value is None or effort.value is None:
        return None
    return math.inf if effort.value == 0 else pain.value / effort.value


@dataclass
class Row:
    point: PainPoint
    cells: list[PainScore | None]  # one per column, in column order; none while an anonymous round is open
    pain: Average
    effort: Average
    earlier: PainPoint | None = None  # the same pain point, struck through in an earlier round of the same people

    @property
    def priority(self) -> float | None:
        return priority(self.pain, self.effort)

    @property
    def strike(self) -> PainPoint | None:
        """Where this pain point was struck through: in this round, or in an earlier one (it stays addressed)."""
        return self.point if self.point.struck_at else self.earlier


@dataclass
class Results:
    round: SurveyRound
    asked: int
    answered: int
    columns: list[str]  # "Respondent 1" ... in an anonymous round, names otherwise; none while cells are not shown
    cells_shown: bool = True  # an anonymous round shows each person's column only once it is closed
    rows: list[Row] = field(default_factory=list)  # by priority (or pain), highest first; empty when hidden

    @property
    def hidden(self) -> bool:
        """An anonymous round with fewer than three answers shows nothing: two answers and one's own is the other."""
        return self.round.anonymous and self.answered < ANONYMITY_THRESHOLD

    @property
    def checklist(self) -> list[Row]:
        """The top pain points, and any struck one that answers since have moved out of the top: it was on the list
        when the team struck it, and stays there."""
        if self.hidden:
            return []
        return [r for i, r in enumerate(self.rows) if (i < CHECKLIST_SIZE and r.pain.answered) or r.strike]

    @property
    def struck(self) -> int:
        return sum(1 for r in self.checklist if r.strike)


def sort_key(row: Row, by_effort: bool) -> tuple:
    """Highest priority first (or highest pain, without effort scores); a row with pain but no effort answered after
    those with a priority, by pain; unanswered rows last; then the round's order."""
    value = row.priority if by_effort else row.pain.value
    return (value is None, -(value or 0), row.pain.value is None, -(row.pain.value or 0), row.point.position)


def is_open(round_: SurveyRound, today: date) -> bool:
    """Open until the end of its closing day (the installation's calendar), unless closed early."""
    return round_.closed_at is None and today <= round_.closes_on


def closed_on(round_: SurveyRound) -> date:
    """The day a round closed, or will: closed early, the installation's day of that; else its closing date."""
    return installation_today(round_.closed_at) if round_.closed_at else round_.closes_on


def related_rounds(round_id: int):
    """The rounds that asked any of the people this one asked: the same team's, for trends and what it struck."""
    people = select(SurveyRespondent.user_id).where(SurveyRespondent.round_id == round_id)
    return select(SurveyRespondent.round_id).where(SurveyRespondent.user_id.in_(people)).distinct()


def column_order(round_id: int, user_ids: list[int], secret: str) -> list[int]:
    """A fixed order that says nothing of who answered first or who has the lowest id: by a keyed hash."""
    return sorted(user_ids, key=lambda u: hashlib.sha256(f"{secret}:{round_id}:{u}".encode()).hexdigest())


def results(session: Session, round_: SurveyRound, *, secret: str, today: date | None = None) -> Results:
    """The round's sheet. While an anonymous round is open, no person's column is shown (averages and counts
    only): two looks at the page a few minutes apart would otherwise show which column is new, and so whose."""
    asked = session.exec(select(SurveyRespondent).where(SurveyRespondent.round_id == round_.id)).all()
    answered = [a.user_id for a in asked if a.answered_at is not None]
    shown = not (round_.anonymous and is_open(round_, today or installation_today()))
    if round_.anonymous:
        order = column_order(round_.id, answered, secret)
        columns = [f"Respondent {i}" for i in range(1, len(order) + 1)]
    else:
        names = dict(session.exec(select(User.id, User.display_name).where(User.id.in_(answered))).all())
        order = sorted(answered, key=lambda u: (names.get(u, "").casefold(), u))
        columns = [names.get(u, "?") for u in order]
    found = Results(round_, len(asked), len(answered), columns if shown else [], shown)
    if found.hidden:
        return found
    points = session.exec(select(PainPoint).where(PainPoint.round_id == round_.id).order_by(PainPoint.position)).all()
    scores = session.exec(
        select(PainScore).join(PainPoint).where(PainPoint.round_id == round_.id, PainScore.respondent_id.in_(answered))
    ).all()
    cell = {(s.pain_point_id, s.respondent_id): s for s in scores}
    earlier = earlier_strikes(session, round_)
    for point in points:
        cells = [cell.get((point.id, u)) for u in order]
        pain = average([c.pain if c else None for c in cells])
        effort = average([c.effort if c else None for c in cells])
        found.rows.append(Row(point, cells if shown else [], pain, effort, earlier.get(point.key)))
    found.rows.sort(key=lambda r: sort_key(r, round_.asks_effort))
    return found


def earlier_strikes(session: Session, round_: SurveyRound) -> dict[str, PainPoint]:
    """By pain point key: its latest strike in a round of the same people opened before this one."""
    rows = session.exec(
        select(PainPoint)
        .join(SurveyRound, SurveyRound.id == PainPoint.round_id)
        .where(
            PainPoint.struck_at.is_not(None),
            SurveyRound.id.in_(related_rounds(round_.id)),
            SurveyRound.created_at < round_.created_at,
        )
        .order_by(PainPoint.struck_at)
    ).all()
    return {p.key: p for p in rows}


def round_or_404(session: Session, round_id: int) -> SurveyRound:
    found = session.get(SurveyRound, round_id)
    if found is None:
        abort(404, description="There is no such survey round: it may have been deleted.")
    return found


def points_of(session: Session, round_id: int) -> list[PainPoint]:
    rows = select(PainPoint).where(PainPoint.round_id == round_id).order_by(PainPoint.position)
    return list(session.exec(rows).all())


def managed_round_ids(session: Session, user) -> list[int] | None:
    """The rounds this person runs: those they opened and those of cohorts they manage; None means all (admin)."""
    managed = managed_cohort_ids(user)
    if managed is None:
        return None
    rows = select(SurveyRound.id).where(
        or_(
            SurveyRound.created_by == user.id,
            SurveyRound.id.in_(select(SurveyCohort.round_id).where(SurveyCohort.cohort_id.in_(managed))),
        )
    )
    return list(session.exec(rows).all())


@dataclass(frozen=True)
class RoundLine:
    round: SurveyRound
    asked: int
    answered: int
    my_answer_at: object = None  # when the reader saved their answers, for the rounds they are asked


def _counts(session: Session, round_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not round_ids:
        return {}
    rows = session.exec(
        select(SurveyRespondent.round_id, func.count(), func.count(SurveyRespondent.answered_at))
        .where(SurveyRespondent.round_id.in_(round_ids))
        .group_by(SurveyRespondent.round_id)
    ).all()
    return {r: (asked, answered) for r, asked, answered in rows}


def rounds_to_answer(session: Session, user_id: int) -> list[RoundLine]:
    rows = session.exec(
        select(SurveyRound, SurveyRespondent.answered_at)
        .join(SurveyRespondent, SurveyRespondent.round_id == SurveyRound.id)
        .where(SurveyRespondent.user_id == user_id)
        .order_by(SurveyRound.closes_on.desc(), SurveyRound.id.desc())
    ).all()
    counts = _counts(session, [r.id for r, _ in rows])
    return [RoundLine(r, *counts.get(r.id, (0, 0)), my_answer_at=at) for r, at in rows]


def rounds_run_by(session: Session, user) -> list[RoundLine]:
    ids = managed_round_ids(session, user)
    query = select(SurveyRound).order_by(SurveyRound.closes_on.desc(), SurveyRound.id.desc())
    if ids is not None:
        query = query.where(SurveyRound.id.in_(ids))
    rounds = session.exec(query).all()
    counts = _counts(session, [r.id for r in rounds])
    return [RoundLine(r, *counts.get(r.id, (0, 0))) for r in rounds]


def survey_counts(user_id, today) -> tuple:
    """For the navigation (academy/navigation.py), as two subqueries: the rounds this person was ever asked to
    answer, and the open ones they have not answered yet (the number beside "Surveys")."""
    waiting = (
        (SurveyRespondent.answered_at.is_(None)) & SurveyRound.closed_at.is_(None) & (SurveyRound.closes_on >= today)
    )
    rows = (
        select(SurveyRespondent.round_id)
        .join(SurveyRound, SurveyRound.id == SurveyRespondent.round_id)
        .where(SurveyRespondent.user_id == user_id)
    )
    asked = rows.with_only_columns(func.count()).scalar_subquery()
    return asked, rows.where(waiting).with_only_columns(func.count()).scalar_subquery()


@dataclass(frozen=True)
class TrendPoint:
    round_id: int
    title: str
    closes_on: date
    pain: Average


def trends(session: Session, round_: SurveyRound, visible_round_ids: list[int] | None) -> dict[str, list[TrendPoint]]:
    """For each pain point of this round, its average pain in every round of the same people (that the reader runs)
    which asked it, by the day each closed; rounds without an answer to it, and anonymous rounds below the
    threshold, are left out."""
    keys = select(PainPoint.key).where(PainPoint.round_id == round_.id)
    query = (
        select(PainPoint.key, SurveyRound, func.sum(PainScore.pain), func.count(PainScore.pain))
        .join(SurveyRound, SurveyRound.id == PainPoint.round_id)
        .join(PainScore, PainScore.pain_point_id == PainPoint.id, isouter=True)
        .where(PainPoint.key.in_(keys))
        .group_by(PainPoint.key, SurveyRound.id)
    )
    query = query.where(SurveyRound.id.in_(related_rounds(round_.id)))
    if visible_round_ids is not None:
        query = query.where(SurveyRound.id.in_(visible_round_ids))
    rows = session.exec(query).all()
    counts = _counts(session, list({r.id for _, r, _, _ in rows}))
    found: dict[str, list[TrendPoint]] = defaultdict(list)
    for key, r, total, n in rows:
        if not n or (r.anonymous and counts.get(r.id, (0, 0))[1] < ANONYMITY_THRESHOLD):
            continue
        found[key].append(TrendPoint(r.id, r.title, closed_on(r), Average(int(total or 0), n)))
    for series in found.values():
        series.sort(key=lambda t: (t.closes_on, t.round_id))
    return dict(found)


def addressed_by(session: Session, module_id: str, track_id: str) -> list[str]:
    """The pain points (by title, each once) that name this module or its track as what addresses them."""
    rows = session.exec(
        select(PainPoint.key, PainPoint.title)
        .where(PainPoint.addresses.in_([f"module:{module_id}", f"track:{track_id}"]))
        .order_by(PainPoint.id.desc())
    ).all()
    titles: dict[str, str] = {}
    for key, title in rows:
        titles.setdefault(key, title)
    return sorted(titles.values(), key=str.casefold)


def shown(value: float | None, places: int = 1) -> str:
    """An average or priority as the page and the CSV print it: "71.1", "2.31", "∞" (no effort), "" (none)."""
    if value is None:
        return ""
    return "∞" if math.isinf(value) else f"{value:.{places}f}"


def cell_text(score: int | None, unknown: bool) -> str:
    return "?" if unknown else "" if score is None else str(score)


def results_table(found: Results) -> tuple[list[str], list[list]]:
    """The results as rows of text for the CSV: a column per respondent (and per effort), then the figures."""
    effort = found.round.asks_effort
    header = ["pain_point"]
    for column in found.columns:
        header += [f"{column}: pain", f"{column}: effort"] if effort else [f"{column}: pain"]
    header += ["pain_average", "pain_answered"]
    header += ["effort_average", "effort_answered", "priority"] if effort else []
    header += ["struck_on", "addressed_by"]
    rows = []
    for row in found.rows:
        line = [row.point.title]
        for c in row.cells:
            line.append(cell_text(c.pain, c.pain_unknown) if c else "")
            if effort:
                line.append(cell_text(c.effort, c.effort_unknown) if c else "")
        line += [shown(row.pain.value), row.pain.answered]
        line += [shown(row.effort.value), row.effort.answered, shown(row.priority, 2)] if effort else []
        struck = row.strike  # on the installation's calendar, as the closing day is
        line += [installation_today(struck.struck_at).isoformat(), struck.struck_note] if struck else ["", ""]
        rows.append(line)
    return header, rows
