"""Durable e-mail: a notification's message is written to the outbox with the event, the worker sends it after
the commit, retries while the mail server is down, never sends one row twice, and gives up, visibly, after a day.

The first test runs the real worker (`flask academy worker`, a separate process) against the test's database
and a SQLite queue file, as production does."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from academy import mail
from academy.jobs import outbox
from academy.jobs.queue import jobs
from academy.models import AuditEntry, OutgoingMail, utcnow
from tests.conftest import REPO, empty_tables, make_app, sign_in
from tests.smtp_sink import SmtpSink, free_port
from tests.test_labs import open_lab, submit_evidence
from tests.test_mail import BASE_URL, outbox_rows, run_outbox
from tests.test_metrics import scrape, value
from tests.test_reviews import decide, submission

SECRET = "test-secret-key"


def mail_settings(port: int, queue_url: str = "memory://") -> dict:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "BASE_URL": BASE_URL,
        "QUEUE_URL": queue_url,
        "MAIL_RETRY_SECONDS": 1,
    }


def wait_for(what, condition, seconds: float = 30.0, every: float = 0.2):
    """Poll `condition` until it holds; fail, saying `what`, after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(every)
    pytest.fail(f"after {seconds} s still waiting for {what}")


def add_mail(app, count: int = 1, **fields) -> list[int]:
    with Session(app.extensions["academy.engine"], expire_on_commit=False) as s:
        rows = [
            OutgoingMail(to_address=f"person{i}@example.com", subject=f"Message {i}", body=f"Body {i}", **fields)
            for i in range(count)
        ]
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]


def messages_to(sink) -> Counter:
    return Counter(line[4:] for m in sink.messages for line in m.splitlines() if line.startswith("To: "))


# ------------------------------------------------------------------ the real worker, a mail server that was down


@pytest.fixture
def worker(migrated, tmp_path):
    """Start `flask academy worker` for these settings; stopped at the end of the test."""
    started = []

    def start(port: int, queue_url: str):
        env = dict(os.environ)
        env.update({f"ACADEMY_{k}": str(v) for k, v in mail_settings(port, queue_url).items()})
        env.update(
            ACADEMY_DATABASE_URL=migrated, ACADEMY_SECRET_KEY=SECRET, ACADEMY_CURRICULUM_DIR=str(REPO / "curriculum")
        )
        log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "academy", "worker"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        process.terminate()
        process.wait(10)
        log.close()


def test_messages_written_while_the_mail_server_is_down_are_delivered_once_by_the_worker(
    migrated, tmp_path, people, academy, worker
):
    port, queue_url = free_port(), f"sqlite:///{tmp_path / 'queue.db'}"  # nothing listens on the port yet
    process = worker(port, queue_url)
    app = make_app(migrated, **mail_settings(port, queue_url))
    trainee, mentor = app.test_client(), app.test_client()
    sign_in(trainee, academy.trainee.email)
    sign_in(mentor, academy.mentor.email)
    waiting = submission(people, academy.trainee2)

    lab = open_lab(app)
    assert submit_evidence(trainee, lab).status_code == 302  # the trainee's mentor is told
    assert decide(mentor, waiting, "request_changes", "Show the output too.").status_code == 302  # trainee2 is
    rows = outbox_rows(app)
    assert sorted(r.to_address for r in rows) == ["mentor@example.com", "trainee2@example.com"]

    wait_for("the worker to try each message", lambda: all(r.attempts >= 1 for r in outbox_rows(app)))
    assert process.poll() is None
    assert all(r.sent_at is None and r.last_error for r in outbox_rows(app))  # the server was down

    sink = SmtpSink(port=port)
    try:
        # on a busy machine the worker may have failed several times already: wait for its latest retry to be due
        latest_retry = max(r.next_attempt_at for r in outbox_rows(app))
        backoff = max((latest_retry - utcnow()).total_seconds(), 0)
        try:
            wait_for("every message to arrive", lambda: all(r.sent_at for r in outbox_rows(app)), seconds=backoff + 30)
        except BaseException:
            print((tmp_path / "worker.log").read_text()[-6000:])  # shown with the failure
            raise
        time.sleep(2.5)  # more retries and sweeps are due meanwhile: none may send a message again
        assert messages_to(sink) == Counter({"mentor@example.com": 1, "trainee2@example.com": 1})
        body = next(m for m in sink.messages if "To: mentor@example.com" in m).replace("=\n", "")
        assert f"{BASE_URL}/reviews/" in body
    finally:
        sink.close()
    assert process.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
    app.extensions["academy.engine"].dispose()


# ------------------------------------------------------------------ after the commit, the queue is asked


def test_a_request_that_wrote_mail_asks_the_queue_after_its_commit_and_a_refused_one_does_not(migrated, academy):
    app = make_app(migrated, **mail_settings(free_port()))
    huey = jobs(app).huey
    trainee = app.test_client()
    sign_in(trainee, academy.trainee.email)
    lab = open_lab(app)

    assert submit_evidence(trainee, lab, evidence="").status_code == 422  # refused: rolled back
    assert outbox_rows(app) == [] and huey.pending_count() == 0

    assert submit_evidence(trainee, lab).status_code == 302
    [row] = outbox_rows(app)
    [task] = huey.pending()
    assert task.name == "send_mail" and task.args == ([row.id],)
    app.extensions["academy.engine"].dispose()


def test_a_queue_that_is_down_fails_nothing_and_the_sweep_sends_the_message(migrated, academy, monkeypatch):
    sink = SmtpSink()
    app = make_app(migrated, **mail_settings(sink.port))

    def queue_down(task):
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(jobs(app).huey, "enqueue", queue_down)
    trainee = app.test_client()
    sign_in(trainee, academy.trainee.email)
    assert submit_evidence(trainee, open_lab(app)).status_code == 302
    assert [r.sent_at for r in outbox_rows(app)] == [None]
    assert run_outbox(app) == Counter(sent=1)  # the minute's sweep
    assert messages_to(sink) == Counter({"mentor@example.com": 1})
    sink.close()
    app.extensions["academy.engine"].dispose()


def answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def redis_url(tmp_path):
    """The machine's Redis (127.0.0.1:6379, database 15), or else a private redis-server for this test."""
    if answers(6379):
        yield "redis://127.0.0.1:6379/15"
        return
    server = shutil.which("redis-server") or pytest.fail("no Redis on 127.0.0.1:6379 and no redis-server to start")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp_path],
        stdout=subprocess.DEVNULL,
    )
    wait_for("redis-server to answer", lambda: answers(port), 10)
    yield f"redis://127.0.0.1:{port}/15"
    process.terminate()
    process.wait(10)


def test_a_redis_queue_carries_the_task_to_the_worker(migrated, academy, redis_url):
    sink = SmtpSink()
    app = make_app(migrated, **mail_settings(sink.port, redis_url))
    huey = jobs(app).huey
    huey.flush()
    try:
        trainee = app.test_client()
        sign_in(trainee, academy.trainee.email)
        assert submit_evidence(trainee, open_lab(app)).status_code == 302
        assert huey.pending_count() == 1
        huey.execute(huey.dequeue())  # what a consumer's worker does with it
        assert messages_to(sink) == Counter({"mentor@example.com": 1})
        assert [r.sent_at is not None for r in outbox_rows(app)] == [True]
    finally:
        huey.flush()
        sink.close()
        app.extensions["academy.engine"].dispose()


# ------------------------------------------------------------------ claims: two workers, one row


def test_a_row_another_worker_holds_is_looked_at_again_soon_not_left_to_the_minutes_sweep(migrated):
    """The sweep may claim a row while its own task runs: that task skips it, and must still come back for it (the
    sweep's attempt may fail), instead of leaving it to the next minute's sweep."""
    from academy.jobs import tasks

    app = make_app(migrated, **mail_settings(free_port()))
    empty_tables(app.extensions["academy.engine"])
    [row_id] = add_mail(app)
    with Session(app.extensions["academy.engine"]) as s:
        assert outbox.claim(s, row_id, utcnow()) is not None  # another worker holds it
    huey = jobs(app).huey
    assert huey.pending_count() == 0
    with app.app_context():
        tasks.send_mail([row_id])
    [again] = huey.pending()  # with an eta: the consumer holds it until then
    assert again.name == "send_mail" and again.args == ([row_id],) and again.eta is not None
    app.extensions["academy.engine"].dispose()


def test_a_claimed_row_is_left_alone_by_another_worker_until_the_claim_lapses(app):
    [row_id] = add_mail(app)
    now, engine = utcnow(), app.extensions["academy.engine"]
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        assert outbox.claim(first, row_id, now).id == row_id
        assert outbox.claim(second, row_id, now) is None
        assert outbox.claim(second, row_id, now + outbox.CLAIM_FOR - timedelta(seconds=1)) is None
        # a worker that died mid-send: its claim lapses and the row is sent after all
        assert outbox.claim(second, row_id, now + outbox.CLAIM_FOR + timedelta(seconds=1)).id == row_id


def test_two_workers_sweeping_at_once_send_every_row_exactly_once(app):
    sink = SmtpSink()
    mail_app = make_app(app.config["DATABASE_URL"], **mail_settings(sink.port))
    ids = add_mail(mail_app, 30)
    start, outcomes = threading.Barrier(2), []

    def sweep():
        start.wait()
        outcomes.append(run_outbox(mail_app))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(outcomes, Counter())["sent"] == len(ids)
    assert messages_to(sink) == Counter({f"person{i}@example.com": 1 for i in range(30)})
    sink.close()
    mail_app.extensions["academy.engine"].dispose()


# ------------------------------------------------------------------ retries, and giving up after a day


def test_failures_back_off_and_after_a_day_the_message_is_given_up_visibly(migrated, monkeypatch, caplog):
    monkeypatch.setattr(mail, "TIMEOUT_SECONDS", 1)
    app = make_app(migrated, **mail_settings(free_port()))  # nothing listens there
    empty_tables(app.extensions["academy.engine"])
    created = utcnow()
    [row_id] = add_mail(app, created_at=created, next_attempt_at=created)

    def tried_at(offset: timedelta):
        run_outbox(app, created + offset)
        return next(r for r in outbox_rows(app) if r.id == row_id)

    assert tried_at(timedelta(0)).next_attempt_at == created + timedelta(seconds=30)
    row = tried_at(timedelta(seconds=30))
    assert row.attempts == 2 and row.next_attempt_at == created + timedelta(seconds=90)  # 30 s, then 60 s
    assert run_outbox(app, created + timedelta(seconds=60)) == Counter()  # not due yet
    row = tried_at(timedelta(hours=23, minutes=59))
    assert row.gave_up_at is None and row.next_attempt_at == created + timedelta(hours=24, minutes=1)
    assert value(scrape(app.test_client()), "academy_mail_given_up") == 0

    row = tried_at(timedelta(days=1, hours=1))
    assert row.gave_up_at == created + timedelta(days=1, hours=1) and row.attempts == 4 and row.sent_at is None
    with Session(app.extensions["academy.engine"]) as s:
        [entry] = s.exec(select(AuditEntry).where(AuditEntry.action == "mail.gave_up")).all()
    assert entry.target == "person0@example.com" and '"attempts": 4' in entry.detail
    assert any(r.levelname == "ERROR" and "given up" in r.getMessage() for r in caplog.records)
    families = scrape(app.test_client())
    assert value(families, "academy_mail_given_up") == 1
    assert value(families, "academy_mail_outbox_size") == 0
    assert run_outbox(app, created + timedelta(days=3)) == Counter()  # never tried again
    app.extensions["academy.engine"].dispose()


def test_retry_delays_double_from_the_first_up_to_an_hour():
    first = timedelta(seconds=30)
    delays = [outbox.retry_delay(n, first).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


# ------------------------------------------------------------------ metrics


def test_metrics_show_the_outbox_length_and_its_oldest_message_age(app, client, monkeypatch):
    from academy import metrics

    now = utcnow().replace(microsecond=0)
    monkeypatch.setattr(metrics, "utcnow", lambda: now)
    assert value(scrape(client), "academy_mail_outbox_size") == 0
    assert value(scrape(client), "academy_mail_outbox_oldest_seconds") == 0
    add_mail(app, 1, created_at=now - timedelta(minutes=10))
    add_mail(app, 1, created_at=now - timedelta(minutes=1))
    add_mail(app, 1, created_at=now - timedelta(hours=5), sent_at=now - timedelta(hours=5))
    add_mail(app, 1, created_at=now - timedelta(days=3), gave_up_at=now - timedelta(days=2))
    families = scrape(client)
    assert value(families, "academy_mail_outbox_size") == 2
    assert value(families, "academy_mail_outbox_oldest_seconds") == 600
    assert value(families, "academy_mail_given_up") == 1
