"""The audit log: written in the same transaction as the change it records.

`record` adds to the caller's session; `record_now` is for events whose request must change nothing else
(a refused authorization, a throttled sign-in): it drops whatever the request's session holds, then
commits the entry alone. It uses the request's own session, since on SQLite a second connection would wait
for the write lock this request may already hold. Refusals can repeat without limit, so they coalesce
(`record_coalesced`): the same refusal again within 15 minutes counts on the row already written.
"""

import json
from datetime import datetime, timedelta

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import delete, func
from sqlmodel import Session, select, update

from . import db
from .models import AuditEntry, utcnow

COALESCE_WINDOW = timedelta(minutes=15)

# The action codes, each with its sentence for the audit page: academy/admin/audit_words.py (SENTENCES); a test
# holds every code written here and elsewhere to having one.


def client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def actor_id() -> int | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


TARGET_LENGTH = 254  # the column's, an e-mail address at most: a longer target (a typed name) is cut


def new_entry(action: str, target: str | None = None, *, actor: int | None = None, **detail) -> AuditEntry:
    """A target longer than its column (PostgreSQL refuses it) is cut, and kept whole in the detail."""
    if target is not None and len(target) > TARGET_LENGTH:
        detail.setdefault("target", target)
        target = target[: TARGET_LENGTH - 1] + "…"
    return AuditEntry(
        action=action,
        target=target,
        actor_id=actor if actor is not None else actor_id(),
        detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
        ip=client_ip(),
    )


def record(session: Session, action: str, target: str | None = None, *, actor: int | None = None, **detail) -> None:
    session.add(new_entry(action, target, actor=actor, **detail))


def record_coalesced(session: Session, action: str, target: str | None = None, **detail) -> None:
    """For a refusal: the same action, target, actor, address and detail within COALESCE_WINDOW of the last such
    row adds one to that row's `repeats` and moves its `last_at`, instead of a row per refusal."""
    new, now = new_entry(action, target, **detail), utcnow()
    same = [
        column.is_(None) if value is None else column == value
        for column, value in (
            (AuditEntry.target, new.target),
            (AuditEntry.actor_id, new.actor_id),
            (AuditEntry.ip, new.ip),
            (AuditEntry.detail, new.detail),
        )
    ]
    last_seen = func.coalesce(AuditEntry.last_at, AuditEntry.at)
    found = session.exec(
        select(AuditEntry.id)
        .where(AuditEntry.action == action, *same, last_seen >= now - COALESCE_WINDOW)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if found is None:
        session.add(new)
        return
    session.exec(update(AuditEntry).where(AuditEntry.id == found).values(repeats=AuditEntry.repeats + 1, last_at=now))


def record_now(action: str, target: str | None = None, **detail) -> None:
    db.will_write()  # a refused GET records too; whatever the request had not committed is let go
    session = db.session()
    record_coalesced(session, action, target, **detail)
    session.commit()


# Sign-in noise: kept ACADEMY_SIGN_IN_AUDIT_DAYS, then pruned. Every other action (decisions, administrative
# changes, refused authorizations) stays for good.
SIGN_IN_ACTIONS = ("login.succeeded", "login.failed", "login.throttled", "logout")


def prune_sign_in_noise(session: Session, *, older_than: datetime) -> int:
    """Delete sign-in rows last seen before `older_than`, in the caller's transaction; one audit row says how many."""
    last_seen = func.coalesce(AuditEntry.last_at, AuditEntry.at)  # a coalesced row counts from its latest repeat
    removed = session.exec(
        delete(AuditEntry).where(AuditEntry.action.in_(SIGN_IN_ACTIONS), last_seen < older_than)
    ).rowcount
    if removed:
        record(session, "audit.pruned", None, actions=list(SIGN_IN_ACTIONS), removed=removed, before=older_than)
    return removed
