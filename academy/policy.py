"""Who may do what to which object: the one place that decides. Views and the API ask here.

An admin may do everything but decide on their own work. A manager sees the cohorts they own and the
trainees in them; a mentor sees the trainees of the cohorts they serve and reviews their work; a trainee
sees only their own work.
"""

from collections.abc import Collection
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user, login_required
from sqlmodel import select

from . import audit, db
from .models import CohortStaff, CohortTrainee, SurveyCohort, SurveyRespondent, SurveyRound


def _staff_of(cohort_id: int, user_id: int, role: str) -> bool:
    row = db.session().get(CohortStaff, (cohort_id, user_id, role))
    return row is not None


def membership(trainee_id: int) -> CohortTrainee | None:
    return db.session().get(CohortTrainee, trainee_id)


def may_administer(user) -> bool:
    return user.is_authenticated and user.has_role("admin")


def may_use_review_queue(user) -> bool:
    """The review queue: a mentor's cohorts, or, for an admin, every cohort."""
    return user.is_authenticated and (user.has_role("mentor") or user.has_role("admin"))


def may_follow_cohorts(user) -> bool:
    """The cohorts' dashboards: a manager's own, or, for an admin, every cohort."""
    return user.is_authenticated and (user.has_role("manager") or user.has_role("admin"))


def may_view_cohort(user, cohort_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return user.has_role("admin") or (user.has_role("manager") and _staff_of(cohort_id, user.id, "manager"))


def may_view_trainee(user, trainee_id: int) -> bool:
    if not user.is_authenticated:
        return False
    if user.id == trainee_id or user.has_role("admin"):
        return True
    member = membership(trainee_id)
    if member is None:
        return False
    if user.has_role("mentor") and (member.mentor_id == user.id or _staff_of(member.cohort_id, user.id, "mentor")):
        return True
    return user.has_role("manager") and _staff_of(member.cohort_id, user.id, "manager")


def may_review(user, trainee_id: int) -> bool:
    """Decide on a trainee's lab work: a mentor serving their cohort, or an admin; never one's own."""
    if not user.is_authenticated or user.id == trainee_id:
        return False
    if user.has_role("admin"):
        return True
    member = membership(trainee_id)
    return bool(member and user.has_role("mentor") and _staff_of(member.cohort_id, user.id, "mentor"))


def managed_cohort_ids(user) -> list[int] | None:
    """The cohorts this user may follow; None means all of them (admin)."""
    if user.has_role("admin"):
        return None
    rows = select(CohortStaff.cohort_id).where(CohortStaff.user_id == user.id, CohortStaff.role == "manager")
    return list(db.session().exec(rows).all())


def authorize(allowed: bool, what: str = "") -> None:
    """Abort with 403, and record the refusal, unless `allowed`."""
    if not allowed:
        audit.record_now("authorization.refused", what or request.path, method=request.method)
        abort(403, description="You do not have access to this page. If you think you should, ask an administrator.")


def role_required(role: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            authorize(current_user.has_role(role) or current_user.has_role("admin"), f"{role} pages: {request.path}")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def admins_only(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        authorize(may_administer(current_user), f"admin pages: {request.path}")
        return view(*args, **kwargs)

    return wrapped


# ------------------------------------------------------------------ the practicum and readiness reviews


def may_decide_practice(user, entry) -> bool:
    """Confirm a practice entry: the trainee's own mentor, the mentor who was there, or an admin; never one's own."""
    if not user.is_authenticated or user.id == entry.trainee_id:
        return False
    if user.has_role("admin"):
        return True
    member = membership(entry.trainee_id)
    own_mentor = bool(member and member.mentor_id == user.id)
    return user.has_role("mentor") and (own_mentor or entry.present_mentor_id == user.id)


def may_view_practice(user, entry) -> bool:
    return may_view_trainee(user, entry.trainee_id) or may_decide_practice(user, entry)


def may_request_readiness(user, trainee_id: int) -> bool:
    """Ask for a readiness review: the trainee, their own mentor, or an admin."""
    if not user.is_authenticated:
        return False
    if user.id == trainee_id or user.has_role("admin"):
        return True
    member = membership(trainee_id)
    return bool(member and user.has_role("mentor") and member.mentor_id == user.id)


def may_decide_readiness(user, request, panel: list[int]) -> bool:
    """Decide a readiness review: a member of its panel, or an admin; never the trainee."""
    if not user.is_authenticated or user.id == request.trainee_id:
        return False
    return user.has_role("admin") or user.id in panel


def may_view_readiness(user, request, panel: list[int]) -> bool:
    return may_view_trainee(user, request.trainee_id) or may_decide_readiness(user, request, panel)


# ------------------------------------------------------------------ pain-point surveys


def may_run_surveys(user) -> bool:
    """Open survey rounds and read their results: managers and admins."""
    return user.is_authenticated and (user.has_role("manager") or user.has_role("admin"))


def may_answer_round(user, round_: SurveyRound) -> bool:
    """Answer a round, and read one's own answers: those it asked, and nobody else (its opener neither)."""
    return user.is_authenticated and db.session().get(SurveyRespondent, (round_.id, user.id)) is not None


def may_run_round(user, round_: SurveyRound) -> bool:
    """A round's results, checklist, editing and closing: its opener, a manager of one of its cohorts, or an admin."""
    if not may_run_surveys(user):
        return False
    if user.has_role("admin") or round_.created_by == user.id:
        return True
    managed = select(CohortStaff.cohort_id).where(CohortStaff.user_id == user.id, CohortStaff.role == "manager")
    shared = select(SurveyCohort.cohort_id).where(
        SurveyCohort.round_id == round_.id, SurveyCohort.cohort_id.in_(managed)
    )
    return db.session().exec(shared.limit(1)).first() is not None


# ------------------------------------------------------------------ the Reliability Meetup


def may_organize_meetups(user) -> bool:
    """Plan meetups, decide on proposed talks and record attendance: organizers and admins."""
    return user.is_authenticated and (user.has_role("organizer") or user.has_role("admin"))


def may_edit_talk(user, talk) -> bool:
    """Its proposer, until an organizer has decided on it (a talk sent back for changes is theirs again);
    organizers and admins at any time."""
    if may_organize_meetups(user):
        return True
    return user.is_authenticated and talk.proposed_by == user.id and talk.state in ("proposed", "changes_requested")


def may_view_talk(user, talk) -> bool:
    """An accepted talk is for everyone signed in; a proposal for its proposer and the organizers."""
    if not user.is_authenticated:
        return False
    return talk.state == "accepted" or may_see_talk_decision(user, talk)


def may_see_talk_decision(user, talk) -> bool:
    """Where a talk stands in the call for talks, and the organizers' comment: its proposer and the organizers."""
    return user.is_authenticated and (talk.proposed_by == user.id or may_organize_meetups(user))


def passwords_off() -> bool:
    """ACADEMY_PASSWORD_SIGN_IN=off: everyone signs in with the company's identity provider."""
    return str(current_app.config.get("PASSWORD_SIGN_IN", "on")).strip().lower() == "off"


def break_glass_admins() -> set[str]:
    """The admin addresses that keep a password when passwords are off (ACADEMY_BREAK_GLASS_ADMINS); the identity
    provider's provisioning never sees them, so that it cannot lock them out."""
    return {e.strip().lower() for e in str(current_app.config.get("BREAK_GLASS_ADMINS") or "").split(",") if e.strip()}


def may_sign_in_with_password(email: str, roles: Collection[str]) -> bool:
    """With passwords off, only a break-glass address, and only while it is an admin's."""
    return not passwords_off() or (email.strip().lower() in break_glass_admins() and "admin" in roles)
