from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from .. import db
from ..accounts.auth import safe_next
from ..inputs import id_or_400
from ..learning.forms import ActionForm
from ..models import Notification
from . import services

bp = Blueprint("notifications", __name__)
PAGE = 100


@bp.get("/notifications")
@login_required
def index():
    rows = select(Notification).where(Notification.user_id == current_user.id)
    items = db.session().exec(rows.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(PAGE)).all()
    return render_template("notifications/index.html", items=items, form=ActionForm())


@bp.post("/notifications/read")
@login_required
def mark_read():
    if not ActionForm().validate_on_submit():
        flash("This form has expired; reload the page and try again.", "error")
        return redirect(url_for("notifications.index"))
    raw = request.form.get("id")
    notification_id = id_or_400(raw, "notification") if raw is not None else None  # no id: all of them
    s = db.session()
    if notification_id is not None:
        found = s.get(Notification, notification_id)
        if found is None or found.user_id != current_user.id:
            abort(404, description="There is no such notification of yours.")
    services.mark_read(s, user_id=current_user.id, notification_id=notification_id)
    s.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("notifications.index"))
