"""Reads for mentors' pages."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ..models import Cohort, CohortTrainee, ModuleProgress, User


@dataclass(frozen=True)
class MentorTrainee:
    id: int
    name: str
    email: str
    cohort: str
    modules_done: int
    last_activity: datetime | None


def mentor_trainees(session: Session, mentor_id: int) -> list[MentorTrainee]:
    """The trainees assigned to this mentor, with their progress, in one query."""
    done = func.count(ModuleProgress.completed_at)
    last = func.max(func.coalesce(ModuleProgress.completed_at, ModuleProgress.read_at, ModuleProgress.opened_at))
    rows = session.exec(
        select(User.id, User.display_name, User.email, Cohort.name, done, last)
        .join(CohortTrainee, CohortTrainee.trainee_id == User.id)
        .join(Cohort, Cohort.id == CohortTrainee.cohort_id)
        .outerjoin(ModuleProgress, ModuleProgress.trainee_id == User.id)
        .where(CohortTrainee.mentor_id == mentor_id)
        .group_by(User.id, User.display_name, User.email, Cohort.name)
        .order_by(Cohort.name, User.display_name)
    ).all()
    return [MentorTrainee(*row) for row in rows]
