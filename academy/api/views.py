"""The API blueprint: bearer-token authentication, shared helpers, the caller and the catalogue. The trainee's endpoints
are in learner.py, the mentors' in reviews.py, the managers' in cohorts.py, the pain-point surveys' in surveys.py, the
Reliability Meetup's in meetups.py. Each asks academy.policy, as the pages do; errors are JSON with the right status."""

from flask import abort, g, jsonify, request
from flask_openapi3 import APIBlueprint, Tag

from .. import db
from ..accounts.auth import Account
from ..accounts.services import roles_of
from ..curriculum.store import catalogue
from . import schemas as s
from .tokens import READ_ONLY, UNKNOWN, TokenRefused, note_use, token_owner

ERRORS = {
    400: s.ErrorOut,
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    413: s.ErrorOut,
    422: s.ErrorOut,
    503: s.ErrorOut,
}
api = APIBlueprint("api", __name__, url_prefix="/api/v1", abp_security=[{"bearer": []}], abp_responses=ERRORS)
me_tag, catalogue_tag = Tag(name="me", description="The caller"), Tag(name="catalogue", description="The curriculum")
learning_tag = Tag(name="learning", description="Reading modules and taking their knowledge checks")
labs_tag, reviews_tag = Tag(name="labs", description="Lab evidence"), Tag(name="reviews", description="Mentors")
cohorts_tag = Tag(name="cohorts", description="Managers' view of cohorts")
readiness_tag = Tag(name="readiness", description="Where trainees stand on the way to on-call")
surveys_tag = Tag(name="surveys", description="Pain-point surveys: rounds, the caller's answers, results")
meetups_tag = Tag(name="meetups", description="The Reliability Meetup: meetups, their agendas and the talks")
# What a token of scope "lab" (made for `academy-lab`) may call: the caller, the catalogue, their labs and checks,
# and submitting lab evidence or withdrawing it to change it; nothing of anyone else's.
LAB_SCOPE = {
    "api.me",
    "api.tracks",
    "api.modules",
    "api.module",
    "api.my_progress",
    "api.my_labs",
    "api.lab_checks",
    "api.submit_lab",
    "api.withdraw_attempt",
}
LAB_ONLY = "This token is for lab checks and submissions only (academy-lab). Create a token of another scope for this."


def error(status: int, message: str, detail=None):
    return jsonify(error=message, detail=detail), status


@api.before_request
def authenticate():
    """Bearer tokens only: the API ignores session cookies, so no browser can be tricked into calling it."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise TokenRefused(UNKNOWN)
        row, user = token_owner(db.session(), token.strip())
    except TokenRefused as refused:
        response, status = error(401, "Not authenticated", str(refused))
        response.headers["WWW-Authenticate"] = 'Bearer realm="academy"'
        return response, status
    writing = request.method not in db.SAFE_METHODS
    if row.scope == "lab" and request.endpoint not in LAB_SCOPE:
        abort(403, description=LAB_ONLY)
    if writing and row.scope == "read":
        abort(403, description=READ_ONLY)
    note_use(db.session(), row, writing=writing)
    g.api_user = Account.of(user, roles_of(db.session(), user.id))
    return None


def caller() -> Account:
    return g.api_user


def require(allowed: bool, message: str = "Your account may not do this."):
    if not allowed:
        abort(403, description=message)


def page_of(items: list, query: s.PageQuery) -> dict:
    start = (query.page - 1) * query.per_page
    return {
        "page": query.page,
        "per_page": query.per_page,
        "total": len(items),
        "items": items[start : start + query.per_page],
    }


# ------------------------------------------------------------------ me and the catalogue


@api.get("/me", operation_id="getMe", tags=[me_tag], responses={200: s.MeOut})
def me():
    """The signed-in person."""
    user = caller()
    return s.MeOut(id=user.id, email=user.email, display_name=user.display_name, roles=sorted(user.roles)).model_dump()


@api.get("/catalogue/tracks", operation_id="listTracks", tags=[catalogue_tag], responses={200: s.TrackPage})
def tracks(query: s.PageQuery):
    """The curriculum's tracks, in order."""
    return page_of([t.model_dump() for t in catalogue().tracks], query)


def module_or_404(module_id: str):
    found = catalogue().get(module_id)
    if found is None:
        abort(404, description="There is no module with that id.")
    return found


def module_out(module) -> dict:
    labs = [
        s.LabOut(
            id=lab.id,
            title=lab.title,
            steps=list(lab.spec.steps),
            acceptance_criteria=list(lab.spec.acceptance_criteria),
            evidence=list(lab.spec.evidence),
        )
        for lab in module.labs
    ]
    return s.ModuleOut(
        id=module.id,
        title=module.title,
        track=module.track,
        order=module.order,
        prerequisites=list(module.prerequisites),
        estimated_minutes=module.estimated_minutes,
        objectives=list(module.objectives),
        quiz_questions=len(module.questions),
        labs=labs,
        content_hash=module.content_hash,
    ).model_dump()


@api.get("/catalogue/modules", operation_id="listModules", tags=[catalogue_tag], responses={200: s.ModulePage})
def modules(query: s.ModuleQuery):
    """The modules, in track order; knowledge-check answers are never included."""
    found = [m for m in catalogue().ordered_modules() if not query.track or m.track == query.track]
    return page_of([module_out(m) for m in found], query)


@api.get("/catalogue/modules/<module_id>", operation_id="getModule", tags=[catalogue_tag], responses={200: s.ModuleOut})
def module(path: s.ModulePath):
    """One module."""
    return module_out(module_or_404(path.module_id))


# the rest of the API joins the blueprint when these modules load
from . import cohorts, learner, meetups, reviews, surveys  # noqa: E402, F401
