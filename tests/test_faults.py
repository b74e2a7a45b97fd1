"""When the database goes away: clear 503s (page and JSON), /readyz says so, nothing half-written, and the
app recovers by itself when the database is back. PostgreSQL runs as a throwaway server of this test's own
(initdb into a temporary folder, another port), never the machine's shared one."""

import contextlib
import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from academy import db, migrate
from academy.models import Attachment, LabAttempt
from tests.conftest import People, make_app, sign_in

LAB = "linux-shell-lab"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    """A PostgreSQL server in a temporary folder, run as the postgres system user (it refuses root)."""

    def __init__(self, folder: Path):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        assert binaries, "PostgreSQL's server binaries are needed (Debian package postgresql)"
        self.bin = Path(binaries[-1])
        self.data, self.port = folder / "data", free_port()
        folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(folder, "postgres")
        self.log = folder / "server.log"
        self.as_postgres(self.bin / "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def as_postgres(self, *command) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *map(str, command)], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off"
        self.as_postgres(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self.as_postgres(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def throwaway_postgres():
    folder = Path(tempfile.mkdtemp(prefix="academy-pg-"))  # not under pytest's root-only folder
    try:
        server = ThrowawayPostgres(folder)
        yield server
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped already
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def academy_on(url: str, **settings):
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = make_app(url, **settings)
    people = People(app)
    trainee = people.user("t@example.com", "trainee")
    people.cohort("Faults", trainees=[trainee], mentors=[people.user("m@example.com", "mentor")])
    client = app.test_client()
    assert sign_in(client, "t@example.com").status_code == 302
    return app, client


def submit(client, n: int, with_file: bool = True):
    import io

    data = {f"lab-{LAB}-evidence": f"evidence {n}", f"lab-{LAB}-request_key": f"{n:032x}"}
    if with_file:
        data[f"lab-{LAB}-files"] = (io.BytesIO(b"log line\n" * 1000), "run.log")
    return client.post(f"/labs/{LAB}/attempts", data=data, content_type="multipart/form-data")


def counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with Session(engine) as s:
        found = (
            s.exec(select(func.count()).select_from(LabAttempt)).one(),
            s.exec(select(func.count()).select_from(Attachment)).one(),
        )
    engine.dispose()
    return found


def test_postgres_stopped_mid_run_gives_503s_then_recovers_without_a_restart(throwaway_postgres):
    app, client = academy_on(throwaway_postgres.url)
    assert client.get("/readyz").status_code == 200
    assert submit(client, 1).status_code == 302

    stop, outcomes = threading.Event(), []

    def keep_submitting():  # requests in flight while the server goes away
        n = 100
        while not stop.is_set():
            n += 1
            outcomes.append(submit(client, n, with_file=True).status_code)
            client.post(f"/lab-attempts/{n}/withdraw")

    worker = threading.Thread(target=keep_submitting)
    worker.start()
    throwaway_postgres.stop()
    stop.set()
    worker.join(60)
    assert all(code in (302, 422, 503) for code in outcomes), outcomes

    page = client.get("/learn")
    assert page.status_code == 503 and "database is not answering" in page.get_data(as_text=True)
    assert page.headers["Retry-After"] == "30"
    api = client.get("/api/v1/me")
    assert api.status_code in (401, 503) and api.is_json
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").get_json()["checks"]["database"] is False
    assert client.get("/healthz").status_code == 200
    refused = submit(client, 2)
    assert refused.status_code == 503

    throwaway_postgres.start()
    assert client.get("/readyz").status_code == 200, "recovers by itself"
    assert client.get("/learn").status_code == 200
    attempts, files = counts(throwaway_postgres.url)
    assert files == attempts, "every stored attempt has its file: nothing half-written"
    app.extensions["academy.engine"].dispose()


def test_after_a_restart_of_postgres_a_pooled_connection_idle_a_while_is_replaced_before_a_request_meets_it(
    throwaway_postgres, monkeypatch
):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.2)  # the pool asks an idle connection before handing it out
    app, client = academy_on(throwaway_postgres.url)
    assert client.get("/learn").status_code == 200
    throwaway_postgres.stop()
    throwaway_postgres.start()  # every pooled connection is now to a server that is gone
    time.sleep(0.3)
    assert client.get("/learn").status_code == 200, "the idle connection was pinged and replaced"
    app.extensions["academy.engine"].dispose()


def test_a_connection_lost_under_the_session_check_gives_a_503_and_the_pool_starts_afresh(
    throwaway_postgres, monkeypatch
):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600)  # the pool hands out its connections unasked
    app, client = academy_on(throwaway_postgres.url)
    assert client.get("/learn").status_code == 200
    throwaway_postgres.stop()  # the session check (on the driver's cursor) is the first to meet the lost server
    page = client.get("/learn")
    assert page.status_code == 503 and "database is not answering" in page.get_data(as_text=True)
    throwaway_postgres.start()
    assert client.get("/learn").status_code == 200, "the lost connection and the pool's others were dropped"
    app.extensions["academy.engine"].dispose()


def test_a_session_check_the_database_refuses_gives_a_503(tmp_path):
    url = f"sqlite:///{tmp_path / 'academy.db'}"
    app, client = academy_on(url)
    with sqlite3.connect(tmp_path / "academy.db") as other:
        other.execute("DROP TABLE data_version")  # the session check reads the reader's versions there
    page = client.get("/learn")
    assert page.status_code == 503 and "database is not answering" in page.get_data(as_text=True)
    app.extensions["academy.engine"].dispose()


def test_a_locked_sqlite_file_gives_503s_and_readyz_says_so_until_it_is_free(tmp_path):
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    app, client = academy_on(url, SQLITE_BUSY_TIMEOUT_MS=300)
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock (a stuck job, a copy tool)
    try:
        response = submit(client, 1)
        assert response.status_code == 503
        assert "nothing was changed" in response.get_data(as_text=True)
        api = client.post(
            f"/api/v1/labs/{LAB}/attempts", json={"evidence": "x"}, headers={"Authorization": "Bearer sra_nothing"}
        )
        assert api.status_code in (401, 503) and api.is_json
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["checks"]["database"] is False
        assert client.get("/healthz").status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.get("/readyz").status_code == 200
    assert submit(client, 2).status_code == 302
    assert counts(url) == (1, 1)
    app.extensions["academy.engine"].dispose()


def test_a_missing_database_answers_503_json_to_the_api(tmp_path):
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/none")
    client = app.test_client()
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer sra_x"})
    assert response.status_code == 503 and response.get_json()["error"] == "Temporarily unavailable"
    page = client.get("/login")
    assert page.status_code in (200, 503)
    assert client.post("/login", data={"email": "a@example.com", "password": "p"}).status_code == 503
