"""The call for talks: proposing a talk, editing it until it is decided, the organizers' decisions, a talk's page
and the archive of past talks."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import db
from ..curriculum.store import catalogue
from ..inputs import form_problems, id_or_none
from ..models import Meetup, Talk, User, utcnow
from ..policy import authorize, may_edit_talk, may_organize_meetups, may_see_talk_decision, may_view_talk
from . import queries, services
from .talk_forms import DECISIONS, DecisionForm, TalkForm, draft_from, padded

bp = Blueprint("talks", __name__)

STATE_WORDS = {
    "proposed": ("waiting for the organizers", ""),
    "changes_requested": ("changes asked", "warn"),
    "accepted": ("accepted", "ok"),
    "declined": ("declined", "bad"),
}


@bp.context_processor
def talk_helpers() -> dict:
    return {"talk_state": STATE_WORDS}


@bp.get("/meetups/talks")
@login_required
def index():
    s, query = db.session(), request.args.get("q", "")[:200]
    organizer = may_organize_meetups(current_user)
    to_decide = queries.proposals_to_decide(s) if organizer else []
    return render_template(
        "meetups/talks.html",
        mine=queries.proposals_of(s, current_user.id),
        to_decide=to_decide,
        proposers=queries.names_of(s, [t.talk.proposed_by for t in to_decide]),
        past=queries.archive(s, utcnow(), query),
        query=query,
        organizer=organizer,
    )


# ------------------------------------------------------------------ proposing, adding and editing a talk


def render_talk_form(form: TalkForm, problems=(), status: int = 200, talk=None, meetup=None):
    cat = catalogue()
    return (
        render_template(
            "meetups/talk_form.html",
            form=form,
            problems=list(problems),
            talk=talk,
            meetup=meetup,
            tracks=[(track, cat.modules_in(track.id)) for track in cat.tracks],
            chosen=[m for m in form.module_ids.data or [] if isinstance(m, str)],
            max_modules=services.MAX_MODULES,
        ),
        status,
    )


def refusal(error: services.MeetupError) -> list[tuple[str, str]]:
    return [(f"#{error.field or 'title'}", str(error))]


@bp.route("/meetups/talks/new", methods=["GET", "POST"])
@login_required
def new():
    if request.method == "GET":
        return render_talk_form(TalkForm(formdata=None, speakers=padded([{"email": current_user.email}])))
    form = TalkForm()
    if not form.validate_on_submit():
        return render_talk_form(form, form_problems(form), 422)
    s = db.session()
    try:
        made = services.propose_talk(s, catalogue(), by=s.get(User, current_user.id), draft=draft_from(form))
        s.commit()
    except services.MeetupError as error:
        s.rollback()
        return render_talk_form(form, refusal(error), 422)
    flash("Your proposal is sent: the organizers are told, and you can change it until they decide.", "success")
    return redirect(url_for("talks.talk", talk_id=made.id))


@bp.route("/meetups/<int:meetup_id>/talks/new", methods=["GET", "POST"])
@login_required
def new_for_meetup(meetup_id: int):
    found = queries.meetup_or_404(db.session(), meetup_id)
    authorize(may_organize_meetups(current_user), f"the agenda of meetup {meetup_id}")
    if request.method == "GET":
        return render_talk_form(TalkForm(formdata=None), meetup=found)
    form = TalkForm()
    if not form.validate_on_submit():
        return render_talk_form(form, form_problems(form), 422, meetup=found)
    s = db.session()
    try:
        services.add_talk(s, catalogue(), meetup=found, by=s.get(User, current_user.id), draft=draft_from(form))
        s.commit()
    except services.MeetupError as error:
        s.rollback()
        return render_talk_form(form, refusal(error), 422, meetup=found)
    flash("The talk is on the agenda.", "success")
    return redirect(url_for("meetups.meetup", meetup_id=found.id))


@bp.route("/meetups/talks/<int:talk_id>/edit", methods=["GET", "POST"])
@login_required
def edit(talk_id: int):
    found = queries.talk_or_404(db.session(), talk_id)
    authorize(may_edit_talk(current_user, found), f"edit talk {talk_id}")
    if request.method == "GET":
        view = queries.talk_views(db.session(), [found])[0]
        form = TalkForm(
            formdata=None,
            title=found.title,
            abstract=found.abstract,
            slides_url=found.slides_url or "",
            module_ids=view.module_ids,
            speakers=padded(queries.speaker_rows(db.session(), found.id)),
        )
        return render_talk_form(form, talk=found)
    form = TalkForm()
    if not form.validate_on_submit():
        return render_talk_form(form, form_problems(form), 422, talk=found)
    s, was = db.session(), found.state
    try:
        services.edit_talk(s, catalogue(), talk=found, by=s.get(User, current_user.id), draft=draft_from(form))
        s.commit()
    except services.MeetupError as error:
        s.rollback()
        return render_talk_form(form, refusal(error), 422, talk=found)
    again = was == "changes_requested" and found.state == "proposed"
    flash("Saved: the organizers are told it is ready for them again." if again else "Saved.", "success")
    return redirect(url_for("talks.talk", talk_id=found.id))


# ------------------------------------------------------------------ a talk's page and the organizers' decision


@bp.get("/meetups/talks/<int:talk_id>")
@login_required
def talk(talk_id: int):
    found = queries.talk_or_404(db.session(), talk_id)
    authorize(may_view_talk(current_user, found), f"talk {talk_id}")
    return render_talk(found)


def decision_form(found: Talk) -> DecisionForm:
    form = DecisionForm(formdata=None)
    form.meetup.data = str(found.meetup_id) if found.meetup_id else ""
    return form


def render_talk(found: Talk, form: DecisionForm | None = None, problems=(), status: int = 200):
    s, cat = db.session(), catalogue()
    view = queries.talk_views(s, [found])[0]
    organizer = may_organize_meetups(current_user)
    return (
        render_template(
            "meetups/talk.html",
            view=view,
            talk=found,
            modules=[(m, cat.get(m)) for m in view.module_ids],
            proposer=s.get(User, found.proposed_by),
            decider=s.get(User, found.decided_by) if found.decided_by else None,
            sees_state=may_see_talk_decision(current_user, found),
            organizer=organizer,
            may_edit=may_edit_talk(current_user, found),
            decision_form=(form or decision_form(found)) if organizer else None,
            decisions=DECISIONS,
            meetups=queries.upcoming(s, utcnow()) if organizer else [],
            problems=list(problems),
        ),
        status,
    )


@bp.post("/meetups/talks/<int:talk_id>/decide")
@login_required
def decide(talk_id: int):
    s = db.session()
    found = queries.talk_or_404(s, talk_id)
    authorize(may_organize_meetups(current_user), f"decide on talk {talk_id}")
    form = DecisionForm()
    if not form.validate_on_submit():
        return render_talk(found, form, form_problems(form), 422)
    meetup_id = id_or_none(form.meetup.data)
    meetup = s.get(Meetup, meetup_id) if meetup_id else None
    try:
        services.decide_talk(
            s,
            talk=found,
            by=s.get(User, current_user.id),
            decision=form.decision.data or "",
            meetup=meetup,
            comment=form.comment.data or "",
            now=utcnow(),
        )
        s.commit()
    except services.MeetupError as error:
        s.rollback()
        status = 409 if isinstance(error, services.MeetupOver) else 422
        return render_talk(found, form, [(f"#{error.field or 'decision'}", str(error))], status)
    flash(f"Decided: {STATE_WORDS[found.state][0]}. The proposer is told.", "success")
    return redirect(url_for("talks.talk", talk_id=found.id))
