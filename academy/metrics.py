"""Prometheus metrics at /metrics: requests by endpoint and status, and the academy's own figures.

The academy figures are read from the database at scrape time, so every server process reports the same
academy whichever one Prometheus reaches. The request metrics live in each process; under gunicorn, with
PROMETHEUS_MULTIPROC_DIR set, every worker writes them to that directory and a scrape sums them all.
"""

import collections
import hmac
import ipaddress
import logging
import os
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request, request_finished, request_started
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    values,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import case, extract, func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from . import db
from .curriculum.loader import Catalogue
from .curriculum.store import catalogue
from .models import Cohort, CohortModule, CohortTrainee, Decision, LabAttempt, ModuleProgress, OutgoingMail, utcnow
from .practicum.queries import waiting_count
from .readiness.queries import STAGES, readiness_of

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

TRAINEE_STATUSES = ("on_track", "behind", "not_started")
# The readiness stages as label values: words joined by underscores, like the statuses above.
STAGE_LABELS = {stage: stage.replace(" ", "_").replace("-", "_") for stage in STAGES}
DECISION_WINDOW = timedelta(days=30)
HOUR = 3600
# Around the 48-hour review target: 1 h, 4 h, 8 h, 24 h, 48 h, 72 h, 1 week.
DECISION_BUCKETS = (1 * HOUR, 4 * HOUR, 8 * HOUR, 24 * HOUR, 48 * HOUR, 72 * HOUR, 168 * HOUR)


# ------------------------------------------------------------------ the academy, read at scrape time


@dataclass(frozen=True)
class AcademyFigures:
    trainees: list[tuple[str, dict[str, int]]]  # (cohort name, trainees per status)
    queue_size: int
    oldest_wait_seconds: float
    decision_buckets: list[int]  # cumulative, one per DECISION_BUCKETS bound
    decisions: int
    decision_seconds: float
    outbox_size: int
    outbox_oldest_seconds: float
    mail_given_up: int
    stages: dict[str, int]  # trainees in a cohort per readiness stage label
    practice_waiting: int


def trainee_status(today: date):
    """Per cohort trainee: behind when a planned module is past its due date and not done; else not started
    when they have opened no module at all; else on track."""
    overdue_not_done = (
        select(CohortModule.module_id)
        .where(CohortModule.cohort_id == CohortTrainee.cohort_id, CohortModule.due_date < today)
        .where(
            ~select(ModuleProgress.module_id)
            .where(
                ModuleProgress.trainee_id == CohortTrainee.trainee_id,
                ModuleProgress.module_id == CohortModule.module_id,
                ModuleProgress.completed_at.is_not(None),
            )
            .correlate_except(ModuleProgress)  # to the trainee two levels up, too
            .exists()
        )
        .exists()
    )
    any_progress = select(ModuleProgress.module_id).where(ModuleProgress.trainee_id == CohortTrainee.trainee_id)
    return case((overdue_not_done, "behind"), (~any_progress.exists(), "not_started"), else_="on_track")


def trainees_per_cohort(session: Session, today: date) -> list[tuple[str, dict[str, int]]]:
    """Every cohort, with or without trainees, and its trainees counted by status, in one query."""
    members = select(CohortTrainee.cohort_id, trainee_status(today).label("status")).subquery()
    counts = [func.count(case((members.c.status == status, 1))) for status in TRAINEE_STATUSES]
    rows = session.exec(
        select(Cohort.name, *counts)
        .outerjoin(members, members.c.cohort_id == Cohort.id)
        .group_by(Cohort.id, Cohort.name)
        .order_by(Cohort.name)
    ).all()
    return [(name, dict(zip(TRAINEE_STATUSES, numbers, strict=True))) for name, *numbers in rows]


def waiting_submissions(session: Session, now: datetime) -> tuple[int, float]:
    """Submissions waiting for a decision, and how long the oldest has waited (0 when none waits)."""
    size, oldest = session.exec(
        select(func.count(), func.min(LabAttempt.submitted_at)).where(LabAttempt.status == "submitted")
    ).one()
    return size, (now - oldest).total_seconds() if oldest else 0.0


def seconds_between(session: Session, start, end):
    """`end - start` in seconds, as SQL: SQLite keeps times as text (julianday counts whole milliseconds)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)
    return extract("epoch", end - start)


def time_to_decision(session: Session, now: datetime) -> tuple[list[int], int, float]:
    """Decisions of the last 30 days by time from submission: cumulative bucket counts, count, sum."""
    seconds = seconds_between(session, LabAttempt.submitted_at, Decision.decided_at)
    decided = (
        select(seconds.label("s"))
        .join(LabAttempt, LabAttempt.id == Decision.attempt_id)
        .where(Decision.decided_at >= now - DECISION_WINDOW)
        .subquery()
    )
    within = [func.count(case((decided.c.s <= bound, 1))) for bound in DECISION_BUCKETS]
    *buckets, count, total = session.exec(select(*within, func.count(), func.sum(decided.c.s))).one()
    return list(buckets), count, float(total or 0)


def outbox(session: Session, now: datetime) -> tuple[int, float, int]:
    """E-mail waiting to be sent (not given up), the age of the oldest of it, and the messages given up on."""
    unsent = OutgoingMail.sent_at.is_(None)  # both queries read a range of ix_outgoing_mail_due, not the table
    size, oldest = session.exec(
        select(func.count(), func.min(OutgoingMail.created_at)).where(unsent, OutgoingMail.gave_up_at.is_(None))
    ).one()
    given_up = session.exec(select(func.count()).where(unsent, OutgoingMail.gave_up_at.is_not(None))).one()
    return size, (now - oldest).total_seconds() if oldest else 0.0, given_up


def trainees_by_stage(session: Session, catalogue: Catalogue) -> dict[str, int]:
    """Every trainee in a cohort by readiness stage: `readiness_of` for all of them at once, a fixed number of
    queries whatever the size of the academy."""
    ids = list(session.exec(select(CohortTrainee.trainee_id)).all())
    counts = collections.Counter(r.stage for r in readiness_of(session, catalogue, ids).values())
    return {label: counts.get(stage, 0) for stage, label in STAGE_LABELS.items()}


def academy_figures(session: Session, now: datetime, catalogue: Catalogue) -> AcademyFigures:
    size, oldest = waiting_submissions(session, now)
    buckets, count, total = time_to_decision(session, now)
    trainees = trainees_per_cohort(session, now.astimezone().date())
    return AcademyFigures(
        trainees,
        size,
        oldest,
        buckets,
        count,
        total,
        *outbox(session, now),
        trainees_by_stage(session, catalogue),
        waiting_count(session),
    )


class AcademyCollector:
    """Yields the academy figures at each scrape; registered on the registry that serves /metrics."""

    def describe(self):
        return [self.database_up(), *self.families(None)]

    @staticmethod
    def database_up() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "academy_metrics_database_up", "1 when this scrape read the academy figures from the database, else 0."
        )

    def collect(self):
        up = self.database_up()
        try:
            figures = academy_figures(db.session(), utcnow(), catalogue())
        except SQLAlchemyError as error:
            db.session().rollback()
            log.warning("metrics: the academy figures could not be read: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from self.families(figures)

    @staticmethod
    def families(figures: AcademyFigures | None):
        trainees = GaugeMetricFamily(
            "academy_cohort_trainees",
            "Trainees per cohort by status: behind (a planned module is past its due date and not done), "
            "not_started (no module opened, nothing overdue yet) or on_track.",
            labels=["cohort", "status"],
        )
        queue = GaugeMetricFamily("academy_review_queue_size", "Lab submissions waiting for a mentor's decision.")
        oldest = GaugeMetricFamily(
            "academy_review_oldest_waiting_seconds",
            "Age of the oldest lab submission waiting for a decision (0 when none waits).",
        )
        decisions = HistogramMetricFamily(
            "academy_review_time_to_decision_seconds",
            "Time from submission to decision, over the decisions of the last 30 days "
            "(a sliding window recomputed at each scrape: compare buckets, do not rate() them).",
        )
        outbox_size = GaugeMetricFamily(
            "academy_mail_outbox_size", "E-mail in the outbox waiting to be sent (not yet given up)."
        )
        outbox_oldest = GaugeMetricFamily(
            "academy_mail_outbox_oldest_seconds", "Age of the oldest e-mail waiting in the outbox (0 when none waits)."
        )
        given_up = GaugeMetricFamily(
            "academy_mail_given_up", "E-mail the worker gave up on after a day of failed attempts, all time."
        )
        stages = GaugeMetricFamily(
            "academy_trainees",
            "Trainees in a cohort by readiness stage: learning, practising, ready_for_review or ready_for_on_call "
            "(the stages of the readiness checklist, their words joined by underscores).",
            labels=["stage"],
        )
        practice = GaugeMetricFamily(
            "academy_practice_entries_waiting",
            "Practice entries (shadow shifts, drills...) waiting for a mentor's decision.",
        )
        if figures is not None:
            for label, number in figures.stages.items():
                stages.add_metric([label], number)
            practice.add_metric([], figures.practice_waiting)
            outbox_size.add_metric([], figures.outbox_size)
            outbox_oldest.add_metric([], figures.outbox_oldest_seconds)
            given_up.add_metric([], figures.mail_given_up)
            for cohort, counts in figures.trainees:
                for status, number in counts.items():
                    trainees.add_metric([cohort, status], number)
            queue.add_metric([], figures.queue_size)
            oldest.add_metric([], figures.oldest_wait_seconds)
            bounds = [str(float(b)) for b in DECISION_BUCKETS] + ["+Inf"]
            counts = figures.decision_buckets + [figures.decisions]
            decisions.add_metric([], list(zip(bounds, counts, strict=True)), figures.decision_seconds)
        return trainees, queue, oldest, decisions, outbox_size, outbox_oldest, given_up, stages, practice


# ------------------------------------------------------------------ requests, counted per process


@dataclass(frozen=True)
class RequestMetrics:
    requests: Counter
    latency: Histogram
    registry: CollectorRegistry | None  # None in multiprocess mode: each scrape builds its own

    @classmethod
    def create(cls, registry: CollectorRegistry | None) -> "RequestMetrics":
        labels = ["endpoint", "status"]
        return cls(
            Counter("academy_http_requests", "HTTP requests by Flask endpoint and status.", labels, registry=registry),
            Histogram(
                "academy_http_request_duration_seconds",
                "Time to answer an HTTP request, by Flask endpoint and status.",
                labels,
                registry=registry,
            ),
            registry,
        )


def _request_started(app: Flask, **_extra) -> None:
    g.metrics_started_at = time.perf_counter()


def _request_finished(app: Flask, response: Response, **_extra) -> None:
    started = g.pop("metrics_started_at", None)
    # The endpoint name, never the path: one series per route whatever people type in the address bar.
    labels = (request.endpoint or "unmatched", str(response.status_code))
    metrics: RequestMetrics = app.extensions["academy.metrics"]
    metrics.requests.labels(*labels).inc()
    if started is not None:
        metrics.latency.labels(*labels).observe(time.perf_counter() - started)


# ------------------------------------------------------------------ the endpoint


def may_scrape() -> bool:
    """The bearer token of ACADEMY_METRICS_TOKEN when it is set; otherwise only the local machine."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), str(token).encode())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def scrape_registry() -> CollectorRegistry:
    metrics: RequestMetrics = current_app.extensions["academy.metrics"]
    if metrics.registry is not None:
        return metrics.registry
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # the request metrics of every worker, summed
    registry.register(AcademyCollector())
    return registry


@bp.get("/metrics")
def scrape():
    if not may_scrape():
        detail = "Send the metrics token as a bearer token, or scrape from this machine when none is set."
        return jsonify(error="Not allowed", detail=detail), 403
    encoder, content_type = choose_encoder(request.headers.get("Accept"))
    return Response(encoder(scrape_registry()), content_type=content_type)


def init_app(app: Flask) -> None:
    disable_created_metrics()  # the *_created series of the text format: twice the series for little use
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        if not getattr(values.ValueClass, "_multiprocess", False):
            # prometheus_client chooses its value class when first imported; the variable was set later.
            values.ValueClass = values.MultiProcessValue()
        metrics = RequestMetrics.create(None)
    else:
        registry = CollectorRegistry()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=registry)
        registry.register(AcademyCollector())
        metrics = RequestMetrics.create(registry)
    app.extensions["academy.metrics"] = metrics
    request_started.connect(_request_started, app)
    request_finished.connect(_request_finished, app)
    app.register_blueprint(bp)
