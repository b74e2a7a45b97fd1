"""Reads for managers' pages: set-based, one query per figure."""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

from sqlalchemy import and_, case, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..curriculum.loader import Catalogue
from ..forecast import forecast_finish
from ..learning.queries import MODULE_STATES, module_state
from ..models import Cohort, CohortModule, CohortTrainee, Decision, LabAttempt, ModuleProgress, User, utcnow


@dataclass(frozen=True)
class CohortSummary:
    id: int
    name: str
    start_date: date
    end_date: date
    trainees: int
    planned_modules: int
    completed: int

    @property
    def percent(self) -> int:
        total = self.trainees * self.planned_modules
        return round(100 * self.completed / total) if total else 0


def cohort_summaries(session: Session, cohort_ids: list[int] | None) -> list[CohortSummary]:
    """Every cohort in `cohort_ids` (None: all) with its trainee count and completed plan modules."""
    trainees = select(CohortTrainee.cohort_id, func.count().label("n")).group_by(CohortTrainee.cohort_id).subquery()
    planned = select(CohortModule.cohort_id, func.count().label("n")).group_by(CohortModule.cohort_id).subquery()
    completed = (
        select(
            CohortTrainee.cohort_id,
            func.count().label("n"),
        )
        .join(ModuleProgress, ModuleProgress.trainee_id == CohortTrainee.trainee_id)
        .join(
            CohortModule,
            (CohortModule.cohort_id == CohortTrainee.cohort_id) & (CohortModule.module_id == ModuleProgress.module_id),
        )
        .where(ModuleProgress.completed_at.is_not(None))
        .group_by(CohortTrainee.cohort_id)
        .subquery()
    )
    query = (
        select(
            Cohort.id,
            Cohort.name,
            Cohort.start_date,
            Cohort.end_date,
            func.coalesce(trainees.c.n, 0),
            func.coalesce(planned.c.n, 0),
            func.coalesce(completed.c.n, 0),
        )
        .outerjoin(trainees, trainees.c.cohort_id == Cohort.id)
        .outerjoin(planned, planned.c.cohort_id == Cohort.id)
        .outerjoin(completed, completed.c.cohort_id == Cohort.id)
        .order_by(Cohort.start_date.desc(), Cohort.name)
    )
    if cohort_ids is not None:
        query = query.where(Cohort.id.in_(cohort_ids))
    return [CohortSummary(*row) for row in session.exec(query).all()]


# ------------------------------------------------------------------ one cohort: the manager's dashboard

CELL_STATES = MODULE_STATES  # the matrix says what the trainee's own path says


@dataclass(frozen=True)
class MatrixRow:
    trainee_id: int
    name: str
    email: str
    mentor: str | None
    cells: dict[str, str]  # module id -> one of CELL_STATES

    @property
    def done(self) -> int:
        return sum(state == "done" for state in self.cells.values())


@dataclass(frozen=True)
class CohortData:
    """Everything the cohort page is drawn from, read with a fixed number of queries."""

    cohort: Cohort
    plan: list[tuple[str, date]]  # module id, due date, in due order
    rows: list[MatrixRow]
    progress: dict[tuple[int, str], ModuleProgress]
    attempts: list[LabAttempt]
    today: date

    def behind(self, row: MatrixRow) -> int:
        return sum(1 for mid, due in self.plan if due < self.today and row.cells.get(mid) != "done")


# Plain rows, not ORM objects: a 40-trainee cohort has thousands of these, and the pages only read them.
PROGRESS_COLUMNS = (
    ModuleProgress.trainee_id,
    ModuleProgress.module_id,
    ModuleProgress.opened_at,
    ModuleProgress.read_at,
    ModuleProgress.completed_at,
    ModuleProgress.content_hash,
)
ATTEMPT_COLUMNS = (
    LabAttempt.id,
    LabAttempt.trainee_id,
    LabAttempt.module_id,
    LabAttempt.lab_id,
    LabAttempt.number,
    LabAttempt.status,
)


def cohort_data(session: Session, catalogue: Catalogue, cohort: Cohort, today: date | None = None) -> CohortData:
    """Everything a cohort page, its exports and the API's matrix read, in five queries. The catalogue gives
    the prerequisites that lock a module."""
    trainees = session.exec(
        select(User.id, User.display_name, User.email, CohortTrainee.mentor_id)
        .join(CohortTrainee, CohortTrainee.trainee_id == User.id)
        .where(CohortTrainee.cohort_id == cohort.id)
        .order_by(User.display_name, User.id)
    ).all()
    ids = [t[0] for t in trainees]
    mentors = (
        dict(
            session.exec(select(User.id, User.display_name).where(User.id.in_({t[3] for t in trainees if t[3]}))).all()
        )
        if trainees
        else {}
    )
    plan = [
        (m, d)
        for m, d in session.exec(
            select(CohortModule.module_id, CohortModule.due_date)
            .where(CohortModule.cohort_id == cohort.id)
            .order_by(CohortModule.due_date, CohortModule.module_id)
        ).all()
    ]
    progress = (
        {
            (p.trainee_id, p.module_id): p
            for p in session.exec(select(*PROGRESS_COLUMNS).where(ModuleProgress.trainee_id.in_(ids))).all()
        }
        if ids
        else {}
    )
    attempts = (
        list(
            session.exec(
                select(*ATTEMPT_COLUMNS)
                .where(LabAttempt.trainee_id.in_(ids))
                .order_by(LabAttempt.trainee_id, LabAttempt.lab_id, LabAttempt.number)
            ).all()
        )
        if ids
        else []
    )
    latest: dict[tuple[int, str], LabAttempt] = {}
    for attempt in attempts:  # in attempt order per lab: the last one seen is the latest
        if attempt.status != "withdrawn":
            latest[(attempt.trainee_id, attempt.lab_id)] = attempt
    lab_states: dict[tuple[int, str], set[str]] = {}
    for (tid, _lab), attempt in latest.items():
        lab_states.setdefault((tid, attempt.module_id), set()).add(attempt.status)
    done: dict[int, set[str]] = {}
    for (tid, mid), p in progress.items():
        if p.completed_at is not None:
            done.setdefault(tid, set()).add(mid)
    prerequisites = {
        mid: [p for p in m.prerequisites if catalogue.get(p)] for mid, _ in plan if (m := catalogue.get(mid))
    }
    rows = []
    for tid, name, email, mentor_id in trainees:
        finished = done.get(tid, set())
        cells = {
            mid: cell_state(
                progress.get((tid, mid)),
                lab_states.get((tid, mid), set()),
                locked=any(p not in finished for p in prerequisites.get(mid, ())),
            )
            for mid, _ in plan
        }
        rows.append(MatrixRow(tid, name, email, mentors.get(mentor_id), cells))
    return CohortData(cohort, plan, rows, progress, attempts, today or utcnow().date())


def review_log(session: Session, cohort_id: int):
    """Every submission of the cohort's trainees, oldest first, with its decision and deciding mentor if any."""
    mentor = aliased(User)
    return session.exec(
        select(
            User.display_name.label("trainee"),
            LabAttempt.module_id,
            LabAttempt.lab_id,
            LabAttempt.number,
            LabAttempt.status,
            LabAttempt.submitted_at,
            Decision.decided_at,
            mentor.display_name.label("mentor"),
            Decision.outcome,
            Decision.criteria,
            Decision.comment,
        )
        .join(CohortTrainee, CohortTrainee.trainee_id == LabAttempt.trainee_id)
        .join(User, User.id == LabAttempt.trainee_id)
        .outerjoin(Decision, Decision.attempt_id == LabAttempt.id)
        .outerjoin(mentor, mentor.id == Decision.mentor_id)
        .where(CohortTrainee.cohort_id == cohort_id)
        .order_by(LabAttempt.submitted_at, LabAttempt.id)
    ).all()


def cell_state(progress: ModuleProgress | None, lab_states: set[str], *, locked: bool = False) -> str:
    return module_state(
        completed=progress is not None and progress.completed_at is not None,
        locked=locked,
        opened=progress is not None,
        lab_states=lab_states,
    )


# ------------------------------------------------------------------ burn-up and forecast


@dataclass(frozen=True)
class BurnUp:
    actual: list[tuple[date, int]]  # cumulative completions at the end of each week, up to today
    planned: list[tuple[date, int]]  # cumulative completions the plan expects by each week
    total: int
    forecast: date | None  # when the cohort finishes at its pace so far

    @property
    def done(self) -> int:
        return self.actual[-1][1] if self.actual else 0


def weeks(start: date, end: date) -> list[date]:
    days = [start + timedelta(days=7 * i) for i in range(0, (end - start).days // 7 + 1)]
    return days if days and days[-1] == end else [*days, end]


def burn_up(data: CohortData) -> BurnUp:
    cohort, today = data.cohort, data.today
    plan_ids = {mid for mid, _ in data.plan}
    finished = sorted(
        p.completed_at.date()
        for (tid, mid), p in data.progress.items()
        if p.completed_at is not None and mid in plan_ids
    )
    trainees = len(data.rows)
    total = trainees * len(data.plan)
    # the actual line runs to today, past the planned end if work goes on: late completions still count
    actual = [(d, bisect_right(finished, d)) for d in weeks(cohort.start_date, max(today, cohort.start_date))]
    dues = sorted(due for _, due in data.plan)
    planned = [(d, trainees * bisect_right(dues, d)) for d in weeks(cohort.start_date, cohort.end_date)]
    if total and len(finished) >= total:
        return BurnUp(actual, planned, total, finished[-1])  # all done: the day the last module was finished
    return BurnUp(actual, planned, total, forecast_finish(cohort.start_date, today, len(finished), total))


def changed_weeks(actual: list[tuple[date, int]]) -> list[tuple[date, int]]:
    """The weeks of the burn-up in which the count moved, with the first and the latest: the numbers behind
    the chart without a row for every quiet week of a cohort that finished long ago."""
    return [
        (d, n) for i, (d, n) in enumerate(actual) if i in (0, len(actual) - 1) or n != actual[i - 1][1]
    ]


# ------------------------------------------------------------------ at risk and where people get stuck


def before_start(start_date: date, today: date) -> bool:
    """A cohort that has not started: nobody in it is on track, behind or at risk yet; pages say when it starts."""
    return today < start_date


@dataclass(frozen=True)
class AtRisk:
    row: MatrixRow
    reasons: list[str]


def at_risk(
    data: CohortData,
    activity: dict[int, tuple[int, datetime | None]],
    returned: set[int],
    now: datetime,
    practicum: dict[int, list[str]] | None = None,
    finished: set[int] = frozenset(),
) -> list[AtRisk]:
    """Behind the plan by more than two modules, silent for 7 days, or a lab returned twice, and the practicum's
    reasons (`cohorts.readiness.practicum_risks`) when given; with the reasons. Nobody before the cohort starts,
    and nobody `finished` (their checklist complete: waiting for their readiness panel, or graduated)."""
    if before_start(data.cohort.start_date, data.today):
        return []
    found = []
    for row in data.rows:
        if row.trainee_id in finished:
            continue
        reasons = []
        if (behind := data.behind(row)) > 2:
            reasons.append(f"behind the plan by {behind} modules")
        last = activity.get(row.trainee_id, (0, None))[1]
        if last is None or now - last > timedelta(days=7):
            reasons.append("no activity for 7 days" if last else "no activity yet")
        if row.trainee_id in returned:
            reasons.append("a lab returned twice")
        reasons += (practicum or {}).get(row.trainee_id, [])
        if reasons:
            found.append(AtRisk(row, reasons))
    return found


@dataclass(frozen=True)
class Funnel:
    module_id: str
    started: int
    submitted: int
    returned: int
    finished: int
    median_days: float | None


def funnel(data: CohortData) -> list[Funnel]:
    """Per module of the plan: how many started, submitted lab work, were sent back, and finished."""
    submitted: dict[str, set[int]] = {}
    returned: dict[str, set[int]] = {}
    for attempt in data.attempts:
        if attempt.status != "withdrawn":
            submitted.setdefault(attempt.module_id, set()).add(attempt.trainee_id)
        if attempt.status == "changes_requested":
            returned.setdefault(attempt.module_id, set()).add(attempt.trainee_id)
    started: dict[str, int] = {}
    for row in data.rows:  # opened while locked is not started: the cells say so
        for mid, state in row.cells.items():
            if state not in ("not started", "locked"):
                started[mid] = started.get(mid, 0) + 1
    durations: dict[str, list[float]] = {}
    for (_tid, mid), p in data.progress.items():  # one pass over the progress rows, not one per module
        if p.completed_at:
            durations.setdefault(mid, []).append((p.completed_at - p.opened_at).total_seconds() / 86400)
    return [
        Funnel(
            mid,
            started.get(mid, 0),
            len(submitted.get(mid, ())),
            len(returned.get(mid, ())),
            len(durations.get(mid, ())),
            median(durations[mid]) if mid in durations else None,
        )
        for mid, _ in data.plan
    ]


# ------------------------------------------------------------------ the cohorts list


@dataclass(frozen=True)
class CohortHealth:
    on_track: int
    behind: int
    weekly: list[int]  # completions per week, the last 12 weeks, oldest first


def cohorts_health(
    session: Session, cohort_ids: list[int], today: date, weeks_back: int = 12
) -> dict[int, CohortHealth]:
    """On-track and behind counts and weekly completions for many cohorts, in two queries."""
    if not cohort_ids:
        return {}
    overdue = func.sum(case((and_(CohortModule.due_date < today, ModuleProgress.completed_at.is_(None)), 1), else_=0))
    rows = session.exec(
        select(CohortTrainee.cohort_id, CohortTrainee.trainee_id, overdue)
        .join(CohortModule, CohortModule.cohort_id == CohortTrainee.cohort_id)
        .outerjoin(
            ModuleProgress,
            and_(
                ModuleProgress.trainee_id == CohortTrainee.trainee_id,
                ModuleProgress.module_id == CohortModule.module_id,
            ),
        )
        .where(CohortTrainee.cohort_id.in_(cohort_ids))
        .group_by(CohortTrainee.cohort_id, CohortTrainee.trainee_id)
    ).all()
    counts = {cid: [0, 0] for cid in cohort_ids}
    for cid, _tid, late in rows:
        counts[cid][1 if late else 0] += 1
    since = datetime.combine(today - timedelta(weeks=weeks_back), time(), tzinfo=UTC)
    weekly = {cid: [0] * weeks_back for cid in cohort_ids}
    for cid, completed in session.exec(
        select(CohortTrainee.cohort_id, ModuleProgress.completed_at)
        .join(ModuleProgress, ModuleProgress.trainee_id == CohortTrainee.trainee_id)
        .join(
            CohortModule,
            and_(CohortModule.cohort_id == CohortTrainee.cohort_id, CohortModule.module_id == ModuleProgress.module_id),
        )
        .where(CohortTrainee.cohort_id.in_(cohort_ids), ModuleProgress.completed_at >= since)
    ).all():
        index = min((completed.date() - since.date()).days // 7, weeks_back - 1)
        weekly[cid][index] += 1
    return {cid: CohortHealth(counts[cid][0], counts[cid][1], weekly[cid]) for cid in cohort_ids}
