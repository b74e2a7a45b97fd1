"""The trainee's own API: progress, labs and their checks, submitting and withdrawing lab evidence, reading and
knowledge checks. What a script or `academy-lab` does on a trainee's behalf, through the pages' services."""

import base64
import binascii
import json
import secrets
from datetime import UTC

from flask import abort, current_app, url_for
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from .. import db
from ..curriculum.store import catalogue
from ..labchecks import services as labchecks
from ..learning import services as learning
from ..learning.attachments import AttachmentRefused, check_file
from ..learning.queries import learning_path, module_states
from ..models import LabAttempt, QuizAttempt
from . import schemas as s
from .views import api, caller, error, labs_tag, learning_tag, me_tag, module_or_404, page_of, require

# ------------------------------------------------------------------ the caller's progress and lab evidence


@api.get("/me/progress", operation_id="getMyProgress", tags=[me_tag], responses={200: s.ProgressPage})
def my_progress(query: s.PageQuery):
    """The caller's own progress through their cohort's plan (empty when they are not a trainee of one)."""
    session, cat = db.session(), catalogue()
    path = learning_path(session, cat, caller().id)
    attempts = session.exec(
        select(LabAttempt).where(LabAttempt.trainee_id == caller().id).order_by(LabAttempt.number)
    ).all()
    by_lab: dict[str, list] = {}
    for attempt in attempts:
        by_lab.setdefault(attempt.lab_id, []).append(attempt)
    items = (
        [
            s.ProgressOut(
                module_id=item.module.id,
                status=s.MODULE_STATE[item.state],
                due_date=item.due,
                read_at=item.progress.read_at if item.progress else None,
                completed_at=item.progress.completed_at if item.progress else None,
                labs=[
                    s.LabStatusOut(lab_id=lab.id, status=s.LAB_STATE[learning.lab_status(by_lab.get(lab.id, []))])
                    for lab in item.module.labs
                ],
            ).model_dump(mode="json")
            for item in path.items
        ]
        if path.cohort
        else []
    )
    return page_of(items, query)


@api.get("/me/labs", operation_id="listMyLabs", tags=[me_tag, labs_tag], responses={200: s.MyLabPage})
def my_labs(query: s.PageQuery):
    """The caller's labs in their cohort's plan, in plan order, each with whether they may submit it now."""
    session, cat = db.session(), catalogue()
    path = learning_path(session, cat, caller().id)
    attempts = session.exec(select(LabAttempt).where(LabAttempt.trainee_id == caller().id).order_by(LabAttempt.number))
    by_lab: dict[str, list] = {}
    for attempt in attempts:
        by_lab.setdefault(attempt.lab_id, []).append(attempt)
    items = []
    for item in path.items if path.cohort else []:
        for lab in item.module.labs:
            status = s.LAB_STATE[learning.lab_status(by_lab.get(lab.id, []))]
            waiting = learning.waiting_attempt(by_lab.get(lab.id, []))
            items.append(
                s.MyLabOut(
                    lab_id=lab.id,
                    title=lab.title,
                    module_id=item.module.id,
                    module_title=item.module.title,
                    status=status,
                    open=not item.missing and status in (s.LabState.NOT_STARTED, s.LabState.CHANGES_REQUESTED),
                    checks=len(lab.spec.checks),
                    waiting_attempt_id=waiting.id if waiting else None,
                ).model_dump(mode="json")
            )
    return page_of(items, query)


@api.get("/labs/<lab_id>/checks", operation_id="getLabChecks", tags=[labs_tag], responses={200: s.LabChecksOut})
def lab_checks(path: s.LabPath):
    """The lab's checks, as the curriculum declares them: what `academy-lab check` runs on the lab machine."""
    lab = catalogue().lab(path.lab_id)
    if lab is None:
        abort(404, description="There is no lab with that id.")
    checks = [
        s.CheckOut(
            id=c.id,
            name=c.name,
            run=c.run,
            timeout_seconds=c.timeout_seconds,
            expect=s.CheckExpectOut(**c.expect.model_dump()),
            hint=c.hint,
        )
        for c in lab.spec.checks
    ]
    return s.LabChecksOut(lab_id=lab.id, title=lab.title, module_id=lab.module_id, checks=checks).model_dump()


def decoded_files(files: list[s.FileIn]) -> list:
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    found = []
    for f in files:
        try:
            data = base64.b64decode(f.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise AttachmentRefused(f"“{f.name[:80]}” is not valid base64.") from None
        found.append(check_file(f.name, data, max_bytes=limit))
    return found


def check_report(body: s.CheckReportIn) -> labchecks.CheckReport:
    return labchecks.CheckReport(
        run_at=body.run_at if body.run_at.tzinfo else body.run_at.replace(tzinfo=UTC),
        host=body.host,
        results=tuple(labchecks.ReportedCheck(**r.model_dump()) for r in body.results),
    )


@api.post(
    "/labs/<lab_id>/attempts",
    operation_id="submitLabAttempt",
    tags=[labs_tag],
    responses={201: s.AttemptOut, 409: s.ErrorOut},
)
def submit_lab(path: s.LabPath, body: s.EvidenceIn):
    """Submit lab evidence: text, links, files (base64) and, from `academy-lab`, the lab's check results.
    Resending the same request_key returns the stored attempt instead of a second one; the same key with other
    evidence, links, files or lab is a 409, and the stored attempt stays as it was."""
    require(caller().has_role("trainee"), "Only trainees submit lab evidence.")
    cat, session = catalogue(), db.session()
    lab = cat.lab(path.lab_id)
    if lab is None:
        abort(404, description="There is no lab with that id.")
    key = body.request_key or secrets.token_hex(16)
    if earlier := learning.by_request_key(session, LabAttempt, caller().id, key):
        try:
            links = "\n".join(body.links)
            learning.check_replay(
                session, earlier, lab=lab, evidence=body.evidence, links_text=links, files=decoded_files(body.files)
            )
        except AttachmentRefused as refused:
            return error(422, "Invalid evidence", str(refused))
        except learning.RequestKeyReused as refused:
            return error(409, "Conflict", str(refused))
        return attempt_out(earlier), 201
    try:
        report = check_report(body.checks) if body.checks else None
        if report:
            labchecks.check_report(lab, report)
        attempt = learning.submit_lab(
            session,
            cat,
            trainee_id=caller().id,
            lab=lab,
            evidence=body.evidence,
            links_text="\n".join(body.links),
            files=decoded_files(body.files),
            request_key=key,
            max_files=current_app.config["MAX_ATTACHMENTS"],
            quota_bytes=int(current_app.config["STORAGE_QUOTA_BYTES"]),
        )
        if report:
            labchecks.record_results(session, attempt=attempt, lab=lab, report=report)
        session.commit()
    except learning.LabClosed as refused:  # approved, or waiting for a mentor: then say how to withdraw it
        session.rollback()
        return error(409, "Conflict", waiting_for_a_mentor(session, lab.id) or str(refused))
    except learning.PrerequisitesMissing as refused:
        session.rollback()
        return error(409, "Conflict", str(refused))
    except (learning.LearningError, labchecks.CheckReportRefused, AttachmentRefused) as refused:
        session.rollback()
        return error(422, "Invalid evidence", str(refused))
    except IntegrityError:  # the same request twice at once stores one attempt; another one a moment ago is a conflict
        session.rollback()
        attempt = learning.by_request_key(session, LabAttempt, caller().id, key)
        if attempt is None:
            return error(409, "Conflict", waiting_for_a_mentor(session, lab.id) or "Send the submission again.")
    return attempt_out(attempt), 201


def waiting_for_a_mentor(session, lab_id: str) -> str | None:
    """The conflict's detail when the caller's submission of this lab waits for a mentor: how to withdraw it."""
    waiting = learning.waiting_attempt(learning.lab_attempts(session, caller().id, lab_id))
    if waiting is None:
        return None
    path = url_for("api.withdraw_attempt", attempt_id=waiting.id)
    return (
        f"This lab is waiting for a mentor already (attempt {waiting.id}). Withdraw that submission to change "
        f"it: POST {path} (withdrawLabAttempt)."
    )


@api.post(
    "/attempts/<int:attempt_id>/withdraw",
    operation_id="withdrawLabAttempt",
    tags=[labs_tag],
    responses={200: s.AttemptOut, 409: s.ErrorOut},
)
def withdraw_attempt(path: s.AttemptPath):
    """Withdraw the caller's own submission that waits for a mentor, to change it and submit it again; as the
    module page's "Withdraw". A submission a mentor decided, or started reviewing, stays (409)."""
    require(caller().has_role("trainee"), "Only trainees withdraw lab evidence.")
    session = db.session()
    try:
        attempt = learning.withdraw(session, trainee_id=caller().id, attempt_id=path.attempt_id)
    except learning.NotYours as refused:
        session.rollback()
        abort(404, description=str(refused))
    except learning.LabClosed as refused:
        session.rollback()
        return error(409, "Conflict", str(refused))
    session.commit()
    return attempt_out(attempt)


def attempt_out(attempt: LabAttempt) -> dict:
    return s.AttemptOut.model_validate(attempt, from_attributes=True).model_dump(mode="json")


# ------------------------------------------------------------------ reading and knowledge checks


@api.post(
    "/me/modules/<module_id>/read", operation_id="markModuleRead", tags=[learning_tag], responses={200: s.ModuleReadOut}
)
def mark_read(path: s.ModulePath):
    """Mark a module read, as its page's "Mark as read" does; marking it again changes nothing."""
    require(caller().has_role("trainee"), "Only trainees mark modules read.")
    module, session = module_or_404(path.module_id), db.session()
    try:
        learning.set_read(session, catalogue(), trainee_id=caller().id, module=module, read=True)
        session.commit()
    except IntegrityError:  # the same call twice at once: the other one marked it
        session.rollback()
    row = learning.progress_row(session, caller().id, module.id)
    return s.ModuleReadOut(
        module_id=module.id,
        status=s.MODULE_STATE[module_states(session, catalogue(), caller().id)[module.id]],
        read_at=row.read_at,
        completed_at=row.completed_at,
    ).model_dump(mode="json")


def quiz_module_or_404(module_id: str):
    module = module_or_404(module_id)
    if module.quiz is None:
        abort(404, description="This module has no knowledge check.")
    return module


@api.get(
    "/modules/<module_id>/knowledge-check",
    operation_id="getKnowledgeCheck",
    tags=[learning_tag],
    responses={200: s.KnowledgeCheckOut},
)
def knowledge_check(path: s.ModulePath):
    """A module's knowledge check as its page shows it: the questions and their choices, never the answers."""
    module = quiz_module_or_404(path.module_id)
    questions = [
        s.QuestionOut(id=q.id, prompt=q.prompt, choices=dict(q.choices), multiple=q.multiple)
        for q in module.quiz.questions
    ]
    return s.KnowledgeCheckOut(
        module_id=module.id, pass_threshold=module.quiz.pass_threshold, questions=questions
    ).model_dump()


def answer_problems(module, answers: dict[str, list[str]]) -> list[dict]:
    """Per question, what a script sent wrong (the module page's form cannot send an unknown question or
    choice); the service refuses the rest, such as two choices for a question with one right answer."""
    questions = {q.id: q for q in module.quiz.questions}
    problems = [
        {"field": f"answers.{qid}", "message": "This knowledge check has no such question."}
        for qid in answers
        if qid not in questions
    ]
    for q in questions.values():
        chosen = answers.get(q.id)
        if not chosen:
            problems.append({"field": f"answers.{q.id}", "message": "Answer this question."})
        elif unknown := [c for c in chosen if c not in q.choices]:
            choices = ", ".join(q.choices)
            message = f"There is no choice {', '.join(unknown)}; choose among {choices}."
            problems.append({"field": f"answers.{q.id}", "message": message})
    return problems


@api.post(
    "/modules/<module_id>/knowledge-check",
    operation_id="takeKnowledgeCheck",
    tags=[learning_tag],
    responses={201: s.KnowledgeCheckResultOut, 409: s.ErrorOut},
)
def take_knowledge_check(path: s.ModulePath, body: s.KnowledgeCheckIn):
    """Answer a module's knowledge check, as its page's form does: scored on the server, the answers and
    explanations given as the result page gives them. Resending the same request_key returns the stored result."""
    require(caller().has_role("trainee"), "Only trainees take knowledge checks.")
    module, session = quiz_module_or_404(path.module_id), db.session()
    key = body.request_key or secrets.token_hex(16)
    attempt = learning.by_request_key(session, QuizAttempt, caller().id, key)
    if attempt is not None and attempt.module_id != module.id:
        return error(422, "Invalid request", "This request_key was sent with another module's answers; make a new one.")
    if attempt is None and (problems := answer_problems(module, body.answers)):
        return error(422, "Invalid answers", problems)
    try:
        attempt = attempt or learning.submit_quiz(
            session, catalogue(), trainee_id=caller().id, module=module, answers=body.answers, request_key=key
        )
        session.commit()
    except learning.PrerequisitesMissing as refused:
        session.rollback()
        return error(409, "Conflict", str(refused))
    except learning.LearningError as refused:
        session.rollback()
        return error(422, "Invalid answers", str(refused))
    except IntegrityError:  # the same request twice at once: the other one stored it
        session.rollback()
        attempt = learning.by_request_key(session, QuizAttempt, caller().id, key)
        if attempt is None:
            return error(409, "Conflict", "Send the answers again.")
    return knowledge_check_result(session, module, attempt), 201


def knowledge_check_result(session, module, attempt: QuizAttempt) -> dict:
    chosen = json.loads(attempt.answers)
    right = learning.grade(module, chosen).per_question
    revealed = learning.answers_revealed(session, trainee_id=attempt.trainee_id, module_id=module.id)
    return s.KnowledgeCheckResultOut(
        attempt_id=attempt.id,
        module_id=module.id,
        correct=attempt.correct,
        total=attempt.total,
        score=attempt.correct / attempt.total,
        passed=attempt.passed,
        answers_revealed=revealed,
        questions=[
            s.QuestionResultOut(
                question_id=q.id,
                right=right[q.id],
                chosen=chosen.get(q.id, []),
                answer=list(q.answer) if revealed else None,
                explanation=q.explanation if revealed else None,
            )
            for q in module.quiz.questions
        ],
    ).model_dump(mode="json")
