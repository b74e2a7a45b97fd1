"""Trainees' practice entries and mentors' decisions on them. Like lab evidence, an entry is decided exactly
once (a conditional update out of "submitted", and one decision row per entry in the database); after a
decision it is never edited: the trainee logs a new entry."""

import json
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select, update

from .. import audit
from ..curriculum.loader import Catalogue
from ..curriculum.practicum import ROLE_KINDS
from ..inputs import InputError, is_request_key, web_links
from ..models import DRILL_ROLES, CohortTrainee, PracticeDecision, PracticeEntry, User, UserRole, utcnow
from ..notifications.services import mark_read_about, notify
from .queries import missing_for_requirement

MAX_ACCOUNT_CHARS = 20_000
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock a little ahead of the server's is not "in the future"


class PracticumError(InputError):
    """Why a practicum action was refused, in the person's words; `field` names the form field."""


class AlreadyDecided(PracticumError):
    pass


def entry_link(entry_id: int) -> str:
    return f"/practicum/entries/{entry_id}"


def log_entry(
    session: Session,
    catalogue: Catalogue,
    *,
    trainee: User,
    requirement_id: str,
    started_at: datetime | None,
    minutes: int | None,
    service: str,
    account: str,
    request_key: str,
    role: str | None = None,
    scenario_id: str | None = None,
    links_text: str = "",
    present: str = "",
    present_mentor_id: int | None = None,
    now: datetime | None = None,
) -> PracticeEntry:
    """Store a practice entry and tell the mentors who may confirm it."""
    if not is_request_key(request_key):
        raise PracticumError("This form is incomplete; reload the page and submit it again.")
    earlier = session.exec(
        select(PracticeEntry).where(PracticeEntry.trainee_id == trainee.id, PracticeEntry.request_key == request_key)
    ).first()
    if earlier:
        return earlier
    requirement = catalogue.practicum.requirement(requirement_id or "")
    if requirement is None:
        raise PracticumError("Choose which requirement of the practicum this entry is for.", "requirement")
    if missing := missing_for_requirement(session, catalogue, trainee.id, requirement):
        raise PracticumError(f"Finish these first: {'; '.join(missing)}.", "requirement")
    check_times(started_at, minutes, now or utcnow())
    fields = check_words(service=service, account=account, present=present)
    role, scenario_id = check_role_and_scenario(catalogue, requirement.kind, role, scenario_id)
    try:
        links = web_links(links_text)
    except InputError as error:
        raise PracticumError(str(error), error.field) from error
    if present_mentor_id is not None:
        check_present_mentor(session, trainee, present_mentor_id)
    entry = PracticeEntry(
        trainee_id=trainee.id,
        requirement_id=requirement.id,
        started_at=started_at,
        minutes=minutes,
        role=role,
        scenario_id=scenario_id,
        links=json.dumps(links),
        present_mentor_id=present_mentor_id,
        request_key=request_key,
        **fields,
    )
    session.add(entry)
    session.flush()
    audit.record(session, "practice.logged", f"entry {entry.id}", requirement=requirement.id, trainee_id=trainee.id)
    for mentor_id in deciders(session, trainee.id, present_mentor_id):
        notify(
            session,
            user_id=mentor_id,
            message=f"{trainee.display_name} logged practice to confirm: {requirement.title}.",
            link=entry_link(entry.id),
        )
    return entry


def check_times(started_at: datetime | None, minutes: int | None, now: datetime) -> None:
    if started_at is None:
        raise PracticumError("Give the day and time it started.", "started_at")
    if minutes is None or minutes < 1:
        raise PracticumError("Give how long it lasted, in minutes.", "minutes")
    if minutes > 24 * 60:
        raise PracticumError(
            "An entry lasts at most 24 hours (1,440 minutes): log a longer shift as one a day.", "minutes"
        )
    if started_at > now + CLOCK_SKEW:
        raise PracticumError("It cannot have started in the future: log practice once it has happened.", "started_at")
    if started_at + timedelta(minutes=minutes) > now + CLOCK_SKEW:
        raise PracticumError("It cannot end in the future: log it once it is over, or shorten the duration.", "minutes")


def check_words(*, service: str, account: str, present: str) -> dict[str, str]:
    service, account, present = (service or "").strip(), (account or "").strip(), (present or "").strip()
    if not service:
        raise PracticumError("Name the rotation or service.", "service")
    if len(service) > 120:
        raise PracticumError("Keep the rotation or service under 120 characters.", "service")
    if not account:
        raise PracticumError("Say what happened: pages seen, actions taken, what you learned.", "account")
    if len(account) > MAX_ACCOUNT_CHARS:
        raise PracticumError(f"Keep the account under {MAX_ACCOUNT_CHARS:,} characters.", "account")
    if len(present) > 300:
        raise PracticumError("Keep who was there under 300 characters.", "present")
    return {"service": service, "account": account, "present": present}


def check_role_and_scenario(catalogue: Catalogue, kind: str, role: str | None, scenario_id: str | None):
    """A role from the list, needed for drills and incidents; a scenario from the curriculum, kept for drills.
    Either chosen for another kind of practice (the form keeps them when the requirement changes) is dropped."""
    role, scenario_id = (role or None), (scenario_id or None)
    if role is not None and role not in DRILL_ROLES:
        raise PracticumError("Choose the role you played from the list.", "role")
    if scenario_id is not None and catalogue.practicum.scenario(scenario_id) is None:
        raise PracticumError("Choose a scenario from the list, or none.", "scenario")
    if kind in ROLE_KINDS and role is None:
        raise PracticumError("Choose the role you played.", "role")
    return (role if kind in ROLE_KINDS else None), (scenario_id if kind == "drill" else None)


def check_present_mentor(session: Session, trainee: User, mentor_id: int) -> None:
    is_mentor = session.get(UserRole, (mentor_id, "mentor")) is not None
    if mentor_id == trainee.id or not is_mentor:
        raise PracticumError("Choose a mentor from the list, or nobody.", "present_mentor")


def deciders(session: Session, trainee_id: int, present_mentor_id: int | None) -> list[int]:
    """Who is told about a new entry: the trainee's own mentor and the mentor who was there."""
    member = session.get(CohortTrainee, trainee_id)
    found = [m for m in ((member.mentor_id if member else None), present_mentor_id) if m and m != trainee_id]
    return list(dict.fromkeys(found))


def withdraw_entry(session: Session, *, trainee_id: int, entry_id: int) -> PracticeEntry:
    entry = session.get(PracticeEntry, entry_id)
    if entry is None or entry.trainee_id != trainee_id:
        raise PracticumError("This entry is not yours.")
    moved = session.exec(
        update(PracticeEntry)
        .where(PracticeEntry.id == entry_id, PracticeEntry.status == "submitted")
        .values(status="withdrawn", withdrawn_at=utcnow())
    ).rowcount
    if moved != 1:
        raise AlreadyDecided("A mentor has decided on this entry already; it can no longer be withdrawn.")
    session.refresh(entry)
    mark_read_about(session, link=entry_link(entry.id))
    audit.record(session, "practice.withdrawn", f"entry {entry.id}")
    return entry


def decide_entry(
    session: Session,
    catalogue: Catalogue,
    *,
    entry: PracticeEntry,
    mentor: User,
    outcome: str,
    comment: str,
    criteria: list[int],
) -> PracticeDecision:
    """Confirm or send back. The caller has asked the policy; this enforces the rest."""
    comment = (comment or "").strip()
    if outcome not in ("confirmed", "changes_requested"):
        raise PracticumError("Choose Confirm or Send back.", "outcome")
    if outcome == "changes_requested" and not comment:
        raise PracticumError("Say what is missing: a comment is needed to send an entry back.", "comment")
    if len(comment) > MAX_ACCOUNT_CHARS:
        raise PracticumError(f"Keep the comment under {MAX_ACCOUNT_CHARS:,} characters.", "comment")
    if mentor.id == entry.trainee_id:
        raise PracticumError("Nobody decides on their own practice.")
    requirement = catalogue.practicum.requirement(entry.requirement_id)
    count = len(requirement.rubric_html) if requirement else 0
    if any(not 0 <= c < count for c in criteria):
        raise PracticumError("The ticked items are not ones of this requirement's rubric.", "criteria")
    moved = session.exec(
        update(PracticeEntry)
        .where(PracticeEntry.id == entry.id, PracticeEntry.status == "submitted")
        .values(status=outcome)
    ).rowcount
    if moved != 1:
        raise AlreadyDecided("This entry was already decided or withdrawn; nothing was changed.")
    decision = PracticeDecision(
        entry_id=entry.id,
        mentor_id=mentor.id,
        outcome=outcome,
        comment=comment,
        criteria=json.dumps(sorted(set(criteria))),
    )
    session.add(decision)
    try:
        session.flush()
    except IntegrityError as error:  # the database's own guard: one decision per entry
        raise AlreadyDecided("This entry was already decided; nothing was changed.") from error
    session.refresh(entry)
    title = requirement.title if requirement else entry.requirement_id
    audit.record(
        session, "practice.decided", f"entry {entry.id}", outcome=outcome, trainee_id=entry.trainee_id, comment=comment
    )
    mark_read_about(session, link=entry_link(entry.id))
    words = "confirmed" if outcome == "confirmed" else "sent back"
    notify(
        session, user_id=entry.trainee_id, message=f"{mentor.display_name} {words}: {title}.", link=entry_link(entry.id)
    )
    return decision
