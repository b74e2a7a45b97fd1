"""`flask academy demo`: migrates, loads the documented accounts and cohorts, and is idempotent."""

from sqlalchemy import func
from sqlmodel import select
from werkzeug.security import check_password_hash

from academy.models import AuditEntry, Cohort, CohortStaff, CohortTrainee, ModuleProgress, User, UserRole
from tests.conftest import REPO, sign_in

COUNTED = (User, UserRole, Cohort, CohortTrainee, CohortStaff, ModuleProgress, AuditEntry)


def counts(session):
    found = {model.__name__: session.exec(select(func.count()).select_from(model)).one() for model in COUNTED}
    session.rollback()  # end the read: outside a request, SQLite transactions take the write lock
    return found


def test_demo_loads_the_documented_academy(runner, db_session):
    result = runner.invoke(args=["academy", "demo"])
    assert result.exit_code == 0, result.output
    for email in (
        "admin@example.com",
        "manager@example.com",
        "mentor@example.com",
        "mentor2@example.com",
        "trainee@example.com",
        "trainee2@example.com",
        "trainee9@example.com",
    ):
        assert email in result.output
        user = db_session.exec(select(User).where(User.email == email)).one()
        assert check_password_hash(user.password_hash, "academy-demo")
    assert counts(db_session)["Cohort"] == 3
    assert counts(db_session)["CohortTrainee"] >= 8
    finished = db_session.exec(
        select(ModuleProgress.trainee_id, func.count())
        .where(ModuleProgress.completed_at.is_not(None))
        .group_by(ModuleProgress.trainee_id)
    ).all()
    assert len({n for _, n in finished}) >= 4, "trainees should be at varied stages"


def test_demo_has_someone_at_each_stage_of_the_practicum_as_the_readme_says(app, runner, db_session):
    from academy.models import Credential, PracticeEntry, ReadinessRequest
    from academy.readiness.queries import readiness_of

    assert runner.invoke(args=["academy", "demo"]).exit_code == 0
    ids = {u.email: u.id for u in db_session.exec(select(User)).all()}
    with app.test_request_context():
        cat = app.extensions["academy.catalogue"].catalogue
        stages = readiness_of(db_session, cat, [ids[f"trainee{n}@example.com"] for n in (10, 11, 12)])
    assert [stages[ids[f"trainee{n}@example.com"]].stage for n in (10, 11, 12)] == [
        "ready for on-call",
        "ready for review",
        "practising",
    ]
    waiting = db_session.exec(select(PracticeEntry).where(PracticeEntry.status == "submitted")).all()
    assert [e.trainee_id for e in waiting] == [ids["trainee12@example.com"]]
    pending = db_session.exec(select(ReadinessRequest).where(ReadinessRequest.status == "pending")).one()
    assert pending.trainee_id == ids["trainee11@example.com"]
    credential = db_session.exec(select(Credential)).one()
    assert credential.trainee_id == ids["trainee10@example.com"] and credential.revoked_at is None
    readme = (REPO / "README.md").read_text()
    for n in (10, 11, 12):
        assert f"`trainee{n}@example.com`" in readme


def test_demo_twice_changes_nothing(runner, db_session):
    runner.invoke(args=["academy", "demo"])
    before = counts(db_session)
    result = runner.invoke(args=["academy", "demo"])
    assert result.exit_code == 0
    assert "nothing changed" in result.output
    assert counts(db_session) == before


def test_stored_knowledge_checks_hold_the_answers_their_score_says(app, runner, db_session):
    """A demo attempt shown on its result page marks as right exactly as many questions as its score."""
    import json

    from academy.curriculum.store import catalogue
    from academy.learning.services import grade
    from academy.models import QuizAttempt

    assert runner.invoke(args=["academy", "demo"]).exit_code == 0
    attempts = db_session.exec(select(QuizAttempt)).all()
    db_session.rollback()
    assert attempts
    with app.app_context():
        modules = catalogue().modules
        for attempt in attempts:
            graded = grade(modules[attempt.module_id], json.loads(attempt.answers))
            assert (graded.correct, graded.total) == (attempt.correct, attempt.total), attempt.module_id


def test_a_graduate_and_a_trainee_waiting_for_their_panel_are_never_at_risk(app, runner, db_session):
    assert runner.invoke(args=["academy", "demo"]).exit_code == 0
    dublin = db_session.exec(select(Cohort).where(Cohort.name == "Dublin spring 2026")).one()
    client = app.test_client()
    assert sign_in(client, "manager@example.com", "academy-demo").status_code == 302
    page = client.get(f"/cohorts/{dublin.id}").get_data(as_text=True)
    risks = page.split('id="risk-title"')[1].split("</section>")[0]
    assert "Nadia Haddad" not in risks and "Tom Brennan" not in risks  # graduated; waiting for the panel
