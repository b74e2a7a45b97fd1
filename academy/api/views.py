"""The endpoints. Each asks academy.policy, as the pages do; errors are JSON with the right status."""

import base64
import binascii
import json
import secrets
from datetime import UTC

from flask import abort, current_app, g, jsonify, request, url_for
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from .. import db
from ..accounts.auth import Account
from ..accounts.services import roles_of
from ..cohorts import queries as cohort_queries
from ..cohorts import readiness
from ..curriculum.store import catalogue
from ..labchecks import services as labchecks
from ..learning import services as learning
from ..learning.attachments import AttachmentRefused, check_file
from ..learning.queries import learning_path, module_states
from ..models import Cohort, CohortTrainee, Decision, LabAttempt, QuizAttempt, User, utcnow
from ..policy import managed_cohort_ids, may_review, may_view_cohort, may_view_trainee
from ..reviews import queries as review_queries
from ..reviews import services as reviews
from . import schemas as s
from .tokens import READ_ONLY, UNKNOWN, TokenRefused, note_use, token_owner

ERRORS = {
    400: s.ErrorOut,
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    413: s.ErrorOut,
    422: s.ErrorOut,
    503: s.ErrorOut,
}
api = APIBlueprint("api", __name__, url_prefix="/api/v1", abp_security=[{"bearer": []}], abp_responses=ERRORS)
me_tag, catalogue_tag = Tag(name="me", description="The caller"), Tag(name="catalogue", description="The curriculum")
learning_tag = Tag(name="learning", description="Reading modules and taking their knowledge checks")
labs_tag, reviews_tag = Tag(name="labs", description="Lab evidence"), Tag(name="reviews", description="Mentors")
cohorts_tag = Tag(name="cohorts", description="Managers' view of cohorts")
readiness_tag = Tag(name="readiness", description="Where trainees stand on the way to on-call")
# What a token of scope "lab" (made for `academy-lab`) may call: the caller, the catalogue, their labs and checks,
# and submitting lab evidence or withdrawing it to change it; nothing of anyone else's.
LAB_SCOPE = {
    "api.me",
    "api.tracks",
    "api.modules",
    "api.module",
    "api.my_progress",
    "api.my_labs",
    "api.lab_checks",
    "api.submit_lab",
    "api.withdraw_attempt",
}
LAB_ONLY = "This token is for lab checks and submissions only (academy-lab). Create a token of another scope for this."


def error(status: int, message: str, detail=None):
    return jsonify(error=message, detail=detail), status


@api.before_request
def authenticate():
    """Bearer tokens only: the API ignores session cookies, so no browser can be tricked into calling it."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise TokenRefused(UNKNOWN)
        row, user = token_owner(db.session(), token.strip())
    except TokenRefused as refused:
        response, status = error(401, "Not authenticated", str(refused))
        response.headers["WWW-Authenticate"] = 'Bearer realm="academy"'
        return response, status
    writing = request.method not in db.SAFE_METHODS
    if row.scope == "lab" and request.endpoint not in LAB_SCOPE:
        abort(403, description=LAB_ONLY)
    if writing and row.scope == "read":
        abort(403, description=READ_ONLY)
    note_use(db.session(), db.engine(), row, writing=writing)
    g.api_user = Account.of(user, roles_of(db.session(), user.id))
    return None


def caller() -> Account:
    return g.api_user


def require(allowed: bool, message: str = "Your account may not do this."):
    if not allowed:
        abort(403, description=message)


def page_of(items: list, query: s.PageQuery) -> dict:
    start = (query.page - 1) * query.per_page
    return {
        "page": query.page,
        "per_page": query.per_page,
        "total": len(items),
        "items": items[start : start + query.per_page],
    }


# ------------------------------------------------------------------ me and the catalogue


@api.get("/me", operation_id="getMe", tags=[me_tag], responses={200: s.MeOut})
def me():
    """The signed-in person."""
    user = caller()
    return s.MeOut(id=user.id, email=user.email, display_name=user.display_name, roles=sorted(user.roles)).model_dump()


@api.get("/catalogue/tracks", operation_id="listTracks", tags=[catalogue_tag], responses={200: s.TrackPage})
def tracks(query: s.PageQuery):
    """The curriculum's tracks, in order."""
    return page_of([t.model_dump() for t in catalogue().tracks], query)


def module_or_404(module_id: str):
    found = catalogue().get(module_id)
    if found is None:
        abort(404, description="There is no module with that id.")
    return found


def module_out(module) -> dict:
    labs = [
        s.LabOut(
            id=lab.id,
            title=lab.title,
            steps=list(lab.spec.steps),
            acceptance_criteria=list(lab.spec.acceptance_criteria),
            evidence=list(lab.spec.evidence),
        )
        for lab in module.labs
    ]
    return s.ModuleOut(
        id=module.id,
        title=module.title,
        track=module.track,
        order=module.order,
        prerequisites=list(module.prerequisites),
        estimated_minutes=module.estimated_minutes,
        objectives=list(module.objectives),
        quiz_questions=len(module.questions),
        labs=labs,
        content_hash=module.content_hash,
    ).model_dump()


@api.get("/catalogue/modules", operation_id="listModules", tags=[catalogue_tag], responses={200: s.ModulePage})
def modules(query: s.ModuleQuery):
    """The modules, in track order; knowledge-check answers are never included."""
    found = [m for m in catalogue().ordered_modules() if not query.track or m.track == query.track]
    return page_of([module_out(m) for m in found], query)


@api.get("/catalogue/modules/<module_id>", operation_id="getModule", tags=[catalogue_tag], responses={200: s.ModuleOut})
def module(path: s.ModulePath):
    """One module."""
    return module_out(module_or_404(path.module_id))


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
            items.append(
                s.MyLabOut(
                    lab_id=lab.id,
                    title=lab.title,
                    module_id=item.module.id,
                    module_title=item.module.title,
                    status=status,
                    open=not item.missing and status in (s.LabState.NOT_STARTED, s.LabState.CHANGES_REQUESTED),
                    checks=len(lab.spec.checks),
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
    Resending the same request_key returns the stored attempt instead of a second one."""
    require(caller().has_role("trainee"), "Only trainees submit lab evidence.")
    cat, session = catalogue(), db.session()
    lab = cat.lab(path.lab_id)
    if lab is None:
        abort(404, description="There is no lab with that id.")
    key = body.request_key or secrets.token_hex(16)
    if earlier := learning.by_request_key(session, LabAttempt, caller().id, key):
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
    waiting = [a for a in learning.lab_attempts(session, caller().id, lab_id) if a.status == "submitted"]
    if not waiting:
        return None
    path = url_for("api.withdraw_attempt", attempt_id=waiting[-1].id)
    return (
        f"This lab is waiting for a mentor already (attempt {waiting[-1].id}). Withdraw that submission to change "
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


# ------------------------------------------------------------------ reviews


@api.get("/reviews", operation_id="listReviews", tags=[reviews_tag], responses={200: s.QueuePage})
def review_queue(query: s.QueueQuery):
    """The caller's review queue: their own trainees first, then oldest first."""
    user = caller()
    require(user.has_role("mentor") or user.has_role("admin"), "Only mentors have a review queue.")
    target = float(current_app.config["REVIEW_TARGET_HOURS"])
    items = review_queries.review_queue(
        db.session(),
        catalogue(),
        user.id,
        target_hours=target,
        cohort_id=query.cohort_id,
        lab_id=query.lab_id,
        all_cohorts=user.has_role("admin"),
        checks_passed=query.checks_passed,
    )
    out = [
        s.QueueItemOut(
            attempt_id=i.attempt.id,
            trainee_id=i.attempt.trainee_id,
            trainee_name=i.trainee_name,
            cohort_id=i.cohort_id,
            lab_id=i.attempt.lab_id,
            lab_title=i.lab_title,
            attempt_number=i.attempt.number,
            submitted_at=i.attempt.submitted_at,
            hours_waiting=round(i.hours, 2),
            past_target=i.late,
            assigned_to_me=i.mine,
            claimed_by=i.claimed_by_name,
            checks_passed=i.attempt.checks_passed,
            checks_total=i.attempt.checks_total,
        ).model_dump(mode="json")
        for i in items
    ]
    return page_of(out, query)


@api.post(
    "/reviews/<int:attempt_id>/decision",
    operation_id="decideReview",
    tags=[reviews_tag],
    responses={201: s.DecisionOut, 409: s.ErrorOut},
)
def decide(path: s.AttemptPath, body: s.DecisionIn):
    """Approve or request changes. Each attempt gets exactly one decision: a second one answers 409."""
    session = db.session()
    attempt = session.get(LabAttempt, path.attempt_id)
    if attempt is None:
        abort(404, description="There is no such submission.")
    require(may_review(caller(), attempt.trainee_id), "Only a mentor serving this trainee's cohort may decide.")
    try:
        decision = reviews.decide(
            session,
            catalogue(),
            attempt=attempt,
            mentor=session.get(User, caller().id),
            outcome=body.outcome,
            comment=body.comment,
            criteria=body.criteria,
        )
        session.commit()
    except reviews.AlreadyDecided as refused:
        session.rollback()
        return error(409, "Already decided", str(refused))
    except reviews.ReviewError as refused:
        session.rollback()
        return error(422, "Invalid decision", str(refused))
    return decision_out(decision), 201


def decision_out(decision: Decision) -> dict:
    return s.DecisionOut(
        id=decision.id,
        attempt_id=decision.attempt_id,
        outcome=decision.outcome,
        comment=decision.comment,
        criteria=json.loads(decision.criteria),
        decided_at=decision.decided_at,
    ).model_dump(mode="json")


# ------------------------------------------------------------------ cohorts


@api.get("/cohorts", operation_id="listCohorts", tags=[cohorts_tag], responses={200: s.CohortPage})
def cohorts(query: s.PageQuery):
    """The cohorts the caller owns (all of them for an admin)."""
    user = caller()
    require(user.has_role("manager") or user.has_role("admin"), "Only managers follow cohorts.")
    found = cohort_queries.cohort_summaries(db.session(), managed_cohort_ids(user))
    items = [
        s.CohortOut(
            id=c.id,
            name=c.name,
            start_date=c.start_date,
            end_date=c.end_date,
            trainees=c.trainees,
            completion_percent=c.percent,
        ).model_dump(mode="json")
        for c in found
    ]
    return page_of(items, query)


def cohort_data(cohort_id: int):
    require(may_view_cohort(caller(), cohort_id), "You do not own this cohort.")
    found = db.session().get(Cohort, cohort_id)
    if found is None:
        abort(404, description="There is no such cohort.")
    return cohort_queries.cohort_data(db.session(), catalogue(), found, utcnow().date())  # the API speaks UTC


@api.get(
    "/cohorts/<int:cohort_id>/progress",
    operation_id="getCohortProgress",
    tags=[cohorts_tag],
    responses={200: s.MatrixPage},
)
def cohort_progress(path: s.CohortPath, query: s.PageQuery):
    """The progress matrix: one item per trainee, with each module's state."""
    data = cohort_data(path.cohort_id)
    rows = [
        s.MatrixRowOut(
            trainee_id=r.trainee_id,
            name=r.name,
            mentor=r.mentor,
            done=r.done,
            cells={module_id: s.MODULE_STATE[state] for module_id, state in r.cells.items()},
        ).model_dump(mode="json")
        for r in data.rows
    ]
    return {**page_of(rows, query), "modules": [mid for mid, _ in data.plan]}


@api.get(
    "/cohorts/<int:cohort_id>/at-risk",
    operation_id="listCohortAtRisk",
    tags=[cohorts_tag],
    responses={200: s.AtRiskPage},
)
def cohort_at_risk(path: s.CohortPath, query: s.PageQuery):
    """Trainees behind by more than two modules, silent for 7 days, with a lab returned twice, and, while they
    practise, without a practice entry for 3 weeks or with drills returned twice."""
    data = cohort_data(path.cohort_id)
    ids = [r.trainee_id for r in data.rows]
    session, now = db.session(), utcnow()
    ready = readiness.cohort_readiness(session, catalogue(), data, now)
    activity = readiness.with_practice(review_queries.trainee_activity(session, ids), ready.activity)
    found = cohort_queries.at_risk(
        data, activity, review_queries.returned_twice(session, ids), now, ready.risks, ready.finished
    )
    return page_of(
        [s.AtRiskOut(trainee_id=r.row.trainee_id, name=r.row.name, reasons=r.reasons).model_dump() for r in found],
        query,
    )


# ------------------------------------------------------------------ readiness


@api.get(
    "/cohorts/<int:cohort_id>/readiness",
    operation_id="getCohortReadiness",
    tags=[cohorts_tag, readiness_tag],
    responses={200: s.CohortReadinessPage},
)
def cohort_readiness(path: s.CohortPath, query: s.PageQuery):
    """Each trainee's stage on the way to on-call, checklist items done, and forecast; with the whole cohort's
    count at each stage."""
    data = cohort_data(path.cohort_id)
    found, _ = readiness.trainees_readiness(
        db.session(),
        catalogue(),
        [r.trainee_id for r in data.rows],
        cohort_start=data.cohort.start_date,
        today=data.today,
    )
    items = [readiness_row(r, found[r.trainee_id]) for r in data.rows]
    stages = {s.STAGE[stage].value: n for stage, n in readiness.stage_counts(found).items()}
    return {**page_of(items, query), "stages": s.StageCounts(**stages).model_dump()}


def readiness_row(row: cohort_queries.MatrixRow, trainee: readiness.TraineeReadiness) -> dict:
    return s.CohortTraineeReadinessOut(
        trainee_id=row.trainee_id,
        name=row.name,
        stage=s.STAGE[trainee.stage],
        done=trainee.done,
        total=trainee.total,
        graduated_on=trainee.readiness.graduated_on,
        forecast=trainee.forecast,
    ).model_dump(mode="json")


@api.get(
    "/trainees/<int:trainee_id>/readiness",
    operation_id="getTraineeReadiness",
    tags=[readiness_tag],
    responses={200: s.TraineeReadinessOut},
)
def trainee_readiness(path: s.TraineePath):
    """A trainee's readiness checklist, stage and forecast: for the trainee, the mentors of their cohort, its
    managers and admins."""
    require(may_view_trainee(caller(), path.trainee_id), "You may not see this trainee's readiness.")
    session = db.session()
    if "trainee" not in roles_of(session, path.trainee_id):
        abort(404, description="There is no such trainee.")
    member = session.get(CohortTrainee, path.trainee_id)
    cohort = session.get(Cohort, member.cohort_id) if member else None
    found, _ = readiness.trainees_readiness(
        session,
        catalogue(),
        [path.trainee_id],
        cohort_start=cohort.start_date if cohort else None,
        today=utcnow().date(),  # the API speaks UTC
    )
    trainee = found[path.trainee_id]
    return s.TraineeReadinessOut(
        trainee_id=path.trainee_id,
        stage=s.STAGE[trainee.stage],
        done=trainee.done,
        total=trainee.total,
        items=[
            s.ChecklistItemOut(
                kind=i.kind, id=i.id, title=i.title, done_on=i.done_on, progress=i.progress, locked_by=list(i.locked_by)
            )
            for i in trainee.readiness.items
        ],
        graduated_on=trainee.readiness.graduated_on,
        pending_request_id=trainee.readiness.pending.id if trainee.readiness.pending else None,
        forecast=trainee.forecast,
    ).model_dump(mode="json")
