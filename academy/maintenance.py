"""Keeping the data: consistent backups while serving, restores, and a person's data on request."""

import base64
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, select

from .models import (
    ApiToken,
    Attachment,
    AuditEntry,
    CalendarFeed,
    CheckResult,
    CohortStaff,
    CohortTrainee,
    Credential,
    Decision,
    LabAttempt,
    LoginAttempt,
    MeetupAttendee,
    ModuleProgress,
    Notification,
    OutgoingMail,
    PainScore,
    QuizAttempt,
    SurveyRespondent,
    Talk,
    TalkSpeaker,
    User,
    UserRole,
)


class MaintenanceError(RuntimeError):
    """Why a backup or restore could not be done, for the operator."""


def libpq_url(engine: Engine) -> str:
    """The database's address for pg_dump and pg_restore, without its password: a command line is visible to
    every local user. The password goes to the tool's environment (tool_env)."""
    return make_url(engine.url)._replace(drivername="postgresql", password=None).render_as_string(hide_password=False)


def tool_env(engine: Engine) -> dict[str, str] | None:
    """The environment for pg_dump and pg_restore: ours, plus PGPASSWORD when the URL has a password."""
    password = make_url(engine.url).password
    return {**os.environ, "PGPASSWORD": str(password)} if password else None


def backup(engine: Engine, path: Path) -> None:
    """SQLite: the online backup API, a consistent copy while requests go on. PostgreSQL: pg_dump."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            with sqlite3.connect(path) as target:
                raw.driver_connection.backup(target)
            target.close()
        finally:
            raw.close()
        return
    if engine.dialect.name == "postgresql":
        run_tool("pg_dump", "--format=custom", "--no-owner", f"--file={path}", libpq_url(engine), env=tool_env(engine))
        return
    raise MaintenanceError(f"backups of {engine.dialect.name} databases are not supported")


def restore(engine: Engine, path: Path) -> None:
    """Bring a backup back, replacing what the database holds now."""
    if not path.is_file():
        raise MaintenanceError(f"{path} is not a file")
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source:
            if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise MaintenanceError(f"{path} is not a sound SQLite database")
            raw = engine.raw_connection()
            try:
                source.backup(raw.driver_connection)
            finally:
                raw.close()
        source.close()
        engine.dispose()  # pooled connections may hold pages of the old database
        return
    if engine.dialect.name == "postgresql":
        run_tool(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={libpq_url(engine)}",
            str(path),
            env=tool_env(engine),
        )
        engine.dispose()
        return
    raise MaintenanceError(f"restores of {engine.dialect.name} databases are not supported")


def run_tool(name: str, *args: str, env: dict[str, str] | None = None) -> None:
    """Run a PostgreSQL client tool; `env` (default: ours) is the child's environment alone."""
    if shutil.which(name) is None:
        raise MaintenanceError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run([name, *args], capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if done.returncode != 0:
        raise MaintenanceError(f"{name} failed: {done.stderr.strip()[:2000]}")


# ------------------------------------------------------------------ a person's data


def _rows(session: Session, model, *conditions) -> list[dict]:
    return [row.model_dump(mode="json") for row in session.exec(select(model).where(*conditions)).all()]


def export_user(session: Session, email: str, *, with_files: bool = False) -> dict:
    """Everything stored about one person, for a data-protection request."""
    user = session.exec(select(User).where(User.email == User.normalise_email(email))).first()
    if user is None:
        raise MaintenanceError(f"no account has the email {email}")
    attempts = _rows(session, LabAttempt, LabAttempt.trainee_id == user.id)
    attempt_ids = [a["id"] for a in attempts]
    files = []
    for f in session.exec(select(Attachment).where(Attachment.attempt_id.in_(attempt_ids))).all():
        item = f.model_dump(mode="json", exclude={"data"})
        if with_files:
            item["data_base64"] = base64.b64encode(f.data).decode()
        files.append(item)
    account = user.model_dump(mode="json", exclude={"password_hash", "session_token"})
    account["has_password"] = user.password_hash is not None
    return {
        "account": account,
        "roles": [r["role"] for r in _rows(session, UserRole, UserRole.user_id == user.id)],
        "cohort_membership": _rows(session, CohortTrainee, CohortTrainee.trainee_id == user.id),
        "cohort_staff": _rows(session, CohortStaff, CohortStaff.user_id == user.id),
        "module_progress": _rows(session, ModuleProgress, ModuleProgress.trainee_id == user.id),
        "quiz_attempts": _rows(session, QuizAttempt, QuizAttempt.trainee_id == user.id),
        "lab_attempts": attempts,
        "attachments": files,
        "lab_check_results": _rows(session, CheckResult, CheckResult.attempt_id.in_(attempt_ids)),
        "decisions_received": _rows(session, Decision, Decision.attempt_id.in_(attempt_ids)),
        "decisions_made": _rows(session, Decision, Decision.mentor_id == user.id),
        "notifications": _rows(session, Notification, Notification.user_id == user.id),
        "credentials": _rows(session, Credential, Credential.trainee_id == user.id),  # as signed; revoked or not
        "mail": _rows(session, OutgoingMail, OutgoingMail.to_address == user.email),  # written to them, sent or not
        "api_tokens": [
            {k: v for k, v in t.items() if k != "token_hash"}
            for t in _rows(session, ApiToken, ApiToken.user_id == user.id)
        ],
        "talks_proposed": _rows(session, Talk, Talk.proposed_by == user.id),
        "talks_spoken": _rows(session, TalkSpeaker, TalkSpeaker.user_id == user.id),
        "meetups": _rows(session, MeetupAttendee, MeetupAttendee.user_id == user.id),  # replies and attendance
        "calendar_feed": [  # whether they have one, and since when; never its hash
            {k: v for k, v in f.items() if k != "token_hash"}
            for f in _rows(session, CalendarFeed, CalendarFeed.user_id == user.id)
        ],
        "surveys_asked": _rows(session, SurveyRespondent, SurveyRespondent.user_id == user.id),
        "survey_answers": _rows(session, PainScore, PainScore.respondent_id == user.id),
        "sign_in_attempts": _rows(session, LoginAttempt, LoginAttempt.email == user.email),
        "audit_entries_by": _rows(session, AuditEntry, AuditEntry.actor_id == user.id),
        "audit_entries_about": _rows(session, AuditEntry, AuditEntry.target == user.email),
    }


def table_counts(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    return {
        t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
        for t in SQLModel.metadata.sorted_tables
    }


def write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8")
