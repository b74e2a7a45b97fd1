"""Sending the outbox. A row is claimed by one worker with a conditional UPDATE, handed to the mail server
outside any transaction, then marked sent; a failure is tried again later (30 s, doubling, at most an hour
apart) until a day has passed since the row was written, and then given up: in the audit log, the log and
the metrics. A worker that dies mid-send leaves a claim that lapses, so the row is sent again (at least once)."""

import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, delete, select, update

from .. import audit
from ..mail import MailNotSent, send_mail
from ..models import OutgoingMail

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=2)  # far longer than one SMTP exchange (5 s timeout)
LONGEST_WAIT = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(days=1)
BATCH = 200


def unsent():
    return OutgoingMail.sent_at.is_(None), OutgoingMail.gave_up_at.is_(None)


def sendable(now: datetime):
    """Unsent, due, and claimed by no worker now."""
    free = or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now)
    return (*unsent(), OutgoingMail.next_attempt_at <= now, free)


def retry_delay(attempts: int, first: timedelta) -> timedelta:
    """After the n-th failed attempt: `first`, doubling each time, never more than an hour."""
    return min(first * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def due_ids(session: Session, now: datetime, limit: int = BATCH) -> list[int]:
    query = select(OutgoingMail.id).where(*sendable(now)).order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
    ids = list(session.exec(query.limit(limit)).all())
    session.commit()
    return ids


def claim(session: Session, mail_id: int, now: datetime) -> OutgoingMail | None:
    """Take the row for this worker, or None when it is sent, not due, or another worker holds it."""
    taken = session.exec(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, *sendable(now))
        .values(claimed_until=now + CLAIM_FOR)
        .execution_options(synchronize_session=False)
    ).rowcount
    row = None
    if taken:
        row = session.exec(
            select(OutgoingMail).where(OutgoingMail.id == mail_id).execution_options(populate_existing=True)
        ).one()
    session.commit()
    return row


def send_one(session: Session, mail_id: int, *, now: datetime, first_retry: timedelta) -> str:
    """Claim, send and record one row: "sent", "failed" (tried again later), "gave_up", or "skipped"."""
    row = claim(session, mail_id, now)
    if row is None:
        return "skipped"
    try:
        send_mail(row.to_address, row.subject, row.body)
    except MailNotSent as error:
        return record_failure(session, row, str(error), now=now, first_retry=first_retry)
    mark(session, row, sent_at=now, attempts=row.attempts + 1, last_error=None)
    session.commit()
    return "sent"


def record_failure(session: Session, row: OutgoingMail, error: str, *, now: datetime, first_retry: timedelta) -> str:
    attempts = row.attempts + 1
    if now - row.created_at < GIVE_UP_AFTER:
        mark(
            session, row, attempts=attempts, last_error=error, next_attempt_at=now + retry_delay(attempts, first_retry)
        )
        session.commit()
        log.warning(
            "mail %s to %s not sent (attempt %s), tried again later: %s", row.id, row.to_address, attempts, error
        )
        return "failed"
    mark(session, row, attempts=attempts, last_error=error, gave_up_at=now)
    audit.record(
        session, "mail.gave_up", row.to_address, mail=row.id, subject=row.subject, attempts=attempts, error=error
    )
    session.commit()
    log.error(
        "mail %s to %s given up after %s attempts since %s: %s",
        row.id,
        row.to_address,
        attempts,
        row.created_at.isoformat(timespec="seconds"),
        error,
    )
    return "gave_up"


def mark(session: Session, row: OutgoingMail, **values) -> None:
    """Record the outcome and release the claim."""
    session.exec(
        update(OutgoingMail)
        .where(OutgoingMail.id == row.id, *unsent())
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )


def send_rows(session: Session, ids: list[int], *, now: datetime, first_retry: timedelta) -> Counter:
    return Counter(send_one(session, mail_id, now=now, first_retry=first_retry) for mail_id in ids)


def send_due(session: Session, *, now: datetime, first_retry: timedelta) -> Counter:
    """Every row that is due now, oldest first, in batches."""
    outcomes: Counter = Counter()
    while ids := due_ids(session, now):
        batch = send_rows(session, ids, now=now, first_retry=first_retry)
        outcomes += batch
        if not (batch["sent"] + batch["failed"] + batch["gave_up"]):
            break  # every row of the batch went to another worker meanwhile
    return outcomes


def next_attempt(session: Session, ids: list[int]) -> datetime | None:
    """When the earliest of these rows that is still unsent should be tried again."""
    return session.exec(
        select(OutgoingMail.next_attempt_at)
        .where(OutgoingMail.id.in_(ids), *unsent())
        .order_by(OutgoingMail.next_attempt_at)
    ).first()


def prune_delivered(session: Session, *, older_than: datetime) -> int:
    """Forget mail sent or given up before `older_than`: its bodies hold invitation and reset links, which
    nobody needs once delivered. Unsent mail is never pruned."""
    done_before = or_(OutgoingMail.sent_at < older_than, OutgoingMail.gave_up_at < older_than)
    removed = session.exec(delete(OutgoingMail).where(done_before)).rowcount
    if removed:
        audit.record(session, "mail.pruned", None, removed=removed, before=older_than.isoformat(timespec="seconds"))
    return removed
