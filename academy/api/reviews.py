"""The mentors' API: the review queue and decisions."""

import json

from flask import abort, current_app

from .. import db
from ..curriculum.store import catalogue
from ..models import Decision, LabAttempt, User
from ..policy import may_review
from ..reviews import queries as review_queries
from ..reviews import services as reviews
from . import schemas as s
from .views import api, caller, error, page_of, require, reviews_tag

# ------------------------------------------------------------------ reviews


@api.get("/reviews", operation_id="listReviews", tags=[reviews_tag], responses={200: s.QueuePage})
def review_queue(query: s.QueueQuery):
    """The caller's review queue: their own trainees first, then oldest first."""
    user = caller()
    require(user.has_role("mentor") or user.has_role("admin"), "Only mentors have a review queue.")
    target = float(current_app.config["REVIEW_TARGET_HOURS"])
    items = review_queries.review_queue(
        db.session(),
        catalogue(),
        user.id,
        target_hours=target,
        cohort_id=query.cohort_id,
        lab_id=query.lab_id,
        all_cohorts=user.has_role("admin"),
        checks_passed=query.checks_passed,
    )
    out = [
        s.QueueItemOut(
            attempt_id=i.attempt.id,
            trainee_id=i.attempt.trainee_id,
            trainee_name=i.trainee_name,
            cohort_id=i.cohort_id,
            lab_id=i.attempt.lab_id,
            lab_title=i.lab_title,
            attempt_number=i.attempt.number,
            submitted_at=i.attempt.submitted_at,
            hours_waiting=round(i.hours, 2),
            past_target=i.late,
            assigned_to_me=i.mine,
            claimed_by=i.claimed_by_name,
            checks_passed=i.attempt.checks_passed,
            checks_total=i.attempt.checks_total,
        ).model_dump(mode="json")
        for i in items
    ]
    return page_of(out, query)


@api.post(
    "/reviews/<int:attempt_id>/decision",
    operation_id="decideReview",
    tags=[reviews_tag],
    responses={201: s.DecisionOut, 409: s.ErrorOut},
)
def decide(path: s.AttemptPath, body: s.DecisionIn):
    """Approve or request changes. Each attempt gets exactly one decision: a second one answers 409."""
    session = db.session()
    attempt = session.get(LabAttempt, path.attempt_id)
    if attempt is None:
        abort(404, description="There is no such submission.")
    require(may_review(caller(), attempt.trainee_id), "Only a mentor serving this trainee's cohort may decide.")
    try:
        decision = reviews.decide(
            session,
            catalogue(),
            attempt=attempt,
            mentor=session.get(User, caller().id),
            outcome=body.outcome,
            comment=body.comment,
            criteria=body.criteria,
        )
        session.commit()
    except reviews.AlreadyDecided as refused:
        session.rollback()
        return error(409, "Already decided", str(refused))
    except reviews.ReviewError as refused:
        session.rollback()
        return error(422, "Invalid decision", str(refused))
    return decision_out(decision), 201


def decision_out(decision: Decision) -> dict:
    return s.DecisionOut(
        id=decision.id,
        attempt_id=decision.attempt_id,
        outcome=decision.outcome,
        comment=decision.comment,
        criteria=json.loads(decision.criteria),
        decided_at=decision.decided_at,
    ).model_dump(mode="json")
