"""The app's task queue, built from ACADEMY_QUEUE_URL, and the hook that asks it to send the outbox's new rows
as soon as the transaction that wrote them commits."""

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy import event
from sqlmodel import Session

from ..models import OutgoingMail
from .tasks import Tasks, register

log = logging.getLogger(__name__)
NEW_MAIL = "academy.new_mail"  # the key, in a session's info, of the outbox rows its transaction wrote


@dataclass(frozen=True)
class Jobs:
    huey: Huey
    tasks: Tasks


def build_huey(url: str) -> Huey:
    """sqlite:///path (huey's SQLite storage, no server), redis://host:port/db, or memory:// (tests only: the
    messages stay in the process and no worker sees them)."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite" and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("academy", filename=str(path), results=False)
    if scheme in ("redis", "rediss", "unix"):
        return RedisHuey("academy", url=url, results=False)
    if scheme == "memory":
        return MemoryHuey("academy", results=False)
    raise ValueError(f"ACADEMY_QUEUE_URL must be sqlite:///PATH or redis://HOST:PORT/DB, not {url!r}")


def check_job_settings(config) -> None:
    for name in ("MAIL_RETRY_SECONDS", "WITHDRAWN_FILES_DAYS", "SIGN_IN_AUDIT_DAYS", "STORAGE_QUOTA_BYTES"):
        try:
            ok = float(config[name]) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"ACADEMY_{name} must be a positive number, not {config[name]!r}")
    if config["BEHIND_REMINDERS"] not in (True, False):  # 0 and 1 compare equal to them
        raise ValueError(f"ACADEMY_BEHIND_REMINDERS must be 1 or 0, not {config['BEHIND_REMINDERS']!r}")


def init_app(app: Flask) -> None:
    check_job_settings(app.config)
    url = app.config.get("QUEUE_URL") or f"sqlite:///{Path(app.instance_path) / 'queue.db'}"
    huey = build_huey(url)
    app.extensions["academy.jobs"] = Jobs(huey, register(huey, app))


def jobs(app: Flask | None = None) -> Jobs:
    return (app or current_app).extensions["academy.jobs"]


def send_soon(ids: list[int]) -> None:
    """Ask the worker to send these rows now; best effort: a row the queue never hears of is sent by the
    minute's sweep (send_due_mail) instead."""
    try:
        jobs().tasks.send_mail(ids)
    except Exception as error:  # noqa: BLE001 - a queue that is down must not fail a committed request
        log.warning("outbox rows %s written, the queue not told (%s): the minute's sweep sends them", ids, error)


@event.listens_for(Session, "after_flush")
def _note_new_mail(session, _context) -> None:
    ids = [row.id for row in session.new if isinstance(row, OutgoingMail)]
    if ids:
        session.info.setdefault(NEW_MAIL, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _send_new_mail(session) -> None:
    ids = session.info.pop(NEW_MAIL, None)
    if ids and has_app_context() and "academy.jobs" in current_app.extensions:
        send_soon(ids)


@event.listens_for(Session, "after_rollback")
def _forget_new_mail(session) -> None:
    session.info.pop(NEW_MAIL, None)
