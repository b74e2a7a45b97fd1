from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import db
from ..curriculum.store import catalogue
from ..inputs import id_or_none, ticked_or_422
from ..labchecks.queries import results_of
from ..learning.forms import ActionForm
from ..learning.queries import attempt_views, module_journey
from ..learning.services import claim_active, lab_attempts
from ..local_time import reader_today
from ..models import LabAttempt, User
from ..page_cache import kept_page
from ..policy import authorize, may_review, role_required
from ..practicum.queries import waiting_entries
from . import queries, services
from .forms import DecisionForm
from .services import ReviewError

bp = Blueprint("reviews", __name__)


def target_hours() -> float:
    return float(current_app.config["REVIEW_TARGET_HOURS"])


def int_arg(name: str) -> int | None:
    return id_or_none(request.args.get(name))


@bp.get("/reviews")
@role_required("mentor")
@kept_page(lambda: [("all", 0)])  # every trainee's work, not only of the mentor's cohorts: an admin sees it all
def index():
    s, cat = db.session(), catalogue()
    cohort_id, lab_id = int_arg("cohort"), request.args.get("lab", "")[:80] or None
    checks_passed = request.args.get("checks") == "passed"
    everyone = current_user.has_role("admin")  # an admin's queue holds the whole academy; a mentor's, their cohorts
    items = queries.review_queue(
        s,
        cat,
        current_user.id,
        target_hours=target_hours(),
        cohort_id=cohort_id,
        lab_id=lab_id,
        all_cohorts=everyone,
        checks_passed=checks_passed,
    )
    cohorts = queries.served_cohorts(s, current_user.id)
    levels = queries.review_service_levels(
        s,
        target_hours=target_hours(),
        objective=float(current_app.config["REVIEW_OBJECTIVE"]),
        cohort_ids=None if everyone else [c.id for c in cohorts],
    )
    from ..models import utcnow

    return render_template(
        "reviews/index.html",
        items=items,
        trainees=queries.mentor_trainees(s, current_user.id),
        cohorts=cohorts,
        queue_scope="every cohort of the academy" if everyone else "the cohorts you serve",
        levels_scope="the whole academy" if everyone else "the trainees of the cohorts you serve",
        labs=[lab for m in cat.ordered_modules() for lab in m.labs],
        cohort_id=cohort_id,
        lab_id=lab_id,
        checks_passed=checks_passed,
        target=target_hours(),
        levels=levels,
        now=utcnow(),
        module_count=len(cat.modules),
        form=ActionForm(),
        practice=waiting_entries(s, None if everyone else current_user.id, utcnow()),
        requirement_titles={r.id: r.title for r in cat.practicum.requirements},
    )


def attempt_or_404(attempt_id: int) -> LabAttempt:
    attempt = db.session().get(LabAttempt, attempt_id)
    if attempt is None:
        abort(404, description="There is no such submission.")
    return attempt


@bp.get("/reviews/<int:attempt_id>")
def review(attempt_id: int, form: DecisionForm | None = None, ticked: list[int] | None = None, status: int = 200):
    attempt = attempt_or_404(attempt_id)
    authorize(may_review(current_user, attempt.trainee_id), f"review of attempt {attempt_id}")
    s, cat = db.session(), catalogue()
    lab, module = cat.lab(attempt.lab_id), cat.get(attempt.module_id)
    if lab is None or module is None:
        abort(404, description="This lab is no longer in the curriculum.")
    history = attempt_views(s, lab_attempts(s, attempt.trainee_id, attempt.lab_id))
    return render_template(
        "reviews/review.html",
        attempt=attempt,
        lab=lab,
        module=module,
        history=history,
        current=next(v for v in history if v.attempt.id == attempt.id),
        trainee=s.get(User, attempt.trainee_id),
        journey=module_journey(s, cat, attempt.trainee_id, module, reader_today()),
        form=form or DecisionForm(),
        ticked=ticked or [],
        action_form=ActionForm(),
        claimed=claim_active(attempt),
        claimer=s.get(User, attempt.claimed_by) if claim_active(attempt) else None,
        target=target_hours(),
        check_results=results_of(s, [attempt.id])[attempt.id],
    ), status


@bp.post("/reviews/<int:attempt_id>/decide")
def decide(attempt_id: int):
    attempt = attempt_or_404(attempt_id)
    authorize(may_review(current_user, attempt.trainee_id), f"decision on attempt {attempt_id}")
    form = DecisionForm()
    ticked = ticked_or_422(request.form.getlist("criterion"), "criteria")
    outcome = {"approve": "approved", "request_changes": "changes_requested"}.get(request.form.get("outcome", ""), "")
    s = db.session()
    if not form.validate_on_submit():
        return review(attempt_id, form, ticked, 400)
    try:
        services.decide(
            s,
            catalogue(),
            attempt=attempt,
            mentor=s.get(User, current_user.id),
            outcome=outcome,
            comment=form.comment.data,
            criteria=ticked,
        )
        s.commit()
    except services.AlreadyDecided as error:
        s.rollback()
        flash(str(error), "error")
        return redirect(url_for("reviews.review", attempt_id=attempt_id)), 303
    except ReviewError as error:
        s.rollback()
        form.comment.errors.append(str(error))
        return review(attempt_id, form, ticked, 422)
    words = "approved" if outcome == "approved" else "sent back with your comment"
    flash(f"Attempt {attempt.number} of “{catalogue().lab(attempt.lab_id).title}” is {words}.", "success")
    return redirect(url_for("reviews.index"))


@bp.post("/reviews/<int:attempt_id>/claim")
def claim(attempt_id: int):
    return _claim_action(attempt_id, release=False)


@bp.post("/reviews/<int:attempt_id>/release")
def release(attempt_id: int):
    return _claim_action(attempt_id, release=True)


def _claim_action(attempt_id: int, *, release: bool):
    attempt = attempt_or_404(attempt_id)
    authorize(may_review(current_user, attempt.trainee_id), f"claim of attempt {attempt_id}")
    if not ActionForm().validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again.")
    s = db.session()
    try:
        if release:
            services.release(s, attempt=attempt, mentor_id=current_user.id)
        else:
            services.claim(s, attempt=attempt, mentor_id=current_user.id)
        s.commit()
        flash("Released: other mentors can take it." if release else "It's yours for the next two hours.", "success")
    except ReviewError as error:
        s.rollback()
        flash(str(error), "error")
    return redirect(url_for("reviews.review", attempt_id=attempt_id))
