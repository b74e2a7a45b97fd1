"""The fixture chain: database -> app -> client. Every test starts from migrated, empty tables.

The suite runs on SQLite (a temporary file) by default, and on PostgreSQL when ACADEMY_TEST_DATABASE_URL
is set: this run then creates its own database on that server and drops it at the end.
"""

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from academy import create_app, migrate
from academy.navigation import DriverStatement

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def fresh_database(folder: Path, prefix: str = "academy_test"):
    """The URL of an empty database of its own: a SQLite file in `folder`, or, when ACADEMY_TEST_DATABASE_URL
    names a PostgreSQL server, a new database there, dropped afterwards."""
    server_url = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{folder / f'{prefix}.db'}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def credential_key_file(tmp_path_factory):
    """Credentials are signed with a key the app makes on first use in its instance folder, which in tests would be
    the repository's instance/: every app of the run makes and reads it in a temporary folder instead."""
    path = tmp_path_factory.mktemp("instance") / "credential_signing_key.pem"
    os.environ["ACADEMY_CREDENTIAL_KEY_FILE"] = str(path)
    yield path
    os.environ.pop("ACADEMY_CREDENTIAL_KEY_FILE", None)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def migrated(database_url):
    engine = create_engine(database_url)
    migrate.upgrade(engine)
    engine.dispose()
    return database_url


def empty_tables(engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@contextmanager
def served(app):
    """The app served on a free port of 127.0.0.1 in a thread, for a browser or a real client: its address."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@contextmanager
def own_app(database_url, **overrides):
    """An app of the test's own settings (another curriculum, CSRF on), on the migrated database, emptied."""
    app = make_app(database_url, **overrides)
    engine = app.extensions["academy.engine"]
    empty_tables(engine)
    yield app
    engine.dispose()


def make_app(database_url, **overrides):
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "CURRICULUM_DIR": str(REPO / "curriculum"),
        "WTF_CSRF_ENABLED": False,  # tests/test_security.py and the browser tests run with CSRF on
        "QUEUE_URL": "memory://",  # tests that run a worker give a queue file of their own
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(migrated):
    app = make_app(migrated)
    engine = app.extensions["academy.engine"]
    empty_tables(engine)
    yield app
    engine.dispose()


@pytest.fixture
def csrf_app(migrated):
    """The app with CSRF checks on (the suite's app has them off), on an emptied database."""
    with own_app(migrated, WTF_CSRF_ENABLED=True) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    """A session outside any request, for arranging data and checking what a request stored."""
    from sqlmodel import Session

    engine = app.extensions["academy.engine"].execution_options(sqlite_deferred=True)
    with Session(engine, expire_on_commit=False) as session:
        yield session


# ------------------------------------------------------------------ people


PASSWORD = "a long and unguessable test password"


class People:
    """Creates accounts and cohorts for a test, and signs a test client in as any of them."""

    def __init__(self, app):
        self.app = app
        self._hash = None

    def session(self):
        from sqlmodel import Session

        return Session(self.app.extensions["academy.engine"], expire_on_commit=False)

    def user(self, email: str, *roles: str, name: str | None = None, password: str | None = PASSWORD):
        from academy.accounts import services

        if password == PASSWORD:
            self._hash = self._hash or services.hash_password(PASSWORD)
            password_hash = self._hash
        else:
            password_hash = services.hash_password(password) if password else None
        with self.app.app_context(), self.session() as s:
            user = services.create_user(
                session=s,
                email=email,
                display_name=name or email.split("@")[0].title(),
                roles=roles or ("trainee",),
                password_hash=password_hash,
            )
            s.commit()
            return user

    def decided_attempt(self, trainee, mentor, outcome: str = "approved", *, comment: str = "", **times):
        """A linux-shell lab attempt of `trainee` with `mentor`'s decision; `submitted_at` and `decided_at` may
        be given (default: now). `outcome` is "approved" or "changes_requested", the attempt's status too."""
        from academy.models import Decision, LabAttempt, utcnow

        with self.session() as s:
            attempt = LabAttempt(
                trainee_id=trainee.id,
                module_id="linux-shell",
                lab_id="linux-shell-lab",
                number=1,
                status=outcome,
                evidence="Evidence.",
                request_key=f"decided-{trainee.id}",
                submitted_at=times.get("submitted_at") or utcnow(),
            )
            s.add(attempt)
            s.flush()
            decided_at = times.get("decided_at") or utcnow()
            s.add(
                Decision(
                    attempt_id=attempt.id, mentor_id=mentor.id, outcome=outcome, comment=comment, decided_at=decided_at
                )
            )
            s.commit()
            return attempt

    def cohort(self, name: str = "Test cohort", *, trainees=(), mentors=(), managers=(), mentor_of=None):
        """A cohort following every track; `mentor_of` maps a trainee to their mentor (default: first mentor)."""
        from datetime import date

        from academy.cohorts import services as cohorts
        from academy.curriculum.store import catalogue

        with self.app.test_request_context(), self.session() as s:
            cohort = cohorts.create_cohort(
                session=s,
                catalogue=catalogue(),
                name=name,
                start=date(2026, 9, 1),
                end=date(2027, 3, 1),
                track_ids=[t.id for t in catalogue().tracks],
            )
            for role, people in (("mentor", mentors), ("manager", managers)):
                for person in people:
                    cohorts.add_member(session=s, cohort=cohort, user=person, role=role)
            for trainee in trainees:
                mentor = (mentor_of or {}).get(trainee.email, mentors[0] if mentors else None)
                cohorts.add_member(session=s, cohort=cohort, user=trainee, role="trainee", mentor=mentor)
            s.commit()
            return cohort


def sign_in(client, email: str, password: str = PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def client_of(app, user):
    """A test client of `app` signed in as `user` (made with the suite's password)."""
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


@pytest.fixture
def people(app):
    return People(app)


@pytest.fixture
def academy(people):
    """A small academy: an admin, a manager, two mentors, two trainees in one cohort, one outsider cohort."""
    ns = type("Academy", (), {})()
    ns.admin = people.user("admin@example.com", "admin")
    ns.manager = people.user("manager@example.com", "manager")
    ns.other_manager = people.user("other-manager@example.com", "manager")
    ns.mentor = people.user("mentor@example.com", "mentor")
    ns.mentor2 = people.user("mentor2@example.com", "mentor")
    ns.trainee = people.user("trainee@example.com", "trainee")
    ns.trainee2 = people.user("trainee2@example.com", "trainee")
    ns.outsider = people.user("outsider@example.com", "trainee")
    ns.cohort = people.cohort(
        "Cohort A", trainees=[ns.trainee, ns.trainee2], mentors=[ns.mentor, ns.mentor2], managers=[ns.manager]
    )
    ns.other_cohort = people.cohort(
        "Cohort B", trainees=[ns.outsider], mentors=[ns.mentor2], managers=[ns.other_manager]
    )
    return ns


@pytest.fixture
def as_role(app, academy):
    """as_role("trainee") -> a test client signed in as that person of the small academy."""

    def signed_in(who: str):
        client = app.test_client()
        response = sign_in(client, getattr(academy, who).email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return signed_in


class Statements:
    """The SQL statements run while the block runs, whitespace collapsed: those SQLAlchemy runs on the engine (its
    cursor events), and the session check's, which academy.navigation.read_reader runs on the driver's own cursor.
    Transaction control and connection settings (BEGIN, PRAGMA, ROLLBACK, SET) are not the request's own: left out."""

    NOT_THE_REQUESTS_OWN = ("BEGIN", "PRAGMA", "ROLLBACK", "SET")

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        self._run = run = DriverStatement.run

        def recorded(statement, *args):
            self.seen.append(" ".join(statement.sql.split()))
            return run(statement, *args)

        DriverStatement.run = recorded
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._record)
        DriverStatement.run = self._run

    def _record(self, _conn, _cursor, statement, *_rest):
        if not statement.lstrip().upper().startswith(self.NOT_THE_REQUESTS_OWN):
            self.seen.append(" ".join(statement.split()))
