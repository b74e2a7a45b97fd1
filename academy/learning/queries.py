"""Reads for the trainee's pages: one query per kind of row, never one per module."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from ..curriculum.loader import Catalogue, Module
from ..models import Cohort, CohortModule, CohortTrainee, ModuleProgress


@dataclass(frozen=True)
class PathItem:
    module: Module
    due: date | None
    progress: ModuleProgress | None
    missing: tuple[Module, ...]  # prerequisites not yet completed

    @property
    def done(self) -> bool:
        return bool(self.progress and self.progress.completed_at)

    @property
    def status(self) -> str:
        if self.done:
            return "Done"
        if self.missing:
            return "Locked"
        return "In progress" if self.progress else "Not started"


@dataclass(frozen=True)
class LearningPath:
    cohort: Cohort | None
    items: list[PathItem]

    @property
    def done_count(self) -> int:
        return sum(item.done for item in self.items)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / len(self.items)) if self.items else 0

    @property
    def next_item(self) -> PathItem | None:
        return next((i for i in self.items if not i.done and not i.missing), None)


def learning_path(session: Session, catalogue: Catalogue, trainee_id: int) -> LearningPath:
    member = session.get(CohortTrainee, trainee_id)
    cohort = session.get(Cohort, member.cohort_id) if member else None
    progress = {
        p.module_id: p
        for p in session.exec(select(ModuleProgress).where(ModuleProgress.trainee_id == trainee_id)).all()
    }
    plan = {}
    if cohort:
        plan = {
            row.module_id: row.due_date
            for row in session.exec(select(CohortModule).where(CohortModule.cohort_id == cohort.id)).all()
        }
    modules = [m for m in catalogue.ordered_modules() if not plan or m.id in plan]
    done = {mid for mid, p in progress.items() if p.completed_at}
    items = [
        PathItem(
            m,
            plan.get(m.id),
            progress.get(m.id),
            tuple(catalogue.get(p) for p in m.prerequisites if p not in done and catalogue.get(p)),
        )
        for m in modules
    ]
    return LearningPath(cohort, sorted(items, key=lambda i: (i.due or date.max, i.module.track, i.module.order)))
