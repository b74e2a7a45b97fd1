"""/metrics: Prometheus text that parses, requests counted by endpoint, the academy figures of a known data set,
access by token or from the local machine only, worker processes summed, and the example alerting rules."""

import re
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from prometheus_client import values
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from academy import metrics
from academy.models import CohortModule, CohortTrainee, Decision, LabAttempt, ModuleProgress
from tests.conftest import REPO, make_app

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
REMOTE = {"REMOTE_ADDR": "10.1.2.3"}
PROMETHEUS_DOCS = REPO / "docs" / "prometheus"


def scrape(client, **kwargs) -> list:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(text_string_to_metric_families(response.get_data(as_text=True)))


def value(families, sample_name: str, **labels) -> float | None:
    """The value of the one sample with exactly these labels, or None when there is none."""
    found = [s.value for f in families for s in f.samples if s.name == sample_name and s.labels == labels]
    assert len(found) <= 1, found
    return found[0] if found else None


# ------------------------------------------------------------------ format and request metrics


def test_the_output_parses_as_prometheus_text_and_as_openmetrics(client):
    client.get("/healthz")
    families = {f.name: f.type for f in scrape(client)}
    assert families["academy_http_requests"] == "counter"
    assert families["academy_http_request_duration_seconds"] == "histogram"
    assert families["academy_cohort_trainees"] == "gauge"
    assert families["academy_review_queue_size"] == "gauge"
    assert families["academy_review_oldest_waiting_seconds"] == "gauge"
    assert families["academy_review_time_to_decision_seconds"] == "histogram"
    assert families["academy_metrics_database_up"] == "gauge"

    plain = client.get("/metrics")
    assert plain.content_type.startswith("text/plain; version=0.0.4")
    openmetrics = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert openmetrics.content_type.startswith("application/openmetrics-text")
    parsed = {f.name for f in parse_openmetrics(openmetrics.get_data(as_text=True))}  # the strict parser
    assert {"academy_http_requests", "academy_review_time_to_decision_seconds"} <= parsed


def test_requests_are_counted_by_endpoint_name_and_status_never_by_path(client):
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page/12345")
    client.get("/")  # signed out: a redirect to the sign-in page

    families = scrape(client)
    assert value(families, "academy_http_requests_total", endpoint="health.healthz", status="200") == 2
    assert value(families, "academy_http_requests_total", endpoint="unmatched", status="404") == 1
    assert value(families, "academy_http_requests_total", endpoint="accounts.home", status="302") == 1
    assert value(families, "academy_http_request_duration_seconds_count", endpoint="health.healthz", status="200") == 2
    assert value(families, "academy_http_request_duration_seconds_sum", endpoint="health.healthz", status="200") > 0
    label_values = {v for f in families for s in f.samples for v in s.labels.values()}
    assert not any("/" in v for v in label_values)

    client.get("/healthz")
    families = scrape(client)
    assert value(families, "academy_http_requests_total", endpoint="health.healthz", status="200") == 3
    assert value(families, "academy_http_requests_total", endpoint="metrics.scrape", status="200") == 1


# ------------------------------------------------------------------ the academy figures


def lab_attempt(session, trainee, *, submitted_at, status="submitted"):
    attempt = LabAttempt(
        trainee_id=trainee.id,
        module_id="metrics-module",
        lab_id=f"lab-{uuid.uuid4().hex[:8]}",
        number=1,
        evidence="evidence",
        request_key=uuid.uuid4().hex,
        status=status,
        submitted_at=submitted_at,
    )
    session.add(attempt)
    session.flush()
    return attempt


def decided(session, trainee, mentor, *, decided_at, took):
    attempt = lab_attempt(session, trainee, submitted_at=decided_at - took, status="approved")
    session.add(Decision(attempt_id=attempt.id, mentor_id=mentor.id, outcome="approved", decided_at=decided_at))


def plan_due_dates(session, cohort, *, overdue_module: str | None):
    """Every planned module due in two months, but `overdue_module` due yesterday."""
    for row in session.exec(select(CohortModule).where(CohortModule.cohort_id == cohort.id)).all():
        row.due_date = NOW.date() + timedelta(days=60 if row.module_id != overdue_module else -1)
        session.add(row)


@pytest.fixture
def known_academy(academy, people, db_session, monkeypatch):
    """Cohort A: one trainee on track, one behind with progress, one behind without any; cohort B: one not
    started, one on track; cohort C: nobody. Two submissions waiting, a withdrawn one, seven decisions."""
    monkeypatch.setattr(metrics, "utcnow", lambda: NOW)
    trainee3 = people.user("trainee3@example.com", "trainee")
    outsider2 = people.user("outsider2@example.com", "trainee")
    people.cohort("Cohort C")
    s = db_session
    plan = s.exec(select(CohortModule.module_id).where(CohortModule.cohort_id == academy.cohort.id)).all()
    overdue, other = plan[0], plan[1]
    plan_due_dates(s, academy.cohort, overdue_module=overdue)
    plan_due_dates(s, academy.other_cohort, overdue_module=None)
    s.add(CohortTrainee(trainee_id=trainee3.id, cohort_id=academy.cohort.id))
    s.add(CohortTrainee(trainee_id=outsider2.id, cohort_id=academy.other_cohort.id))

    def progress(trainee, module, completed_at=None):
        opened = NOW - 72 * HOUR
        s.add(
            ModuleProgress(
                trainee_id=trainee.id, module_id=module, opened_at=opened, read_at=opened, completed_at=completed_at
            )
        )

    progress(academy.trainee, overdue, completed_at=NOW - HOUR)  # late, but done: on track
    progress(academy.trainee2, overdue)  # opened, not done: behind
    progress(academy.trainee2, other, completed_at=NOW - HOUR)  # another module done does not help
    progress(outsider2, other)  # cohort B has nothing overdue: on track

    lab_attempt(s, academy.trainee, submitted_at=NOW - 50 * HOUR)
    lab_attempt(s, academy.trainee2, submitted_at=NOW - 2 * HOUR)
    lab_attempt(s, academy.trainee2, submitted_at=NOW - 100 * HOUR, status="withdrawn")
    for decided_at, took in [
        (NOW - 1 * HOUR, HOUR / 2),
        (NOW - 2 * HOUR, 3 * HOUR),
        (NOW - 24 * HOUR, 30 * HOUR),
        (NOW - 72 * HOUR, 48 * HOUR),  # exactly the target: inside the 48 h bucket
        (NOW - timedelta(days=10), 60 * HOUR),
        (NOW - timedelta(days=29), timedelta(days=10)),  # submitted 39 days ago, decided inside the window
        (NOW - timedelta(days=31), HOUR),  # decided before the 30-day window: left out
    ]:
        decided(s, academy.trainee, academy.mentor, decided_at=decided_at, took=took)
    s.commit()
    return academy


def test_the_academy_figures_match_a_known_data_set(client, known_academy):
    families = scrape(client)
    trainees = {
        (cohort, status): value(families, "academy_cohort_trainees", cohort=cohort, status=status)
        for cohort in ("Cohort A", "Cohort B", "Cohort C")
        for status in ("on_track", "behind", "not_started")
    }
    assert trainees == {
        ("Cohort A", "on_track"): 1,
        ("Cohort A", "behind"): 2,
        ("Cohort A", "not_started"): 0,
        ("Cohort B", "on_track"): 1,
        ("Cohort B", "behind"): 0,
        ("Cohort B", "not_started"): 1,
        ("Cohort C", "on_track"): 0,
        ("Cohort C", "behind"): 0,
        ("Cohort C", "not_started"): 0,
    }
    assert value(families, "academy_review_queue_size") == 2
    assert value(families, "academy_review_oldest_waiting_seconds") == 50 * 3600
    assert value(families, "academy_metrics_database_up") == 1

    name = "academy_review_time_to_decision_seconds"
    buckets = {s.labels["le"]: s.value for f in families for s in f.samples if s.name == f"{name}_bucket"}
    assert buckets == {
        "3600.0": 1,
        "14400.0": 2,
        "28800.0": 2,
        "86400.0": 2,
        "172800.0": 4,
        "259200.0": 5,
        "604800.0": 5,
        "+Inf": 6,
    }
    assert value(families, f"{name}_count") == 6
    assert value(families, f"{name}_sum") == (0.5 + 3 + 30 + 48 + 60 + 240) * 3600


def test_an_empty_queue_has_no_waiting_age(client, academy):
    families = scrape(client)
    assert value(families, "academy_review_queue_size") == 0
    assert value(families, "academy_review_oldest_waiting_seconds") == 0
    assert value(families, "academy_review_time_to_decision_seconds_count") == 0


def test_without_the_database_the_request_metrics_still_answer(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'missing' / 'academy.db'}")  # a directory that does not exist
    client = app.test_client()
    client.get("/healthz")
    families = scrape(client)
    assert value(families, "academy_metrics_database_up") == 0
    assert value(families, "academy_review_queue_size") is None
    assert value(families, "academy_http_requests_total", endpoint="health.healthz", status="200") == 1


# ------------------------------------------------------------------ access


def test_without_a_token_only_the_local_machine_may_scrape(client):
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1, signed out
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    refused = client.get("/metrics", environ_base=REMOTE)
    assert refused.status_code == 403
    assert refused.is_json and refused.json["error"] == "Not allowed"
    assert client.get("/metrics", environ_base=REMOTE, headers={"Authorization": "Bearer "}).status_code == 403


@pytest.fixture
def token_client(migrated):
    app = make_app(migrated, METRICS_TOKEN="s3cret")
    yield app.test_client()
    app.extensions["academy.engine"].dispose()


def test_with_a_token_only_the_right_bearer_token_may_scrape(token_client):
    def status(**headers):
        return token_client.get("/metrics", environ_base=REMOTE, headers=headers).status_code

    assert status() == 403
    assert status(Authorization="Bearer s3cret") == 200
    assert status(Authorization="bearer s3cret") == 200  # the scheme is case-insensitive, the token is not
    assert status(Authorization="Bearer S3CRET") == 403
    assert status(Authorization="Bearer wrong") == 403
    assert status(Authorization="Basic s3cret") == 403
    assert status(Authorization="Bearer s3crét") == 403  # not ASCII: refused, not an error
    assert token_client.get("/metrics").status_code == 403  # a token is set: even the local machine needs it


def test_the_token_comes_from_academy_metrics_token(migrated, monkeypatch):
    monkeypatch.setenv("ACADEMY_METRICS_TOKEN", "from-the-environment")
    app = make_app(migrated)
    client = app.test_client()
    assert client.get("/metrics", headers={"Authorization": "Bearer from-the-environment"}).status_code == 200
    assert client.get("/metrics").status_code == 403
    app.extensions["academy.engine"].dispose()


# ------------------------------------------------------------------ several processes

OTHER_WORKER = """
import sys
from tests.conftest import make_app

client = make_app(sys.argv[1]).test_client()
for _ in range(3):
    assert client.get("/healthz").status_code == 200
"""


def test_in_multiprocess_mode_the_requests_of_every_worker_are_summed(migrated, tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)  # init_app switches it; restore it after
    # Another worker: a process of its own, started with the variable set, as gunicorn starts them.
    subprocess.run([sys.executable, "-c", OTHER_WORKER, migrated], cwd=REPO, check=True, timeout=120)
    app = make_app(migrated)
    client = app.test_client()
    client.get("/healthz")
    client.get("/healthz")

    families = scrape(client)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per process
    assert value(families, "academy_http_requests_total", endpoint="health.healthz", status="200") == 5
    assert value(families, "academy_http_request_duration_seconds_count", endpoint="health.healthz", status="200") == 5
    assert value(families, "academy_metrics_database_up") == 1  # the academy figures are there too
    assert value(families, "academy_review_queue_size") is not None
    app.extensions["academy.engine"].dispose()


# ------------------------------------------------------------------ the example Prometheus files


def test_the_example_prometheus_files_are_valid_yaml_on_metrics_the_app_exposes(client):
    scrape_config = yaml.safe_load((PROMETHEUS_DOCS / "scrape.yml").read_text())
    assert scrape_config["scrape_configs"][0]["metrics_path"] == "/metrics"
    assert scrape_config["scrape_configs"][0]["authorization"]["type"] == "Bearer"
    rules_text = (PROMETHEUS_DOCS / "academy-alerts.yml").read_text()
    alerts = [r for g in yaml.safe_load(rules_text)["groups"] for r in g["rules"] if "alert" in r]
    assert len(alerts) == 2
    for alert in alerts:
        assert alert["for"] and alert["labels"]["severity"]
        assert {"summary", "description", "runbook_url"} <= set(alert["annotations"])

    exposed = client.get("/metrics").get_data(as_text=True)
    for name in set(re.findall(r"\bacademy_[a-z_]+", rules_text)):
        assert f"\n{name}" in exposed, f"{name} is in the rules but not in /metrics"
    for le in re.findall(r'le="([^"]+)"', rules_text):
        assert f'le="{le}"' in exposed


def test_promtool_accepts_the_configuration_and_the_alerts_fire_as_intended():
    assert shutil.which("promtool"), "promtool is missing: the README's test line installs Debian's prometheus"
    for command in (
        ["check", "config", "--syntax-only", "scrape.yml"],
        ["check", "rules", "academy-alerts.yml"],
        ["test", "rules", "academy-alerts.test.yml"],  # the alerts fire, wait and stay silent as documented
    ):
        result = subprocess.run(["promtool", *command], cwd=PROMETHEUS_DOCS, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
