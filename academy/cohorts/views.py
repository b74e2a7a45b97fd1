from flask import Blueprint, render_template
from flask_login import current_user

from .. import db
from ..policy import managed_cohort_ids, role_required
from .queries import cohort_summaries

bp = Blueprint("cohorts", __name__)


@bp.get("/cohorts")
@role_required("manager")
def index():
    cohorts = cohort_summaries(db.session(), managed_cohort_ids(current_user))
    return render_template("cohorts/index.html", cohorts=cohorts)
