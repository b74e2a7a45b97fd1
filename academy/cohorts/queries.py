"""Reads for managers' pages: set-based, one query per figure."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func
from sqlmodel import Session, select

from ..models import Cohort, CohortModule, CohortTrainee, ModuleProgress


@dataclass(frozen=True)
class CohortSummary:
    id: int
    name: str
    start_date: date
    end_date: date
    trainees: int
    planned_modules: int
    completed: int

    @property
    def percent(self) -> int:
        total = self.trainees * self.planned_modules
        return round(100 * self.completed / total) if total else 0


def cohort_summaries(session: Session, cohort_ids: list[int] | None) -> list[CohortSummary]:
    """Every cohort in `cohort_ids` (None: all) with its trainee count and completed plan modules."""
    trainees = select(CohortTrainee.cohort_id, func.count().label("n")).group_by(CohortTrainee.cohort_id).subquery()
    planned = select(CohortModule.cohort_id, func.count().label("n")).group_by(CohortModule.cohort_id).subquery()
    completed = (
        select(
            CohortTrainee.cohort_id,
            func.count(distinct(ModuleProgress.trainee_id.concat(ModuleProgress.module_id))).label("n"),
        )
        .join(ModuleProgress, ModuleProgress.trainee_id == CohortTrainee.trainee_id)
        .join(
            CohortModule,
            (CohortModule.cohort_id == CohortTrainee.cohort_id) & (CohortModule.module_id == ModuleProgress.module_id),
        )
        .where(ModuleProgress.completed_at.is_not(None))
        .group_by(CohortTrainee.cohort_id)
        .subquery()
    )
    query = (
        select(
            Cohort.id,
            Cohort.name,
            Cohort.start_date,
            Cohort.end_date,
            func.coalesce(trainees.c.n, 0),
            func.coalesce(planned.c.n, 0),
            func.coalesce(completed.c.n, 0),
        )
        .outerjoin(trainees, trainees.c.cohort_id == Cohort.id)
        .outerjoin(planned, planned.c.cohort_id == Cohort.id)
        .outerjoin(completed, completed.c.cohort_id == Cohort.id)
        .order_by(Cohort.start_date.desc(), Cohort.name)
    )
    if cohort_ids is not None:
        query = query.where(Cohort.id.in_(cohort_ids))
    return [CohortSummary(*row) for row in session.exec(query).all()]
