"""Reads of the practicum: what a trainee has done of each requirement, what is still locked, what waits for a
mentor. Set-based: one query per kind of row, whatever the number of requirements."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ..curriculum.loader import Catalogue
from ..models import CohortTrainee, LabAttempt, ModuleProgress, PracticeDecision, PracticeEntry, User


def completed_modules(session: Session, trainee_id: int) -> set[str]:
    rows = select(ModuleProgress.module_id).where(
        ModuleProgress.trainee_id == trainee_id, ModuleProgress.completed_at.is_not(None)
    )
    return set(session.exec(rows).all())


def approved_labs(session: Session, trainee_id: int) -> set[str]:
    rows = select(LabAttempt.lab_id).where(LabAttempt.trainee_id == trainee_id, LabAttempt.status == "approved")
    return set(session.exec(rows).all())


def confirmed_entries(session: Session, trainee_ids: list[int]) -> list[PracticeEntry]:
    rows = select(PracticeEntry).where(PracticeEntry.trainee_id.in_(trainee_ids), PracticeEntry.status == "confirmed")
    return list(session.exec(rows.order_by(PracticeEntry.started_at)).all())


def credit(requirement, entries: list[PracticeEntry]) -> int:
    """How many of a requirement's confirmed entries count: each one, or each different role when it asks."""
    mine = [e for e in entries if e.requirement_id == requirement.id]
    if requirement.spec.different_roles:
        return len({e.role for e in mine})
    return len(mine)


def missing_for_requirement(session: Session, catalogue: Catalogue, trainee_id: int, requirement) -> list[str]:
    """What the trainee must finish before they may log entries for `requirement`, in words."""
    needs = requirement.spec.prerequisites
    missing = []
    if needs.modules:
        done = completed_modules(session, trainee_id)
        missing += [
            f"the module “{catalogue.get(m).title}”" for m in needs.modules if m not in done and catalogue.get(m)
        ]
    if needs.labs:
        approved = approved_labs(session, trainee_id)
        for lab_id in needs.labs:
            lab = catalogue.lab(lab_id)
            if lab_id not in approved and lab:
                missing.append(f"the lab “{lab.title}”, approved")
    if needs.practice:
        entries = confirmed_entries(session, [trainee_id])
        for other_id, count in needs.practice.items():
            other = catalogue.practicum.requirement(other_id)
            if other and (have := credit(other, entries)) < count:
                missing.append(f"{count} confirmed “{other.title}” ({have} so far)")
    return missing


def entries_of(session: Session, trainee_id: int) -> list[tuple[PracticeEntry, PracticeDecision | None]]:
    """A trainee's entries, newest first, each with its decision."""
    rows = (
        select(PracticeEntry, PracticeDecision)
        .outerjoin(PracticeDecision, PracticeDecision.entry_id == PracticeEntry.id)
        .where(PracticeEntry.trainee_id == trainee_id)
        .order_by(PracticeEntry.started_at.desc(), PracticeEntry.id.desc())
    )
    return list(session.exec(rows).all())


@dataclass(frozen=True)
class WaitingEntry:
    entry: PracticeEntry
    trainee: User
    hours: float


def waiting_entries(session: Session, mentor_id: int | None, now: datetime) -> list[WaitingEntry]:
    """Entries waiting for a decision that this mentor may take (their trainees', or ones they were present
    at), oldest first; every waiting entry for an admin (`mentor_id` None)."""
    rows = (
        select(PracticeEntry, User)
        .join(User, User.id == PracticeEntry.trainee_id)
        .outerjoin(CohortTrainee, CohortTrainee.trainee_id == PracticeEntry.trainee_id)
        .where(PracticeEntry.status == "submitted")
    )
    if mentor_id is not None:
        rows = rows.where(
            (CohortTrainee.mentor_id == mentor_id) | (PracticeEntry.present_mentor_id == mentor_id),
            PracticeEntry.trainee_id != mentor_id,
        )
    found = session.exec(rows.order_by(PracticeEntry.submitted_at)).all()
    return [WaitingEntry(e, u, (now - e.submitted_at).total_seconds() / 3600) for e, u in found]


def waiting_count(session: Session) -> int:
    return session.exec(select(func.count()).where(PracticeEntry.status == "submitted")).one()
