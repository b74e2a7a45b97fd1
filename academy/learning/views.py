from flask import Blueprint, abort, render_template
from flask_login import current_user

from .. import db
from ..curriculum.store import catalogue
from ..models import User
from ..policy import authorize, may_view_trainee, role_required
from .queries import learning_path

bp = Blueprint("learning", __name__)


@bp.get("/learn")
@role_required("trainee")
def path():
    return render_template("learning/path.html", path=learning_path(db.session(), catalogue(), current_user.id))


@bp.get("/trainees/<int:trainee_id>")
def trainee(trainee_id: int):
    """A trainee's path as their mentors and managers see it."""
    authorize(may_view_trainee(current_user, trainee_id), f"trainee {trainee_id}")
    person = db.session().get(User, trainee_id)
    if person is None:
        abort(404, description="There is no such trainee.")
    path = learning_path(db.session(), catalogue(), trainee_id)
    return render_template("learning/trainee.html", person=person, path=path)
