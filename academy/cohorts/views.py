from datetime import date

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup

from .. import db
from ..charts import burn_up_chart, sparkline
from ..curriculum.store import catalogue
from ..forecast import HOW_IT_IS_COMPUTED
from ..local_time import reader_today
from ..models import Cohort, utcnow
from ..page_cache import kept_page
from ..paging import page_of
from ..policy import authorize, managed_cohort_ids, may_view_cohort, role_required
from ..reviews.queries import (
    returned_twice,
    review_service_levels,
    service_levels_by_cohort,
    trainee_activity,
)
from ..spreadsheets import csv_response, csv_text, iso
from . import queries, readiness

bp = Blueprint("cohorts", __name__)


def sl_settings() -> dict:
    return {
        "target_hours": float(current_app.config["REVIEW_TARGET_HOURS"]),
        "objective": float(current_app.config["REVIEW_OBJECTIVE"]),
    }


@bp.get("/cohorts")
@role_required("manager")
def index():
    s = db.session()
    cohorts = queries.cohort_summaries(s, managed_cohort_ids(current_user))
    today = reader_today()
    health = queries.cohorts_health(s, [c.id for c in cohorts], today)
    levels = service_levels_by_cohort(s, **sl_settings())
    sparks = {
        c.id: sparkline(
            health[c.id].weekly,
            label=f"Modules completed per week in {c.name}, last 12 weeks: " + ", ".join(map(str, health[c.id].weekly)),
        )
        for c in cohorts
    }
    upcoming = {c.id for c in cohorts if queries.before_start(c.start_date, today)}
    return render_template(
        "cohorts/index.html",
        cohorts=cohorts,
        health=health,
        levels=levels,
        sparks=sparks,
        upcoming=upcoming,
        ready=readiness.ready_counts(s, [c.id for c in cohorts]),
    )


def cohort_or_404(cohort_id: int) -> Cohort:
    authorize(may_view_cohort(current_user, cohort_id), f"cohort {cohort_id}")
    found = db.session().get(Cohort, cohort_id)
    if found is None:
        abort(404, description="There is no such cohort.")
    return found


@bp.get("/cohorts/<int:cohort_id>")
@kept_page(lambda cohort_id: [("cohort", cohort_id)])
def cohort(cohort_id: int):
    s, cat = db.session(), catalogue()
    found = cohort_or_404(cohort_id)
    data = queries.cohort_data(s, cat, found, reader_today())
    track = request.args.get("track", "")
    track = track if cat.track(track) else ""
    columns = [(mid, due, cat.get(mid)) for mid, due in data.plan if cat.get(mid)]
    if track:
        columns = [c for c in columns if c[2].track == track]
    now = utcnow()
    ready = readiness.cohort_readiness(s, cat, data, now)
    rows = list(data.rows)
    sort = request.args.get("sort", "name")
    if sort == "progress":
        rows.sort(key=lambda r: (-r.done, r.name))
    elif sort == "ready":
        rows.sort(key=lambda r: soonest_ready(ready.trainees[r.trainee_id], r.name))
    matrix = page_of(rows, request.args.get("page", 1, type=int), matrix_page_size(len(columns)))
    burn = queries.burn_up(data)
    funnel = queries.funnel(data)
    ids = [r.trainee_id for r in data.rows]
    activity = readiness.with_practice(trainee_activity(s, ids), ready.activity)
    return render_template(
        "cohorts/cohort.html",
        cohort=found,
        data=data,
        matrix=matrix,
        columns=columns,
        track=track,
        sort=sort,
        tracks=cat.tracks,
        burn=burn,
        chart=burn_up_chart(
            burn.actual,
            burn.planned,
            burn.total,
            burn.forecast,
            title=f"Burn-up of {found.name}: module completions against the plan",
        ),
        cells=matrix_cells(columns, matrix.items),
        at_risk=queries.at_risk(data, activity, returned_twice(s, ids), now, ready.risks, ready.finished),
        ready=ready,
        stage_chart=readiness.stage_chart(ready.stages, title=f"Trainees of {found.name} at each stage of readiness"),
        names={r.trainee_id: r.name for r in data.rows},
        forecast_rule=HOW_IT_IS_COMPUTED,
        month=data.today.strftime("%B %Y"),
        upcoming=queries.before_start(found.start_date, data.today),
        funnel=[(f, cat.get(f.module_id)) for f in funnel if cat.get(f.module_id) and f.started],
        unstarted=sum(1 for f in funnel if not f.started),
        burn_changes=queries.changed_weeks(burn.actual),
        levels=review_service_levels(s, cohort_ids=[found.id], **sl_settings()),
        levels_scope="this cohort's trainees",
        target=sl_settings()["target_hours"],
        states=queries.CELL_STATES,
        symbols=SYMBOLS,
    )


def soonest_ready(trainee: readiness.TraineeReadiness, name: str) -> tuple:
    """The matrix's "soonest ready first": ready for on-call, then ready for review, then by forecast (the
    ones too early to tell last), by name within each."""
    rank = {"ready for on-call": 0, "ready for review": 1}.get(trainee.stage, 2)
    day = trainee.readiness.graduated_on if rank == 0 else trainee.forecast
    return (rank, day is None, day or date.max, name)


SYMBOLS = dict(zip(queries.CELL_STATES, ("⊘", "·", "◐", "●", "↺", "✓"), strict=True))  # a symbol per cell state
MATRIX_PAGE = 15  # trainees per page of the matrix: 40 at once made the page 4,600 elements, slow on a phone
MATRIX_CELLS = 400  # cells per page, about 15 trainees by 27 modules; a longer plan shows fewer trainees at once


def matrix_page_size(columns: int) -> int:
    """Trainees per page of the matrix: about MATRIX_CELLS cells a page at most, never fewer than 5 rows."""
    return min(MATRIX_PAGE, max(5, MATRIX_CELLS // max(1, columns)))


def matrix_cells(columns: list, rows: list[queries.MatrixRow]) -> dict[int, Markup]:
    """Each row's cells of the progress matrix, as HTML: a 15 × 29 page is 435 cells, and a template call per
    cell was most of the page's time. Every (module, state) cell is built once, then joined. A cell is one
    element: the symbol for the eye, the state's name for a screen reader (the column names the module)."""
    html = Markup('<td class="cell cell-{}" title="{}: {}" aria-label="{}">{}</td>')
    cell = {
        (mid, state): html.format(state.replace(" ", "-"), module.title, state, state, symbol)
        for mid, _due, module in columns
        for state, symbol in SYMBOLS.items()
    }
    return {row.trainee_id: Markup("").join(cell[mid, row.cells[mid]] for mid, _, _ in columns) for row in rows}


@bp.get("/cohorts/<int:cohort_id>/progress.csv")
@kept_page(lambda cohort_id: [("cohort", cohort_id)])
def export_progress(cohort_id: int):
    """One row per trainee and module of the plan: status, dates, attempts and mentor."""
    s, cat = db.session(), catalogue()
    found = cohort_or_404(cohort_id)
    data = queries.cohort_data(s, cat, found, reader_today())
    lab_attempts: dict[tuple[int, str], int] = {}
    for a in data.attempts:
        lab_attempts[(a.trainee_id, a.module_id)] = lab_attempts.get((a.trainee_id, a.module_id), 0) + 1
    header = [
        "cohort",
        "trainee",
        "email",
        "mentor",
        "module_id",
        "module",
        "track",
        "status",
        "due_date",
        "opened_at",
        "read_at",
        "completed_at",
        "lab_attempts",
    ]
    modules = []  # what every trainee's row of a module repeats, looked up once
    for mid, due in data.plan:
        module = cat.get(mid)
        modules.append((mid, module.title if module else mid, module.track if module else "", due.isoformat()))
    rows = []
    for row in data.rows:
        for mid, title, track, due in modules:
            progress = data.progress.get((row.trainee_id, mid))
            rows.append(
                [
                    found.name,
                    row.name,
                    row.email,
                    row.mentor or "",
                    mid,
                    title,
                    track,
                    row.cells[mid],
                    due,
                    iso(progress.opened_at) if progress else "",
                    iso(progress.read_at) if progress else "",
                    iso(progress.completed_at) if progress else "",
                    lab_attempts.get((row.trainee_id, mid), 0),
                ]
            )
    return csv_response(csv_text(header, rows), f"{found.name}-progress")


@bp.get("/cohorts/<int:cohort_id>/trainees.csv")
def export_trainees(cohort_id: int):
    """One row per trainee: modules done of the plan, labs approved, where they stand and their last activity."""
    s, cat = db.session(), catalogue()
    found = cohort_or_404(cohort_id)
    data = queries.cohort_data(s, cat, found, reader_today())
    approved: dict[int, set[str]] = {}
    for a in data.attempts:
        if a.status == "approved":
            approved.setdefault(a.trainee_id, set()).add(a.lab_id)
    activity = trainee_activity(s, [r.trainee_id for r in data.rows])
    header = ["cohort", "trainee", "email", "mentor", "modules_done", "modules_planned", "labs_approved", "state"]
    rows = [
        [
            found.name,
            row.name,
            row.email,
            row.mentor or "",
            row.done,
            len(data.plan),
            len(approved.get(row.trainee_id, ())),
            trainee_standing(data, row),
            iso(activity.get(row.trainee_id, (0, None))[1]),
        ]
        for row in data.rows
    ]
    return csv_response(csv_text([*header, "last_activity"], rows), f"{found.name}-trainees")


@bp.get("/cohorts/<int:cohort_id>/readiness.csv")
def export_readiness(cohort_id: int):
    """One row per trainee: their stage on the way to on-call, the checklist and the practicum done of what is
    required, the day they were decided ready, and the forecast of the page."""
    s, cat = db.session(), catalogue()
    found = cohort_or_404(cohort_id)
    data = queries.cohort_data(s, cat, found, reader_today())
    ready = readiness.cohort_readiness(s, cat, data, utcnow())
    header = [
        "cohort",
        "trainee",
        "email",
        "stage",
        "checklist_done",
        "checklist_total",
        "practice_confirmed",
        "practice_required",
        "graduated_on",
        "forecast",
    ]
    rows = []
    for row in data.rows:
        trainee = ready.trainees[row.trainee_id]
        confirmed, required = trainee.practice
        rows.append(
            [
                found.name,
                row.name,
                row.email,
                trainee.stage,
                trainee.done,
                trainee.total,
                confirmed,
                required,
                iso(trainee.readiness.graduated_on),
                iso(trainee.forecast),
            ]
        )
    return csv_response(csv_text(header, rows), f"{found.name}-readiness")


def trainee_standing(data: queries.CohortData, row: queries.MatrixRow) -> str:
    """Where a trainee stands against the plan, in the words of the cohort page."""
    if queries.before_start(data.cohort.start_date, data.today):
        return f"starts on {data.cohort.start_date.isoformat()}"
    if row.done == len(data.plan) and data.plan:
        return "finished"
    behind = data.behind(row)
    return f"behind by {behind} module{'s' if behind != 1 else ''}" if behind else "on track"


@bp.get("/cohorts/<int:cohort_id>/reviews.csv")
def export_reviews(cohort_id: int):
    """The review log: every submission of the cohort's trainees, and its decision."""
    s, cat = db.session(), catalogue()
    found = cohort_or_404(cohort_id)
    header = [
        "trainee",
        "module_id",
        "lab_id",
        "lab",
        "attempt",
        "status",
        "submitted_at",
        "decided_at",
        "mentor",
        "outcome",
        "hours_to_decision",
        "criteria_ticked",
        "comment",
    ]
    rows = []
    for e in queries.review_log(s, found.id):
        lab = cat.lab(e.lab_id)
        hours = round((e.decided_at - e.submitted_at).total_seconds() / 3600, 1) if e.decided_at else ""
        rows.append(
            [
                e.trainee,
                e.module_id,
                e.lab_id,
                lab.title if lab else e.lab_id,
                e.number,
                e.status,
                iso(e.submitted_at),
                iso(e.decided_at),
                e.mentor or "",
                e.outcome or "",
                hours,
                e.criteria if e.criteria is not None else "",
                e.comment if e.comment is not None else "",
            ]
        )
    return csv_response(csv_text(header, rows), f"{found.name}-reviews")
