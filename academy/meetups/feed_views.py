"""Calendars: each meetup as an .ics file, and a person's calendar feed (its secret address, made and revoked)."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import db
from ..links import external_url
from ..models import CalendarFeed, User, utcnow
from . import calendar, queries, services

bp = Blueprint("meetup_calendar", __name__)


def ics_response(body: bytes, filename: str) -> Response:
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/meetups/<int:meetup_id>/calendar.ics")
@login_required
def meetup_ics(meetup_id: int):
    s = db.session()
    found = queries.meetup_or_404(s, meetup_id)
    body = calendar.meetup_calendar(s, found, user_id=current_user.id, now=utcnow())
    return ics_response(body, f"meetup-{services.meetup_day(found):%Y-%m-%d}.ics")


@bp.get("/meetups/calendar")
@login_required
def feed_page():
    return render_feed_page()


def render_feed_page(new_address: str | None = None, status: int = 200):
    s, now = db.session(), utcnow()
    coming = queries.upcoming(s, now)[:5]
    replies = queries.my_replies(s, current_user.id, [m.id for m in coming])
    return (
        render_template(
            "meetups/calendar.html",
            feed=s.get(CalendarFeed, current_user.id),
            new_address=new_address,
            coming=coming,
            going={m for m, r in replies.items() if r.going_at is not None},
        ),
        status,
    )


@bp.post("/meetups/calendar/new")
@login_required
def new_feed():
    """The new address is in this answer only (as a new API token is): the database keeps its hash, and no cookie
    carries it."""
    s = db.session()
    had_one = s.get(CalendarFeed, current_user.id) is not None
    secret = services.new_feed(s, user=s.get(User, current_user.id))
    s.commit()
    replaced = " The old one no longer works: subscribe to this one instead." if had_one else ""
    flash("Your new calendar address is made." + replaced, "success")
    return render_feed_page(external_url("meetup_calendar.feed", secret=secret))


@bp.post("/meetups/calendar/revoke")
@login_required
def revoke_feed():
    s = db.session()
    if services.revoke_feed(s, user=s.get(User, current_user.id)):
        s.commit()
        flash("Your calendar address no longer works. Remove the subscription from your calendar app too.", "success")
    else:
        flash("You had no calendar address: nothing was changed.", "error")
    return redirect(url_for("meetup_calendar.feed_page"))


@bp.get("/calendar/<secret>.ics")
def feed(secret: str):
    """For calendar apps, without an account or a cookie: the secret opens one active person's feed."""
    s = db.session()
    owner = services.feed_owner(s, secret)
    if owner is None:
        abort(404, description="There is no calendar here: the address was revoked, replaced, or never made.")
    response = Response(calendar.personal_feed(s, owner, now=utcnow()), content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    return response
