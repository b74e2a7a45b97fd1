"""Reads for mentors' pages: the queue, their trainees, and the review service level."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import case, func
from sqlmodel import Session, select

from ..curriculum.loader import Catalogue
from ..models import Cohort, CohortStaff, CohortTrainee, Decision, LabAttempt, ModuleProgress, User, utcnow

STALLED_AFTER = timedelta(days=7)


# ------------------------------------------------------------------ the queue


@dataclass(frozen=True)
class QueueItem:
    attempt: LabAttempt
    trainee_name: str
    cohort_id: int
    cohort_name: str
    mine: bool  # the mentor is this trainee's assigned mentor
    claimed_by_name: str | None
    lab_title: str
    hours: float
    late: bool


def queue_filter(mentor_id: int, *, all_cohorts: bool = False):
    """Submitted attempts of trainees in the cohorts this mentor serves (or all, for an admin)."""
    query = (
        select(LabAttempt, User.display_name, CohortTrainee.cohort_id, CohortTrainee.mentor_id)
        .join(User, User.id == LabAttempt.trainee_id)
        .join(CohortTrainee, CohortTrainee.trainee_id == LabAttempt.trainee_id)
        .where(LabAttempt.status == "submitted", LabAttempt.trainee_id != mentor_id)
    )
    if not all_cohorts:
        served = select(CohortStaff.cohort_id).where(CohortStaff.user_id == mentor_id, CohortStaff.role == "mentor")
        query = query.where(CohortTrainee.cohort_id.in_(served))
    return query


def review_queue(
    session: Session,
    catalogue: Catalogue,
    mentor_id: int,
    *,
    target_hours: float,
    cohort_id: int | None = None,
    lab_id: str | None = None,
    all_cohorts: bool = False,
    checks_passed: bool = False,
) -> list[QueueItem]:
    """Assigned trainees first, then the others; oldest first within each. `checks_passed`: only attempts sent
    with every one of their lab's checks reported as passed."""
    query = queue_filter(mentor_id, all_cohorts=all_cohorts)
    if cohort_id:
        query = query.where(CohortTrainee.cohort_id == cohort_id)
    if lab_id:
        query = query.where(LabAttempt.lab_id == lab_id)
    if checks_passed:
        query = query.where(LabAttempt.checks_total > 0, LabAttempt.checks_passed == LabAttempt.checks_total)
    mine_first = case((CohortTrainee.mentor_id == mentor_id, 0), else_=1)
    rows = session.exec(query.order_by(mine_first, LabAttempt.submitted_at, LabAttempt.id)).all()
    cohorts = (
        dict(session.exec(select(Cohort.id, Cohort.name).where(Cohort.id.in_({r[2] for r in rows}))).all())
        if rows
        else {}
    )
    claimers = (
        {
            u.id: u.display_name
            for u in session.exec(
                select(User).where(User.id.in_({a.claimed_by for a, *_ in rows if a.claimed_by}))
            ).all()
        }
        if rows
        else {}
    )
    now = utcnow()
    items = []
    for attempt, name, cid, assigned in rows:
        lab = catalogue.lab(attempt.lab_id)
        hours = (now - attempt.submitted_at).total_seconds() / 3600
        from ..learning.services import claim_active

        claimer = claimers.get(attempt.claimed_by) if claim_active(attempt) else None
        items.append(
            QueueItem(
                attempt,
                name,
                cid,
                cohorts.get(cid, ""),
                assigned == mentor_id,
                claimer,
                lab.title if lab else attempt.lab_id,
                hours,
                hours > target_hours,
            )
        )
    return items


def queue_count(mentor_id):
    """The number beside "Review queue", as a subquery for the navigation's statement (academy/navigation.py)."""
    return queue_filter(mentor_id).with_only_columns(func.count()).order_by(None).scalar_subquery()


def served_cohorts(session: Session, mentor_id: int) -> list[Cohort]:
    rows = (
        select(Cohort)
        .join(CohortStaff, CohortStaff.cohort_id == Cohort.id)
        .where(CohortStaff.user_id == mentor_id, CohortStaff.role == "mentor")
    )
    return list(session.exec(rows.order_by(Cohort.name)).all())


# ------------------------------------------------------------------ my trainees


@dataclass(frozen=True)
class MentorTrainee:
    id: int
    name: str
    email: str
    cohort: str
    modules_done: int
    last_activity: datetime | None
    returned_twice: bool

    def stalled_reasons(self, now: datetime) -> list[str]:
        reasons = []
        if self.last_activity is None or now - self.last_activity > STALLED_AFTER:
            reasons.append("no activity for 7 days")
        if self.returned_twice:
            reasons.append("a lab returned twice")
        return reasons


def mentor_trainees(session: Session, mentor_id: int) -> list[MentorTrainee]:
    """The trainees assigned to this mentor, with progress, last activity and returns, in three queries."""
    rows = session.exec(
        select(User.id, User.display_name, User.email, Cohort.name)
        .join(CohortTrainee, CohortTrainee.trainee_id == User.id)
        .join(Cohort, Cohort.id == CohortTrainee.cohort_id)
        .where(CohortTrainee.mentor_id == mentor_id)
        .order_by(Cohort.name, User.display_name)
    ).all()
    ids = [r[0] for r in rows]
    activity = trainee_activity(session, ids)
    returned = returned_twice(session, ids)
    return [
        MentorTrainee(i, n, e, c, activity.get(i, (0, None))[0], activity.get(i, (0, None))[1], i in returned)
        for i, n, e, c in rows
    ]


def trainee_activity(session: Session, trainee_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    """Modules done and the latest activity (opening, reading, finishing, submitting) per trainee."""
    if not trainee_ids:
        return {}
    progress = dict(
        (tid, (done, last))
        for tid, done, last in session.exec(
            select(
                ModuleProgress.trainee_id,
                func.count(ModuleProgress.completed_at),
                func.max(func.coalesce(ModuleProgress.completed_at, ModuleProgress.read_at, ModuleProgress.opened_at)),
            )
            .where(ModuleProgress.trainee_id.in_(trainee_ids))
            .group_by(ModuleProgress.trainee_id)
        )
    )
    submitted = dict(
        session.exec(
            select(LabAttempt.trainee_id, func.max(LabAttempt.submitted_at))
            .where(LabAttempt.trainee_id.in_(trainee_ids))
            .group_by(LabAttempt.trainee_id)
        ).all()
    )
    result = {}
    for tid in trainee_ids:
        done, last = progress.get(tid, (0, None))
        times = [t for t in (last, submitted.get(tid)) if t is not None]
        result[tid] = (done, max(times) if times else None)
    return result


def returned_twice(session: Session, trainee_ids: list[int]) -> set[int]:
    if not trainee_ids:
        return set()
    rows = session.exec(
        select(LabAttempt.trainee_id)
        .where(LabAttempt.trainee_id.in_(trainee_ids), LabAttempt.status == "changes_requested")
        .group_by(LabAttempt.trainee_id, LabAttempt.lab_id)
        .having(func.count() >= 2)
    )
    return set(rows.all())


# ------------------------------------------------------------------ review latency as a service level


@dataclass(frozen=True)
class ServiceLevel:
    name: str
    total: int
    within: int
    median_hours: float | None
    p90_hours: float | None
    objective: float

    @property
    def share(self) -> float | None:
        return self.within / self.total if self.total else None

    @property
    def budget_left(self) -> float | None:
        """The share of the error budget not yet spent: 1 is untouched, 0 spent, below 0 overspent."""
        if not self.total:
            return None
        allowed = (1 - self.objective) * self.total
        misses = self.total - self.within
        return 1 - misses / allowed if allowed else (1.0 if not misses else float("-inf"))


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(p * 100) * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


Outcome = tuple[float | None, bool]  # hours to decision (None while still waiting), within target
# Rows beside the mentors', so that the mentors' rows and these add up to "All mentors"
WAITING = "Waiting, past target"  # not decided yet, and older than the target: a miss already
OTHERS = "Decided by others"  # decided by an admin, or a mentor who does not serve the trainee's cohort


def review_outcomes(
    session: Session,
    *,
    target_hours: float,
    since: datetime,
    now: datetime,
    cohort_ids: Collection[int] | None = None,
) -> list[tuple[int, str | None, Outcome]]:
    """(cohort id, who, outcome) for every submission of the window that counts: decided ones, and those still
    waiting past the target (a miss already). Ones still inside their target are left out. `who` is the deciding
    mentor of the trainee's cohort, else OTHERS, or WAITING when undecided.
    `cohort_ids` narrows it to those cohorts' trainees; None means the whole academy."""
    query = (
        select(
            LabAttempt.submitted_at,
            Decision.decided_at,
            User.display_name,
            CohortTrainee.cohort_id,
            CohortStaff.user_id,
        )
        .join(CohortTrainee, CohortTrainee.trainee_id == LabAttempt.trainee_id)
        .outerjoin(Decision, Decision.attempt_id == LabAttempt.id)
        .outerjoin(User, User.id == Decision.mentor_id)
        .outerjoin(
            CohortStaff,
            (CohortStaff.cohort_id == CohortTrainee.cohort_id)
            & (CohortStaff.user_id == Decision.mentor_id)
            & (CohortStaff.role == "mentor"),
        )
        .where(LabAttempt.submitted_at >= since, LabAttempt.status != "withdrawn")
    )
    if cohort_ids is not None:
        query = query.where(CohortTrainee.cohort_id.in_(cohort_ids))
    found = []
    for submitted, decided, mentor_name, cid, cohort_mentor in session.exec(query):
        if decided is None:
            if (now - submitted).total_seconds() / 3600 > target_hours:
                found.append((cid, WAITING, (None, False)))
            continue
        hours = (decided - submitted).total_seconds() / 3600
        found.append((cid, mentor_name if cohort_mentor is not None else OTHERS, (hours, hours <= target_hours)))
    return found


def service_level(name: str, outcomes: list[Outcome], objective: float) -> ServiceLevel:
    decided_hours = [h for h, _ in outcomes if h is not None]
    return ServiceLevel(
        name,
        len(outcomes),
        sum(ok for _, ok in outcomes),
        median(decided_hours) if decided_hours else None,
        percentile(decided_hours, 0.9),
        objective,
    )


def review_service_levels(
    session: Session,
    *,
    target_hours: float,
    objective: float,
    window_days: int = 30,
    cohort_ids: Collection[int] | None = None,
    now: datetime | None = None,
) -> list[ServiceLevel]:
    """Overall first, then per mentor, over the last `window_days`, for the trainees of `cohort_ids` (None: the
    whole academy)."""
    now = now or utcnow()
    rows = review_outcomes(
        session, target_hours=target_hours, since=now - timedelta(days=window_days), now=now, cohort_ids=cohort_ids
    )
    per_mentor: dict[str, list[Outcome]] = {}
    for _, who, outcome in rows:
        per_mentor.setdefault(who, []).append(outcome)
    extra = [service_level(who, per_mentor.pop(who), objective) for who in (WAITING, OTHERS) if who in per_mentor]
    return [
        service_level("All mentors", [o for _, _, o in rows], objective),
        *(service_level(name, outcomes, objective) for name, outcomes in sorted(per_mentor.items())),
        *extra,
    ]


def service_levels_by_cohort(
    session: Session, *, target_hours: float, objective: float, window_days: int = 30, now: datetime | None = None
) -> dict[int, ServiceLevel]:
    now = now or utcnow()
    by_cohort: dict[int, list[Outcome]] = {}
    for cid, _, outcome in review_outcomes(
        session, target_hours=target_hours, since=now - timedelta(days=window_days), now=now
    ):
        by_cohort.setdefault(cid, []).append(outcome)
    return {cid: service_level("All mentors", outcomes, objective) for cid, outcomes in by_cohort.items()}
