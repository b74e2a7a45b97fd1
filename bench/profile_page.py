"""Why a page is slow: one page requested many times in one process (Flask's test client, no server), under
cProfile, with every SQL statement timed. Prints a Markdown section; bench/run.py calls it for each page that
missed its target, on the benchmark's own database.

    ACADEMY_DATABASE_URL=... python bench/profile_page.py --path /learn --email synth-trainee...@example.com
"""

import argparse
import cProfile
import os
import pstats
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pages import PASSWORD, form_to  # noqa: E402


def signed_in_client(app, email: str | None):
    client = app.test_client()
    if email:
        page = client.get("/login")
        form = form_to(page.get_data(as_text=True), "")
        answer = client.post("/login", data={**form.fields, "email": email, "password": PASSWORD})
        if answer.status_code != 302:
            raise SystemExit(f"signing in as {email} answered {answer.status_code}")
    return client


class StatementClock:
    """Time spent in the database driver, per statement text, through SQLAlchemy's cursor events; and the session
    check's, which academy.navigation runs on the driver's own cursor, outside those events."""

    def __init__(self, engine):
        self.total: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)
        self.enabled = False
        from sqlalchemy import event

        from academy.navigation import DriverStatement

        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)
        run = DriverStatement.run

        def timed(statement, *args):
            started = time.perf_counter()
            try:
                return run(statement, *args)
            finally:
                if self.enabled:
                    key = " ".join(statement.sql.split())
                    self.total[key] += time.perf_counter() - started
                    self.count[key] += 1

        DriverStatement.run = timed  # this process only profiles

    def before(self, conn, cursor, statement, *args):
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn, cursor, statement, *args):
        if self.enabled:
            key = " ".join(statement.split())
            self.total[key] += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
            self.count[key] += 1


def shorten(path: str) -> str:
    for prefix, name in ((str(REPO) + "/", ""), ("site-packages/", "")):
        if prefix in path:
            return name + path.split(prefix, 1)[1]
    return path


def ours(path: str) -> bool:
    return path.startswith(str(REPO)) and "/bench/" not in path


def profile(path: str, email: str | None, token: str | None, requests: int) -> str:
    from academy import create_app

    app = create_app()
    client = signed_in_client(app, email)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with app.app_context():
        from academy import db

        clock = StatementClock(db.engine())
    for _ in range(3):  # warm: templates compiled, caches filled
        status = client.get(path, headers=headers).status_code
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    clock.enabled = True
    started = time.perf_counter()
    for _ in range(requests):
        client.get(path, headers=headers)
    plain = time.perf_counter() - started
    clock.enabled = False
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path, headers=headers)
    profiler.disable()
    return report(path, email or "token", requests, plain, clock, pstats.Stats(profiler))


def report(path, who, n, elapsed, clock: StatementClock, stats: pstats.Stats) -> str:
    sql_time, sql_count = sum(clock.total.values()), sum(clock.count.values())
    lines = [
        f"#### `{path}` as {who}",
        "",
        f"{1000 * elapsed / n:.1f} ms per request in one process, without a profiler ({n} requests through Flask's "
        f"test client, on the benchmark's database, the machine's load average {os.getloadavg()[0]:.1f}); "
        f"{sql_count / n:.1f} SQL statements per request, {1000 * sql_time / n:.1f} ms per request waiting for the "
        "database. The tables below come from a second pass under cProfile, which inflates Python time.",
        "",
        "Statements by time spent (per request):",
        "",
        "| ms | calls | statement |",
        "|---:|---:|---|",
    ]
    for statement, total in sorted(clock.total.items(), key=lambda kv: -kv[1])[:6]:
        text = re.sub(r"\s+", " ", statement)
        text = (text if len(text) <= 300 else text[:300] + " …").replace("|", "\\|")
        lines.append(f"| {1000 * total / n:.1f} | {clock.count[statement] / n:.1f} | `{text}` |")
    lines += ["", "Where the time goes, in the academy's code and templates (cumulative, per request):", ""]
    lines += function_table(stats, n, key=lambda row: row["cumulative"], only_ours=True, limit=12)
    lines += ["", "Own time (excluding callees), anywhere (per request):", ""]
    lines += function_table(stats, n, key=lambda row: row["own"], only_ours=False, limit=10)
    return "\n".join(lines) + "\n"


def function_table(stats: pstats.Stats, n: int, *, key, only_ours: bool, limit: int) -> list[str]:
    rows = []
    for (filename, line, function), (_cc, calls, own, cumulative, _callers) in stats.stats.items():
        if only_ours and not ours(filename):
            continue
        rows.append(
            {
                "where": f"{shorten(filename)}:{line}",
                "function": function,
                "calls": calls,
                "own": own,
                "cumulative": cumulative,
            }
        )
    out = ["| function | where | calls | own ms | cumulative ms |", "|---|---|---:|---:|---:|"]
    for row in sorted(rows, key=lambda r: -key(r))[:limit]:
        out.append(
            f"| `{row['function']}` | {row['where']} | {row['calls'] / n:.0f} | {1000 * row['own'] / n:.1f} "
            f"| {1000 * row['cumulative'] / n:.1f} |"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", required=True)
    parser.add_argument("--email", help="sign in as this synthetic account (password academy-synth)")
    parser.add_argument("--token", help="an API token, for /api/v1 paths")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    if "ACADEMY_DATABASE_URL" not in os.environ:
        raise SystemExit("Set ACADEMY_DATABASE_URL to the synthetic academy's database.")
    os.chdir(REPO)
    print(profile(args.path, args.email, args.token, args.requests))


if __name__ == "__main__":
    main()
