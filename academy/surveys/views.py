"""Pain-point survey pages: the list, opening and editing a round, the answer sheet, the results with the team's
checklist and trends, closing, deleting, and the CSV."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from .. import db
from ..charts import trend_chart
from ..curriculum.store import catalogue
from ..inputs import form_problems, id_or_none
from ..local_time import installation_today
from ..models import Cohort, PainPoint, PainScore, SurveyCohort, SurveyRespondent, SurveyRound, User
from ..policy import authorize, managed_cohort_ids, may_answer_round, may_run_round, may_run_surveys
from ..spreadsheets import csv_response, csv_text
from . import queries, services
from .forms import BLANK_ROWS, RoundForm, StrikeForm, curriculum_choices, read_sheet, typed_from

bp = Blueprint("surveys", __name__)


@bp.context_processor
def closing_zone() -> dict:
    """A round closes at the end of a day on the installation's calendar: its pages name that calendar's zone."""
    return {"installation_zone": current_app.config.get("TIME_ZONE") or "UTC"}


@bp.get("/surveys")
@login_required
def index():
    s = db.session()
    runs = may_run_surveys(current_user)
    return render_template(
        "surveys/index.html",
        to_answer=queries.rounds_to_answer(s, current_user.id),
        run=queries.rounds_run_by(s, current_user) if runs else [],
        may_open=runs,
        today=installation_today(),
        is_open=queries.is_open,
    )


# ------------------------------------------------------------------ opening and editing a round


def cohort_choices() -> list[Cohort]:
    ids = managed_cohort_ids(current_user)
    rows = select(Cohort).order_by(Cohort.start_date.desc(), Cohort.name)
    if ids is not None:
        rows = rows.where(Cohort.id.in_(ids))
    return list(db.session().exec(rows).all())


def round_form(data=None, **prefill) -> RoundForm:
    form = RoundForm(formdata=data, **prefill)
    choices = curriculum_choices(catalogue())
    for entry in form.points:
        entry.form.addresses.choices = choices
    return form


def drafts_from(form: RoundForm) -> list[services.PointDraft]:
    return [
        services.PointDraft(p.form.title.data or "", p.form.description.data or "", p.form.addresses.data or None)
        for p in form.points
    ]


def repeated_points(from_id: int | None) -> list[dict]:
    """A later round that repeats an earlier one's pain points (which ties their trends together)."""
    earlier = db.session().get(SurveyRound, from_id) if from_id else None
    if earlier is None or not may_run_round(current_user, earlier):
        return []
    return point_rows(earlier.id)


def point_rows(round_id: int) -> list[dict]:
    """A round's pain points as the form's rows, and a few empty ones to add more."""
    points = [
        {"title": p.title, "description": p.description, "addresses": p.addresses}
        for p in queries.points_of(db.session(), round_id)
    ]
    return points + [{}] * max(BLANK_ROWS - len(points), 2)


def ticks_are_checkboxes(form, *names: str) -> bool:
    return all(value == "y" for name in names for value in form.getlist(name))


def render_round_form(form: RoundForm, problems=(), status: int = 200, round_=None, chosen=()):
    return (
        render_template(
            "surveys/round_form.html",
            form=form,
            problems=list(problems),
            round_=round_,
            cohorts=cohort_choices() if round_ is None else [],
            locked_points=round_ is not None and services.has_answers(db.session(), round_.id),
            chosen=set(chosen),
            year=installation_today().year,
            first_day=installation_today().isoformat(),  # a calendar date: the date input's earliest
        ),
        status,
    )


@bp.route("/surveys/new", methods=["GET", "POST"])
@login_required
def new():
    authorize(may_run_surveys(current_user), "open a survey round")
    if request.method == "GET":
        points = repeated_points(id_or_none(request.args.get("from")))
        return render_round_form(round_form(points=points) if points else round_form())
    form = round_form(request.form)
    raw_cohorts = request.form.getlist("cohorts")
    chosen = [c for c in map(id_or_none, raw_cohorts) if c is not None]
    if not form.validate_on_submit():
        return render_round_form(form, form_problems(form), 422, chosen=chosen)
    s = db.session()
    try:
        if len(chosen) != len(raw_cohorts) or set(chosen) - {c.id for c in cohort_choices()}:
            raise services.SurveyError("You may only ask cohorts you manage, chosen from the list.", "cohorts")
        if not ticks_are_checkboxes(request.form, "anonymous", "asks_effort"):
            raise services.SurveyError("Anonymity and effort are ticked or not; the form sent something else.", "title")
        made = services.open_round(
            s,
            catalogue(),
            by=s.get(User, current_user.id),
            title=form.title.data,
            closes_on=form.closes_on.data,
            points=drafts_from(form),
            cohort_ids=chosen,
            emails=(form.people.data or "").replace(",", "\n").splitlines(),
            anonymous=form.anonymous.data,
            asks_effort=form.asks_effort.data,
            today=installation_today(),
        )
        s.commit()
    except services.SurveyError as error:
        s.rollback()
        return render_round_form(form, [(f"#{error.field or 'title'}", str(error))], 422, chosen=chosen)
    flash("The round is open: everyone asked has been told, and can change their answers until it closes.", "success")
    return redirect(url_for("surveys.round_page", round_id=made.id))


@bp.route("/surveys/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit(round_id: int):
    found = queries.round_or_404(db.session(), round_id)
    authorize(may_run_round(current_user, found), f"survey {round_id}")
    if request.method == "GET":
        form = round_form(title=found.title, closes_on=found.closes_on, points=point_rows(found.id))
        return render_round_form(form, round_=found)
    form = round_form(request.form)
    if not form.validate_on_submit():
        return render_round_form(form, form_problems(form), 422, round_=found)
    s = db.session()
    try:
        services.edit_round(
            s,
            catalogue(),
            round_=found,
            by=s.get(User, current_user.id),
            title=form.title.data,
            closes_on=form.closes_on.data,
            points=drafts_from(form),
            today=installation_today(),
        )
        s.commit()
    except services.SurveyError as error:
        s.rollback()
        return render_round_form(form, [(f"#{error.field or 'title'}", str(error))], 422, round_=found)
    flash("Saved.", "success")
    return redirect(url_for("surveys.round_page", round_id=found.id))


# ------------------------------------------------------------------ answering


@bp.route("/surveys/<int:round_id>/answer", methods=["GET", "POST"])
@login_required
def answer(round_id: int):
    found = queries.round_or_404(db.session(), round_id)
    authorize(may_answer_round(current_user, found), f"answer survey {round_id}")
    s = db.session()
    asked = s.get(SurveyRespondent, (found.id, current_user.id))
    points = queries.points_of(db.session(), found.id)
    is_open = services.is_open(found, installation_today())
    if request.method == "GET":
        saved = s.exec(
            select(PainScore).where(
                PainScore.respondent_id == current_user.id, PainScore.pain_point_id.in_([p.id for p in points])
            )
        ).all()
        return render_answer(found, points, typed_from(saved), asked, is_open)
    sheet = read_sheet(request.form, points, found.asks_effort)
    if sheet.problems:
        return render_answer(found, points, sheet.typed, asked, is_open, sheet.problems, 422)
    try:
        services.save_answers(
            s, round_=found, respondent=s.get(User, current_user.id), answers=sheet.answers, today=installation_today()
        )
        s.commit()
    except services.SurveyError as error:
        s.rollback()
        status = 409 if isinstance(error, services.RoundClosed) else 422
        return render_answer(found, points, sheet.typed, asked, is_open, [(None, str(error))], status)
    flash(f"Your answers are saved. You can change them until the end of {found.closes_on:%d %b %Y}.", "success")
    return redirect(url_for("surveys.answer", round_id=found.id))


def render_answer(round_, points, typed, asked, is_open, problems=(), status=200):
    return (
        render_template(
            "surveys/answer.html",
            round_=round_,
            points=points,
            typed=typed,
            asked=asked,
            is_open=is_open,
            problems=list(problems),
            may_run=may_run_round(current_user, round_),
        ),
        status,
    )


# ------------------------------------------------------------------ results, the checklist, trends


@bp.get("/surveys/<int:round_id>")
@login_required
def round_page(round_id: int):
    found = queries.round_or_404(db.session(), round_id)
    if not may_run_round(current_user, found):
        return answer(round_id)  # a respondent's page of a round is their answer sheet
    return render_results(found)


def render_results(found: SurveyRound, strike_form: StrikeForm | None = None, problems=(), status: int = 200):
    s, cat = db.session(), catalogue()
    found_results = queries.results(s, found, secret=current_app.secret_key)
    series = {} if found_results.hidden else queries.trends(s, found, queries.managed_round_ids(s, current_user))
    titles = {row.point.key: row.point.title for row in found_results.rows}
    charts = {
        key: trend_chart([(t.title, t.closes_on, t.pain.value) for t in points], title=f"Average pain: {titles[key]}")
        for key, points in series.items()
        if len(points) > 1 and key in titles
    }
    form = strike_form or StrikeForm()
    form.curriculum.choices = curriculum_choices(cat)
    cohorts = s.exec(
        select(Cohort.name)
        .join(SurveyCohort, SurveyCohort.cohort_id == Cohort.id)
        .where(SurveyCohort.round_id == found.id)
    ).all()
    return (
        render_template(
            "surveys/results.html",
            round_=found,
            results=found_results,
            trends=series,
            charts=charts,
            strike_form=form,
            problems=list(problems),
            cohorts=cohorts,
            opener=s.get(User, found.created_by),
            is_open=services.is_open(found, installation_today()),
            catalogue=cat,
            shown=queries.shown,
            asked=s.get(SurveyRespondent, (found.id, current_user.id)),
        ),
        status,
    )


def point_or_404(found: SurveyRound, point_id: int) -> PainPoint:
    point = db.session().get(PainPoint, point_id)
    if point is None or point.round_id != found.id:
        abort(404, description="This round has no such pain point.")
    return point


@bp.post("/surveys/<int:round_id>/points/<int:point_id>/strike")
@login_required
def strike(round_id: int, point_id: int):
    found = queries.round_or_404(db.session(), round_id)
    authorize(may_run_round(current_user, found), f"survey {round_id}")
    point = point_or_404(found, point_id)
    form = StrikeForm()
    s = db.session()
    listed = {r.point.id for r in queries.results(s, found, secret=current_app.secret_key).checklist}
    by = form.addressed_by.data
    what = (form.curriculum.data or "").partition(":")[2] if by in ("track", "module") else form.what.data
    try:
        if not form.validate_on_submit():
            raise services.SurveyError(" ".join(message for _, message in form_problems(form)))
        services.check_addresses(catalogue(), form.curriculum.data)  # even when a team is named: what was sent
        if point.id not in listed:
            raise services.SurveyError("Only the pain points on the team's list can be struck through.")
        if by in ("track", "module") and not (form.curriculum.data or "").startswith(f"{by}:"):
            raise services.SurveyError(f"Choose the {by} that addressed it from the list.", "curriculum")
        services.strike(s, catalogue(), point=point, by=s.get(User, current_user.id), addressed_by=by, what=what)
        s.commit()
    except services.SurveyError as error:
        s.rollback()
        return render_results(found, form, [(f"#strike-{point.id}", f"“{point.title}”: {error}")], 422)
    flash(f"“{point.title}” is struck through.", "success")
    return redirect(url_for("surveys.round_page", round_id=found.id, _anchor="checklist"))


@bp.post("/surveys/<int:round_id>/points/<int:point_id>/restore")
@login_required
def restore(round_id: int, point_id: int):
    found = queries.round_or_404(db.session(), round_id)
    authorize(may_run_round(current_user, found), f"survey {round_id}")
    point = point_or_404(found, point_id)
    s = db.session()
    try:
        services.unstrike(s, point=point, by=s.get(User, current_user.id))
        s.commit()
    except services.SurveyError as error:
        s.rollback()
        flash(str(error), "error")
    return redirect(url_for("surveys.round_page", round_id=found.id, _anchor="checklist"))


@bp.post("/surveys/<int:round_id>/close")
@login_required
def close(round_id: int):
    found = queries.round_or_404(db.session(), round_id)
    authorize(may_run_round(current_user, found), f"survey {round_id}")
    s = db.session()
    try:
        services.close_round(s, round_=found, by=s.get(User, current_user.id), today=installation_today())
        s.commit()
        flash("The round is closed: it takes no more answers.", "success")
    except services.SurveyError as error:
        s.rollback()
        flash(str(error), "error")
    return redirect(url_for("surveys.round_page", round_id=found.id))


@bp.post("/surveys/<int:round_id>/delete")
@login_required
def delete(round_id: int):
    found = queries.round_or_404(db.session(), round_id)
    authorize(may_run_round(current_user, found), f"survey {round_id}")
    s, title = db.session(), found.title
    services.delete_round(s, round_=found, by=s.get(User, current_user.id))
    s.commit()
    flash(f"The round “{title}” and its answers are deleted; the audit log keeps that it was.", "success")
    return redirect(url_for("surveys.index"))


@bp.get("/surveys/<int:round_id>/results.csv")
@login_required
def export(round_id: int):
    """The results table as on the page: the same anonymity rule, so nothing below the threshold."""
    found = queries.round_or_404(db.session(), round_id)
    authorize(may_run_round(current_user, found), f"survey {round_id}")
    table = queries.results(db.session(), found, secret=current_app.secret_key)
    if table.hidden:
        abort(
            409,
            description=f"An anonymous round shows results once {queries.ANONYMITY_THRESHOLD} people have answered.",
        )
    return csv_response(csv_text(*queries.results_table(table)), f"survey-{found.id}-results")
