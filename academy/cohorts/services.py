"""Writes about cohorts: their dates, plan and people. The caller commits; every change is audited."""

from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, delete, select

from .. import audit
from ..curriculum.loader import Catalogue, learning_order
from ..inputs import InputError
from ..models import Cohort, CohortModule, CohortStaff, CohortTrainee, User, UserRole

MEMBER_ROLES = ("trainee", "mentor", "manager")


class CohortError(InputError):
    """Why a cohort change was refused, in the admin's words; `field` names the form field."""


def _check_details(session: Session, name: str, start: date, end: date, cohort_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 120:
        raise CohortError("Give the cohort a name of at most 120 characters.", "name")
    if end < start:
        raise CohortError("The planned end must be on or after the start.", "end_date")
    clash = session.exec(select(Cohort.id).where(func.lower(Cohort.name) == name.lower())).first()
    if clash is not None and clash != cohort_id:
        raise CohortError("Another cohort already has this name.", "name")
    return name


def create_cohort(
    *, session: Session, catalogue: Catalogue, name: str, start: date, end: date, track_ids: list[str]
) -> Cohort:
    cohort = Cohort(name=_check_details(session, name, start, end), start_date=start, end_date=end)
    session.add(cohort)
    session.flush()
    audit.record(session, "cohort.created", cohort.name, start=start, end=end)
    set_plan(session=session, catalogue=catalogue, cohort=cohort, track_ids=track_ids)
    return cohort


def update_cohort(*, session: Session, cohort: Cohort, name: str, start: date, end: date) -> None:
    """New name and dates; when the dates move, the plan's due dates are spread over the new span."""
    cohort.name = _check_details(session, name, start, end, cohort.id)
    moved = (cohort.start_date, cohort.end_date) != (start, end)
    cohort.start_date, cohort.end_date = start, end
    session.add(cohort)
    if moved:
        respread_plan(session, cohort)
    audit.record(session, "cohort.updated", cohort.name, start=start, end=end)


def respread_plan(session: Session, cohort: Cohort) -> None:
    """Keep the plan's modules and their order; spread their due dates evenly from start to planned end."""
    rows = session.exec(
        select(CohortModule)
        .where(CohortModule.cohort_id == cohort.id)
        .order_by(CohortModule.due_date, CohortModule.module_id)
    ).all()
    span = (cohort.end_date - cohort.start_date).days
    for i, row in enumerate(rows):
        row.due_date = cohort.start_date + timedelta(days=span * (i + 1) // len(rows))
        session.add(row)


def set_plan(*, session: Session, catalogue: Catalogue, cohort: Cohort, track_ids: list[str]) -> int:
    """The cohort follows these tracks; due dates are spread evenly from its start to its planned end."""
    if not track_ids:
        raise CohortError("Choose at least one track for the cohort to follow.", "tracks")
    if unknown := set(track_ids) - {t.id for t in catalogue.tracks}:
        raise CohortError(f"Unknown track: {', '.join(sorted(unknown))}.", "tracks")
    modules = [m for m in learning_order(catalogue) if m.track in track_ids]
    span = (cohort.end_date - cohort.start_date).days
    session.exec(delete(CohortModule).where(CohortModule.cohort_id == cohort.id))
    session.add_all(
        CohortModule(
            cohort_id=cohort.id,
            module_id=m.id,
            due_date=cohort.start_date + timedelta(days=span * (i + 1) // len(modules)),
        )
        for i, m in enumerate(modules)
    )
    audit.record(session, "cohort.plan_set", cohort.name, tracks=sorted(track_ids), modules=len(modules))
    return len(modules)


def plan_tracks(session: Session, catalogue: Catalogue, cohort_id: int) -> set[str]:
    module_ids = session.exec(select(CohortModule.module_id).where(CohortModule.cohort_id == cohort_id)).all()
    return {catalogue.get(m).track for m in module_ids if catalogue.get(m)}


def _has_role(session: Session, user_id: int, role: str) -> bool:
    return session.get(UserRole, (user_id, role)) is not None


def add_member(*, session: Session, cohort: Cohort, user: User, role: str, mentor: User | None = None) -> None:
    if role not in MEMBER_ROLES:
        raise CohortError("Choose trainee, mentor or manager.", "role")
    if not _has_role(session, user.id, role):
        raise CohortError(f"{user.email} does not hold the {role} role; give it on their account first.", "email")
    if role == "trainee":
        current = session.get(CohortTrainee, user.id)
        if current is not None:
            other = session.get(Cohort, current.cohort_id)
            raise CohortError(f"{user.email} is already a trainee in {other.name}.", "email")
        if mentor is not None:
            _check_mentor(session, cohort, mentor)
        session.add(CohortTrainee(trainee_id=user.id, cohort_id=cohort.id, mentor_id=mentor.id if mentor else None))
    else:
        if session.get(CohortStaff, (cohort.id, user.id, role)) is not None:
            raise CohortError(f"{user.email} is already a {role} of this cohort.", "email")
        session.add(CohortStaff(cohort_id=cohort.id, user_id=user.id, role=role))
    audit.record(session, "cohort.member_added", cohort.name, email=user.email, role=role)


def _check_mentor(session: Session, cohort: Cohort, mentor: User) -> None:
    if session.get(CohortStaff, (cohort.id, mentor.id, "mentor")) is None:
        raise CohortError(f"{mentor.email} is not a mentor of this cohort; add them as a mentor first.", "mentor")


def remove_member(*, session: Session, cohort: Cohort, user: User, role: str) -> None:
    """Membership ends; the person's history (progress, submissions, decisions) stays."""
    if role == "trainee":
        row = session.get(CohortTrainee, user.id)
        if row is None or row.cohort_id != cohort.id:
            raise CohortError(f"{user.email} is not a trainee of this cohort.")
        session.delete(row)
    else:
        row = session.get(CohortStaff, (cohort.id, user.id, role))
        if row is None:
            raise CohortError(f"{user.email} is not a {role} of this cohort.")
        session.delete(row)
        if role == "mentor":  # their trainees here need a new mentor
            for trainee in session.exec(
                select(CohortTrainee).where(CohortTrainee.cohort_id == cohort.id, CohortTrainee.mentor_id == user.id)
            ).all():
                trainee.mentor_id = None
                session.add(trainee)
    audit.record(session, "cohort.member_removed", cohort.name, email=user.email, role=role)


def assign_mentor(*, session: Session, cohort: Cohort, trainee: User, mentor: User | None) -> None:
    row = session.get(CohortTrainee, trainee.id)
    if row is None or row.cohort_id != cohort.id:
        raise CohortError(f"{trainee.email} is not a trainee of this cohort.", "trainee")
    if mentor is not None:
        _check_mentor(session, cohort, mentor)
        if mentor.id == trainee.id:
            raise CohortError("A trainee cannot mentor themselves.", "mentor")
    row.mentor_id = mentor.id if mentor else None
    session.add(row)
    audit.record(
        session, "cohort.mentor_assigned", cohort.name, trainee=trainee.email, mentor=mentor.email if mentor else None
    )
