"""Writes under load (issue 8): trainees work through module pages while mentors decide submissions.

Run by bench/writes.py, which signs the trainees in, makes the mentors' API tokens and writes the plan that
BENCH_WRITES_PLAN names. Trainees act as a browser would: they open a module page and submit one of the forms
it offers (mark as read, the knowledge check, a lab's evidence). Mentors use the API: their queue, then a
decision. Every write the server acknowledged is recorded, and written with the request counts to the file
that BENCH_WRITES_OUT names when locust quits; bench/writes.py then looks for each one in the database.

Anything but the expected answer counts as a failed request: a 4xx refusal as much as a 5xx."""

import json
import os
import random
from collections import Counter
from pathlib import Path

from locust import HttpUser, between, events, task
from pages import TIMEOUT, Form, forms_of

PLAN = json.loads(Path(os.environ["BENCH_WRITES_PLAN"]).read_text())
ACKNOWLEDGED: dict[str, list[dict]] = {"read": [], "quiz": [], "lab": [], "decision": []}
OUTCOMES: Counter = Counter()  # (action, outcome) -> requests
TRAINEES, MENTORS = iter(PLAN["trainees"]), iter(PLAN["mentors"])
EVIDENCE = "Ran every step of the lab.\n\n```\n$ systemctl status academy\nactive (running)\n```\n"


def judge(response, action: str, acknowledged: bool) -> bool:
    """Mark the response in locust's statistics and count it; True when the server acknowledged the write."""
    if acknowledged:
        response.success()
        OUTCOMES[(action, "as expected")] += 1
        return True
    status = response.status_code
    if "database is locked" in (response.text or ""):
        outcome = "database is locked"
    elif status == 0 or status >= 500:
        outcome = f"server error {status}"
    elif status >= 400:
        outcome = f"refused {status}"
    else:
        outcome = f"unexpected {status}"
    OUTCOMES[(action, outcome)] += 1
    response.failure(f"{action}: {outcome}")
    return False


class Trainee(HttpUser):
    fixed_count = len(PLAN["trainees"])
    wait_time = between(PLAN["wait_min"], PLAN["wait_max"])

    def on_start(self):
        self.me = next(TRAINEES)
        for cookie in self.me["cookies"]:
            self.client.cookies.set(**cookie)

    @task
    def work_on_a_module(self):
        """Mostly a module the trainee can work on; sometimes any module, to read ahead."""
        pool = self.me["open_modules"] if random.random() < 0.75 else self.me["all_modules"]  # noqa: S311
        module_id = random.choice(pool or self.me["all_modules"])  # noqa: S311
        forms = self.open_module(module_id)
        if forms is None:
            return
        actions = []
        if (read := find(forms, f"/modules/{module_id}/read")) and read.fields.get("read") == "1":
            actions.append(lambda: self.mark_read(module_id, read))
        if quiz := find(forms, f"/modules/{module_id}/quiz"):
            actions.append(lambda: self.answer_quiz(module_id, quiz))
        for lab in (f for f in forms if f.action.startswith("/labs/")):
            actions.append(lambda lab=lab: self.submit_lab(module_id, lab))
        if actions:
            random.choice(actions)()  # noqa: S311

    def open_module(self, module_id: str) -> list[Form] | None:
        with self.client.get(
            f"/modules/{module_id}",
            name="GET /modules/[id]",
            allow_redirects=False,
            timeout=TIMEOUT,
            catch_response=True,
        ) as r:
            if not judge(r, "open module", r.status_code == 200 and 'id="progress"' in r.text):
                return None
            return forms_of(r.text)

    def mark_read(self, module_id: str, form: Form):
        with self.post(form.action, "POST /modules/[id]/read", data=form.fields) as r:
            if judge(r, "mark read", redirected(r, f"/modules/{module_id}#progress")):
                ACKNOWLEDGED["read"].append({"trainee_id": self.me["id"], "module_id": module_id})

    def answer_quiz(self, module_id: str, form: Form):
        answers = {name: random.choice(values) for name, values in form.choices.items()}  # noqa: S311
        with self.post(form.action, "POST /modules/[id]/quiz", data={**form.fields, **answers}) as r:
            if judge(r, "answer quiz", redirected(r, "/quiz-attempts/")):
                ACKNOWLEDGED["quiz"].append(
                    {
                        "trainee_id": self.me["id"],
                        "module_id": module_id,
                        "request_key": request_key(form),
                        "attempt_id": int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1]),
                    }
                )

    def submit_lab(self, module_id: str, form: Form):
        lab_id = form.action.split("/")[2]
        fields = dict(form.fields)
        for name in fields:
            if name.endswith("-evidence"):
                fields[name] = EVIDENCE
            elif name.endswith("-links"):
                fields[name] = "https://git.example.com/academy/merge_requests/7"
        multipart = {name: (None, value) for name, value in fields.items()}  # as the browser sends the form
        with self.post(form.action, "POST /labs/[id]/attempts", files=multipart) as r:
            if judge(r, "submit lab", redirected(r, f"/modules/{module_id}#lab-{lab_id}")):
                ACKNOWLEDGED["lab"].append(
                    {"trainee_id": self.me["id"], "lab_id": lab_id, "request_key": request_key(form)}
                )

    def post(self, path: str, name: str, **kwargs):
        return self.client.post(path, name=name, allow_redirects=False, timeout=TIMEOUT, catch_response=True, **kwargs)


class Mentor(HttpUser):
    fixed_count = len(PLAN["mentors"])
    wait_time = between(PLAN["wait_min"], PLAN["wait_max"])

    def on_start(self):
        self.me = next(MENTORS)
        self.client.headers["Authorization"] = f"Bearer {self.me['token']}"

    @task
    def decide_a_submission(self):
        """A submission from the queue, sent back with a comment (7 in 10) or approved."""
        with self.client.get(
            "/api/v1/reviews?per_page=50", name="GET /api/v1/reviews", timeout=TIMEOUT, catch_response=True
        ) as r:
            if not judge(r, "read queue", r.status_code == 200):
                return
            items = r.json()["items"]
        if not items:
            return
        attempt_id = random.choice(items)["attempt_id"]  # noqa: S311
        outcome = "changes_requested" if random.random() < 0.7 else "approved"  # noqa: S311
        body = {"outcome": outcome, "comment": "Show the command output for step 2, please.", "criteria": [0]}
        with self.client.post(
            f"/api/v1/reviews/{attempt_id}/decision",
            name="POST /api/v1/reviews/[id]/decision",
            json=body,
            timeout=TIMEOUT,
            catch_response=True,
        ) as r:
            if judge(r, "decide", r.status_code == 201):
                decision = r.json()
                ACKNOWLEDGED["decision"].append(
                    {"mentor_id": self.me["id"], "attempt_id": attempt_id, "outcome": outcome, "id": decision["id"]}
                )


def find(forms: list[Form], action: str) -> Form | None:
    return next((f for f in forms if f.action == action), None)


def redirected(response, location_part: str) -> bool:
    return response.status_code in (302, 303) and location_part in response.headers.get("Location", "")


def request_key(form: Form) -> str:
    return next(v for k, v in form.fields.items() if k == "request_key" or k.endswith("-request_key"))


@events.quitting.add_listener
def write_record(environment, **_kwargs):
    stats = environment.stats

    def entry(e):
        return {
            "name": e.name,
            "requests": e.num_requests,
            "failures": e.num_failures,
            "rps": round(e.total_rps, 2),
            "p50_ms": e.get_response_time_percentile(0.5),
            "p95_ms": e.get_response_time_percentile(0.95),
            "max_ms": round(e.max_response_time or 0, 1),
        }

    Path(os.environ["BENCH_WRITES_OUT"]).write_text(
        json.dumps(
            {
                "acknowledged": ACKNOWLEDGED,
                "outcomes": [{"action": a, "outcome": o, "requests": n} for (a, o), n in sorted(OUTCOMES.items())],
                "requests": [entry(e) for e in sorted(stats.entries.values(), key=lambda e: e.name)],
                "total": entry(stats.total),
                "errors": [
                    {"name": e.name, "error": str(e.error), "count": e.occurrences} for e in stats.errors.values()
                ],
            },
            indent=1,
        )
    )
