"""The managers' view of readiness (issue 15): where a cohort's trainees stand on the way to on-call, who became
ready, when each is likely to be, and the practicum's reasons to worry. Built on `readiness_of`, in a fixed number
of queries whatever the size of the cohort."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from markupsafe import Markup
from sqlalchemy import case, func
from sqlmodel import Session, select

from ..charts import ACTUAL, FORECAST, INK, PLAN
from ..curriculum.loader import Catalogue
from ..forecast import checklist_forecast
from ..models import CohortTrainee, PracticeEntry, ReadinessDecision, ReadinessRequest
from ..readiness.queries import STAGES, Readiness, graduated_between, readiness_of
from .queries import CohortData

QUIET_PRACTICE = timedelta(days=21)
RETURNED_DRILLS = 2  # drill entries sent back before a trainee is at risk


@dataclass(frozen=True)
class PracticeActivity:
    """A trainee's practice entries, withdrawn ones left out."""

    first_started: datetime | None  # when the practice of their first entry took place
    last_submitted: datetime | None  # when they last logged an entry
    confirmed: int


def practice_activity(session: Session, trainee_ids: list[int]) -> dict[int, PracticeActivity]:
    if not trainee_ids:
        return {}
    rows = session.exec(
        select(
            PracticeEntry.trainee_id,
            func.min(PracticeEntry.started_at),
            func.max(PracticeEntry.submitted_at),
            func.count(case((PracticeEntry.status == "confirmed", 1))),
        )
        .where(PracticeEntry.trainee_id.in_(trainee_ids), PracticeEntry.status != "withdrawn")
        .group_by(PracticeEntry.trainee_id)
    ).all()
    return {tid: PracticeActivity(first, last, confirmed) for tid, first, last, confirmed in rows}


def drills_returned(session: Session, catalogue: Catalogue, trainee_ids: list[int]) -> set[int]:
    """Trainees with at least two drill entries sent back for changes."""
    drills = [r.id for r in catalogue.practicum.requirements if r.kind == "drill"]
    if not trainee_ids or not drills:
        return set()
    rows = (
        select(PracticeEntry.trainee_id)
        .where(
            PracticeEntry.trainee_id.in_(trainee_ids),
            PracticeEntry.requirement_id.in_(drills),
            PracticeEntry.status == "changes_requested",
        )
        .group_by(PracticeEntry.trainee_id)
        .having(func.count() >= RETURNED_DRILLS)
    )
    return set(session.exec(rows).all())


def ready_counts(session: Session, cohort_ids: list[int]) -> dict[int, int]:
    """Per cohort, its trainees a readiness panel decided are ready for on-call (the stage `readiness_of` gives
    them), in one query: the cohorts list needs no one's checklist."""
    if not cohort_ids:
        return {}
    ready = dict(
        session.exec(
            select(CohortTrainee.cohort_id, func.count(func.distinct(CohortTrainee.trainee_id)))
            .join(ReadinessRequest, ReadinessRequest.trainee_id == CohortTrainee.trainee_id)
            .join(ReadinessDecision, ReadinessDecision.request_id == ReadinessRequest.id)
            .where(CohortTrainee.cohort_id.in_(cohort_ids), ReadinessDecision.outcome == "ready")
            .group_by(CohortTrainee.cohort_id)
        ).all()
    )
    return {cid: ready.get(cid, 0) for cid in cohort_ids}


# ------------------------------------------------------------------ one trainee: counts and the forecast


def practice_counts(readiness: Readiness) -> tuple[int, int]:
    """Practice entries that count towards the practicum so far, and the entries it requires."""
    done = required = 0
    for item in readiness.items:
        if item.kind == "practice":
            have, _, need = item.progress.partition(" of ")
            done, required = done + int(have), required + int(need)
    return done, required


def forecast_of(readiness: Readiness, activity: PracticeActivity | None, cohort_start: date | None, today: date):
    """When the checklist is complete: the day it was, for a complete one; else `checklist_forecast`."""
    if readiness.complete:
        return max(i.done_on for i in readiness.items)
    modules = [i for i in readiness.items if i.kind == "module"]
    counted, required = practice_counts(readiness)
    first = activity.first_started if activity else None
    return checklist_forecast(
        today=today,
        cohort_start=cohort_start,
        modules_done=sum(1 for i in modules if i.done),
        modules_total=len(modules),
        first_entry=first.date() if first else None,
        entries_confirmed=activity.confirmed if activity else 0,
        entries_missing=required - counted,
    )


@dataclass(frozen=True)
class TraineeReadiness:
    readiness: Readiness
    forecast: date | None

    @property
    def stage(self) -> str:
        return self.readiness.stage

    @property
    def done(self) -> int:
        return sum(1 for i in self.readiness.items if i.done)

    @property
    def total(self) -> int:
        return len(self.readiness.items)

    @property
    def practice(self) -> tuple[int, int]:
        return practice_counts(self.readiness)


def trainees_readiness(
    session: Session, catalogue: Catalogue, trainee_ids: list[int], *, cohort_start: date | None, today: date
) -> tuple[dict[int, TraineeReadiness], dict[int, PracticeActivity]]:
    """Each trainee's readiness with its forecast, and their practice activity, for trainees of one cohort."""
    found = readiness_of(session, catalogue, trainee_ids)
    activity = practice_activity(session, trainee_ids)
    return {
        tid: TraineeReadiness(r, forecast_of(r, activity.get(tid), cohort_start, today)) for tid, r in found.items()
    }, activity


# ------------------------------------------------------------------ a cohort: the funnel and the risks


def practicum_opened(catalogue: Catalogue, readiness: Readiness, cohort_start: date) -> date | None:
    """The day the first requirement of the practicum opened for the trainee: its modules and labs all done
    (the cohort's start for a requirement that needs none). Requirements that wait for other practice are left out."""
    done_on = {(i.kind, i.id): i.done_on for i in readiness.items}
    days = []
    for requirement in catalogue.practicum.requirements:
        needs = requirement.spec.prerequisites
        if needs.practice:
            continue
        dates = [done_on.get(("module", m)) for m in needs.modules] + [done_on.get(("lab", lab)) for lab in needs.labs]
        if all(dates):
            days.append(max(dates, default=cohort_start))
    return min(days, default=None)


def practicum_risks(
    catalogue: Catalogue,
    trainees: dict[int, TraineeReadiness],
    activity: dict[int, PracticeActivity],
    returned: set[int],
    *,
    cohort_start: date,
    now: datetime,
) -> dict[int, list[str]]:
    """The practicum's reasons to worry about a trainee who is practising (once the checklist is complete they
    no longer apply): no entry logged for 3 weeks (or none at all, 3 weeks after the practicum opened for them),
    and two or more drill entries sent back."""
    found = {}
    for tid, trainee in trainees.items():
        if trainee.stage != "practising":
            continue
        reasons = []
        last = activity[tid].last_submitted if tid in activity else None
        if last is not None:
            quiet = now - last > QUIET_PRACTICE
        else:
            opened = practicum_opened(catalogue, trainee.readiness, cohort_start)
            quiet = opened is not None and now.date() - opened > QUIET_PRACTICE
        if quiet:
            reasons.append("no practice entry in 3 weeks")
        if tid in returned:
            reasons.append("drills returned twice")
        if reasons:
            found[tid] = reasons
    return found


def with_practice(
    activity: dict[int, tuple[int, datetime | None]], practice: dict[int, PracticeActivity]
) -> dict[int, tuple[int, datetime | None]]:
    """`reviews.queries.trainee_activity` with logging a practice entry counted as activity too: a trainee on
    shadow shifts with no module left to read is not silent."""
    merged = dict(activity)
    for tid, p in practice.items():
        done, last = merged.get(tid, (0, None))
        if p.last_submitted and (last is None or p.last_submitted > last):
            merged[tid] = (done, p.last_submitted)
    return merged


@dataclass(frozen=True)
class CohortReadiness:
    trainees: dict[int, TraineeReadiness]
    activity: dict[int, PracticeActivity]
    risks: dict[int, list[str]]  # the practicum's at-risk reasons, by trainee
    ready_this_month: list[int]  # graduated since the first of the month, in the cohort's order

    @property
    def stages(self) -> dict[str, int]:
        return stage_counts(self.trainees)

    @property
    def finished(self) -> set[int]:
        """Trainees with nothing left to do but wait for a panel, or graduated: nobody to worry about."""
        return {t for t, r in self.trainees.items() if r.stage in ("ready for review", "ready for on-call")}


def stage_counts(trainees: dict[int, TraineeReadiness]) -> dict[str, int]:
    """The funnel: trainees at each stage, every stage named, in the order of the way to on-call."""
    counts = Counter(t.stage for t in trainees.values())
    return {stage: counts.get(stage, 0) for stage in STAGES}


def cohort_readiness(session: Session, catalogue: Catalogue, data: CohortData, now: datetime) -> CohortReadiness:
    ids = [r.trainee_id for r in data.rows]
    start = data.cohort.start_date
    trainees, activity = trainees_readiness(session, catalogue, ids, cohort_start=start, today=data.today)
    graduated = set(
        graduated_between({t: r.readiness for t, r in trainees.items()}, data.today.replace(day=1), data.today)
    )
    risks = practicum_risks(
        catalogue,
        trainees,
        activity,
        drills_returned(session, catalogue, ids),
        cohort_start=start,
        now=now,
    )
    return CohortReadiness(trainees, activity, risks, [t for t in ids if t in graduated])


# ------------------------------------------------------------------ the picture


STAGE_COLOURS = dict(zip(STAGES, (PLAN, ACTUAL, FORECAST, "#1e6b3a"), strict=True))
TRACK = "#e3e7ed"


def stage_chart(stages: dict[str, int], *, title: str) -> Markup:
    """One bar per stage, its length the share of the cohort at that stage, its label the stage and the count.
    Labels sit above the bars so that the larger text of a phone (academy.css) still fits."""
    width, row, bar = 720, 48, 14
    total = max(sum(stages.values()), 1)
    words = "; ".join(f"{stage}: {n}" for stage, n in stages.items())
    parts = [
        Markup(
            '<svg class="chart stage-chart" viewBox="0 0 {w} {h}" role="img" '
            'aria-labelledby="stages-title stages-desc"><title id="stages-title">{t}</title>'
            '<desc id="stages-desc">{d}.</desc>'
        ).format(w=width, h=row * len(stages), t=title, d=f"{sum(stages.values())} trainees. {words}")
    ]
    for i, (stage, n) in enumerate(stages.items()):
        y = i * row
        parts.append(
            Markup(
                '<text x="0" y="{ty}" font-size="13" fill="{ink}">{label}: {n}</text>'
                '<rect x="0" y="{by}" width="{w}" height="{h}" rx="3" fill="{track}"/>'
            ).format(ty=y + 18, ink=INK, label=stage.capitalize(), n=n, by=y + 26, w=width, h=bar, track=TRACK)
        )
        if n:  # at least a sliver, so that one trainee of a hundred still shows
            parts.append(
                Markup('<rect x="0" y="{by}" width="{bw:.1f}" height="{h}" rx="3" fill="{c}"/>').format(
                    by=y + 26, bw=max(width * n / total, 4), h=bar, c=STAGE_COLOURS[stage]
                )
            )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
