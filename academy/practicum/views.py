"""The practicum's pages: a trainee's checklist and practice log, one entry with its decision, and the drill
scenarios mentors run."""

import json
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import Session, select

from .. import db
from ..curriculum.practicum import DRILL_ROLE_NAMES
from ..curriculum.store import catalogue
from ..inputs import id_or_none, ticked_or_422
from ..learning.forms import ActionForm
from ..local_time import reader_zone
from ..models import (
    DRILL_ROLES,
    CohortStaff,
    CohortTrainee,
    PracticeDecision,
    PracticeEntry,
    User,
    UserRole,
    utcnow,
)
from ..policy import authorize, may_decide_practice, may_view_practice, role_required
from ..readiness.forms import ReadinessRequestForm
from ..readiness.queries import STAGE_HINTS, STAGES, readiness_of
from . import queries, services
from .forms import EntryDecisionForm, EntryForm

bp = Blueprint("practicum", __name__)
ROLE_NAMES = DRILL_ROLE_NAMES


def entry_form_choices(form: EntryForm, open_ids: set[str]) -> None:
    cat, s = catalogue(), db.session()
    form.requirement.choices = [("", "Choose…")] + [
        (r.id, r.title) for r in cat.practicum.requirements if r.id in open_ids
    ]
    form.role.choices = [("", "Not a drill or incident")] + [(r, ROLE_NAMES[r]) for r in DRILL_ROLES]
    form.scenario.choices = [("", "None, or not a drill")] + [(sc.id, sc.title) for sc in cat.practicum.scenarios]
    mentors = s.exec(
        select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == "mentor", User.is_active)
    ).all()
    others = sorted((m for m in mentors if m.id != current_user.id), key=lambda m: m.display_name)
    ours = cohort_mentor_ids(s, current_user.id)
    near = [(str(m.id), m.display_name) for m in others if m.id in ours]
    rest = [(str(m.id), m.display_name) for m in others if m.id not in ours]
    if near:  # in a large academy, the few who are likely to have been there come first
        form.present_mentor.choices = {None: [("", "Nobody, or not listed")], "Your cohort's mentors": near}
        if rest:
            form.present_mentor.choices["Other mentors"] = rest
    else:
        form.present_mentor.choices = [("", "Nobody, or not listed"), *rest]


def cohort_mentor_ids(s: Session, trainee_id: int) -> set[int]:
    """The trainee's own mentor and the mentors who serve their cohort."""
    member = s.get(CohortTrainee, trainee_id)
    if member is None:
        return set()
    serving = select(CohortStaff.user_id).where(CohortStaff.cohort_id == member.cohort_id, CohortStaff.role == "mentor")
    return set(s.exec(serving).all()) | ({member.mentor_id} if member.mentor_id else set())


@bp.get("/practicum")
@role_required("trainee")
def index(
    form: EntryForm | None = None,
    problems: list | None = None,
    status: int = 200,
    request_form: ReadinessRequestForm | None = None,
    request_problems: list | None = None,
):
    s, cat = db.session(), catalogue()
    readiness = readiness_of(s, cat, [current_user.id])[current_user.id]
    practice = {i.id: i for i in readiness.items if i.kind == "practice"}
    open_ids = {rid for rid, item in practice.items() if not item.locked_by}
    form = form or EntryForm()
    entry_form_choices(form, open_ids)
    if not form.is_submitted() and len(open_ids) == 1:
        form.requirement.data = next(iter(open_ids))
    return render_template(
        "practicum/index.html",
        readiness=readiness,
        practice=practice,
        requirements=cat.practicum.requirements,
        entries=queries.entries_of(s, current_user.id),
        form=form,
        problems=problems or [],
        request_form=request_form or ReadinessRequestForm(),
        request_problems=request_problems or [],
        action_form=ActionForm(),
        stages=STAGES,
        stage_hints=STAGE_HINTS,
        role_names=ROLE_NAMES,
    ), status


def started_at(form: EntryForm) -> datetime | None:
    """The form's day and time, in the trainee's own zone, as the UTC instant it stores."""
    if form.started_on.data is None or form.started_time.data is None:
        return None
    local = datetime.combine(form.started_on.data, form.started_time.data, tzinfo=reader_zone())
    return local.astimezone(utcnow().tzinfo)


@bp.post("/practicum/entries")
@role_required("trainee")
def log():
    form = EntryForm()
    if not form.validate_on_submit():
        problems = [
            (f"#{name}", f"{form[name].label.text}: {' '.join(errors)}") for name, errors in form.errors.items()
        ]
        return index(form, problems, 400)
    s = db.session()
    present_mentor = id_or_none(form.present_mentor.data)
    try:
        if form.present_mentor.data and present_mentor is None:
            raise services.PracticumError("Choose a mentor from the list, or nobody.", "present_mentor")
        entry = services.log_entry(
            s,
            catalogue(),
            trainee=s.get(User, current_user.id),
            requirement_id=form.requirement.data,
            started_at=started_at(form),
            minutes=form.minutes.data,
            service=form.service.data,
            account=form.account.data,
            request_key=form.request_key.data,
            role=form.role.data,
            scenario_id=form.scenario.data,
            links_text=form.links.data,
            present=form.present.data,
            present_mentor_id=present_mentor,
        )
        s.commit()
    except services.PracticumError as error:
        s.rollback()
        field = {"started_at": "started_on", "present_mentor": "present_mentor"}.get(error.field, error.field)
        if field in form:
            form[field].errors = [*form[field].errors, str(error)]
        return index(form, [(f"#{field}" if field in form else None, str(error))], 422)
    flash("Logged. Your mentor has been told and will confirm it or send it back.", "success")
    return redirect(url_for("practicum.entry", entry_id=entry.id))


def entry_or_404(entry_id: int) -> PracticeEntry:
    entry = db.session().get(PracticeEntry, entry_id)
    if entry is None:
        abort(404, description="There is no such practice entry.")
    return entry


@bp.get("/practicum/entries/<int:entry_id>")
@login_required
def entry(entry_id: int, form: EntryDecisionForm | None = None, ticked: list[int] | None = None, status: int = 200):
    found = entry_or_404(entry_id)
    authorize(may_view_practice(current_user, found), f"practice entry {entry_id}")
    s, cat = db.session(), catalogue()
    decision = s.exec(select(PracticeDecision).where(PracticeDecision.entry_id == found.id)).first()
    return render_template(
        "practicum/entry.html",
        entry=found,
        requirement=cat.practicum.requirement(found.requirement_id),
        scenario=cat.practicum.scenario(found.scenario_id) if found.scenario_id else None,
        trainee=s.get(User, found.trainee_id),
        present_mentor=s.get(User, found.present_mentor_id) if found.present_mentor_id else None,
        decision=decision,
        decider=s.get(User, decision.mentor_id) if decision else None,
        ticked_before=json.loads(decision.criteria) if decision else [],
        links=json.loads(found.links),
        may_decide=may_decide_practice(current_user, found) and found.status == "submitted",
        form=form or EntryDecisionForm(),
        ticked=ticked or [],
        action_form=ActionForm(),
        role_names=ROLE_NAMES,
        target=float(current_app.config["REVIEW_TARGET_HOURS"]),
    ), status


@bp.post("/practicum/entries/<int:entry_id>/decide")
@login_required
def decide(entry_id: int):
    found = entry_or_404(entry_id)
    authorize(may_decide_practice(current_user, found), f"decision on practice entry {entry_id}")
    form = EntryDecisionForm()
    ticked = ticked_or_422(request.form.getlist("criterion"), "rubric items")
    outcome = {"confirm": "confirmed", "send_back": "changes_requested"}.get(request.form.get("outcome", ""), "")
    if not form.validate_on_submit():
        return entry(entry_id, form, ticked, 400)
    s = db.session()
    try:
        services.decide_entry(
            s,
            catalogue(),
            entry=found,
            mentor=s.get(User, current_user.id),
            outcome=outcome,
            comment=form.comment.data,
            criteria=ticked,
        )
        s.commit()
    except services.AlreadyDecided as error:
        s.rollback()
        flash(str(error), "error")
        return redirect(url_for("practicum.entry", entry_id=entry_id)), 303
    except services.PracticumError as error:
        s.rollback()
        form.comment.errors = [*form.comment.errors, str(error)]
        return entry(entry_id, form, ticked, 422)
    flash("Confirmed." if outcome == "confirmed" else "Sent back with your comment.", "success")
    return redirect(url_for("reviews.index"))


@bp.post("/practicum/entries/<int:entry_id>/withdraw")
@login_required
def withdraw(entry_id: int):
    found = entry_or_404(entry_id)
    authorize(found.trainee_id == current_user.id, f"withdrawing practice entry {entry_id}")
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400, description="This form is incomplete; reload the page and try again.")
    s = db.session()
    try:
        services.withdraw_entry(s, trainee_id=current_user.id, entry_id=entry_id)
        s.commit()
        flash("Withdrawn. It no longer waits for a mentor.", "success")
    except services.PracticumError as error:
        s.rollback()
        flash(str(error), "error")
    return redirect(url_for("practicum.index"))


@bp.get("/practicum/drills")
@role_required("mentor")
def drills():
    return render_template("practicum/drills.html", scenarios=catalogue().practicum.scenarios)


@bp.get("/practicum/drills/<scenario_id>")
@role_required("mentor")
def drill(scenario_id: str):
    scenario = catalogue().practicum.scenario(scenario_id[:80])
    if scenario is None:
        abort(404, description="There is no such drill scenario.")
    return render_template("practicum/drill.html", scenario=scenario, role_names=ROLE_NAMES)
