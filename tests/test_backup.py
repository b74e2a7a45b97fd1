"""Data that survives: a backup taken while serving comes back whole; a person's data can be exported."""

import json
import sqlite3
import threading

from sqlalchemy import text
from sqlmodel import SQLModel, select

from academy.models import Attachment, LabAttempt, MeetupAttendee, OutgoingMail, User


def snapshot(engine) -> dict[str, list]:
    """Every row of every table, in a comparable form."""
    with engine.connect() as conn:
        return {t.name: sorted(map(repr, conn.execute(t.select()).all())) for t in SQLModel.metadata.sorted_tables}


def submit(client, n: int):
    return client.post(
        "/labs/linux-shell-lab/attempts",
        data={
            "lab-linux-shell-lab-evidence": f"Evidence number {n}",
            "lab-linux-shell-lab-request_key": f"{n:032x}",
        },
    )


def test_backup_then_changes_then_restore_brings_back_exactly_the_backup(app, runner, as_role, academy, tmp_path):
    engine = app.extensions["academy.engine"]
    trainee = as_role("trainee")
    assert submit(trainee, 1).status_code == 302
    before = snapshot(engine)
    path = tmp_path / "academy.backup"
    result = runner.invoke(args=["academy", "backup", str(path)])
    assert result.exit_code == 0, result.output

    trainee.post("/lab-attempts/1/withdraw")
    submit(trainee, 2)
    with engine.begin() as conn:
        conn.execute(text("UPDATE \"user\" SET display_name = 'Changed' WHERE email = 'trainee@example.com'"))
    assert snapshot(engine) != before

    refused = runner.invoke(args=["academy", "restore", str(path)], input="n\n")
    assert refused.exit_code != 0 and snapshot(engine) != before
    result = runner.invoke(args=["academy", "restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    assert snapshot(engine) == before
    assert trainee.get("/learn").status_code == 200, "the app goes on serving after a restore"


def planner_statistics(engine, table: str) -> int:
    query = (
        "SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t"
        if engine.dialect.name == "sqlite"
        else ("SELECT count(*) FROM pg_stats WHERE tablename = :t")
    )
    with engine.connect() as conn:
        return conn.execute(text(query), {"t": table}).scalar()


def test_after_a_restore_the_planner_has_statistics(app, runner, academy, tmp_path):
    """pg_restore recreates the tables without statistics, and a backup may carry none: without them the first
    queries after a restore are planned as if every table were empty."""
    engine = app.extensions["academy.engine"]
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:  # a backup without statistics, as one taken before any ANALYZE would be
            conn.execute(text("DELETE FROM sqlite_stat1"))
    path = tmp_path / "academy.backup"
    assert runner.invoke(args=["academy", "backup", str(path)]).exit_code == 0
    assert runner.invoke(args=["academy", "restore", "--yes", str(path)]).exit_code == 0
    assert planner_statistics(engine, "user") > 0


def test_backup_refuses_to_overwrite_and_restore_refuses_a_non_backup(runner, tmp_path, app):
    existing = tmp_path / "there.db"
    existing.write_text("keep me")
    assert runner.invoke(args=["academy", "backup", str(existing)]).exit_code != 0
    assert existing.read_text() == "keep me"
    if app.extensions["academy.engine"].dialect.name == "sqlite":
        result = runner.invoke(args=["academy", "restore", "--yes", str(existing)])
        assert result.exit_code != 0


def test_the_postgresql_password_reaches_pg_dump_and_pg_restore_by_their_environment_only(tmp_path, monkeypatch):
    """A command line is visible to every local user (ps, /proc/PID/cmdline); the environment only to the owner."""
    import subprocess

    from sqlalchemy import create_engine

    from academy import maintenance

    engine = create_engine("postgresql+psycopg://academy:s%40cret-Pass@db.internal:5433/academy?sslmode=require")
    calls = []

    def run(argv, **kwargs):
        calls.append((argv, kwargs.get("env")))
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(maintenance.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(maintenance.subprocess, "run", run)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    existing = tmp_path / "academy.backup"
    existing.write_bytes(b"PGDMP")
    maintenance.backup(engine, tmp_path / "new.backup")
    maintenance.restore(engine, existing)

    assert [argv[0] for argv, _ in calls] == ["pg_dump", "pg_restore"]
    for argv, env in calls:
        assert not any("cret" in arg for arg in argv), argv
        assert any("postgresql://academy@db.internal:5433/academy?sslmode=require" in arg for arg in argv), argv
        assert env["PGPASSWORD"] == "s@cret-Pass" and env["PATH"] == "/usr/bin:/bin"
    assert "PGPASSWORD" not in __import__("os").environ, "only the child's environment carries it"


def test_a_sqlite_backup_taken_while_requests_write_is_consistent(tmp_path):
    """Runs on a SQLite file of its own whichever database the suite uses: the online backup API is SQLite's."""
    from sqlalchemy import create_engine

    from academy import migrate
    from tests.conftest import People, make_app, sign_in

    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = make_app(url)
    runner = app.test_cli_runner()
    people = People(app)
    trainee_user, mentor_user = people.user("t@example.com", "trainee"), people.user("m@example.com", "mentor")
    people.cohort("Live", trainees=[trainee_user], mentors=[mentor_user])
    trainee, mentor = app.test_client(), app.test_client()
    sign_in(trainee, "t@example.com")
    sign_in(mentor, "m@example.com")
    stop, errors = threading.Event(), []

    def keep_writing():
        n = 100
        while not stop.is_set():
            n += 1
            response = submit(trainee, n)
            attempt = app.extensions["academy.engine"].connect()
            last = attempt.execute(text("SELECT max(id) FROM lab_attempt")).scalar()
            attempt.close()
            decided = mentor.post(f"/reviews/{last}/decide", data={"outcome": "request_changes", "comment": "again"})
            if response.status_code >= 500 or decided.status_code >= 500:
                errors.append((response.status_code, decided.status_code))

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        paths = [tmp_path / f"b{i}.db" for i in range(3)]
        for path in paths:
            assert runner.invoke(args=["academy", "backup", str(path)]).exit_code == 0
    finally:
        stop.set()
        writer.join(30)
    assert errors == []
    for path in paths:
        with sqlite3.connect(path) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
            # an attempt that is decided has its decision in the same copy, and the other way round
            mismatched = copy.execute(
                "SELECT count(*) FROM lab_attempt a LEFT JOIN decision d ON d.attempt_id = a.id "
                "WHERE (a.status = 'changes_requested') != (d.id IS NOT NULL)"
            ).fetchone()[0]
            assert mismatched == 0
        copy.close()
    app.extensions["academy.engine"].dispose()


def test_export_user_holds_everything_about_the_person_and_no_secret(
    app, runner, as_role, academy, tmp_path, db_session
):
    trainee = as_role("trainee")
    trainee.post(
        "/labs/linux-shell-lab/attempts",
        data={
            "lab-linux-shell-lab-evidence": "With a file.",
            "lab-linux-shell-lab-request_key": "c" * 32,
            "lab-linux-shell-lab-files": (__import__("io").BytesIO(b"uptime output\n"), "uptime.log"),
        },
        content_type="multipart/form-data",
    )
    as_role("mentor").post("/reviews/1/decide", data={"outcome": "request_changes", "comment": "More output."})
    db_session.add(OutgoingMail(to_address="trainee@example.com", subject="Your lab came back", body="Have a look."))
    db_session.add(OutgoingMail(to_address="mentor@example.com", subject="Someone else's", body="Not theirs."))
    db_session.commit()
    out = tmp_path / "trainee.json"
    result = runner.invoke(args=["academy", "export-user", "TRAINEE@example.com", "--output", str(out), "--with-files"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["account"]["email"] == "trainee@example.com" and data["account"]["has_password"] is True
    text_dump = out.read_text()
    user = db_session.get(User, academy.trainee.id)
    assert user.password_hash not in text_dump and user.session_token not in text_dump
    assert data["roles"] == ["trainee"]
    assert [a["evidence"] for a in data["lab_attempts"]] == ["With a file."]
    assert data["attachments"][0]["original_name"] == "uptime.log"
    assert __import__("base64").b64decode(data["attachments"][0]["data_base64"]) == b"uptime output\n"
    assert data["decisions_received"][0]["comment"] == "More output."
    assert data["notifications"] and data["sign_in_attempts"] and data["cohort_membership"]
    assert [(m["subject"], m["body"]) for m in data["mail"]] == [("Your lab came back", "Have a look.")]
    mentor = json.loads(runner.invoke(args=["academy", "export-user", "mentor@example.com"]).output)
    assert mentor["decisions_made"][0]["comment"] == "More output."
    assert runner.invoke(args=["academy", "export-user", "nobody@example.com"]).exit_code != 0


def test_export_user_holds_their_meetups_talks_calendar_feed_and_survey_answers(
    app, runner, academy, db_session, people
):
    from datetime import timedelta

    from academy.curriculum.store import catalogue
    from academy.meetups import services as meetups
    from academy.models import CalendarFeed, PainPoint, PainScore, SurveyRespondent, SurveyRound, utcnow
    from tests.meetups_factory import meetup_at

    held = meetup_at(people, academy.admin, starts_in=timedelta(days=-3))
    with app.test_request_context():
        trainee = db_session.get(User, academy.trainee.id)
        meetups.propose_talk(
            db_session,
            catalogue(),
            by=trainee,
            draft=meetups.TalkDraft("Pager fatigue", speakers=[meetups.SpeakerDraft(email=trainee.email)]),
        )
        secret = meetups.new_feed(db_session, user=trainee)
    db_session.add(MeetupAttendee(meetup_id=held.id, user_id=trainee.id, attended_at=utcnow(), checked_in_by="code"))
    asked = SurveyRound(title="Pains", closes_on=utcnow().date(), created_by=academy.manager.id)
    db_session.add(asked)
    db_session.flush()
    point = PainPoint(round_id=asked.id, position=1, title="Toil", key="toil")
    db_session.add_all([point, SurveyRespondent(round_id=asked.id, user_id=trainee.id, answered_at=utcnow())])
    db_session.flush()
    db_session.add(PainScore(pain_point_id=point.id, respondent_id=trainee.id, pain=70))
    db_session.commit()
    data = json.loads(runner.invoke(args=["academy", "export-user", "trainee@example.com"]).output)
    assert [t["title"] for t in data["talks_proposed"]] == ["Pager fatigue"] and len(data["talks_spoken"]) == 1
    assert [(m["meetup_id"], m["checked_in_by"]) for m in data["meetups"]] == [(held.id, "code")]
    assert len(data["calendar_feed"]) == 1 and "token_hash" not in data["calendar_feed"][0]
    assert db_session.get(CalendarFeed, trainee.id).token_hash not in json.dumps(data) and secret not in json.dumps(
        data
    )
    assert [a["pain"] for a in data["survey_answers"]] == [70] and len(data["surveys_asked"]) == 1


def test_deactivation_keeps_every_record(app, as_role, academy, db_session, runner):
    trainee = as_role("trainee")
    submit(trainee, 7)
    before = snapshot(app.extensions["academy.engine"])
    as_role("admin").post(f"/admin/users/{academy.trainee.id}/active", data={"active": "0"})
    after = snapshot(app.extensions["academy.engine"])
    for table in ("lab_attempt", "module_progress", "cohort_trainee", "user_role", "notification"):
        assert after[table] == before[table], table
    assert db_session.exec(select(LabAttempt)).all() and db_session.exec(select(Attachment)).all() == []
    assert json.loads(runner.invoke(args=["academy", "export-user", "trainee@example.com"]).output)["lab_attempts"]
