from flask import Blueprint, abort, render_template
from flask_login import current_user

from .. import db
from ..admin.queries import cohort_people
from ..models import Cohort
from ..policy import authorize, managed_cohort_ids, may_view_cohort, role_required
from .queries import cohort_summaries

bp = Blueprint("cohorts", __name__)


@bp.get("/cohorts")
@role_required("manager")
def index():
    cohorts = cohort_summaries(db.session(), managed_cohort_ids(current_user))
    return render_template("cohorts/index.html", cohorts=cohorts)


@bp.get("/cohorts/<int:cohort_id>")
def cohort(cohort_id: int):
    authorize(may_view_cohort(current_user, cohort_id), f"cohort {cohort_id}")
    found = db.session().get(Cohort, cohort_id)
    if found is None:
        abort(404, description="There is no such cohort.")
    summary = cohort_summaries(db.session(), [cohort_id])[0]
    return render_template(
        "cohorts/cohort.html", cohort=found, summary=summary, people=cohort_people(db.session(), cohort_id)
    )
