"""Meetup pages: the list of meetups to come and past, a meetup's page (its agenda, saying one will come, checking
in with the code), planning and changing a meetup, and the organizers' attendance sheet."""

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import db
from ..inputs import flag_or_400, form_problems, id_or_none
from ..models import User, utcnow
from ..policy import authorize, may_organize_meetups
from . import queries, services
from .forms import AttendanceForm, CheckInForm, MeetupForm

bp = Blueprint("meetups", __name__)
PAST_SHOWN = 12  # the past meetups on the list; the archive of talks has them all


def in_meetup_zone(meetup) -> str:
    """ "Thu 25 Mar 2027, 18:00-19:30 CET (Europe/Berlin)": the meetup's time where it is held."""
    zone = ZoneInfo(meetup.time_zone)
    starts, ends = meetup.starts_at.astimezone(zone), meetup.ends_at.astimezone(zone)
    return f"{starts:%a %d %b %Y, %H:%M}–{ends:%H:%M} {starts.tzname()} ({meetup.time_zone})"


@bp.app_context_processor
def meetup_helpers() -> dict:
    return {"in_meetup_zone": in_meetup_zone, "may_organize_meetups": may_organize_meetups}


@bp.get("/meetups")
@login_required
def index():
    s, now = db.session(), utcnow()
    coming, held = queries.upcoming(s, now), queries.past(s, now)[:PAST_SHOWN]
    ids = [m.id for m in coming + held]
    return render_template(
        "meetups/index.html",
        coming=coming,
        held=held,
        agendas=queries.agendas(s, ids),
        replies=queries.replies(s, ids),
        mine=queries.my_replies(s, current_user.id, ids),
        organizer=may_organize_meetups(current_user),
    )


@bp.get("/meetups/<int:meetup_id>")
@login_required
def meetup(meetup_id: int):
    return render_meetup(queries.meetup_or_404(db.session(), meetup_id))


def render_meetup(found, check_in_form=None, problems=(), status: int = 200):
    s, now = db.session(), utcnow()
    return (
        render_template(
            "meetups/meetup.html",
            meetup=found,
            agenda=queries.agendas(s, [found.id]).get(found.id, []),
            replies=queries.replies(s, [found.id]).get(found.id, queries.Replies()),
            mine=queries.reply_of(s, found.id, current_user.id),
            over=services.is_over(found, now),
            started=found.starts_at <= now,
            check_in_today=services.is_check_in_day(found, now),
            check_in_day=services.meetup_day(found),
            check_in_form=check_in_form or CheckInForm(formdata=None),
            problems=list(problems),
            organizer=may_organize_meetups(current_user),
        ),
        status,
    )


# ------------------------------------------------------------------ planning and changing a meetup


def installation_zone() -> str:
    return current_app.config.get("TIME_ZONE") or "UTC"


def draft_from(form: MeetupForm) -> services.MeetupDraft:
    return services.MeetupDraft(
        title=form.title.data or "",
        day=form.day.data,
        starts=form.starts.data,
        ends=form.ends.data,
        time_zone=form.time_zone.data or "",
        place=form.place.data or "",
        video_url=form.video_url.data or "",
        recording_url=form.recording_url.data or "",
    )


def render_meetup_form(form: MeetupForm, problems=(), status: int = 200, meetup=None):
    return render_template("meetups/meetup_form.html", form=form, problems=list(problems), meetup=meetup), status


@bp.route("/meetups/new", methods=["GET", "POST"])
@login_required
def new():
    authorize(may_organize_meetups(current_user), "plan a meetup")
    if request.method == "GET":
        return render_meetup_form(MeetupForm(formdata=None, time_zone=installation_zone()))
    form = MeetupForm()
    if not form.validate_on_submit():
        return render_meetup_form(form, form_problems(form), 422)
    s = db.session()
    try:
        made = services.create_meetup(s, by=s.get(User, current_user.id), draft=draft_from(form))
        s.commit()
    except services.MeetupError as error:
        s.rollback()
        return render_meetup_form(form, [(f"#{error.field or 'title'}", str(error))], 422)
    flash("The meetup is planned. Put talks on its agenda, or accept proposals from the call for talks.", "success")
    return redirect(url_for("meetups.meetup", meetup_id=made.id))


@bp.route("/meetups/<int:meetup_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meetup_id: int):
    found = queries.meetup_or_404(db.session(), meetup_id)
    authorize(may_organize_meetups(current_user), f"meetup {meetup_id}")
    if request.method == "GET":
        zone = ZoneInfo(found.time_zone)
        starts, ends = found.starts_at.astimezone(zone), found.ends_at.astimezone(zone)
        form = MeetupForm(
            formdata=None,
            obj=found,
            day=starts.date(),
            starts=starts.time(),
            ends=ends.time(),
        )
        return render_meetup_form(form, meetup=found)
    form = MeetupForm()
    if not form.validate_on_submit():
        return render_meetup_form(form, form_problems(form), 422, meetup=found)
    s = db.session()
    try:
        services.edit_meetup(s, meetup=found, by=s.get(User, current_user.id), draft=draft_from(form))
        s.commit()
    except services.MeetupError as error:
        s.rollback()
        return render_meetup_form(form, [(f"#{error.field or 'title'}", str(error))], 422, meetup=found)
    flash("Saved. Calendars that subscribe to the meetups pick the change up.", "success")
    return redirect(url_for("meetups.meetup", meetup_id=found.id))


# ------------------------------------------------------------------ coming, and having come


@bp.post("/meetups/<int:meetup_id>/reply")
@login_required
def reply(meetup_id: int):
    found = queries.meetup_or_404(db.session(), meetup_id)
    going = flag_or_400(request.form.get("going"), "come")
    s = db.session()
    try:
        services.rsvp(s, meetup=found, user=s.get(User, current_user.id), going=going, now=utcnow())
        s.commit()
    except services.MeetupError as error:
        s.rollback()
        return render_meetup(found, problems=[(None, str(error))], status=409)
    flash("See you there: it is in your calendar feed." if going else "Noted: you are not coming.", "success")
    return redirect(url_for("meetups.meetup", meetup_id=found.id))


@bp.post("/meetups/<int:meetup_id>/check-in")
@login_required
def check_in(meetup_id: int):
    found = queries.meetup_or_404(db.session(), meetup_id)
    form = CheckInForm()
    if not form.validate_on_submit():
        return render_meetup(found, form, form_problems(form), 422)
    s = db.session()
    try:
        services.check_in(s, meetup=found, user=s.get(User, current_user.id), code=form.code.data or "", now=utcnow())
        s.commit()
    except services.MeetupError as error:
        s.rollback()
        return render_meetup(found, form, [("#code", str(error))], 422)
    flash("You are checked in. Welcome!", "success")
    return redirect(url_for("meetups.meetup", meetup_id=found.id))


@bp.route("/meetups/<int:meetup_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(meetup_id: int):
    s = db.session()
    found = queries.meetup_or_404(s, meetup_id)
    authorize(may_organize_meetups(current_user), f"attendance of meetup {meetup_id}")
    if request.method == "GET":
        return render_attendance(found, AttendanceForm(formdata=None))
    form = AttendanceForm()
    raw = request.form.getlist("present")
    present = {i for i in map(id_or_none, raw) if i is not None}
    if not form.validate_on_submit():
        return render_attendance(found, form, form_problems(form), 422, present)
    if len(present) != len(set(raw)):
        return render_attendance(found, form, [(None, "The ticked people are not ones of this list.")], 422, present)
    try:
        came = services.record_attendance(
            s,
            meetup=found,
            by=s.get(User, current_user.id),
            present=present,
            emails=(form.emails.data or "").replace(",", "\n").splitlines(),
            now=utcnow(),
        )
        s.commit()
    except services.MeetupError as error:
        s.rollback()
        return render_attendance(found, form, [(f"#{error.field or 'present'}", str(error))], 422, present)
    flash(f"Attendance saved: {came} {'person' if came == 1 else 'people'} came.", "success")
    return redirect(url_for("meetups.meetup", meetup_id=found.id))


def render_attendance(found, form, problems=(), status: int = 200, present=None):
    sheet = queries.attendance_sheet(db.session(), found.id)
    if present is None:
        present = {user.id for user, row in sheet if row.attended_at}
    return (
        render_template(
            "meetups/attendance.html",
            meetup=found,
            sheet=sheet,
            present=present,
            form=form,
            problems=list(problems),
            started=found.starts_at <= utcnow(),
        ),
        status,
    )
