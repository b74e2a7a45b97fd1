"""The system under test: a fresh database holding a synthetic academy, served by gunicorn on 127.0.0.1.

Every database made here is the benchmark's own (a temporary SQLite file, or a PostgreSQL database with a
random name) and is removed when its block ends; no other database is touched."""

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine, make_url, text

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Database:
    kind: str  # "sqlite" or "postgresql"
    url: str
    version: str


@contextmanager
def fresh_database(kind: str, postgres_admin_url: str, workdir: Path) -> Iterator[Database]:
    if kind == "sqlite":
        yield Database("sqlite", f"sqlite:///{workdir / 'academy.db'}", f"SQLite {sqlite3.sqlite_version}")
        return
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    name = f"academy_bench_{secrets.token_hex(4)}"  # ours alone: created here, dropped below
    try:
        with admin.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
        yield Database("postgresql", url, f"PostgreSQL {version}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def academy_env(database_url: str, workdir: Path) -> dict[str, str]:
    """The settings every process of one run shares: one database, one fixed secret key for all workers."""
    return {
        **os.environ,
        "ACADEMY_DATABASE_URL": database_url,
        "ACADEMY_SECRET_KEY": secrets.token_hex(32),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "FLASK_APP": "app:app",
    }


def flask_academy(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "flask", "academy", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask academy {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def synthesise(env: dict[str, str], cohorts: int, trainees: int) -> float:
    """Build the synthetic academy (migrations included); the seconds it took."""
    started = time.monotonic()
    flask_academy(env, "synth", "--cohorts", str(cohorts), "--trainees", str(trainees))
    return time.monotonic() - started


def catalogue(env: dict[str, str]) -> list[dict]:
    """The curriculum's modules in track order, with their prerequisites and labs."""
    listing = json.loads(flask_academy(env, "curriculum", "list", "--json"))
    return [module for track in listing["tracks"] for module in track["modules"]]


def api_token(env: dict[str, str], email: str, scope: str = "read") -> str:
    """A token made as people make theirs: read-only unless asked (a mentor's decisions need "write")."""
    answer = flask_academy(env, "token", "create", email, "--name", "bench", "--scope", scope)
    return answer.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log: Path

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open(errors="replace") as f:
            f.seek(offset)
            return f.read()


@contextmanager
def gunicorn(env: dict[str, str], workdir: Path, workers: int = 4) -> Iterator[Server]:
    """gunicorn from the repository root (so that it reads gunicorn.conf.py), until the block ends."""
    port = free_port()
    log = workdir / "gunicorn.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "app:app"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process.pid, log)
    try:
        wait_ready(server, process, workers)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(server: Server, process: subprocess.Popen, workers: int, timeout: float = 60) -> None:
    """Until /readyz answers and every worker has started (a worker loads the curriculum as it boots)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {server.log}")
        try:
            ready = requests.get(f"{server.url}/readyz", timeout=5).status_code == 200
        except requests.RequestException:
            ready = False
        if ready and len(worker_pids(server.pid)) == workers:
            for _ in range(4 * workers):  # let every worker answer once, so none is measured while importing
                requests.get(f"{server.url}/readyz", timeout=5)
            return
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn was not ready within {timeout:.0f} s; see {server.log}")


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:  # the field after the state is the parent
                pids.append(int(entry.name))
    return sorted(pids)


def memory_mib(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM), in MiB, from /proc/<pid>/status (which says kB: KiB)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return {"rss_mib": values["VmRSS"], "peak_mib": values["VmHWM"]}


@contextmanager
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="academy-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
