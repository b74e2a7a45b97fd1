"""Writes under load, with nothing lost: 50 trainees and 5 mentors under locust, then a look in the database
for every write the server acknowledged.

The trainees are the first 10 of each of the 5 most recently started cohorts that are a month or more into
their plan; the mentors are the first mentor of each of those cohorts, so that each decides on their own
cohort's queue (synthetic submissions waiting there included)."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pages import sign_in
from reads import as_date
from server import api_token
from sqlalchemy import Engine, bindparam, text

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
TABLES = ("lab_attempt", "quiz_attempt", "decision")


def plan(engine: Engine, env: dict, base_url: str, modules: list[dict], today: date, *, cohorts=5, trainees=10):
    """Who takes part, signed in (trainees) or with a token (mentors), and what each trainee can work on."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, start_date FROM cohort")).all()
        started = sorted((r for r in rows if as_date(r.start_date) <= today - timedelta(weeks=4)), key=newest_first)
        chosen = [r.id for r in started[:cohorts]]
        people = [cohort_people(conn, cohort_id, trainees) for cohort_id in chosen]
    all_ids = [m["id"] for m in modules]
    return {
        "trainees": [
            {
                "id": t["id"],
                "email": t["email"],
                "cookies": signed_in_cookies(base_url, t["email"]),
                "open_modules": open_modules(modules, t["done"]),
                "all_modules": all_ids,
            }
            for _mentor, group in people
            for t in group
        ],
        "mentors": [{**mentor, "token": api_token(env, mentor["email"], scope="write")} for mentor, _ in people],
        "cohorts": chosen,
    }


def signed_in_cookies(base_url: str, email: str) -> list[dict]:
    """The session cookie as the server set it: same domain and path, so that the server's updates replace it."""
    return [
        {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path} for c in sign_in(base_url, email).cookies
    ]


def newest_first(row) -> int:
    return -as_date(row.start_date).toordinal()


def cohort_people(conn, cohort_id: int, how_many: int) -> tuple[dict, list[dict]]:
    mentor = conn.execute(
        text(
            'SELECT u.id, u.email FROM cohort_staff s JOIN "user" u ON u.id = s.user_id '
            "WHERE s.cohort_id = :c AND s.role = 'mentor' ORDER BY u.id LIMIT 1"
        ),
        {"c": cohort_id},
    ).one()
    trainees = conn.execute(
        text(
            'SELECT u.id, u.email FROM cohort_trainee ct JOIN "user" u ON u.id = ct.trainee_id '
            "WHERE ct.cohort_id = :c ORDER BY u.id LIMIT :n"
        ),
        {"c": cohort_id, "n": how_many},
    ).all()
    done = done_modules(conn, [t.id for t in trainees])
    return (
        {"id": mentor.id, "email": mentor.email},
        [{"id": t.id, "email": t.email, "done": done.get(t.id, set())} for t in trainees],
    )


def done_modules(conn, trainee_ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    query = text(
        "SELECT trainee_id, module_id FROM module_progress WHERE completed_at IS NOT NULL AND trainee_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    for trainee_id, module_id in conn.execute(query, {"ids": trainee_ids}):
        found.setdefault(trainee_id, set()).add(module_id)
    return found


def open_modules(modules: list[dict], done: set[str]) -> list[str]:
    """Modules whose knowledge check and labs the trainee may do now: prerequisites done, module not yet."""
    return [m["id"] for m in modules if m["id"] not in done and all(p in done for p in m["prerequisites"])]


def last_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar_one() for t in TABLES}  # noqa: S608


def run_locust(base_url: str, the_plan: dict, workdir: Path, *, seconds: int, wait: tuple[float, float]) -> dict:
    plan_path, out_path = workdir / "writes-plan.json", workdir / "writes-out.json"
    plan_path.write_text(json.dumps({**the_plan, "wait_min": wait[0], "wait_max": wait[1]}))
    users = len(the_plan["trainees"]) + len(the_plan["mentors"])
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base_url,
        "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--stop-timeout", "15",
        "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**os.environ, "BENCH_WRITES_PLAN": str(plan_path), "BENCH_WRITES_OUT": str(out_path)}
    with (workdir / "locust.log").open("w") as log:
        subprocess.run(  # noqa: S603 - our own interpreter and arguments
            command, cwd=LOCUSTFILE.parent, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 120
        )
    if not out_path.exists():
        raise RuntimeError(f"locust wrote no record; see {workdir / 'locust.log'}")
    return json.loads(out_path.read_text())


@dataclass(frozen=True)
class Check:
    what: str
    acknowledged: int
    found_once: int
    missing: int
    duplicated: int
    mismatched: int  # found, but not as acknowledged (another trainee, outcome, module...)
    unacknowledged: int  # stored during the run without an acknowledgement reaching the client

    @property
    def ok(self) -> bool:
        return self.missing == self.duplicated == self.mismatched == 0


def verify(engine: Engine, record: dict, before: dict[str, int]) -> list[Check]:
    acks = record["acknowledged"]
    with engine.connect() as conn:
        return [
            check_keyed(conn, "lab submissions", "lab_attempt", acks["lab"], ("trainee_id", "lab_id"), before),
            check_keyed(
                conn, "knowledge-check answers", "quiz_attempt", acks["quiz"], ("trainee_id", "module_id"), before
            ),
            check_reads(conn, acks["read"]),
            check_decisions(conn, acks["decision"], before),
        ]


def check_keyed(conn, what: str, table: str, acks: list[dict], columns: tuple[str, ...], before) -> Check:
    """Each acknowledged request_key is stored exactly once, for the trainee and item it was sent for."""
    rows = select_in(
        conn,
        f"SELECT request_key, {', '.join(columns)} FROM {table} WHERE request_key IN :v",  # noqa: S608 - our names
        [a["request_key"] for a in acks],
    )
    stored: dict[str, list] = {}
    for row in rows:
        stored.setdefault(row[0], []).append(tuple(row[1:]))
    counts = [len(stored.get(a["request_key"], [])) for a in acks]
    mismatched = sum(
        1
        for a in acks
        if len(stored.get(a["request_key"], [])) == 1 and stored[a["request_key"]][0] != tuple(a[c] for c in columns)
    )
    acked = {a["request_key"] for a in acks}
    new = conn.execute(text(f"SELECT request_key FROM {table} WHERE id > :last"), {"last": before[table]}).scalars()  # noqa: S608
    return Check(
        what,
        len(acks),
        counts.count(1),
        counts.count(0),
        sum(1 for c in counts if c > 1),
        mismatched,
        sum(1 for k in new if k not in acked),
    )


def check_reads(conn, acks: list[dict]) -> Check:
    """Each acknowledged "mark as read" left its module read (one progress row per trainee and module)."""
    found = missing = duplicated = 0
    for a in {(x["trainee_id"], x["module_id"]) for x in acks}:
        rows = conn.execute(
            text("SELECT read_at FROM module_progress WHERE trainee_id = :t AND module_id = :m"), {"t": a[0], "m": a[1]}
        ).all()
        found += len(rows) == 1 and rows[0].read_at is not None
        missing += not rows or rows[0].read_at is None
        duplicated += len(rows) > 1
    return Check("modules marked read", len(acks), found, missing, duplicated, 0, 0)


def check_decisions(conn, acks: list[dict], before) -> Check:
    """Each acknowledged decision is the attempt's one decision, by that mentor, with that outcome, and the
    attempt's status says the same."""
    rows = select_in(
        conn,
        "SELECT d.attempt_id, d.mentor_id, d.outcome, a.status FROM decision d "
        "JOIN lab_attempt a ON a.id = d.attempt_id WHERE d.attempt_id IN :v",
        [a["attempt_id"] for a in acks],
    )
    stored: dict[int, list] = {}
    for row in rows:
        stored.setdefault(row.attempt_id, []).append((row.mentor_id, row.outcome, row.status))
    counts = [len(stored.get(a["attempt_id"], [])) for a in acks]
    mismatched = sum(
        1
        for a in acks
        if len(stored.get(a["attempt_id"], [])) == 1
        and stored[a["attempt_id"]][0] != (a["mentor_id"], a["outcome"], a["outcome"])
    )
    acked = {a["attempt_id"] for a in acks}
    new = conn.execute(text("SELECT attempt_id FROM decision WHERE id > :last"), {"last": before["decision"]}).scalars()
    return Check(
        "mentor decisions",
        len(acks),
        counts.count(1),
        counts.count(0),
        sum(1 for c in counts if c > 1),
        mismatched,
        sum(1 for k in new if k not in acked),
    )


def select_in(conn, sql: str, values: list) -> list:
    if not values:
        return []
    query = text(sql).bindparams(bindparam("v", expanding=True))
    return [row for i in range(0, len(values), 500) for row in conn.execute(query, {"v": values[i : i + 500]})]


def invariants(engine: Engine) -> dict[str, int]:
    """Whole-database rules the writes must keep: one waiting attempt per trainee and lab, one decision per
    decided attempt and none for an undecided one."""
    with engine.connect() as conn:
        return {
            "labs with two attempts waiting": conn.execute(
                text(
                    "SELECT COUNT(*) FROM (SELECT trainee_id, lab_id FROM lab_attempt WHERE status = 'submitted' "
                    "GROUP BY trainee_id, lab_id HAVING COUNT(*) > 1) x"
                )
            ).scalar_one(),
            "decided attempts without exactly one decision": conn.execute(
                text(
                    "SELECT COUNT(*) FROM lab_attempt a WHERE a.status IN ('approved', 'changes_requested') "
                    "AND (SELECT COUNT(*) FROM decision d WHERE d.attempt_id = a.id) <> 1"
                )
            ).scalar_one(),
            "undecided attempts with a decision": conn.execute(
                text(
                    "SELECT COUNT(*) FROM lab_attempt a WHERE a.status IN ('submitted', 'withdrawn') "
                    "AND EXISTS (SELECT 1 FROM decision d WHERE d.attempt_id = a.id)"
                )
            ).scalar_one(),
        }


def scenario(engine: Engine, env: dict, server, modules: list[dict], workdir: Path, *, seconds: int, wait, today):
    """The whole scenario on a running server: plan, locust, then the checks."""
    the_plan = plan(engine, env, server.url, modules, today)
    before, offset = last_ids(engine), server.log_size()
    record = run_locust(server.url, the_plan, workdir, seconds=seconds, wait=wait)
    return {
        "trainees": len(the_plan["trainees"]),
        "mentors": len(the_plan["mentors"]),
        "cohorts": the_plan["cohorts"],
        "seconds": seconds,
        "wait": wait,
        "record": record,
        "checks": verify(engine, record, before),
        "invariants": invariants(engine),
        "server_log": server_log_problems(server.log_since(offset)),
        "server_log_samples": server_log_samples(server.log_since(offset)),
    }


def server_log_problems(log_text: str) -> dict[str, int]:
    return {
        "database is locked": log_text.count("database is locked"),
        "tracebacks": log_text.count("Traceback (most recent call last)"),
    }


def server_log_samples(log_text: str, limit: int = 5) -> list[str]:
    """A few distinct warnings and errors the server logged, without their timestamps."""
    seen: dict[str, None] = {}
    for line in log_text.splitlines():
        if " WARNING " in line or " ERROR " in line or "database is locked" in line:
            seen.setdefault(line.split(" ", 2)[-1], None)
    return list(seen)[:limit]
