"""The tasks and their schedule (UTC), registered on an app's huey instance. Each runs inside an app context of
that app, with its own database session, and commits its own work.

| task | when |
|---|---|
| send_mail(ids) | enqueued after the commit that wrote those outbox rows; again at the next try while they fail |
| send_due_mail | every minute: every due unsent row, whatever became of the messages above |
| mentor_digest | Mondays 07:00 |
| behind_reminders | daily 08:00 (at most one a week per trainee) |
| survey_reminders | daily 08:15 (once per survey round, three days before it closes, mail on or off) |
| remove_withdrawn_files | daily 03:00 |
| prune_sign_in_audit | daily 03:30 |
| prune_outbox | daily 03:45 |
"""

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from huey import Huey, crontab
from huey.api import TaskWrapper

from .. import audit, db
from ..curriculum.store import catalogue
from ..learning.services import remove_withdrawn_files as remove_files
from ..local_time import installation_today
from ..mail import mail_enabled
from ..models import utcnow
from ..surveys.services import send_reminders
from . import digests, outbox

log = logging.getLogger(__name__)

EVERY_MINUTE = crontab()
MONDAY_MORNING = crontab(day_of_week="1", hour="7", minute="0")
DAILY_REMINDERS = crontab(hour="8", minute="0")
DAILY_SURVEY_REMINDERS = crontab(hour="8", minute="15")
NIGHTLY_FILES = crontab(hour="3", minute="0")
NIGHTLY_AUDIT = crontab(hour="3", minute="30")
NIGHTLY_OUTBOX = crontab(hour="3", minute="45")


def clock() -> datetime:
    """Now, for the jobs; the tests move it."""
    return utcnow()


@dataclass(frozen=True)
class Tasks:
    send_mail: TaskWrapper
    send_due_mail: TaskWrapper
    mentor_digest: TaskWrapper
    behind_reminders: TaskWrapper
    survey_reminders: TaskWrapper
    remove_withdrawn_files: TaskWrapper
    prune_sign_in_audit: TaskWrapper
    prune_outbox: TaskWrapper


def register(huey: Huey, app: Flask) -> Tasks:
    def in_app(job):
        @functools.wraps(job)
        def run(*args):
            with app.app_context():
                return job(*args)

        return run

    return Tasks(
        send_mail=huey.task(name="send_mail")(in_app(send_mail)),
        send_due_mail=huey.periodic_task(EVERY_MINUTE, name="send_due_mail")(in_app(send_due_mail)),
        mentor_digest=huey.periodic_task(MONDAY_MORNING, name="mentor_digest")(in_app(mentor_digest)),
        behind_reminders=huey.periodic_task(DAILY_REMINDERS, name="behind_reminders")(in_app(behind_reminders)),
        survey_reminders=huey.periodic_task(DAILY_SURVEY_REMINDERS, name="survey_reminders")(in_app(survey_reminders)),
        remove_withdrawn_files=huey.periodic_task(NIGHTLY_FILES, name="remove_withdrawn_files")(
            in_app(remove_withdrawn_files)
        ),
        prune_sign_in_audit=huey.periodic_task(NIGHTLY_AUDIT, name="prune_sign_in_audit")(in_app(prune_sign_in_audit)),
        prune_outbox=huey.periodic_task(NIGHTLY_OUTBOX, name="prune_outbox")(in_app(prune_outbox)),
    )


def first_retry() -> timedelta:
    return timedelta(seconds=float(current_app.config["MAIL_RETRY_SECONDS"]))


def send_mail(ids: list[int]) -> None:
    """Send these outbox rows now; while some are unsent, ask to be run again when the first is due."""
    session = db.session()
    outbox.send_rows(session, ids, now=clock(), first_retry=first_retry())
    # Any still unsent (failed, or held just now by another worker whose attempt may fail): look again when the
    # first is due, never sooner than the first retry, rather than leaving them to the minute's sweep.
    if due := outbox.next_attempt(session, ids):
        delay = max((due - clock()).total_seconds(), first_retry().total_seconds())
        current_app.extensions["academy.jobs"].tasks.send_mail.schedule((ids,), delay=delay)


def send_due_mail() -> None:
    if not mail_enabled():  # mail turned off since these were written: they wait for it to be on again
        return
    outcomes = outbox.send_due(db.session(), now=clock(), first_retry=first_retry())
    if outcomes:
        log.info("outbox: %s", ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())))


def mentor_digest() -> None:
    if not mail_enabled():
        return
    session = db.session()
    written = digests.mentor_digests(
        session, catalogue(), target_hours=float(current_app.config["REVIEW_TARGET_HOURS"])
    )
    session.commit()
    log.info("mentor digest: %s e-mail(s) written", written)


def behind_reminders() -> None:
    if not (mail_enabled() and current_app.config["BEHIND_REMINDERS"]):
        return
    session = db.session()
    reminded = digests.behind_reminders(session, catalogue(), now=clock())
    session.commit()
    log.info("reminders: %s trainee(s) behind the plan reminded", reminded)


def survey_reminders() -> None:
    """Runs whether or not mail is on, unlike the trainees' reminders: the reminder is a notification in the
    academy, and notify() adds its e-mail copy only when mail is on."""
    session, now = db.session(), clock()
    reminded = send_reminders(session, today=installation_today(now), now=now)
    session.commit()
    if reminded:
        log.info("survey reminders: %s person(s) yet to answer reminded", reminded)


def remove_withdrawn_files() -> None:
    session, now = db.session(), clock()
    grace = timedelta(days=float(current_app.config["WITHDRAWN_FILES_DAYS"]))
    attempts, files, size = remove_files(session, withdrawn_before=now - grace, now=now)
    session.commit()
    if files:
        log.info("removed %s file(s), %s bytes, of %s withdrawn attempt(s)", files, size, attempts)


def prune_sign_in_audit() -> None:
    session, now = db.session(), clock()
    keep = timedelta(days=float(current_app.config["SIGN_IN_AUDIT_DAYS"]))
    removed = audit.prune_sign_in_noise(session, older_than=now - keep)
    session.commit()
    if removed:
        log.info("audit log: %s sign-in row(s) older than %s removed", removed, keep)


def prune_outbox() -> None:
    session, now = db.session(), clock()
    keep = timedelta(days=float(current_app.config["SENT_MAIL_DAYS"]))
    removed = outbox.prune_delivered(session, older_than=now - keep)
    session.commit()
    if removed:
        log.info("outbox: %s delivered or given-up message(s) older than %s removed", removed, keep)
