"""Mentors' writes: claiming a submission and deciding on it. A decision is stored exactly once: the
attempt moves out of "submitted" by a conditional update, and the database allows one decision per attempt."""

import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, update

from .. import audit
from ..curriculum.loader import Catalogue
from ..inputs import InputError
from ..learning.services import CLAIM_TTL, claim_active, refresh_completion
from ..models import Decision, LabAttempt, User, utcnow
from ..notifications.services import mark_read_about, notify, review_link


class ReviewError(InputError):
    """Why a mentor's action was refused, in their words; `field` names the form field."""


class AlreadyDecided(ReviewError):
    pass


def claim(session: Session, *, attempt: LabAttempt, mentor_id: int) -> None:
    """ "I'm reviewing this": other mentors see it taken for two hours; the trainee can no longer withdraw."""
    if attempt.status != "submitted":
        raise AlreadyDecided("This submission is no longer waiting for review.")
    if claim_active(attempt) and attempt.claimed_by != mentor_id:
        raise ReviewError("Another mentor is reviewing this submission.")
    now = utcnow()
    taken = session.exec(
        update(LabAttempt)
        .where(LabAttempt.id == attempt.id, LabAttempt.status == "submitted")
        .where(
            (LabAttempt.claimed_by.is_(None))
            | (LabAttempt.claimed_by == mentor_id)
            | (LabAttempt.claimed_at < now - CLAIM_TTL)
        )
        .values(claimed_by=mentor_id, claimed_at=now)
    ).rowcount
    if taken != 1:
        raise ReviewError("Another mentor took this submission a moment ago.")


def release(session: Session, *, attempt: LabAttempt, mentor_id: int) -> None:
    if attempt.claimed_by != mentor_id:
        raise ReviewError("You are not reviewing this submission.")
    session.exec(
        update(LabAttempt)
        .where(LabAttempt.id == attempt.id, LabAttempt.claimed_by == mentor_id)
        .values(claimed_by=None, claimed_at=None)
    )


def decide(
    session: Session,
    catalogue: Catalogue,
    *,
    attempt: LabAttempt,
    mentor: User,
    outcome: str,
    comment: str,
    criteria: list[int],
) -> Decision:
    """Approve or request changes. The caller has asked the policy; this enforces the rest."""
    comment = (comment or "").strip()
    if outcome not in ("approved", "changes_requested"):
        raise ReviewError("Choose Approve or Request changes.")
    if outcome == "changes_requested" and not comment:
        raise ReviewError("Say what to change: a comment is needed to request changes.", "comment")
    if len(comment) > 20_000:
        raise ReviewError("Keep the comment under 20,000 characters.", "comment")
    if mentor.id == attempt.trainee_id:
        raise ReviewError("Nobody decides on their own submission.")
    lab = catalogue.lab(attempt.lab_id)
    count = len(lab.spec.acceptance_criteria) if lab else 0
    if any(not 0 <= c < count for c in criteria):
        raise ReviewError("The ticked criteria are not ones of this lab.", "criteria")
    ticked = sorted(set(criteria))
    moved = session.exec(
        update(LabAttempt).where(LabAttempt.id == attempt.id, LabAttempt.status == "submitted").values(status=outcome)
    ).rowcount
    if moved != 1:
        raise AlreadyDecided("This submission was already decided, by you or another mentor; nothing was changed.")
    decision = Decision(
        attempt_id=attempt.id, mentor_id=mentor.id, outcome=outcome, comment=comment, criteria=json.dumps(ticked)
    )
    session.add(decision)
    try:
        session.flush()
    except IntegrityError as error:  # the database's own guard: one decision per attempt
        raise AlreadyDecided("This submission was already decided; nothing was changed.") from error
    after_decision(
        session,
        catalogue,
        attempt=attempt,
        decision=decision,
        mentor=mentor,
        lab_title=lab.title if lab else attempt.lab_id,
    )
    return decision


def after_decision(session, catalogue, *, attempt, decision, mentor, lab_title) -> None:
    module = catalogue.get(attempt.module_id)
    if module is not None:
        session.refresh(attempt)
        refresh_completion(session, catalogue, trainee_id=attempt.trainee_id, module=module)
    audit.record(
        session,
        "lab.decided",
        f"attempt {attempt.id}",
        outcome=decision.outcome,
        lab=attempt.lab_id,
        trainee_id=attempt.trainee_id,
        criteria=json.loads(decision.criteria),
        comment=decision.comment,
    )
    mark_read_about(session, link=review_link(attempt.id))  # decided: nothing is left to act on
    words = "approved" if decision.outcome == "approved" else "sent back with changes requested"
    notify(
        session,
        user_id=attempt.trainee_id,
        message=f"{mentor.display_name} {words}: {lab_title}.",
        link=f"/modules/{attempt.module_id}#lab-{attempt.lab_id}",
    )


def waited(attempt: LabAttempt, now: datetime | None = None) -> float:
    """Hours since submission."""
    return ((now or utcnow()) - attempt.submitted_at).total_seconds() / 3600
