"""Reads for the administration pages."""

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..models import AuditEntry, Cohort, CohortStaff, CohortTrainee, User, UserRole
from ..paging import Page

PAGE_SIZE = 50


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def users_page(session: Session, *, q: str = "", role: str = "", page: int = 1) -> Page:
    """Users matching a search in name or email and holding `role`, with their roles, a page at a time."""
    query = select(User)
    if q:
        pattern = _like(q)
        query = query.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    if role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    users = session.exec(
        query.order_by(User.display_name, User.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    roles: dict[int, list[str]] = {u.id: [] for u in users}
    for user_id, r in session.exec(select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(roles))):
        roles[user_id].append(r)
    return Page([(u, sorted(roles[u.id])) for u in users], page, total, PAGE_SIZE)


@dataclass(frozen=True)
class CohortPeople:
    trainees: list[tuple[User, User | None]]  # trainee, assigned mentor
    mentors: list[User]
    managers: list[User]


def cohort_people(session: Session, cohort_id: int) -> CohortPeople:
    trainees = session.exec(
        select(User, CohortTrainee.mentor_id)
        .join(CohortTrainee, CohortTrainee.trainee_id == User.id)
        .where(CohortTrainee.cohort_id == cohort_id)
        .order_by(User.display_name)
    ).all()
    staff = session.exec(
        select(User, CohortStaff.role)
        .join(CohortStaff, CohortStaff.user_id == User.id)
        .where(CohortStaff.cohort_id == cohort_id)
        .order_by(User.display_name)
    ).all()
    by_id = {u.id: u for u, _ in staff}
    return CohortPeople(
        trainees=[(u, by_id.get(mentor_id)) for u, mentor_id in trainees],
        mentors=[u for u, r in staff if r == "mentor"],
        managers=[u for u, r in staff if r == "manager"],
    )


def all_cohorts(session: Session) -> list[Cohort]:
    return list(session.exec(select(Cohort).order_by(Cohort.start_date.desc(), Cohort.name)).all())


def _audit_query(*, action: str, actor: str):
    query = select(AuditEntry, User.email, User.display_name).outerjoin(User, User.id == AuditEntry.actor_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(func.lower(User.email).like(_like(actor), escape="\\"))
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def audit_page(session: Session, *, action: str = "", actor: str = "", page: int = 1) -> Page:
    """(entry, actor email, actor name) rows, newest first, a page at a time."""
    query = _audit_query(action=action, actor=actor)
    total = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    rows = session.exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return Page(list(rows), page, total, PAGE_SIZE)


def audit_rows(session: Session, *, action: str = "", actor: str = ""):
    """Every row the filters match, newest first, for the export."""
    return session.exec(_audit_query(action=action, actor=actor)).all()


def counts(session: Session) -> dict[str, int]:
    """How many of each, keyed by the noun in the singular (the page pluralises)."""
    def count(model) -> int:
        return session.exec(select(func.count()).select_from(model)).one()

    return {
        "person": count(User),
        "cohort": count(Cohort),
        "trainee": count(CohortTrainee),
        "audit entry": count(AuditEntry),
    }
