"""The trainee's writes: reading, knowledge checks and lab evidence. Each is one transaction; the view
commits. Submissions carry a request key, so a double click or a resent form stores nothing twice."""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from .. import audit
from ..curriculum.loader import Catalogue, Module, RenderedLab
from ..inputs import MAX_LINKS, InputError, is_request_key, web_links
from ..models import Attachment, CohortTrainee, LabAttempt, ModuleProgress, QuizAttempt, User, utcnow
from ..notifications.services import mark_read_about, notify, review_link
from .attachments import CheckedFile

CLAIM_TTL = timedelta(hours=2)
MAX_EVIDENCE_CHARS = 50_000


class LearningError(InputError):
    """Why a trainee's action was refused; `field` names the form field when there is one."""


class PrerequisitesMissing(LearningError):
    pass


class LabClosed(LearningError):
    pass


class RequestKeyReused(LearningError):
    """A used request key came back with other content: refused, so that the new content is never dropped
    silently while the answer says "submitted"."""

    def __init__(self, message: str, number: int):
        super().__init__(message)
        self.number = number  # of the attempt the key stored


class NotYours(LearningError):
    """Someone else's object, or none: answered as "not found"."""


# ------------------------------------------------------------------ reading


def progress_row(session: Session, trainee_id: int, module_id: str) -> ModuleProgress | None:
    return session.get(ModuleProgress, (trainee_id, module_id))


def record_opened(session: Session, *, trainee_id: int, module: Module) -> None:
    """The first time a trainee opens a module; later visits change nothing."""
    if progress_row(session, trainee_id, module.id) is None:
        session.add(ModuleProgress(trainee_id=trainee_id, module_id=module.id))


class SignedOff(LearningError):
    """Completion a mentor's decision backs is not the trainee's to take back."""


def set_read(session: Session, catalogue: Catalogue, *, trainee_id: int, module: Module, read: bool) -> None:
    row = progress_row(session, trainee_id, module.id) or ModuleProgress(trainee_id=trainee_id, module_id=module.id)
    if not read and row.completed_at is not None and module.labs:
        raise SignedOff("This module is complete with its labs approved by a mentor; it stays read.")
    row.read_at = (row.read_at or utcnow()) if read else None
    if not read:
        row.completed_at = None  # a module not read is not complete (the database insists too)
    session.add(row)
    session.flush()
    refresh_completion(session, catalogue, trainee_id=trainee_id, module=module)


def completed_ids(session: Session, trainee_id: int) -> set[str]:
    rows = select(ModuleProgress.module_id).where(
        ModuleProgress.trainee_id == trainee_id, ModuleProgress.completed_at.is_not(None)
    )
    return set(session.exec(rows).all())


def missing_prerequisites(session: Session, catalogue: Catalogue, trainee_id: int, module: Module) -> list[Module]:
    if not module.prerequisites:
        return []
    done = completed_ids(session, trainee_id)
    return [catalogue.get(p) for p in module.prerequisites if p not in done and catalogue.get(p)]


def require_prerequisites(session: Session, catalogue: Catalogue, trainee_id: int, module: Module) -> None:
    if missing := missing_prerequisites(session, catalogue, trainee_id, module):
        titles = ", ".join(m.title for m in missing)
        raise PrerequisitesMissing(f"Finish these modules first: {titles}.")


def module_complete(session: Session, *, trainee_id: int, module: Module) -> bool:
    """Read, its knowledge check passed, and every lab approved."""
    row = progress_row(session, trainee_id, module.id)
    if row is None or row.read_at is None:
        return False
    if (
        module.quiz is not None
        and not session.exec(
            select(QuizAttempt.id).where(
                QuizAttempt.trainee_id == trainee_id, QuizAttempt.module_id == module.id, QuizAttempt.passed
            )
        ).first()
    ):
        return False
    lab_ids = [lab.id for lab in module.labs]
    approved = session.exec(
        select(func.count(func.distinct(LabAttempt.lab_id))).where(
            LabAttempt.trainee_id == trainee_id, LabAttempt.lab_id.in_(lab_ids), LabAttempt.status == "approved"
        )
    ).one()
    return approved == len(lab_ids)


def refresh_completion(session: Session, catalogue: Catalogue, *, trainee_id: int, module: Module) -> bool:
    """Record (or withdraw) the module's completion after anything that counts towards it changed."""
    row = progress_row(session, trainee_id, module.id)
    if row is None:
        return False
    complete = module_complete(session, trainee_id=trainee_id, module=module)
    if complete and row.completed_at is None:
        row.completed_at, row.content_hash = utcnow(), module.content_hash
    elif not complete and row.completed_at is not None:
        row.completed_at = None
    session.add(row)
    return complete


# ------------------------------------------------------------------ knowledge checks


@dataclass(frozen=True)
class Graded:
    correct: int
    total: int
    per_question: dict[str, bool]

    @property
    def score(self) -> float:
        return self.correct / self.total


def grade(module: Module, answers: Mapping[str, Iterable[str]]) -> Graded:
    """Right only when exactly the right choices are picked; the client's word on anything else is ignored."""
    results = {q.id: set(answers.get(q.id, ())) == set(q.answer) for q in module.quiz.questions}
    return Graded(sum(results.values()), len(results), results)


def answers_json(answers: Mapping[str, Iterable[str]]) -> str:
    """How a quiz attempt stores what was picked: question id -> sorted choice keys."""
    return json.dumps({k: sorted(v) for k, v in answers.items()}, sort_keys=True)


def made_up_answers(module: Module, right: int) -> str:
    """Answers for the demo and synthetic academies: the first `right` questions answered right, the rest left
    blank, so that a stored attempt's result page agrees with its score."""
    return answers_json({q.id: q.answer for q in module.quiz.questions[:right]})


REVEAL_ANSWERS_AFTER = 3  # failed attempts after which the right answers are shown anyway: trying stops being a guess


def answers_revealed(session: Session, *, trainee_id: int, module_id: str) -> bool:
    """Right answers and explanations are shown once the trainee passed the check or tried it a few times; before
    that a failed result says only which questions were wrong, so that "Try again" is not copying."""
    attempts = session.exec(
        select(QuizAttempt.passed).where(QuizAttempt.trainee_id == trainee_id, QuizAttempt.module_id == module_id)
    ).all()
    return any(attempts) or len(attempts) >= REVEAL_ANSWERS_AFTER


def by_request_key(session: Session, model, trainee_id: int, request_key: str):
    """The trainee's quiz or lab attempt stored under this form's request key, if any: a submit sent twice
    (a double click, a retry after a lost answer) finds the first instead of storing a second."""
    return session.exec(select(model).where(model.trainee_id == trainee_id, model.request_key == request_key)).first()


def check_request_key(request_key: str) -> None:
    if not is_request_key(request_key):
        raise LearningError("This form is incomplete; reload the page and submit it again.")


def submit_quiz(
    session: Session,
    catalogue: Catalogue,
    *,
    trainee_id: int,
    module: Module,
    answers: Mapping[str, list[str]],
    request_key: str,
) -> QuizAttempt:
    if module.quiz is None:
        raise LearningError("This module has no knowledge check.")
    check_request_key(request_key)
    if earlier := by_request_key(session, QuizAttempt, trainee_id, request_key):
        return earlier
    require_prerequisites(session, catalogue, trainee_id, module)
    unanswered = [q for q in module.quiz.questions if not answers.get(q.id)]
    if unanswered:
        raise LearningError(f"Answer every question before submitting ({len(unanswered)} left).", "answers")
    for q in module.quiz.questions:
        chosen = answers[q.id]
        if (
            any(a not in q.choices for a in chosen)
            or len(set(chosen)) != len(chosen)
            or (not q.multiple and len(chosen) != 1)
        ):
            raise LearningError(
                "Choose among the answers offered, one per question unless it says otherwise.", "answers"
            )
    graded = grade(module, answers)
    attempt = QuizAttempt(
        trainee_id=trainee_id,
        module_id=module.id,
        content_hash=module.content_hash,
        answers=answers_json(answers),
        correct=graded.correct,
        total=graded.total,
        passed=graded.score >= module.quiz.pass_threshold,
        request_key=request_key,
    )
    session.add(attempt)
    session.flush()
    if attempt.passed:
        record_opened(session, trainee_id=trainee_id, module=module)
        session.flush()
        refresh_completion(session, catalogue, trainee_id=trainee_id, module=module)
    return attempt


# ------------------------------------------------------------------ lab evidence


def lab_attempts(session: Session, trainee_id: int, lab_id: str) -> list[LabAttempt]:
    rows = select(LabAttempt).where(LabAttempt.trainee_id == trainee_id, LabAttempt.lab_id == lab_id)
    return list(session.exec(rows.order_by(LabAttempt.number)).all())


def lab_status(attempts: list[LabAttempt]) -> str:
    """The lab's state in words: Not started, Submitted, Changes requested or Approved."""
    current = [a for a in attempts if a.status != "withdrawn"]
    if not current:
        return "Not started"
    return {"submitted": "Submitted", "changes_requested": "Changes requested", "approved": "Approved"}[
        current[-1].status
    ]


def waiting_attempt(attempts: list[LabAttempt]) -> LabAttempt | None:
    """The lab's attempt that waits for a mentor, the only one a trainee may withdraw."""
    return next((a for a in reversed(attempts) if a.status == "submitted"), None)


def clean_links(text: str) -> list[str]:
    try:
        return web_links(text, MAX_LINKS)
    except InputError as error:
        raise LearningError(str(error), error.field) from error


def check_replay(
    session: Session, earlier: LabAttempt, *, lab: RenderedLab, evidence: str, links_text: str, files: list[CheckedFile]
) -> None:
    """A request sent again under its request key must be the same request: the same lab, text, links and files.
    Anything else is refused, since the stored attempt is what the key answers with."""
    try:
        links = clean_links(links_text)
    except LearningError:
        links = None
    stored = session.exec(select(Attachment.sha256).where(Attachment.attempt_id == earlier.id)).all()
    if (
        earlier.lab_id == lab.id
        and earlier.evidence == (evidence or "").strip()
        and json.loads(earlier.links or "[]") == links
        and sorted(stored) == sorted(f.sha256 for f in files)
    ):
        return
    which = "this lab" if earlier.lab_id == lab.id else f"the lab {earlier.lab_id}"
    raise RequestKeyReused(
        f"This request key was used before, for attempt {earlier.number} of {which}, with other evidence; that "
        "attempt is kept as it was. Send this evidence as a new submission (with a new request key).",
        earlier.number,
    )


def submit_lab(
    session: Session,
    catalogue: Catalogue,
    *,
    trainee_id: int,
    lab: RenderedLab,
    evidence: str,
    links_text: str,
    files: list[CheckedFile],
    request_key: str,
    max_files: int,
    quota_bytes: int | None = None,
) -> LabAttempt:
    """Store an attempt with its files; `quota_bytes` limits what all of the trainee's files may take."""
    check_request_key(request_key)
    if earlier := by_request_key(session, LabAttempt, trainee_id, request_key):
        check_replay(session, earlier, lab=lab, evidence=evidence, links_text=links_text, files=files)
        return earlier
    module = catalogue.get(lab.module_id)
    require_prerequisites(session, catalogue, trainee_id, module)
    evidence = (evidence or "").strip()
    if not evidence:
        raise LearningError("Describe what you did and what you saw; paste command output if the lab asks.", "evidence")
    if len(evidence) > MAX_EVIDENCE_CHARS:
        raise LearningError(
            f"Keep the evidence under {MAX_EVIDENCE_CHARS:,} characters; attach long logs as files.", "evidence"
        )
    links = clean_links(links_text)
    if len(files) > max_files:
        raise LearningError(f"Attach at most {max_files} files.", "files")
    attempts = lab_attempts(session, trainee_id, lab.id)
    status = lab_status(attempts)
    if status == "Approved":
        raise LabClosed("This lab is approved already; it cannot be changed.")
    if status == "Submitted":
        raise LabClosed("This lab is waiting for a mentor already. Withdraw that submission to change it.")
    check_storage_quota(session, trainee_id=trainee_id, files=files, quota_bytes=quota_bytes)
    attempt = LabAttempt(
        trainee_id=trainee_id,
        module_id=module.id,
        lab_id=lab.id,
        number=max((a.number for a in attempts), default=0) + 1,
        evidence=evidence,
        links=json.dumps(links),
        request_key=request_key,
    )
    session.add(attempt)
    session.flush()
    session.add_all(
        Attachment(
            attempt_id=attempt.id,
            original_name=f.name,
            content_type=f.content_type,
            size=len(f.data),
            sha256=f.sha256,
            data=f.data,
        )
        for f in files
    )
    record_opened(session, trainee_id=trainee_id, module=module)
    member = session.get(CohortTrainee, trainee_id)
    if member is not None and member.mentor_id is not None:
        trainee = session.get(User, trainee_id)
        notify(
            session,
            user_id=member.mentor_id,
            link=review_link(attempt.id),
            message=f"{trainee.display_name} submitted “{lab.title}” (attempt {attempt.number}) for review.",
        )
    return attempt


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def stored_bytes(session: Session, trainee_id: int) -> int:
    """What a person's lab evidence files take, withdrawn attempts' files not yet removed included."""
    return session.exec(
        select(func.coalesce(func.sum(Attachment.size), 0))
        .join(LabAttempt, LabAttempt.id == Attachment.attempt_id)
        .where(LabAttempt.trainee_id == trainee_id)
    ).one()


def check_storage_quota(
    session: Session, *, trainee_id: int, files: list[CheckedFile], quota_bytes: int | None
) -> None:
    adding = sum(len(f.data) for f in files)
    if not adding or quota_bytes is None:
        return
    used = stored_bytes(session, trainee_id)
    if used + adding > quota_bytes:
        raise LearningError(
            f"Nothing was stored: these files ({megabytes(adding)}) would take your lab evidence files to "
            f"{megabytes(used + adding)}, over your limit of {megabytes(quota_bytes)} "
            f"(you use {megabytes(used)} already). Attach fewer or smaller files, or link to them.",
            "files",
        )


def remove_withdrawn_files(session: Session, *, withdrawn_before: datetime, now: datetime) -> tuple[int, int, int]:
    """Delete the files of attempts withdrawn before `withdrawn_before`; the attempts and their evidence stay,
    marked `files_removed_at`. Returns (attempts, files, bytes), also written as one audit entry."""
    has_files = select(Attachment.id).where(Attachment.attempt_id == LabAttempt.id).exists()
    ids = session.exec(
        select(LabAttempt.id).where(
            LabAttempt.status == "withdrawn",
            LabAttempt.withdrawn_at < withdrawn_before,
            LabAttempt.files_removed_at.is_(None),
            has_files,
        )
    ).all()
    if not ids:
        return 0, 0, 0
    files, size = session.exec(
        select(func.count(), func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.attempt_id.in_(ids))
    ).one()
    session.exec(delete(Attachment).where(Attachment.attempt_id.in_(ids)))
    session.exec(update(LabAttempt).where(LabAttempt.id.in_(ids)).values(files_removed_at=now))
    audit.record(
        session, "files.removed", None, attempts=len(ids), files=files, bytes=size, withdrawn_before=withdrawn_before
    )
    return len(ids), files, size


def claim_active(attempt: LabAttempt) -> bool:
    """A mentor said "I'm reviewing this" less than two hours ago."""
    return (
        attempt.claimed_by is not None
        and attempt.claimed_at is not None
        and (attempt.claimed_at > utcnow() - CLAIM_TTL)
    )


def withdraw(session: Session, *, trainee_id: int, attempt_id: int) -> LabAttempt:
    """Take back a submission no mentor has started reviewing."""
    attempt = session.get(LabAttempt, attempt_id)
    if attempt is None or attempt.trainee_id != trainee_id:
        raise NotYours("There is no such submission of yours.")
    if attempt.status != "submitted":
        raise LabClosed("Only a submission still waiting for review can be withdrawn.")
    if claim_active(attempt):
        raise LabClosed("A mentor has started reviewing this submission; it can no longer be withdrawn.")
    attempt.status, attempt.withdrawn_at = "withdrawn", utcnow()
    session.add(attempt)
    mark_read_about(session, link=review_link(attempt.id))  # withdrawn: nothing left for a mentor to review
    return attempt
