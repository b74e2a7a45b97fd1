"""`flask academy synth`: a realistic academy in bulk, that the pages can read."""

from sqlalchemy import func, text
from sqlmodel import select

from academy.models import Cohort, CohortTrainee, Decision, LabAttempt, ModuleProgress, User


def count(db_session, model) -> int:
    found = db_session.exec(select(func.count()).select_from(model)).one()
    db_session.rollback()
    return found


def test_synth_builds_cohorts_with_history_and_can_run_twice(runner, db_session):
    result = runner.invoke(args=["academy", "synth", "--cohorts", "3", "--trainees", "4"])
    assert result.exit_code == 0, result.output
    assert count(db_session, Cohort) == 3 and count(db_session, CohortTrainee) == 12
    assert count(db_session, ModuleProgress) > 12 and count(db_session, Decision) > 0
    waiting = db_session.exec(select(func.count()).select_from(LabAttempt).where(LabAttempt.status == "submitted"))
    assert waiting.one() >= 0
    db_session.rollback()
    decided = db_session.exec(
        select(func.count()).select_from(LabAttempt).where(LabAttempt.status.in_(["approved", "changes_requested"]))
    ).one()
    assert decided == count(db_session, Decision), "every decided attempt has exactly one decision"

    again = runner.invoke(args=["academy", "synth", "--cohorts", "1", "--trainees", "2"])
    assert again.exit_code == 0, again.output
    assert count(db_session, Cohort) == 4 and count(db_session, CohortTrainee) == 14
    new = db_session.exec(select(User).order_by(User.id.desc())).first()
    assert new.email.startswith("synth-trainee")


def test_synthetic_people_can_use_their_pages(app, runner, db_session):
    runner.invoke(args=["academy", "synth", "--cohorts", "2", "--trainees", "3"])
    emails = {
        role: db_session.exec(select(User.email).where(User.email.like(f"synth-{role}%"))).first()
        for role in ("trainee", "mentor", "manager")
    }
    db_session.rollback()
    for role, home in (("trainee", "/learn"), ("mentor", "/reviews"), ("manager", "/cohorts")):
        client = app.test_client()
        assert client.post("/login", data={"email": emails[role], "password": "academy-synth"}).status_code == 302
        assert client.get(home).status_code == 200
    cohort_id = db_session.exec(select(Cohort.id)).first()
    assert client.get(f"/cohorts/{cohort_id}").status_code == 200


def test_out_of_range_sizes_are_refused(runner):
    assert runner.invoke(args=["academy", "synth", "--cohorts", "0"]).exit_code == 2
    assert runner.invoke(args=["academy", "synth", "--trainees", "many"]).exit_code == 2


def test_after_a_bulk_load_the_planner_has_statistics(runner, db_session):
    """Without them a freshly loaded table is planned as if empty: PostgreSQL scans every lab attempt to find
    one cohort's, SQLite picks a poor index."""
    sqlite = db_session.get_bind().dialect.name == "sqlite"
    if sqlite:  # statistics left by an earlier test would hide a synth that no longer gathers them
        db_session.exec(text("DELETE FROM sqlite_stat1"))
        db_session.commit()
    assert runner.invoke(args=["academy", "synth", "--cohorts", "2", "--trainees", "3"]).exit_code == 0
    if sqlite:
        statistics = text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'lab_attempt'")
    else:  # the tests' TRUNCATE resets the planner's row estimate to -1 (never analysed); only ANALYZE sets it
        statistics = text("SELECT reltuples FROM pg_class WHERE relname = 'lab_attempt'")
    assert db_session.exec(statistics).scalar() > 0
    db_session.rollback()


def test_synthetic_knowledge_checks_hold_the_answers_their_score_says(app, runner, db_session):
    import json

    from academy.curriculum.store import catalogue
    from academy.learning.services import grade
    from academy.models import QuizAttempt

    assert runner.invoke(args=["academy", "synth", "--cohorts", "1", "--trainees", "3"]).exit_code == 0
    attempts = db_session.exec(select(QuizAttempt)).all()
    db_session.rollback()
    assert any(not a.passed for a in attempts) and any(a.passed for a in attempts)
    with app.app_context():
        modules = catalogue().modules
        for attempt in attempts:
            graded = grade(modules[attempt.module_id], json.loads(attempt.answers))
            assert graded.correct == attempt.correct, attempt.module_id
