from flask import Blueprint, render_template, request, session
from flask_login import current_user

from .. import db
from ..curriculum.search import search as search_curriculum
from ..curriculum.store import catalogue, module_or_404
from ..learning import services as learning
from ..learning.forms import ActionForm, EvidenceForm, QuizForm
from ..learning.queries import module_journey, module_states
from ..local_time import reader_today
from ..meetups.queries import archive, talks_on_module
from ..models import utcnow
from ..page_cache import kept_page
from ..policy import may_view_talk
from ..surveys.queries import addressed_by

bp = Blueprint("catalogue", __name__)


@bp.get("/catalogue")
def index():
    cat = catalogue()
    tracks = [(track, cat.modules_in(track.id)) for track in cat.tracks]
    trainee = current_user.is_authenticated and current_user.has_role("trainee")
    return render_template(
        "catalogue/index.html",
        tracks=tracks,
        total_minutes=sum(m.estimated_minutes for m in cat.modules.values()),
        states=module_states(db.session(), cat, current_user.id) if trainee else {},
    )


@bp.get("/search")
def search():
    query = request.args.get("q", "")[:200]
    hits = search_curriculum(catalogue(), query) if query.strip() else []
    talks = archive(db.session(), utcnow(), query, limit=20) if query.strip() else []
    return render_template("catalogue/search.html", query=query, hits=hits, talks=visible(talks))


def visible(talks: list) -> list:
    """The talks this reader may see: the curriculum is public, the meetups' talks are for those signed in."""
    return [view for view in talks if may_view_talk(current_user, view.talk)]


@bp.get("/modules/<module_id>")
@kept_page(lambda module_id: [("user", current_user.id)] if current_user.is_authenticated else [])
def module(module_id: str):
    """The module; for a trainee also their status, the knowledge check and the labs' evidence forms."""
    mod = module_or_404(module_id)
    if not current_user.has_role("trainee"):
        return render_module(mod)
    # kept in a variable: the session's identity map holds rows weakly, and the page reads this one again
    seen = learning.progress_row(db.session(), current_user.id, mod.id)
    if seen is None:
        with db.short_write_session() as s:  # the first visit, recorded without holding a lock while rendering
            learning.record_opened(s, trainee_id=current_user.id, module=mod)
            s.commit()
    return render_module(mod, trainee_id=current_user.id, notice=session.pop("module_notice", None))


def render_module(
    mod,
    *,
    trainee_id: int | None = None,
    status: int = 200,
    evidence_forms=None,
    quiz_error=None,
    quiz_answers=None,
    lab_errors=None,
    files_dropped=None,
    notice=None,
):
    cat = catalogue()
    journey = module_journey(db.session(), cat, trainee_id, mod, reader_today()) if trainee_id else None
    forms = {lab.id: EvidenceForm(prefix=f"lab-{lab.id}", formdata=None) for lab in mod.labs}
    for view in journey.labs if journey else []:  # a new attempt starts from the previous one's evidence
        if view.attempts and view.can_submit:
            last = view.attempts[-1]
            forms[view.lab.id] = EvidenceForm(
                prefix=f"lab-{view.lab.id}", formdata=None, evidence=last.attempt.evidence, links="\n".join(last.links)
            )
    forms.update(evidence_forms or {})
    return render_template(
        "catalogue/module.html",
        module=mod,
        track=cat.track(mod.track),
        prerequisites=[cat.get(p) or p for p in mod.prerequisites],
        addresses=addressed_by(db.session(), mod.id, mod.track),  # the teams' pain points it answers
        talks=visible(talks_on_module(db.session(), mod.id)),  # "Talks on this topic"
        journey=journey,
        evidence_forms=forms,
        quiz_form=QuizForm(formdata=None),
        action_form=ActionForm(),
        quiz_error=quiz_error,
        quiz_answers=quiz_answers or {},
        lab_errors=lab_errors or {},
        files_dropped=files_dropped or {},
        notice=notice or {},
    ), status
