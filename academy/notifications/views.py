from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from .. import db
from ..accounts.auth import safe_next
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
    raw = request.form.get("id", "")
    s = db.session()
    services.mark_read(s, user_id=current_user.id, notification_id=int(raw) if raw.isdigit() else None)
    s.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("notifications.index"))
