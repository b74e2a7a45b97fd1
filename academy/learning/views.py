from flask import Blueprint, render_template
from flask_login import current_user

from .. import db
from ..curriculum.store import catalogue
from ..policy import role_required
from .queries import learning_path

bp = Blueprint("learning", __name__)


@bp.get("/learn")
@role_required("trainee")
def path():
    return render_template("learning/path.html", path=learning_path(db.session(), catalogue(), current_user.id))
