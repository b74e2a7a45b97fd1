"""Where each trainee stands on the way to on-call: the checklist (the plan's modules, their labs, the
practicum), the stage it puts them in, and their readiness requests. Computed for many trainees at once, in a
fixed number of queries, for the cohort pages as much as for one person's page."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from sqlmodel import Session, select

from ..curriculum.loader import Catalogue
from ..models import (
    CohortModule,
    CohortTrainee,
    LabAttempt,
    ModuleProgress,
    PracticeDecision,
    PracticeEntry,
    ReadinessDecision,
    ReadinessPanelist,
    ReadinessRequest,
    User,
)

STAGES = ("learning", "practising", "ready for review", "ready for on-call")
STAGE_HINTS = {
    "learning": "Modules and labs first: the practicum opens as their prerequisites are done.",
    "practising": "Log shadow shifts, drills and the rest of the practicum; a mentor confirms each entry.",
    "ready for review": "Everything required is signed off: ask for a readiness review.",
    "ready for on-call": "A readiness panel decided this person is ready to hold on-call.",
}


@dataclass(frozen=True)
class Item:
    kind: str  # "module", "lab" or "practice"
    id: str
    title: str
    done_on: date | None  # the day it was signed off
    progress: str = ""  # for practice: "2 of 3"
    locked_by: tuple[str, ...] = ()  # what must be finished first, in words

    @property
    def done(self) -> bool:
        return self.done_on is not None


@dataclass
class Readiness:
    trainee_id: int
    items: list[Item] = field(default_factory=list)
    graduated_on: date | None = None
    pending: ReadinessRequest | None = None
    last_decision: ReadinessDecision | None = None

    # worked out once (a cohort page asks each trainee's several times): readiness_of fills in everything first
    @cached_property
    def complete(self) -> bool:
        return bool(self.items) and all(i.done for i in self.items)

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.items if not i.done]

    @cached_property
    def stage(self) -> str:
        if self.graduated_on:
            return "ready for on-call"
        if self.complete:
            return "ready for review"
        practice = [i for i in self.items if i.kind == "practice"]
        if any(not i.locked_by or i.progress.split(" ")[0] != "0" for i in practice):
            return "practising"
        return "learning"

    @property
    def next_step(self) -> Item | None:
        """The first thing not yet done that is open to the trainee."""
        return next((i for i in self.items if not i.done and not i.locked_by), None)


def plans(session: Session, catalogue: Catalogue, trainee_ids: list[int]) -> dict[int, list[str]]:
    """Each trainee's modules: their cohort's plan, in due order; every module for someone in no cohort."""
    member = dict(
        session.exec(
            select(CohortTrainee.trainee_id, CohortTrainee.cohort_id).where(CohortTrainee.trainee_id.in_(trainee_ids))
        ).all()
    )
    plan_rows = session.exec(
        select(CohortModule.cohort_id, CohortModule.module_id)
        .where(CohortModule.cohort_id.in_(set(member.values())))
        .order_by(CohortModule.due_date, CohortModule.module_id)
    ).all()
    by_cohort = defaultdict(list)
    for cohort_id, module_id in plan_rows:
        if catalogue.get(module_id):
            by_cohort[cohort_id].append(module_id)
    everything = list(catalogue.modules)
    return {t: by_cohort.get(member.get(t), everything) if t in member else everything for t in trainee_ids}


def readiness_of(session: Session, catalogue: Catalogue, trainee_ids: list[int]) -> dict[int, Readiness]:
    ids = list(trainee_ids)
    if not ids:
        return {}
    modules_done = defaultdict(dict)
    for tid, mid, at in session.exec(
        select(ModuleProgress.trainee_id, ModuleProgress.module_id, ModuleProgress.completed_at).where(
            ModuleProgress.trainee_id.in_(ids), ModuleProgress.completed_at.is_not(None)
        )
    ).all():
        modules_done[tid][mid] = at.date()
    labs_done = defaultdict(dict)
    for tid, lab_id, at in session.exec(
        select(LabAttempt.trainee_id, LabAttempt.lab_id, LabAttempt.submitted_at).where(
            LabAttempt.trainee_id.in_(ids), LabAttempt.status == "approved"
        )
    ).all():
        labs_done[tid][lab_id] = at.date()
    confirmed = defaultdict(list)
    for entry, decided_at in session.exec(
        select(PracticeEntry, PracticeDecision.decided_at)
        .join(PracticeDecision, PracticeDecision.entry_id == PracticeEntry.id)
        .where(PracticeEntry.trainee_id.in_(ids), PracticeEntry.status == "confirmed")
        .order_by(PracticeDecision.decided_at)
    ).all():
        confirmed[entry.trainee_id].append((entry, decided_at))
    found = {t: Readiness(t) for t in ids}
    for tid, module_ids in plans(session, catalogue, ids).items():
        found[tid].items = checklist(catalogue, module_ids, modules_done[tid], labs_done[tid], confirmed[tid])
    add_requests(session, ids, found)
    return found


def checklist(catalogue, module_ids, modules_done, labs_done, confirmed) -> list[Item]:
    items = []
    for mid in module_ids:
        module = catalogue.get(mid)
        items.append(Item("module", mid, module.title, modules_done.get(mid)))
        items += [Item("lab", lab.id, lab.title, labs_done.get(lab.id)) for lab in module.labs]
    for requirement in catalogue.practicum.requirements:
        items.append(practice_item(catalogue, requirement, modules_done, labs_done, confirmed))
    return items


def practice_item(catalogue, requirement, modules_done, labs_done, confirmed) -> Item:
    """A requirement's line of the checklist: how many count so far, the day the last one needed was
    confirmed, and what still locks it."""
    counted = counted_days(requirement, confirmed)
    need = requirement.count
    done_on = counted[need - 1].date() if len(counted) >= need else None
    return Item(
        "practice",
        requirement.id,
        requirement.title,
        done_on,
        progress=f"{min(len(counted), need)} of {need}",
        locked_by=tuple(locks(catalogue, requirement, modules_done, labs_done, confirmed)),
    )


def counted_days(requirement, confirmed) -> list:
    """When each confirmed entry that counts for `requirement` was confirmed: every entry, or the first of
    each role when the requirement asks for different roles."""
    days, roles = [], set()
    for entry, at in confirmed:
        if entry.requirement_id != requirement.id:
            continue
        if requirement.spec.different_roles:
            if entry.role in roles:
                continue
            roles.add(entry.role)
        days.append(at)
    return days


def locks(catalogue, requirement, modules_done, labs_done, confirmed) -> list[str]:
    needs = requirement.spec.prerequisites
    words = [
        f"the module “{catalogue.get(m).title}”" for m in needs.modules if m not in modules_done and catalogue.get(m)
    ]
    words += [
        f"the lab “{catalogue.lab(lab).title}”" for lab in needs.labs if lab not in labs_done and catalogue.lab(lab)
    ]
    for other_id, count in (needs.practice or {}).items():
        other = catalogue.practicum.requirement(other_id)
        if other and len(counted_days(other, confirmed)) < count:
            words.append(f"{count} confirmed “{other.title}”")
    return words


def add_requests(session: Session, ids: list[int], found: dict[int, Readiness]) -> None:
    rows = session.exec(
        select(ReadinessRequest, ReadinessDecision)
        .outerjoin(ReadinessDecision, ReadinessDecision.request_id == ReadinessRequest.id)
        .where(ReadinessRequest.trainee_id.in_(ids))
        .order_by(ReadinessRequest.requested_at, ReadinessRequest.id)
    ).all()
    for request, decision in rows:
        readiness = found[request.trainee_id]
        if request.status == "pending":
            readiness.pending = request
        if decision is not None:
            readiness.last_decision = decision
            if decision.outcome == "ready":
                readiness.graduated_on = readiness.graduated_on or decision.decided_at.date()


def panel_of(session: Session, request_id: int) -> list[int]:
    rows = select(ReadinessPanelist.user_id).where(ReadinessPanelist.request_id == request_id)
    return list(session.exec(rows).all())


def panelists(session: Session, request_id: int) -> list[User]:
    """The panel of a readiness request as people, by name, in one statement."""
    rows = (
        select(User)
        .join(ReadinessPanelist, ReadinessPanelist.user_id == User.id)
        .where(ReadinessPanelist.request_id == request_id)
        .order_by(User.display_name, User.id)
    )
    return list(session.exec(rows).all())


def graduated_between(readiness: dict[int, Readiness], start: date, end: date) -> list[int]:
    return [t for t, r in readiness.items() if r.graduated_on and start <= r.graduated_on <= end]
