"""The read benchmark: each page of issue 8 under wrk, with the same connections and duration, beside /healthz.

The people whose pages are measured are chosen from the synthetic academy by a rule (see `pick_subjects`), so
that every run, on every machine, measures the same kind of page."""

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import requests
from pages import TIMEOUT, cookie_header, sign_in
from sqlalchemy import Engine, text

LUA = Path(__file__).resolve().parent / "wrk_report.lua"
COHORT_AGE = timedelta(weeks=20)  # a running cohort with most of its history: 20 of its 26 weeks behind it
P95_LIMIT = 10.0  # every page's p95 under 10 times the baseline's


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    who: str | None  # whose session or token asks: trainee, mentor, manager, manager-token; None: nobody
    min_throughput: float | dict[str, float] | None  # share of the baseline's requests/s (per database); None: none
    reference: bool = False  # one of the floors, which show what any page of its kind can reach at best

    def target(self, database: str) -> float | None:
        if isinstance(self.min_throughput, dict):
            return self.min_throughput.get(database)
        return self.min_throughput


# The targets of issue 21 (issue 8's were higher: 0.5, 0.3, 0.3, 0.2 and 0.1, with no target for the floor).
PAGES = (
    Page("/healthz (baseline)", "/healthz", None, None),
    # Two floors: the readiness check (the database asked twice, no session; no target), and what every signed-in
    # page pays before its own work (the session checked in the database, the navigation counts, the layout).
    Page("reference: readiness check", "/readyz", None, None, reference=True),
    Page("signed-in floor: smallest signed-in page", "/search", "trainee", {"sqlite": 0.45, "postgresql": 0.35}, True),
    Page("module page", "/modules/{module_id}", "trainee", 0.25),
    Page("learning path", "/learn", "trainee", 0.2),
    Page("review queue", "/reviews", "mentor", 0.2),
    Page("cohort page (40 trainees)", "/cohorts/{cohort_id}", "manager", 0.1),
    Page("cohort CSV export", "/cohorts/{cohort_id}/progress.csv", "manager", 0.05),
    Page("API cohort progress", "/api/v1/cohorts/{cohort_id}/progress", "manager-token", None),
)


@dataclass(frozen=True)
class Subjects:
    cohort_id: int
    cohort_name: str
    cohort_start: date
    trainee: str
    module_id: str
    mentor: str
    waiting_in_queue: int
    manager: str


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def pick_subjects(engine: Engine, modules: list[dict], today: date) -> Subjects:
    """The cohort that started closest to 20 weeks ago; its first trainee, that trainee's next module and
    assigned mentor, and the cohort's manager."""
    with engine.connect() as conn:
        cohorts = conn.execute(text("SELECT id, name, start_date FROM cohort")).all()
        cohort = min(cohorts, key=lambda c: (abs((as_date(c.start_date) - (today - COHORT_AGE)).days), c.id))
        trainee = conn.execute(
            text(
                'SELECT ct.trainee_id, u.email, m.email AS mentor FROM cohort_trainee ct JOIN "user" u ON '
                'u.id = ct.trainee_id JOIN "user" m ON m.id = ct.mentor_id WHERE ct.cohort_id = :c '
                "ORDER BY ct.trainee_id LIMIT 1"
            ),
            {"c": cohort.id},
        ).one()
        done = set(
            conn.execute(
                text("SELECT module_id FROM module_progress WHERE trainee_id = :t AND completed_at IS NOT NULL"),
                {"t": trainee.trainee_id},
            ).scalars()
        )
        manager = conn.execute(
            text(
                'SELECT u.email FROM cohort_staff s JOIN "user" u ON u.id = s.user_id '
                "WHERE s.cohort_id = :c AND s.role = 'manager' ORDER BY u.id LIMIT 1"
            ),
            {"c": cohort.id},
        ).scalar_one()
        waiting = conn.execute(
            text(
                "SELECT COUNT(*) FROM lab_attempt a JOIN cohort_trainee ct ON ct.trainee_id = a.trainee_id "
                "WHERE ct.cohort_id = :c AND a.status = 'submitted'"
            ),
            {"c": cohort.id},
        ).scalar_one()
    return Subjects(
        cohort_id=cohort.id,
        cohort_name=cohort.name,
        cohort_start=as_date(cohort.start_date),
        trainee=trainee.email,
        module_id=next_module(modules, done),
        mentor=trainee.mentor,
        waiting_in_queue=waiting,
        manager=manager,
    )


def next_module(modules: list[dict], done: set[str]) -> str:
    """The first module, in curriculum order, that is open to the trainee and not done yet."""
    for module in modules:
        if module["id"] not in done and all(p in done for p in module["prerequisites"]):
            return module["id"]
    return modules[0]["id"]


@dataclass(frozen=True)
class Measured:
    page: Page
    path: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    bad_status: int
    socket_errors: int
    response_bytes: int
    load_1m: float  # the machine's load average just after the measurement: it may be shared


def headers_for(page: Page, base_url: str, subjects: Subjects, manager_token: str) -> list[str]:
    """Fresh credentials for each page, so that no session is near its one-minute "seen" refresh."""
    if page.who is None:
        return []
    if page.who == "manager-token":
        return [f"Authorization: Bearer {manager_token}"]
    email = {"trainee": subjects.trainee, "mentor": subjects.mentor, "manager": subjects.manager}[page.who]
    return [f"Cookie: {cookie_header(sign_in(base_url, email))}"]


def check_answers(url: str, headers: list[str]) -> int:
    """The page answers 200 with these credentials (not a redirect to sign in); its size in bytes."""
    answer = requests.get(url, headers=dict(h.split(": ", 1) for h in headers), allow_redirects=False, timeout=TIMEOUT)
    if answer.status_code != 200:
        raise RuntimeError(f"{url} answered {answer.status_code}, not 200: the benchmark would measure an error")
    return len(answer.content)


def wrk(url: str, headers: list[str], *, seconds: float, connections: int, threads: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(LUA)]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)  # noqa: S603
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


def drain(base_url: str, connections: int, timeout: float = 120) -> None:
    """Wait until the workers have worked off what wrk left queued when it stopped (gunicorn still answers a
    request whose client has gone), so that no page is measured while the last one's requests still run."""
    deadline = time.monotonic() + timeout

    def quick(_) -> bool:
        started = time.monotonic()
        requests.get(f"{base_url}/healthz", timeout=timeout)
        return time.monotonic() - started < 0.1

    with ThreadPoolExecutor(max_workers=connections) as pool:
        while time.monotonic() < deadline and not all(pool.map(quick, range(connections))):
            time.sleep(0.2)


def measure_pages(
    base_url: str,
    subjects: Subjects,
    manager_token: str,
    *,
    seconds: float,
    warmup: float,
    connections: int,
    threads: int,
    log=print,
) -> list[Measured]:
    results = []
    for page in PAGES:
        path = page.path.format(module_id=subjects.module_id, cohort_id=subjects.cohort_id)
        headers = headers_for(page, base_url, subjects, manager_token)
        size = check_answers(base_url + path, headers)
        wrk(base_url + path, headers, seconds=warmup, connections=connections, threads=threads)
        drain(base_url, connections)
        found = wrk(base_url + path, headers, seconds=seconds, connections=connections, threads=threads)
        drain(base_url, connections)
        check_answers(base_url + path, headers)  # still signed in at the end: every request was the page
        results.append(
            Measured(
                page=page,
                path=path,
                rps=found["rps"],
                p50_ms=found["p50_ms"],
                p95_ms=found["p95_ms"],
                p99_ms=found["p99_ms"],
                requests=found["requests"],
                bad_status=found["bad_status"],
                socket_errors=found["socket_errors"],
                response_bytes=size,
                load_1m=os.getloadavg()[0],
            )
        )
        log(f"  {page.name:<28} {found['rps']:8.1f} req/s  p95 {found['p95_ms']:8.1f} ms")
    return results
