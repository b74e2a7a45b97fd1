"""The worker's scheduled jobs, run as the consumer runs them at a given moment: the periodic tasks due then are
enqueued, then every queued task is executed (the e-mail they write goes out through the outbox to a sink).
Survey reminders too: the day's run reminds those yet to answer a round that closes within three days.

Also the per-person storage quota on lab evidence files, and the reminders checkbox on the account page."""

import email
import email.policy
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from huey.signals import SIGNAL_ERROR
from sqlalchemy import update as sql_update
from sqlmodel import Session, select

from academy.jobs import tasks
from academy.jobs.queue import jobs
from academy.models import (
    Attachment,
    AuditEntry,
    CohortModule,
    LabAttempt,
    Notification,
    OutgoingMail,
    SurveyRound,
    User,
    utcnow,
)
from tests import test_surveys as surveys
from tests.conftest import make_app, sign_in
from tests.smtp_sink import SmtpSink
from tests.test_labs import attempts_of, fetch, open_lab, page, submit_evidence
from tests.test_mail import BASE_URL
from tests.test_mail_queue import mail_settings, messages_to
from tests.test_reviews import submission

MONDAY_0700 = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # the cohorts of conftest run from September to March


@pytest.fixture
def sink():
    server = SmtpSink()
    yield server
    server.close()


@pytest.fixture
def mail_app(migrated, academy, sink):
    """The small academy's database, served by an app that mails to the sink (through a memory queue)."""
    app = make_app(migrated, **mail_settings(sink.port))
    yield app
    app.extensions["academy.engine"].dispose()


def run_scheduled(app, at: datetime, monkeypatch) -> list[str]:
    """What the consumer does at `at`: enqueue the periodic tasks due then, and run every queued task (with the
    jobs' clock at `at`). Returns the names of the tasks run; a task that fails fails the test."""
    monkeypatch.setattr(tasks, "clock", lambda: at)
    huey, ran, errors = jobs(app).huey, [], []
    huey.signal(SIGNAL_ERROR)(lambda signal, task, exc=None: errors.append(exc))
    naive = at.astimezone(UTC).replace(tzinfo=None)  # huey's periodic clock: naive UTC
    for task in huey.read_periodic(naive):
        huey.enqueue(task)
    while (task := huey.dequeue()) is not None:
        ran.append(task.name)
        huey.execute(task, timestamp=naive)
    assert errors == []
    return ran


def audit_rows(app, action: str) -> list[AuditEntry]:
    return fetch(app, select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))


def body_to(sink, address: str) -> str:
    """The one message to `address`: its subject line and its decoded text."""
    [raw] = [m for m in sink.messages if f"To: {address}" in m.split("\n\n", 1)[0]]
    message = email.message_from_string(raw, policy=email.policy.default)
    return f"Subject: {message['Subject']}\n\n{message.get_content()}"


# ------------------------------------------------------------------ the mentors' weekly digest


def to_mentors(sink) -> Counter:
    return Counter({to: n for to, n in messages_to(sink).items() if "mentor" in to})


def test_the_digest_tells_each_mentor_what_waits_on_mondays_and_only_then(mail_app, people, academy, sink, monkeypatch):
    late = submission(people, academy.trainee, hours_ago=72)
    fresh = submission(people, academy.trainee2, hours_ago=1)
    people.user("idle-mentor@example.com", "mentor")  # serves no cohort: nothing waits for them

    for day in range(1, 7):  # Tuesday to Sunday, at the same hour: no digest
        assert "mentor_digest" not in run_scheduled(mail_app, MONDAY_0700 + timedelta(days=day), monkeypatch)
    assert "mentor_digest" not in run_scheduled(mail_app, MONDAY_0700 + timedelta(hours=1), monkeypatch)
    assert to_mentors(sink) == Counter()  # (the trainees, behind the plan, got their reminder at 08:00)

    assert "mentor_digest" in run_scheduled(mail_app, MONDAY_0700, monkeypatch)
    assert to_mentors(sink) == Counter({"mentor@example.com": 1, "mentor2@example.com": 1})
    body = body_to(sink, "mentor@example.com")
    assert "2 lab submission(s) wait for a review" in body and "1 of them waited longer than the 48-hour" in body
    late_part, waiting_part = body.split("Late:", 1)[1].split("Waiting:", 1)
    assert "Trainee, your trainee: " in late_part and f"{BASE_URL}/reviews/{late.id}" in late_part
    assert f"{BASE_URL}/reviews/{fresh.id}" in waiting_part and f"{BASE_URL}/reviews" in waiting_part
    assert "Subject: SRE Academy: 2 submission(s) wait for your review, 1 late" in body


# ------------------------------------------------------------------ reminders to trainees behind the plan


def on_track_trainee(people):
    """A trainee of a cohort whose plan is all due next year: behind on nothing."""
    person = people.user("ontrack@example.com", "trainee")
    cohort = people.cohort("Cohort C", trainees=[person])
    with people.session() as s:
        s.exec(sql_update(CohortModule).where(CohortModule.cohort_id == cohort.id).values(due_date=date(2027, 12, 1)))
        s.commit()
    return person


def test_a_trainee_behind_the_plan_is_reminded_once_a_week_unless_they_turned_it_off(
    mail_app, people, academy, sink, monkeypatch
):
    on_track_trainee(people)
    trainee2 = mail_app.test_client()
    sign_in(trainee2, academy.trainee2.email)
    assert trainee2.post("/account/reminders", data={"reminders": "0"}).status_code == 302
    day = MONDAY_0700.replace(hour=8)

    assert "behind_reminders" not in run_scheduled(mail_app, day - timedelta(hours=1), monkeypatch)
    assert "behind_reminders" in run_scheduled(mail_app, day, monkeypatch)
    # trainee and outsider (Cohort B) are behind; trainee2 turned reminders off; ontrack is not behind
    assert messages_to(sink) == Counter({"trainee@example.com": 1, "outsider@example.com": 1})
    body = body_to(sink, "trainee@example.com")
    assert "of Cohort A's plan are past their due date" in body and f"{BASE_URL}/learn" in body
    assert f"{BASE_URL}/account#reminders" in body
    [entry] = audit_rows(mail_app, "reminders.sent")
    assert '"trainees": 2' in entry.detail

    for later in (timedelta(days=1), timedelta(days=3), timedelta(days=6, hours=23)):
        run_scheduled(mail_app, day + later, monkeypatch)  # daily runs within the week: nothing new
    assert len(sink.messages) == 2
    run_scheduled(mail_app, day + timedelta(days=7), monkeypatch)
    assert messages_to(sink) == Counter({"trainee@example.com": 2, "outsider@example.com": 2})


def test_two_workers_reminding_at_once_remind_a_trainee_once(app, academy):
    from academy.jobs.digests import take_turn

    now, engine = MONDAY_0700, app.extensions["academy.engine"]
    with Session(engine) as first, Session(engine) as second:
        assert take_turn(first, academy.trainee.id, now)
        first.commit()
        assert not take_turn(second, academy.trainee.id, now)  # the other worker read the trainee as due, too
        assert not take_turn(second, academy.trainee.id, now + timedelta(days=6))
        assert take_turn(second, academy.trainee.id, now + timedelta(days=7))


def test_the_installation_setting_turns_reminders_off_for_everyone(migrated, academy, sink, monkeypatch):
    app = make_app(migrated, BEHIND_REMINDERS=False, **mail_settings(sink.port))
    assert "behind_reminders" in run_scheduled(app, MONDAY_0700.replace(hour=8), monkeypatch)
    assert sink.messages == [] and audit_rows(app, "reminders.sent") == []
    app.extensions["academy.engine"].dispose()


def test_the_account_page_has_the_reminders_checkbox_and_it_is_audited(mail_app, academy):
    client = mail_app.test_client()
    sign_in(client, academy.trainee.email)
    assert 'name="reminders" value="1" checked' in page(client, "/account")
    assert client.post("/account/reminders", data={"reminders": "0"}).status_code == 302
    html = page(client, "/account")
    assert 'name="reminders" value="1">' in html and "checked" not in html.split('id="reminders"', 1)[1][:800]
    assert client.post("/account/reminders", data={"reminders": ["0", "1"]}).status_code == 302  # ticked box
    assert client.post("/account/reminders", data={"reminders": "maybe"}).status_code == 400
    assert fetch(mail_app, select(User.reminders_enabled).where(User.id == academy.trainee.id)) == [True]
    assert [e.detail for e in audit_rows(mail_app, "user.reminders_set")] == [
        '{"enabled": false}',
        '{"enabled": true}',
    ]


# ------------------------------------------------------------------ storage quota and withdrawn files

MEGABYTE_LOG = b"x" * 999_999 + b"\n"


def test_a_submission_over_the_storage_quota_is_refused_saying_used_and_limit(migrated, academy):
    app = make_app(migrated, STORAGE_QUOTA_BYTES=1_500_000)
    trainee = app.test_client()
    sign_in(trainee, academy.trainee.email)
    lab = open_lab(app)
    assert submit_evidence(trainee, lab, files=[("first.log", MEGABYTE_LOG)]).status_code == 302
    [first] = attempts_of(app, academy.trainee, lab)
    assert trainee.post(f"/lab-attempts/{first.id}/withdraw").status_code == 302  # its file still counts

    response = submit_evidence(trainee, lab, files=[("second.log", MEGABYTE_LOG)])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "would take your lab evidence files to 2.0 MB, over your limit of 1.5 MB" in html
    assert "(you use 1.0 MB already)" in html and "Nothing was stored" in html
    assert len(attempts_of(app, academy.trainee, lab)) == 1
    assert [a.original_name for a in fetch(app, select(Attachment))] == ["first.log"]
    assert submit_evidence(trainee, lab).status_code == 302  # evidence without files is never refused for it
    app.extensions["academy.engine"].dispose()


def withdrawn_attempt(people, trainee, lab, *, number: int, days_ago: float, status="withdrawn") -> int:
    with people.session() as s:
        attempt = LabAttempt(
            trainee_id=trainee.id,
            module_id=lab.module_id,
            lab_id=lab.id,
            number=number,
            status=status,
            evidence="Evidence.",
            request_key=f"withdrawn-{number}",
            submitted_at=utcnow() - timedelta(days=days_ago + 1),
            withdrawn_at=utcnow() - timedelta(days=days_ago) if status == "withdrawn" else None,
        )
        s.add(attempt)
        s.flush()
        s.add(
            Attachment(
                attempt_id=attempt.id,
                original_name=f"a{number}.log",
                content_type="text/plain",
                size=1000,
                sha256="0" * 64,
                data=b"y" * 1000,
            )
        )
        s.commit()
        return attempt.id


def test_withdrawn_attempts_lose_their_files_after_the_grace_period_and_not_before(app, people, academy, monkeypatch):
    lab = open_lab(app)
    old = withdrawn_attempt(people, academy.trainee, lab, number=1, days_ago=15)
    recent = withdrawn_attempt(people, academy.trainee, lab, number=2, days_ago=12.5)
    waiting = withdrawn_attempt(people, academy.trainee, lab, number=3, days_ago=30, status="submitted")
    now = utcnow().replace(hour=3, minute=0, second=0, microsecond=0)
    if now < utcnow():
        now += timedelta(days=1)  # the next nightly run: 14 days after `old` was withdrawn, not after `recent`

    def files_of() -> dict[int, int]:
        return Counter(a.attempt_id for a in fetch(app, select(Attachment)))

    assert "remove_withdrawn_files" not in run_scheduled(app, now - timedelta(hours=1), monkeypatch)
    assert "remove_withdrawn_files" in run_scheduled(app, now, monkeypatch)
    assert files_of() == {recent: 1, waiting: 1}
    removed_at = {a.id: a.files_removed_at for a in attempts_of(app, academy.trainee, lab)}
    assert removed_at == {old: now, recent: None, waiting: None}
    [entry] = audit_rows(app, "files.removed")
    assert '"attempts": 1' in entry.detail and '"bytes": 1000' in entry.detail and '"files": 1' in entry.detail

    trainee = app.test_client()
    sign_in(trainee, academy.trainee.email)
    shown = re.sub(r"<[^>]+>", "", page(trainee, f"/modules/{lab.module_id}"))  # the day is a <time> element
    assert f"files removed on {now:%d %b %Y}" in shown

    run_scheduled(app, now + timedelta(days=2), monkeypatch)  # past 14 days after the second withdrawal too
    assert files_of() == {waiting: 1}
    assert len(audit_rows(app, "files.removed")) == 2
    run_scheduled(app, now + timedelta(days=3), monkeypatch)
    assert len(audit_rows(app, "files.removed")) == 2  # nothing left to remove, nothing recorded


# ------------------------------------------------------------------ pruning sign-in noise from the audit log


def test_the_audit_prune_removes_old_sign_in_noise_and_keeps_decisions_and_administration(app, monkeypatch):
    now = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
    old, recent = now - timedelta(days=91), now - timedelta(days=89)
    rows = [
        ("login.succeeded", old, None),
        ("login.failed", old, None),
        ("login.throttled", old, None),
        ("logout", old, None),
        ("login.failed", old, recent),  # coalesced refusals, the latest repeat within the 90 days
        ("login.succeeded", recent, None),
        ("user.created", old, None),
        ("user.roles_changed", old, None),
        ("cohort.created", old, None),
        ("lab.decided", old, None),
        ("authorization.refused", old, None),
        ("token.revoked", old, None),
    ]
    with Session(app.extensions["academy.engine"]) as s:
        s.add_all(AuditEntry(action=a, at=at, last_at=last, target="someone@example.com") for a, at, last in rows)
        s.commit()

    assert "prune_sign_in_audit" not in run_scheduled(app, now - timedelta(minutes=30), monkeypatch)
    assert "prune_sign_in_audit" in run_scheduled(app, now, monkeypatch)
    kept = [(e.action, e.at) for e in fetch(app, select(AuditEntry).order_by(AuditEntry.id))]
    assert kept[:-1] == [(a, at) for a, at, last in rows[4:]]
    action, _ = kept[-1]
    assert action == "audit.pruned"
    [entry] = audit_rows(app, "audit.pruned")
    assert '"removed": 4' in entry.detail


# ------------------------------------------------------------------ forgetting delivered mail


def test_the_outbox_prune_forgets_delivered_and_given_up_mail_after_a_week_and_never_unsent_mail(app, monkeypatch):
    now = datetime(2026, 12, 7, 3, 45, tzinfo=UTC)
    old, recent = now - timedelta(days=8), now - timedelta(days=6)
    rows = {
        "sent long ago": {"created_at": old, "sent_at": old},
        "given up long ago": {"created_at": old - timedelta(days=1), "gave_up_at": old},
        "sent this week": {"created_at": old, "sent_at": recent},
        "never sent": {"created_at": old - timedelta(days=30)},
    }
    with Session(app.extensions["academy.engine"]) as s:
        s.add_all(
            OutgoingMail(to_address="a@example.com", subject=subject, body="link", **fields)
            for subject, fields in rows.items()
        )
        s.commit()

    assert "prune_outbox" not in run_scheduled(app, now - timedelta(minutes=15), monkeypatch)
    assert "prune_outbox" in run_scheduled(app, now, monkeypatch)
    kept = sorted(m.subject for m in fetch(app, select(OutgoingMail)))
    assert kept == ["never sent", "sent this week"]
    [entry] = audit_rows(app, "mail.pruned")
    assert '"removed": 2' in entry.detail


# ------------------------------------------------------------------ reminders to answer a survey before it closes


def survey_closing_in(app, people, academy, days: int) -> SurveyRound:
    """A round asking both trainees and a mentor, closing `days` after the installation's today; trainee answered."""
    asked = [academy.trainee, academy.trainee2, academy.mentor]
    round_ = surveys.open_round(app, people, academy.manager, asked, closes_in=days, title=f"Closing in {days} days")
    surveys.answer(app, people, round_, academy.trainee, [50, None, 70, "?", 20])
    return round_


def survey_reminders(app) -> Counter:
    """Who was reminded of which round: (e-mail, link) counted."""
    rows = fetch(
        app,
        select(User.email, Notification.link)
        .join(User, User.id == Notification.user_id)
        .where(Notification.message.startswith("Reminder: the survey")),
    )
    return Counter((email, link) for email, link in rows)


def next_run(hour: int = 8, minute: int = 15) -> datetime:
    """The next run at this hour, never in the past: the outbox sends only rows written before the jobs' clock."""
    at = utcnow().replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at > utcnow() else at + timedelta(days=1)


def test_those_yet_to_answer_are_reminded_once_three_days_before_a_survey_closes_with_mail_off(
    app, people, academy, monkeypatch
):
    at = next_run()
    ahead = (at.date() - surveys.today(app)).days  # the job's day is today or tomorrow, by the hour now
    soon = survey_closing_in(app, people, academy, ahead + 3)
    later = survey_closing_in(app, people, academy, ahead + 4)

    assert "survey_reminders" not in run_scheduled(app, next_run(8, 0), monkeypatch)
    assert survey_reminders(app) == Counter()
    assert "survey_reminders" in run_scheduled(app, at, monkeypatch)
    link = f"/surveys/{soon.id}/answer"
    # trainee answered; the round closing in four days is not due yet
    reminded = Counter({("trainee2@example.com", link): 1, ("mentor@example.com", link): 1})
    assert survey_reminders(app) == reminded
    assert {r.id: r.reminded_at for r in fetch(app, select(SurveyRound))} == {soon.id: at, later.id: None}
    assert fetch(app, select(OutgoingMail)) == []  # mail is off: the notifications are the reminder

    assert "survey_reminders" in run_scheduled(app, at + timedelta(days=1), monkeypatch)
    counted = survey_reminders(app)
    assert sum(n for (_, to), n in counted.items() if to == link) == 2  # once a round
    assert sum(n for (_, to), n in counted.items() if to == f"/surveys/{later.id}/answer") == 2  # its day came


def test_with_mail_on_the_survey_reminder_goes_out_by_e_mail_too(mail_app, app, people, academy, sink, monkeypatch):
    soon = survey_closing_in(app, people, academy, 2)  # opened with mail off: only the reminder is mailed
    assert "survey_reminders" in run_scheduled(mail_app, next_run(), monkeypatch)
    assert messages_to(sink) == Counter({"trainee2@example.com": 1, "mentor@example.com": 1})
    body = body_to(sink, "mentor@example.com")
    assert "Reminder: the survey “Closing in 2 days” closes on" in body
    assert f"{BASE_URL}/surveys/{soon.id}/answer" in body
