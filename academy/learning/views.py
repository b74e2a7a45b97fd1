import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from .. import db
from ..catalogue.views import render_module
from ..curriculum.store import catalogue, module_or_404
from ..inputs import flag_or_400
from ..local_time import reader_today
from ..meetups.queries import attended_by
from ..models import Attachment, LabAttempt, QuizAttempt, User
from ..page_cache import kept_page
from ..policy import authorize, may_request_readiness, may_view_trainee, role_required
from ..readiness.queries import STAGE_HINTS, STAGES, readiness_of
from . import services
from .attachments import AttachmentRefused, check_file
from .forms import ActionForm, EvidenceForm, QuizForm, new_request_key
from .queries import attempt_views, learning_path, ready_forecast, timeline
from .services import LearningError

bp = Blueprint("learning", __name__)


@bp.get("/learn")
@role_required("trainee")
@kept_page(lambda: [("user", current_user.id)])
def path():
    s, cat = db.session(), catalogue()
    path = learning_path(s, cat, current_user.id, reader_today())
    readiness = readiness_of(s, cat, [current_user.id])[current_user.id]
    return render_template("learning/path.html", path=path, readiness=readiness, stage_hints=STAGE_HINTS)


@bp.post("/modules/<module_id>/read")
@role_required("trainee")
def mark_read(module_id: str):
    module = module_or_404(module_id)
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again.")
    read = flag_or_400(request.form.get("read"), "mark the module read or not read")
    s = db.session()
    try:
        services.set_read(s, catalogue(), trainee_id=current_user.id, module=module, read=read)
    except LearningError as refused:
        flash(str(refused), "error")
        return redirect(url_for("catalogue.module", module_id=module.id) + "#progress")
    s.commit()
    at = request.form.get("at") if request.form.get("at") in READ_FORMS else "progress"
    notice_at(at, "Marked as read." if read else "Marked as not read yet.")
    return redirect(url_for("catalogue.module", module_id=module.id) + f"#{at}")


READ_FORMS = ("progress", "read-end")  # the "Mark as read" forms of a module page: above and below the text


def notice_at(anchor: str, text: str) -> None:
    """A success message for the module page, shown at the form with this id (where the person is) rather than
    at the top of a long page; the module view takes it out of the session."""
    session["module_notice"] = {"at": anchor, "text": text}


@bp.post("/modules/<module_id>/quiz")
@role_required("trainee")
def submit_quiz(module_id: str):
    module = module_or_404(module_id)
    form = QuizForm()
    if module.quiz is None:
        abort(404, description="This module has no knowledge check.")
    answers = {q.id: request.form.getlist(f"q-{q.id}")[:20] for q in module.quiz.questions}
    if not form.validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again.")
    s = db.session()
    try:
        attempt = services.submit_quiz(
            s,
            catalogue(),
            trainee_id=current_user.id,
            module=module,
            answers=answers,
            request_key=form.request_key.data or "",
        )
        s.commit()
    except LearningError as error:
        s.rollback()
        return render_module(
            module, trainee_id=current_user.id, status=422, quiz_error=str(error), quiz_answers=answers
        )
    except IntegrityError:  # the same form, sent twice at once: show the stored result
        s.rollback()
        attempt = services.by_request_key(s, QuizAttempt, current_user.id, form.request_key.data)
    return redirect(url_for("learning.quiz_result", attempt_id=attempt.id))


@bp.get("/quiz-attempts/<int:attempt_id>")
def quiz_result(attempt_id: int):
    attempt = db.session().get(QuizAttempt, attempt_id)
    if attempt is None:
        abort(404, description="There is no such knowledge-check attempt.")
    authorize(may_view_trainee(current_user, attempt.trainee_id), f"quiz attempt {attempt_id}")
    module = module_or_404(attempt.module_id)
    answers = json.loads(attempt.answers)
    results = services.grade(module, answers).per_question
    own = current_user.id == attempt.trainee_id  # mentors and managers see the answers in any case
    revealed = not own or services.answers_revealed(
        db.session(), trainee_id=attempt.trainee_id, module_id=attempt.module_id
    )
    return render_template(
        "learning/quiz_result.html",
        attempt=attempt,
        module=module,
        answers=answers,
        results=results,
        revealed=revealed,
        reveal_after=services.REVEAL_ANSWERS_AFTER,
        threshold=round(module.quiz.pass_threshold * 100),
    )


@bp.post("/labs/<lab_id>/attempts")
@role_required("trainee")
def submit_lab(lab_id: str):
    lab = catalogue().lab(lab_id)
    if lab is None:
        abort(404, description="There is no such lab.")
    module = module_or_404(lab.module_id)
    form = EvidenceForm(prefix=f"lab-{lab.id}")
    s = db.session()
    try:
        if not form.validate_on_submit():
            raise LearningError(" ".join(e for errors in form.errors.values() for e in errors), "evidence")
        files = read_files(form)
        attempt = services.submit_lab(
            s,
            catalogue(),
            trainee_id=current_user.id,
            lab=lab,
            evidence=form.evidence.data,
            links_text=form.links.data,
            files=files,
            request_key=form.request_key.data or "",
            max_files=current_app.config["MAX_ATTACHMENTS"],
            quota_bytes=int(current_app.config["STORAGE_QUOTA_BYTES"]),
        )
        s.commit()
    except (LearningError, AttachmentRefused) as error:
        s.rollback()
        return lab_refused(module, lab, form, error)
    except IntegrityError:
        s.rollback()
        # the same form sent twice at once stores one attempt; another tab's submission a moment ago is a conflict
        attempt = services.by_request_key(s, LabAttempt, current_user.id, form.request_key.data)
        if attempt is None:
            closed = services.LabClosed(
                "This lab is waiting for a mentor already. Withdraw that submission to change it."
            )
            return lab_refused(module, lab, form, closed)
    notice_at(
        f"lab-{lab.id}", f"Submitted for review: {lab.title} (attempt {attempt.number}). Your mentor has been told."
    )
    return redirect(url_for("catalogue.module", module_id=module.id) + f"#lab-{lab.id}")


def lab_refused(module, lab, form: EvidenceForm, error: Exception):
    """The module page again, with the reason next to the field it concerns, or on the lab itself."""
    if isinstance(error, services.RequestKeyReused):  # the page was sent before: sending it again is a new request
        form.request_key.data = new_request_key()
        error = LearningError(
            f"This page was sent before, as attempt {error.number} of this lab, with other evidence; attempt "
            f"{error.number} is kept as it was. Your new text is below: send it as a new attempt (withdraw a waiting "
            "one first)."
        )
    field = getattr(error, "field", None) or ("files" if isinstance(error, AttachmentRefused) else None)
    # a browser cannot put chosen files back into a file input: the page says which ones to choose again
    dropped = {lab.id: [f.filename for f in (form.files.data or []) if f and f.filename]}
    if field in ("evidence", "links", "files"):
        getattr(form, field).errors.append(str(error))
        return render_module(
            module, trainee_id=current_user.id, status=422, evidence_forms={lab.id: form}, files_dropped=dropped
        )
    return render_module(
        module,
        trainee_id=current_user.id,
        status=422,
        evidence_forms={lab.id: form},
        lab_errors={lab.id: str(error)},
        files_dropped=dropped,
    )


def read_files(form: EvidenceForm):
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    uploads = [f for f in (form.files.data or []) if f and f.filename]
    if len(uploads) > current_app.config["MAX_ATTACHMENTS"]:
        raise LearningError(f"Attach at most {current_app.config['MAX_ATTACHMENTS']} files.", "files")
    return [check_file(f.filename, f.read(limit + 1), max_bytes=limit) for f in uploads]


@bp.post("/lab-attempts/<int:attempt_id>/withdraw")
@role_required("trainee")
def withdraw(attempt_id: int):
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again.")
    s = db.session()
    try:
        attempt = services.withdraw(s, trainee_id=current_user.id, attempt_id=attempt_id)
    except services.NotYours as error:
        abort(404, description=str(error))
    except LearningError as error:
        s.rollback()
        flash(str(error), "error")
        return redirect(
            request.referrer
            if request.referrer and request.referrer.startswith(request.host_url)
            else url_for("learning.path")
        )
    s.commit()
    notice_at(
        f"lab-{attempt.lab_id}",
        "Your submission is withdrawn. Change your evidence and submit it again when you are ready.",
    )
    return redirect(url_for("catalogue.module", module_id=attempt.module_id) + f"#lab-{attempt.lab_id}")


@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    """A file of lab evidence, to people allowed to see that submission, under a name we choose."""
    s = db.session()
    found = s.get(Attachment, attachment_id)
    attempt = s.get(LabAttempt, found.attempt_id) if found else None
    if attempt is None:
        abort(404, description="There is no such file.")
    authorize(may_view_trainee(current_user, attempt.trainee_id), f"attachment {attachment_id}")
    is_image = found.content_type.startswith("image/")
    extension = {
        "image/png": "png",
        "image/jpeg": "jpg",
        "image/gif": "gif",
        "image/webp": "webp",
        "application/pdf": "pdf",
    }.get(found.content_type, "txt")
    name = f"evidence-{attempt.id}-{found.id}.{extension}"
    response = current_app.response_class(found.data, mimetype=found.content_type)
    response.headers["Content-Disposition"] = f'{"inline" if is_image else "attachment"}; filename="{name}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/trainees/<int:trainee_id>")
def trainee(trainee_id: int):
    """A trainee's path as their mentors and managers see it."""
    authorize(may_view_trainee(current_user, trainee_id), f"trainee {trainee_id}")
    person = db.session().get(User, trainee_id)
    if person is None:
        abort(404, description="There is no such trainee.")
    s = db.session()
    path = learning_path(s, catalogue(), trainee_id, reader_today())
    attempts = s.exec(select(LabAttempt).where(LabAttempt.trainee_id == trainee_id).order_by(LabAttempt.submitted_at))
    return render_template(
        "learning/trainee.html",
        person=person,
        path=path,
        forecast=ready_forecast(path),
        events=timeline(s, catalogue(), trainee_id),
        attempts=attempt_views(s, list(attempts)),
        readiness=readiness_of(s, catalogue(), [trainee_id])[trainee_id],
        stages=STAGES,
        stage_hints=STAGE_HINTS,
        may_ask=may_request_readiness(current_user, trainee_id) and current_user.id != trainee_id,
    )


@bp.get("/trainees/<int:trainee_id>/progress")
def progress(trainee_id: int):
    """What is done, when, and who signed each lab off: a page to share with a manager."""
    authorize(may_view_trainee(current_user, trainee_id), f"progress of trainee {trainee_id}")
    s = db.session()
    person = s.get(User, trainee_id)
    if person is None:
        abort(404, description="There is no such trainee.")
    path = learning_path(s, catalogue(), trainee_id, reader_today())
    approved = s.exec(select(LabAttempt).where(LabAttempt.trainee_id == trainee_id, LabAttempt.status == "approved"))
    signoffs = {v.attempt.lab_id: v for v in attempt_views(s, list(approved))}
    return render_template(
        "learning/progress.html", person=person, path=path, signoffs=signoffs, meetups=attended_by(s, trainee_id)
    )
