"""The load benchmark of issue 8, in one command: for SQLite and then PostgreSQL, a fresh database with a
4,000-trainee synthetic academy, gunicorn with 4 workers, every page under wrk beside /healthz, the workers'
memory, then writes under locust, checked in the database. Writes bench/results.md. See bench/README.md."""

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

import reads
import report
import server
import writes
from sqlalchemy import create_engine

HERE = Path(__file__).resolve().parent
SETUP = "{ command -v wrk || { apt-get update && apt-get install -y wrk; }; } && pip install -e '.[bench]'"


def options() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    p.add_argument("--seconds", type=float, default=12, help="measured seconds per page")
    p.add_argument("--warmup", type=float, default=3, help="warm-up seconds per page, not measured")
    p.add_argument("--connections", type=int, default=16, help="wrk's concurrent connections, for every page")
    p.add_argument("--threads", type=int, default=2, help="wrk's threads")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    p.add_argument("--cohorts", type=int, default=100)
    p.add_argument("--trainees", type=int, default=40, help="per cohort")
    p.add_argument("--writes-seconds", type=int, default=60, help="length of the writes scenario; 0 skips it")
    p.add_argument("--wait", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"),
                   help="seconds each simulated trainee or mentor waits between actions")  # fmt: skip
    p.add_argument("--profile-requests", type=int, default=20, help="requests per missed page under cProfile; 0: none")
    p.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                   help="a server where the benchmark may create (and then drops) a database of its own")  # fmt: skip
    p.add_argument("--output", type=Path, default=HERE / "results.md")
    return p.parse_args()


def require_tools() -> None:
    missing = [tool for tool in ("wrk",) if shutil.which(tool) is None]
    try:
        version("locust")
    except Exception:  # noqa: BLE001 - any failure to find it means it is not installed
        missing.append("locust")
    if missing:
        raise SystemExit(f"Missing: {', '.join(missing)}. From the repository root, as root:\n  {SETUP}")


def log(message: str) -> None:
    print(message, flush=True)


def memory(master: int) -> dict[int, dict]:
    return {pid: server.memory_mib(pid) for pid in server.worker_pids(master)}


def run_database(kind: str, args, today: date) -> report.DatabaseRun:
    with server.workdir() as workdir, server.fresh_database(kind, args.postgres_url, workdir) as database:
        log(f"== {database.version}")
        env = server.academy_env(database.url, workdir)
        log(f"Building the synthetic academy ({args.cohorts} cohorts of {args.trainees} trainees)...")
        synth_seconds = server.synthesise(env, args.cohorts, args.trainees)
        modules = server.catalogue(env)
        engine = create_engine(database.url)
        try:
            subjects = reads.pick_subjects(engine, modules, today)
            token = server.api_token(env, subjects.manager)
            with server.gunicorn(env, workdir, args.workers) as gunicorn:
                log(f"gunicorn ({args.workers} workers) at {gunicorn.url}; reads, {args.seconds:g} s per page:")
                measured = reads.measure_pages(
                    gunicorn.url,
                    subjects,
                    token,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    connections=args.connections,
                    threads=args.threads,
                    log=log,
                )
                run = report.DatabaseRun(database, synth_seconds, subjects, measured, memory(gunicorn.pid))
                run.read_log = writes.server_log_problems(gunicorn.log_since(0))
                run.read_log_samples = writes.server_log_samples(gunicorn.log_since(0))
                if args.writes_seconds:
                    log(f"Writes: locust for {args.writes_seconds} s...")
                    run.writes = writes.scenario(
                        engine, env, gunicorn, modules, workdir,
                        seconds=args.writes_seconds, wait=tuple(args.wait), today=today,
                    )  # fmt: skip
                    run.memory_after_writes = memory(gunicorn.pid)
                    log("  nothing lost, no request failed" if report.writes_ok(run.writes) else "  WRITES FAILED")
            if args.profile_requests:
                run.profiles = profile_misses(run, env, token, args.profile_requests)
            return run
        finally:
            engine.dispose()


def profile_misses(run: report.DatabaseRun, env: dict, token: str, requests: int) -> list[str]:
    """A cProfile of each page that missed a target, with its SQL timed, on this run's database."""
    found = []
    who = {"trainee": run.subjects.trainee, "mentor": run.subjects.mentor, "manager": run.subjects.manager}
    for m in run.measured:
        if not report.misses(m, run.baseline, run.database.kind):
            continue
        log(f"Profiling {m.path}...")
        credentials = ["--token", token] if m.page.who == "manager-token" else ["--email", who[m.page.who]]
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [
                sys.executable,
                str(HERE / "profile_page.py"),
                "--path",
                m.path,
                "--requests",
                str(requests),
                *credentials,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        found.append(
            done.stdout
            if done.returncode == 0
            else f"Profiling `{m.path}` failed:\n\n```\n{done.stderr[-2000:]}\n```\n"
        )
    return found


def context(args) -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip()  # noqa: S607
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code": code_version(),
        "machine": f"{os.cpu_count()} cores, {int(meminfo) / 2**20:.0f} GiB memory, {platform.machine()}, "
        f"load average {os.getloadavg()[0]:.2f} at the start (the machine may be shared)",
        "software": f"Python {platform.python_version()}, gunicorn {version('gunicorn')} (sync workers), "
        f"{wrk_version or 'wrk'}, locust {version('locust')}",
    }


def code_version() -> str:
    """The commit measured, and whether the application's files differed from it."""
    git = ["git", "-C", str(HERE.parent)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()  # noqa: S603
    changed = subprocess.run(  # noqa: S603
        [*git, "status", "--porcelain", "--", "academy", "templates", "static", "migrations"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"commit {commit or 'unknown'}" + (", with uncommitted changes to the application" if changed else "")


def settings(args) -> dict:
    return {
        "academy": f"{args.cohorts} cohorts × {args.trainees} trainees",
        "server": f"gunicorn, {args.workers} workers, 127.0.0.1",
        "reads": f"wrk, {args.threads} threads, {args.connections} connections, {args.warmup:g} s warm-up then "
        f"{args.seconds:g} s measured, per page",
        "writes": f"locust, {args.writes_seconds} s" if args.writes_seconds else "not run",
    }


def stop_on_sigterm(_signum, _frame):
    raise KeyboardInterrupt  # so that the blocks that stop gunicorn and drop the database run


def main() -> None:
    args = options()
    require_tools()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    about, runs, started = context(args), [], time.monotonic()
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        if kind not in ("sqlite", "postgresql"):
            raise SystemExit(f"Unknown database {kind!r}: use sqlite and/or postgresql.")
        runs.append(run_database(kind, args, date.today()))
        args.output.write_text(report.render(runs, about, settings(args)))  # what is done so far survives a stop
    log(f"Done in {time.monotonic() - started:.0f} s: {args.output}")
    print("\n".join(report.summary(runs)))


if __name__ == "__main__":
    main()
