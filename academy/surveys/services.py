"""Writes for pain-point surveys: opening, editing, closing and deleting a round, a respondent's answers, striking a
pain point off the team's list, and the reminder before a round closes. Each raises SurveyError, in the person's
words, for what they can fix; the caller commits."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, delete, select, update

from .. import audit
from ..curriculum.loader import Catalogue
from ..inputs import InputError, is_email
from ..models import (
    ADDRESSED_BY,
    Cohort,
    CohortStaff,
    CohortTrainee,
    Notification,
    PainPoint,
    PainScore,
    SurveyCohort,
    SurveyRespondent,
    SurveyRound,
    User,
    utcnow,
)
from ..notifications.services import mark_read_about, notify
from .queries import is_open

MAX_POINTS = 20
MAX_PEOPLE = 500
REMINDER_DAYS = 3


class SurveyError(InputError):
    """Why a survey action was refused; `field` names the form field when one is to blame."""


class RoundClosed(SurveyError):
    """The round takes no more answers: a conflict with its state, not a mistake in what was sent."""


@dataclass(frozen=True)
class PointDraft:
    title: str
    description: str = ""
    addresses: str | None = None  # "track:<id>" or "module:<id>"


@dataclass(frozen=True)
class Cell:
    """One answer: a whole score 0-100, "don't know", or blank (neither)."""

    score: int | None = None
    unknown: bool = False


@dataclass(frozen=True)
class Answer:
    pain: Cell
    effort: Cell = Cell()


def answer_link(round_id: int) -> str:
    return f"/surveys/{round_id}/answer"


def point_key(title: str) -> str:
    """What ties a pain point to itself in later rounds: its title, case and spacing aside."""
    return re.sub(r"\s+", " ", title).strip().casefold()


def check_addresses(catalogue: Catalogue, ref: str | None) -> str | None:
    if not ref:
        return None
    kind, _, ident = ref.partition(":")
    if (kind == "track" and catalogue.track(ident)) or (kind == "module" and catalogue.get(ident)):
        return ref
    raise SurveyError("Choose a track or module of the curriculum for what addresses a pain point.", "points")


def _points(catalogue: Catalogue, drafts: list[PointDraft]) -> list[PointDraft]:
    kept = [
        PointDraft(" ".join(d.title.split()), d.description.strip(), check_addresses(catalogue, d.addresses))
        for d in drafts
        if d.title.strip() or d.description.strip()
    ]
    if not kept:
        raise SurveyError("Name at least one pain point.", "points")
    if len(kept) > MAX_POINTS:
        raise SurveyError(f"A round asks about at most {MAX_POINTS} pain points.", "points")
    for draft in kept:
        if not draft.title:
            raise SurveyError("Every pain point needs a short text; a description alone is not one.", "points")
        if len(draft.title) > 120 or len(draft.description) > 1000:
            raise SurveyError("Keep a pain point under 120 characters and its description under 1,000.", "points")
    keys = [point_key(d.title) for d in kept]
    if any(len(k) > 120 for k in keys):  # casefold() can lengthen a text ("ß" is "ss")
        raise SurveyError("Keep a pain point under 120 characters.", "points")
    if len(set(keys)) != len(keys):
        twice = next(d.title for d, k in zip(kept, keys, strict=True) if keys.count(k) > 1)
        raise SurveyError(f"“{twice}” is in the list twice.", "points")
    return kept


def _people(session: Session, cohort_ids: list[int], emails: list[str]) -> tuple[list[int], list[int]]:
    """The cohorts (checked) and everyone asked: each cohort's trainees and staff, and the people named by e-mail."""
    cohorts = list(session.exec(select(Cohort.id).where(Cohort.id.in_(cohort_ids))).all()) if cohort_ids else []
    if len(cohorts) != len(set(cohort_ids)):
        raise SurveyError("One of the chosen cohorts does not exist any more.", "cohorts")
    people: list[int] = []
    if cohorts:
        active = select(User.id).where(User.is_active)  # a deactivated account is asked nothing
        trainees = select(CohortTrainee.trainee_id).where(CohortTrainee.cohort_id.in_(cohorts))
        staff = select(CohortStaff.user_id).where(CohortStaff.cohort_id.in_(cohorts))
        people += session.exec(trainees.where(CohortTrainee.trainee_id.in_(active))).all()
        people += session.exec(staff.where(CohortStaff.user_id.in_(active))).all()
    wanted = list(dict.fromkeys(e.strip().lower() for e in emails if e.strip()))
    if bad := [e for e in wanted if not is_email(e)]:
        raise SurveyError(f"“{bad[0][:80]}” is not an e-mail address.", "people")
    if wanted:
        found = dict(session.exec(select(User.email, User.id).where(User.email.in_(wanted), User.is_active)).all())
        if missing := [e for e in wanted if e not in found]:
            raise SurveyError(f"Nobody active has the address {missing[0]}: check it, or invite them first.", "people")
        people += [found[e] for e in wanted]
    people = list(dict.fromkeys(people))
    if not people:
        raise SurveyError("Choose a cohort or name at least one person to ask.", "cohorts")
    if len(people) > MAX_PEOPLE:
        raise SurveyError(f"A round asks at most {MAX_PEOPLE} people.", "people")
    return cohorts, people


def _check_basics(title: str, closes_on: date | None, today: date) -> str:
    title = " ".join((title or "").split())
    if not title or len(title) > 120:
        raise SurveyError("Give the round a title of at most 120 characters.", "title")
    if closes_on is None or closes_on < today:
        raise SurveyError("Choose a closing date from today on.", "closes_on")
    if closes_on > today + timedelta(days=366):
        raise SurveyError("Choose a closing date within a year.", "closes_on")
    return title


def open_round(
    session: Session,
    catalogue: Catalogue,
    *,
    by: User,
    title: str,
    closes_on: date | None,
    points: list[PointDraft],
    cohort_ids: list[int],
    emails: list[str],
    anonymous: bool,
    asks_effort: bool,
    today: date,
) -> SurveyRound:
    title = _check_basics(title, closes_on, today)
    drafts = _points(catalogue, points)
    cohorts, people = _people(session, cohort_ids, emails)
    round_ = SurveyRound(
        title=title, closes_on=closes_on, anonymous=anonymous, asks_effort=asks_effort, created_by=by.id
    )
    session.add(round_)
    session.flush()
    write_points(session, round_, drafts)
    session.add_all(SurveyCohort(round_id=round_.id, cohort_id=c) for c in cohorts)
    session.add_all(SurveyRespondent(round_id=round_.id, user_id=p) for p in people)
    for person in people:
        notify(
            session,
            user_id=person,
            message=f"Survey: {title}. Answer by {closes_on:%d %b}.",
            link=answer_link(round_.id),
        )
    audit.record(session, "survey.opened", f"survey {round_.id}", actor=by.id, title=title, people=len(people))
    return round_


def write_points(session: Session, round_: SurveyRound, drafts: list[PointDraft]) -> None:
    for position, d in enumerate(drafts, start=1):
        session.add(
            PainPoint(
                round_id=round_.id,
                position=position,
                title=d.title,
                description=d.description,
                key=point_key(d.title),
                addresses=d.addresses,
            )
        )


def lock(session: Session, round_: SurveyRound) -> None:
    """Writes to one round take turns (PostgreSQL's row lock; SQLite's writers take turns already): an edit that
    found no answers cannot then delete one that was saved meanwhile, and a sheet is never saved twice at once."""
    session.refresh(round_, with_for_update=True)


def has_answers(session: Session, round_id: int) -> bool:
    answered = select(SurveyRespondent.user_id).where(
        SurveyRespondent.round_id == round_id, SurveyRespondent.answered_at.is_not(None)
    )
    return session.exec(answered.limit(1)).first() is not None


def edit_round(
    session: Session,
    catalogue: Catalogue,
    *,
    round_: SurveyRound,
    by: User,
    title: str,
    closes_on: date | None,
    points: list[PointDraft],
    today: date,
) -> None:
    """Title and closing date at any time while the round is open; its pain points only while nobody has answered:
    after that the answers would no longer say what they were answers to, so a new round (which may repeat the
    pain points) is the way."""
    lock(session, round_)
    if not is_open(round_, today):
        raise SurveyError("This round is closed.")
    title = _check_basics(title, closes_on, today)
    drafts = _points(catalogue, points)
    current = session.exec(select(PainPoint).where(PainPoint.round_id == round_.id).order_by(PainPoint.position)).all()
    same = [(d.title, d.description, d.addresses) for d in drafts] == [
        (p.title, p.description, p.addresses) for p in current
    ]
    if not same and has_answers(session, round_.id):
        raise SurveyError(
            "Someone has answered this round already, so its pain points stay as they are: open a new round.", "points"
        )
    if closes_on != round_.closes_on:
        round_.reminded_at = None  # the reminder goes three days before the new date
    round_.title, round_.closes_on = title, closes_on
    session.add(round_)
    if not same:
        session.exec(delete(PainPoint).where(PainPoint.round_id == round_.id))
        session.flush()
        write_points(session, round_, drafts)
    audit.record(session, "survey.edited", f"survey {round_.id}", actor=by.id, title=title, points_changed=not same)


def save_answers(
    session: Session, *, round_: SurveyRound, respondent: User, answers: dict[int, Answer], today: date
) -> None:
    """The respondent's whole sheet, replacing what they saved before; a pain point left out is blank."""
    lock(session, round_)
    asked = session.get(SurveyRespondent, (round_.id, respondent.id))
    if asked is None:
        raise SurveyError("You were not asked to answer this round.")
    if not is_open(round_, today):
        raise RoundClosed("This round has closed: it takes no more answers.")
    point_ids = set(session.exec(select(PainPoint.id).where(PainPoint.round_id == round_.id)).all())
    if set(answers) - point_ids:
        raise SurveyError("These answers are for pain points this round does not have; reload the page.")
    for cell in [a.pain for a in answers.values()] + [a.effort for a in answers.values()]:
        whole = type(cell.score) is int  # not 70.5, not True
        if cell.score is not None and (cell.unknown or not whole or not 0 <= cell.score <= 100):
            raise SurveyError("Scores are whole numbers from 0 to 100, or “don't know”.")
    if not any(cell.score is not None for a in answers.values() for cell in (a.pain, a.effort)):
        raise SurveyError("Give at least one score: blanks and “don't know” alone say nothing to count.")
    session.exec(
        delete(PainScore).where(PainScore.respondent_id == respondent.id, PainScore.pain_point_id.in_(point_ids))
    )
    for point_id in sorted(point_ids):
        a = answers.get(point_id, Answer(Cell()))
        effort = a.effort if round_.asks_effort else Cell()
        session.add(
            PainScore(
                pain_point_id=point_id,
                respondent_id=respondent.id,
                pain=a.pain.score,
                pain_unknown=a.pain.unknown,
                effort=effort.score,
                effort_unknown=effort.unknown,
            )
        )
    asked.answered_at = utcnow()
    session.add(asked)
    mark_read_about_for(session, respondent.id, round_.id)


def mark_read_about_for(session: Session, user_id: int, round_id: int) -> None:
    """The notification that asked this person to answer has done its work (only theirs: others still owe)."""
    session.exec(
        update(Notification)
        .where(
            Notification.user_id == user_id, Notification.link == answer_link(round_id), Notification.read_at.is_(None)
        )
        .values(read_at=utcnow())
    )


def close_round(session: Session, *, round_: SurveyRound, by: User, today: date) -> None:
    lock(session, round_)
    if not is_open(round_, today):
        raise SurveyError("This round is closed already.")
    round_.closed_at = utcnow()
    session.add(round_)
    mark_read_about(session, link=answer_link(round_.id))
    audit.record(session, "survey.closed", f"survey {round_.id}", actor=by.id, title=round_.title)


def delete_round(session: Session, *, round_: SurveyRound, by: User) -> None:
    """The round, its pain points and answers go; the audit log keeps that it existed, who deleted it and when."""
    lock(session, round_)
    answered = session.exec(
        select(SurveyRespondent.user_id).where(
            SurveyRespondent.round_id == round_.id, SurveyRespondent.answered_at.is_not(None)
        )
    ).all()
    audit.record(
        session, "survey.deleted", f"survey {round_.id}", actor=by.id, title=round_.title, answered=len(answered)
    )
    mark_read_about(session, link=answer_link(round_.id))
    session.exec(
        delete(PainScore).where(
            PainScore.pain_point_id.in_(select(PainPoint.id).where(PainPoint.round_id == round_.id))
        )
    )
    for table in (PainPoint, SurveyCohort, SurveyRespondent):
        session.exec(delete(table).where(table.round_id == round_.id))
    session.delete(round_)


def strike(session: Session, catalogue: Catalogue, *, point: PainPoint, by: User, addressed_by: str, what: str) -> None:
    """Off the team's list, with what addressed it: a cross-functional team or an initiative (named), or a
    curriculum track or module (chosen)."""
    session.refresh(point, with_for_update=True)  # two people striking it at once: the second is told
    if point.struck_at is not None:
        raise SurveyError("This pain point is struck through already.")
    if addressed_by not in ADDRESSED_BY:
        raise SurveyError("Say what addressed it: a team, an initiative, a track or a module.", "addressed_by")
    what = " ".join((what or "").split())
    if addressed_by in ("track", "module"):
        check_addresses(catalogue, f"{addressed_by}:{what}")  # refuses one the curriculum does not have
    if not what or len(what) > 200:
        raise SurveyError("Name what addressed it, in at most 200 characters.", "what")
    point.struck_at, point.struck_by, point.struck_with, point.struck_note = utcnow(), by.id, addressed_by, what
    session.add(point)
    audit.record(session, "survey.point_struck", f"pain point {point.id}", actor=by.id, title=point.title, by=what)


def unstrike(session: Session, *, point: PainPoint, by: User) -> None:
    session.refresh(point, with_for_update=True)
    if point.struck_at is None:
        raise SurveyError("This pain point is on the list already.")
    point.struck_at = point.struck_by = point.struck_with = point.struck_note = None
    session.add(point)
    audit.record(session, "survey.point_restored", f"pain point {point.id}", actor=by.id, title=point.title)


def send_reminders(session: Session, *, today: date, now: datetime | None = None) -> int:
    """Once per round, three days before it closes: a notification (and e-mail) to each person yet to answer."""
    due = session.exec(
        select(SurveyRound).where(
            SurveyRound.closed_at.is_(None),
            SurveyRound.reminded_at.is_(None),
            SurveyRound.closes_on >= today,
            SurveyRound.closes_on <= today + timedelta(days=REMINDER_DAYS),
        )
    ).all()
    reminded = 0
    for round_ in due:
        waiting = session.exec(
            select(SurveyRespondent.user_id)
            .join(User, User.id == SurveyRespondent.user_id)
            .where(SurveyRespondent.round_id == round_.id, SurveyRespondent.answered_at.is_(None), User.is_active)
        ).all()
        for person in waiting:
            message = (
                f"Reminder: the survey “{round_.title}” closes on {round_.closes_on:%d %b}; you have not answered."
            )
            notify(session, user_id=person, message=message, link=answer_link(round_.id))
        round_.reminded_at = now or utcnow()
        session.add(round_)
        reminded += len(waiting)
    return reminded
