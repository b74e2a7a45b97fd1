"""Readiness reviews: a request (by the trainee or their mentor) once the checklist is complete, a panel of at
least two people who are not the trainee, and exactly one decision per request. "Ready" graduates the trainee
and issues their credential; nobody graduates with an incomplete checklist unless an admin overrides it, with
a reason the audit log keeps."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select, update

from .. import audit
from ..curriculum.loader import Catalogue
from ..inputs import InputError
from ..models import (
    Cohort,
    CohortStaff,
    CohortTrainee,
    ReadinessDecision,
    ReadinessPanelist,
    ReadinessRequest,
    User,
    UserRole,
    utcnow,
)
from ..notifications.services import mark_read_about, notify
from .queries import panelists, readiness_of

MAX_WORDS = 20_000


class ReadinessError(InputError):
    """Why a readiness action was refused, in the person's words; `field` names the form field."""


class AlreadyDecided(ReadinessError):
    pass


def request_link(request_id: int) -> str:
    return f"/readiness/requests/{request_id}"


def default_panel(session: Session, trainee_id: int) -> list[int]:
    """The trainee's mentor and their cohort's managers: the people who know their work and answer for it."""
    member = session.get(CohortTrainee, trainee_id)
    if member is None:
        return []
    managers = session.exec(
        select(CohortStaff.user_id).where(CohortStaff.cohort_id == member.cohort_id, CohortStaff.role == "manager")
    ).all()
    people = [member.mentor_id, *managers]
    return [p for p in dict.fromkeys(people) if p and p != trainee_id]


def request_review(
    session: Session, catalogue: Catalogue, *, trainee: User, requested_by: User, note: str = ""
) -> ReadinessRequest:
    readiness = readiness_of(session, catalogue, [trainee.id])[trainee.id]
    if readiness.graduated_on:
        raise ReadinessError("A readiness panel has decided this person is ready already.")
    if readiness.pending:
        raise ReadinessError("A readiness review is waiting already; withdraw it to ask again.")
    if not readiness.complete:
        left = ", ".join(i.title for i in readiness.missing[:5])
        more = f" and {len(readiness.missing) - 5} more" if len(readiness.missing) > 5 else ""
        raise ReadinessError(f"The checklist is not complete yet: {left}{more}.")
    note = (note or "").strip()
    if len(note) > MAX_WORDS:
        raise ReadinessError(f"Keep the note under {MAX_WORDS:,} characters.", "note")
    panel = default_panel(session, trainee.id)
    if len(panel) < 2:
        raise ReadinessError(
            "A readiness panel needs two people besides the trainee (their mentor and a manager of their cohort): "
            "ask an administrator to assign them."
        )
    request = ReadinessRequest(trainee_id=trainee.id, requested_by=requested_by.id, note=note)
    session.add(request)
    session.flush()
    for user_id in panel:
        session.add(ReadinessPanelist(request_id=request.id, user_id=user_id))
        notify(
            session,
            user_id=user_id,
            message=f"Readiness review to decide: {trainee.display_name}.",
            link=request_link(request.id),
        )
    audit.record(session, "readiness.requested", f"request {request.id}", trainee_id=trainee.id, panel=panel)
    return request


def withdraw_request(session: Session, *, request: ReadinessRequest, by: User) -> None:
    """The trainee or whoever asked may withdraw a waiting request: the panel is free again."""
    if by.id not in (request.trainee_id, request.requested_by):
        raise ReadinessError("Only the trainee or the person who asked may withdraw this request.")
    moved = session.exec(
        update(ReadinessRequest)
        .where(ReadinessRequest.id == request.id, ReadinessRequest.status == "pending")
        .values(status="withdrawn", withdrawn_at=utcnow())
    ).rowcount
    if moved != 1:
        raise AlreadyDecided("This request is no longer waiting: it was decided or withdrawn already.")
    mark_read_about(session, link=request_link(request.id))
    audit.record(session, "readiness.withdrawn", f"request {request.id}", trainee_id=request.trainee_id)


def decide_review(
    session: Session,
    catalogue: Catalogue,
    *,
    request: ReadinessRequest,
    decider: User,
    outcome: str,
    rationale: str,
    missing: str = "",
    override_reason: str = "",
) -> ReadinessDecision:
    """The panel's one decision. The caller has asked the policy (a panelist or an admin)."""
    rationale, missing, override_reason = (v.strip() for v in (rationale or "", missing or "", override_reason or ""))
    check_decision(outcome, rationale, missing, override_reason)
    if decider.id == request.trainee_id:
        raise ReadinessError("Nobody decides on their own readiness.")
    trainee = session.get(User, request.trainee_id)
    readiness = readiness_of(session, catalogue, [trainee.id])[trainee.id]
    override = None
    if outcome == "ready" and not readiness.complete:
        if session.get(UserRole, (decider.id, "admin")) is None:
            raise ReadinessError("The checklist is not complete: the trainee cannot be ready for on-call yet.")
        if not override_reason:
            raise ReadinessError("The checklist is not complete: give the reason for overriding it.", "override_reason")
        override = override_reason
    moved = session.exec(
        update(ReadinessRequest)
        .where(ReadinessRequest.id == request.id, ReadinessRequest.status == "pending")
        .values(status="decided")
    ).rowcount
    if moved != 1:
        raise AlreadyDecided("This request was already decided or withdrawn; nothing was changed.")
    decision = ReadinessDecision(
        request_id=request.id,
        decided_by=decider.id,
        outcome=outcome,
        rationale=rationale,
        missing=missing if outcome == "not_yet" else "",
        override_reason=override,
    )
    session.add(decision)
    try:
        session.flush()
    except IntegrityError as error:  # the database's own guard: one decision per request
        raise AlreadyDecided("This request was already decided; nothing was changed.") from error
    after_decision(session, catalogue, request=request, decision=decision, trainee=trainee, readiness=readiness)
    return decision


def check_decision(outcome: str, rationale: str, missing: str, override_reason: str) -> None:
    if outcome not in ("ready", "not_yet"):
        raise ReadinessError("Choose Ready for on-call or Not yet.", "outcome")
    if not rationale:
        raise ReadinessError("Write the panel's rationale: what it saw, and why it decided so.", "rationale")
    if outcome == "not_yet" and not missing:
        raise ReadinessError("Say what is missing, so that the trainee knows what to work on.", "missing")
    for name, value in (("rationale", rationale), ("missing", missing), ("override_reason", override_reason)):
        if len(value) > MAX_WORDS:
            raise ReadinessError(f"Keep it under {MAX_WORDS:,} characters.", name)


def after_decision(session, catalogue, *, request, decision, trainee, readiness) -> None:
    decider = session.get(User, decision.decided_by)
    audit.record(
        session,
        "readiness.decided",
        f"request {request.id}",
        outcome=decision.outcome,
        trainee_id=trainee.id,
        rationale=decision.rationale,
    )
    if decision.override_reason:
        audit.record(
            session,
            "readiness.overridden",
            f"request {request.id}",
            trainee_id=trainee.id,
            reason=decision.override_reason,
            missing=[i.title for i in readiness.missing],
        )
    if decision.outcome == "ready":
        from ..credentials.services import issue_credential  # the credentials domain signs; readiness decides

        member = session.get(CohortTrainee, trainee.id)
        cohort = session.get(Cohort, member.cohort_id) if member else None
        panel = [p.display_name for p in panelists(session, request.id)]
        deciders = list(dict.fromkeys([decider.display_name, *panel]))
        issue_credential(
            session,
            trainee=trainee,
            decision=decision,
            cohort_name=cohort.name if cohort else "",
            completed=[i.title for i in readiness.items if i.done],
            decided_by=deciders,
        )
    mark_read_about(session, link=request_link(request.id))
    words = "ready for on-call" if decision.outcome == "ready" else "not ready yet"
    notify(
        session,
        user_id=trainee.id,
        message=f"The readiness panel decided you are {words}.",
        link=request_link(request.id),
    )
