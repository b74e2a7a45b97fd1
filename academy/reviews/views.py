from flask import Blueprint, render_template
from flask_login import current_user

from .. import db
from ..curriculum.store import catalogue
from ..policy import role_required
from .queries import mentor_trainees

bp = Blueprint("reviews", __name__)


@bp.get("/reviews")
@role_required("mentor")
def index():
    trainees = mentor_trainees(db.session(), current_user.id)
    return render_template("reviews/index.html", trainees=trainees, module_count=len(catalogue().modules))
