"""Readiness reviews: asking for one, the panel's page with the checklist and its decision, withdrawing."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from .. import db
from ..curriculum.store import catalogue
from ..inputs import id_or_400
from ..models import Credential, ReadinessDecision, ReadinessRequest, User
from ..policy import authorize, may_decide_readiness, may_request_readiness, may_view_readiness
from . import services
from .forms import ReadinessDecisionForm, ReadinessRequestForm
from .queries import STAGE_HINTS, STAGES, panel_of, panelists, readiness_of

bp = Blueprint("readiness", __name__)


@bp.post("/readiness/requests")
@login_required
def ask():
    trainee_id = id_or_400(request.form.get("trainee_id"), "trainee")
    authorize(may_request_readiness(current_user, trainee_id), f"readiness request for {trainee_id}")
    form = ReadinessRequestForm()
    s = db.session()
    trainee = s.get(User, trainee_id)
    if trainee is None:
        abort(404, description="There is no such trainee.")
    if not form.validate_on_submit():
        return refused(trainee_id, form, "Keep the note under 20,000 characters; nothing was asked.", 400)
    try:
        made = services.request_review(
            s, catalogue(), trainee=trainee, requested_by=s.get(User, current_user.id), note=form.note.data
        )
        s.commit()
    except services.ReadinessError as error:
        s.rollback()
        return refused(trainee_id, form, str(error), 422)
    flash("Asked. The panel has been told: the mentor and the cohort's manager decide together.", "success")
    return redirect(url_for("readiness.request_page", request_id=made.id))


def refused(trainee_id: int, form: ReadinessRequestForm, message: str, status: int):
    """The trainee's own request comes back to their practicum page, the note kept; a mentor's to the trainee."""
    if trainee_id == current_user.id:
        from ..practicum.views import index as practicum_page

        return practicum_page(request_form=form, request_problems=[("#note", message)], status=status)
    flash(message, "error")
    return redirect(url_for("learning.trainee", trainee_id=trainee_id))


def request_or_404(request_id: int) -> ReadinessRequest:
    found = db.session().get(ReadinessRequest, request_id)
    if found is None:
        abort(404, description="There is no such readiness request.")
    return found


@bp.get("/readiness/requests/<int:request_id>")
@login_required
def request_page(request_id: int, form: ReadinessDecisionForm | None = None, problems=None, status: int = 200):
    found = request_or_404(request_id)
    s, cat = db.session(), catalogue()
    people = panelists(s, found.id)
    panel = [p.id for p in people]
    authorize(may_view_readiness(current_user, found, panel), f"readiness request {request_id}")
    decision = s.exec(select(ReadinessDecision).where(ReadinessDecision.request_id == found.id)).first()
    credential = s.exec(select(Credential).where(Credential.decision_id == decision.id)).first() if decision else None
    return render_template(
        "readiness/request.html",
        request_=found,
        trainee=s.get(User, found.trainee_id),
        requester=s.get(User, found.requested_by),
        panel=people,
        readiness=readiness_of(s, cat, [found.trainee_id])[found.trainee_id],
        decision=decision,
        decider=s.get(User, decision.decided_by) if decision else None,
        credential=credential,
        may_decide=found.status == "pending" and may_decide_readiness(current_user, found, panel),
        may_withdraw=found.status == "pending" and current_user.id in (found.trainee_id, found.requested_by),
        form=form or ReadinessDecisionForm(),
        problems=problems or [],
        stages=STAGES,
        stage_hints=STAGE_HINTS,
    ), status


@bp.post("/readiness/requests/<int:request_id>/decide")
@login_required
def decide(request_id: int):
    found = request_or_404(request_id)
    s = db.session()
    authorize(may_decide_readiness(current_user, found, panel_of(s, found.id)), f"readiness decision {request_id}")
    form = ReadinessDecisionForm()
    if not form.validate_on_submit():
        problems = [(f"#{name}", " ".join(errors)) for name, errors in form.errors.items()]
        return request_page(request_id, form, problems, 400)
    outcome = {"ready": "ready", "not_yet": "not_yet"}.get(request.form.get("outcome", ""), "")
    try:
        services.decide_review(
            s,
            catalogue(),
            request=found,
            decider=s.get(User, current_user.id),
            outcome=outcome,
            rationale=form.rationale.data,
            missing=form.missing.data,
            override_reason=form.override_reason.data,
        )
        s.commit()
    except services.AlreadyDecided as error:
        s.rollback()
        flash(str(error), "error")
        return redirect(url_for("readiness.request_page", request_id=request_id)), 303
    except services.ReadinessError as error:
        s.rollback()
        if error.field in form:
            form[error.field].errors = [*form[error.field].errors, str(error)]
        return request_page(request_id, form, [(f"#{error.field}" if error.field in form else None, str(error))], 422)
    flash(
        "Decided. The trainee has been told." + (" Their credential is issued." if outcome == "ready" else ""),
        "success",
    )
    return redirect(url_for("readiness.request_page", request_id=request_id))


@bp.post("/readiness/requests/<int:request_id>/withdraw")
@login_required
def withdraw(request_id: int):
    found = request_or_404(request_id)
    s = db.session()
    asked = current_user.id in (found.trainee_id, found.requested_by)
    authorize(asked, f"withdrawing readiness request {request_id}")
    try:
        services.withdraw_request(s, request=found, by=s.get(User, current_user.id))
        s.commit()
        flash("Withdrawn. The panel is free; ask again when you are ready.", "success")
    except services.ReadinessError as error:
        s.rollback()
        flash(str(error), "error")
    return redirect(url_for("readiness.request_page", request_id=request_id))
