"""academy-lab, the trainee's command-line tool (tools/academy-lab), against a stub of the academy's API.

The stub implements the API contract academy-lab is written against and records every request; the tool runs as
a real subprocess where its exit status, terminal and process groups matter, and in-process (main(argv)) where a
test needs to answer a question or shorten the retry delays.
"""

import ast
import base64
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "academy-lab"
sys.path.insert(0, str(TOOL))

from academy_lab import api, cli  # noqa: E402

TOKEN = "alb_" + "7" * 40
ME = {"id": 1, "email": "tina@example.org", "display_name": "Tina Trainee", "roles": ["trainee"]}
LAB = "systemd-logs-lab"
TITLE = "Reading the journal"


def a_check(check_id, run, hint="Look again.", timeout=30, **expect):
    return {
        "id": check_id,
        "name": check_id.replace("-", " ").capitalize(),
        "run": run,
        "timeout_seconds": timeout,
        "expect": {"exit_status": 0, "output_matches": None, "output_not_matches": None, **expect},
        "hint": hint,
    }


class StubAcademy:
    """The academy's API as academy-lab sees it, in memory. `drop_posts`: how many of the next submissions are
    stored and then left without an answer (the connection closed), as when a proxy loses the response."""

    PAGE_SIZE = 2  # fewer than academy-lab asks for, so that it must follow the pages

    def __init__(self):
        self.labs = [
            {"lab_id": LAB, "title": TITLE, "module_id": "systemd-logs", "status": "not_started", "open": True},
        ]
        self.checks = {LAB: [a_check("ready", "echo ready")]}
        self.refusals = {}  # lab id -> (status, detail) for a submission
        self.attempts = {}  # request key -> the stored attempt
        self.sent = {}  # request key -> (lab id, evidence) it stored
        self.requests = []  # (method, path, body)
        self.drop_posts = 0
        self.lock = threading.Lock()

    def posts(self):
        return [body for method, _, body in self.requests if method == "POST"]

    def answer(self, method, url, headers, body):
        """(status, payload), or None to close the connection without answering."""
        with self.lock:
            self.requests.append((method, url, body))
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                return 401, {"error": "Not authenticated", "detail": "This token is unknown."}
            path, query = urllib.parse.urlsplit(url).path, urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
            parts = path.strip("/").split("/")
            if method == "GET" and path == "/api/v1/me":
                return 200, ME
            if method == "GET" and path == "/api/v1/me/labs":
                return 200, self.labs_page(int(query["page"][0]))
            if method == "POST" and len(parts) == 5 and parts[:3] == ["api", "v1", "attempts"]:
                return self.withdraw(int(parts[3])) if parts[4] == "withdraw" else (404, {"error": "Not found"})
            if len(parts) == 5 and parts[:3] == ["api", "v1", "labs"] and parts[3] in self.checks:
                if method == "GET" and parts[4] == "checks":
                    return 200, {"lab_id": parts[3], "title": TITLE, "module_id": "m", "checks": self.checks[parts[3]]}
                if method == "POST" and parts[4] == "attempts":
                    return self.submit(parts[3], body)
            return 404, {"error": "Not found", "detail": None}

    def labs_page(self, page):
        start = (page - 1) * self.PAGE_SIZE
        items = [
            {**lab, "checks": len(self.checks.get(lab["lab_id"], [])), "waiting_attempt_id": self.waiting(lab_id)}
            for lab, lab_id in ((lab, lab["lab_id"]) for lab in self.labs)
        ]
        page_items = items[start : start + self.PAGE_SIZE]
        return {"page": page, "per_page": self.PAGE_SIZE, "total": len(items), "items": page_items}

    def submit(self, lab_id, body):
        if lab_id in self.refusals:
            status, detail = self.refusals[lab_id]
            return status, {"error": "Refused", "detail": detail}
        key = body["request_key"]
        if key in self.attempts and self.sent[key] != (lab_id, body["evidence"]):  # as the academy: never dropped
            detail = f"This request key was used before, for attempt {self.attempts[key]['number']} of this lab, ..."
            return 409, {"error": "Conflict", "detail": detail}
        if key not in self.attempts and (waiting := self.waiting(lab_id)):
            detail = f"This lab is waiting for a mentor already (attempt {waiting}). Withdraw that submission to ..."
            return 409, {"error": "Conflict", "detail": detail}
        if key not in self.attempts:
            self.sent[key] = (lab_id, body["evidence"])
            results = (body.get("checks") or {}).get("results", [])
            self.attempts[key] = {
                "id": 7 + len(self.attempts),
                "lab_id": lab_id,
                "number": 1 + len(self.attempts),
                "status": "submitted",
                "submitted_at": "2026-12-04T10:00:00Z",
                "checks_passed": sum(result["passed"] for result in results),
                "checks_total": len(results),
            }
        if self.drop_posts:
            self.drop_posts -= 1
            return None
        return 201, self.attempts[key]

    def waiting(self, lab_id):
        waiting = [a["id"] for a in self.attempts.values() if a["lab_id"] == lab_id and a["status"] == "submitted"]
        return waiting[-1] if waiting else None

    def withdraw(self, attempt_id):
        attempt = next((a for a in self.attempts.values() if a["id"] == attempt_id), None)
        if attempt is None or attempt["status"] != "submitted":
            return 409, {"error": "Conflict", "detail": "Only a submission that waits for a mentor can be withdrawn."}
        attempt["status"] = "withdrawn"
        return 200, attempt


class StubHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.respond(None)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.respond(json.loads(raw) if raw else None)

    def respond(self, body):
        answer = self.server.stub.answer(self.command, self.path, self.headers, body)
        if answer is None:
            self.close_connection = True  # stored, but no answer: the client sees the connection closed
            return
        status, payload = answer
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    server.daemon_threads = True
    server.stub = StubAcademy()
    server.stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.stub
    server.shutdown()
    server.server_close()


@pytest.fixture
def config(tmp_path):
    return tmp_path / "config" / "config.json"


@pytest.fixture
def env(stub, config, tmp_path, monkeypatch):
    """The environment of a trainee signed in through ACADEMY_LAB_URL / ACADEMY_LAB_TOKEN, for a subprocess
    and for main() alike; HOME is a temporary folder, so nothing touches the real one."""
    values = {
        "ACADEMY_LAB_CONFIG": str(config),
        "ACADEMY_LAB_URL": stub.url,
        "ACADEMY_LAB_TOKEN": TOKEN,
        "HOME": str(tmp_path),
        "PYTHONPATH": str(TOOL),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("XDG_CONFIG_HOME", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # main() in-process: no terminal, as in a script
    return dict(os.environ)


def academy_lab(env, *args, stdin=""):
    """Run the tool as a trainee's shell would, with standard input a pipe (not a terminal)."""
    command = [sys.executable, "-m", "academy_lab.cli", *args]
    return subprocess.run(command, env=env, input=stdin, capture_output=True, text=True, timeout=30)


class Terminal(io.StringIO):
    """Standard input as a terminal, holding what the trainee types."""

    def isatty(self):
        return True


def pending(config):
    path = config.with_name("pending-submissions.json")
    return json.loads(path.read_text()) if path.exists() else {}


def test_login_saves_the_token_readable_by_the_trainee_only(stub, env, config):
    del env["ACADEMY_LAB_URL"], env["ACADEMY_LAB_TOKEN"]
    signed_in = academy_lab(env, "login", stub.url + "/", "--token-stdin", stdin=TOKEN + "\n")

    assert signed_in.returncode == 0, signed_in.stderr
    assert "Tina Trainee <tina@example.org>" in signed_in.stdout
    assert json.loads(config.read_text()) == {"url": stub.url, "token": TOKEN}
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert academy_lab(env, "list").returncode == 0  # the saved address and token are used


def test_login_refuses_a_token_the_academy_refuses_and_saves_nothing(stub, env, config):
    refused = academy_lab(env, "login", stub.url, stdin="not-the-token\n")

    assert refused.returncode == 2
    assert "This token is unknown." in refused.stderr
    assert 'scope "Lab checks and submissions"' in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not config.exists()


def test_list_shows_every_page_with_the_open_labs_first(stub, env):
    stub.labs = [
        {"lab_id": "approved-lab", "title": "Done already", "status": "approved", "open": False},
        {"lab_id": "nginx-lab", "title": "Serving pages", "status": "changes_requested", "open": True},
        {"lab_id": "locked-lab", "title": "Later", "status": "not_started", "open": False},
        {"lab_id": LAB, "title": TITLE, "status": "not_started", "open": True},
        {"lab_id": "dns-lab", "title": "Names", "status": "submitted", "open": False},
    ]
    listed = academy_lab(env, "list")

    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["nginx-lab", LAB, "approved-lab", "locked-lab", "dns-lab"]
    assert "changes requested" in lines[0] and "(not open now)" not in lines[0]
    assert re.search(r"systemd-logs-lab\s+Reading the journal\s+not started\s+1 checks$", lines[1])
    assert all(line.endswith("(not open now)") for line in lines[2:])
    assert [url for _, url, _ in stub.requests] == [f"/api/v1/me/labs?page={n}&per_page=100" for n in (1, 2, 3)]


def test_check_shows_a_line_per_check_and_the_hint_of_a_failing_one(stub, env):
    stub.checks[LAB] = [
        a_check("listening", "echo LISTEN 0.0.0.0:8082"),
        a_check("restarted", "echo 'unit is stale'; exit 3", hint="Did you restart the service after the edit?"),
    ]
    checked = academy_lab(env, "check", LAB, "--yes")

    assert checked.returncode == 1
    assert re.search(r"^  PASS  Listening  \(\d+\.\d s\)$", checked.stdout, re.M)
    assert re.search(r"^  FAIL  Restarted  \(\d+\.\d s\)$", checked.stdout, re.M)
    assert "Exit status 3, expected 0." in checked.stdout
    assert "Hint: Did you restart the service after the edit?" in checked.stdout
    assert "| unit is stale" in checked.stdout
    assert checked.stdout.rstrip().endswith("1 of 2 checks passed.")


def test_a_check_that_times_out_is_killed_with_everything_it_started(stub, env, tmp_path):
    pid_file = tmp_path / "sleeper.pid"
    stub.checks[LAB] = [a_check("sleeps", f"sleep 5 & echo $! > {pid_file}; wait", timeout=1)]
    started = time.monotonic()
    checked = academy_lab(env, "check", LAB, "--yes")

    assert checked.returncode == 1
    assert time.monotonic() - started < 4.5  # it did not wait for the sleep
    assert re.search(r"^  TIMEOUT  Sleeps  \(\d+\.\d s\)$", checked.stdout, re.M)
    assert not process_is_alive(int(pid_file.read_text()))


def process_is_alive(pid):
    """Running or sleeping; a zombie waiting for its parent to collect it counts as gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_output_patterns_must_match_or_must_not_match(stub, env):
    stub.checks[LAB] = [
        a_check("running", "echo 'nginx: active (running)'", output_matches=r"active \(running\)"),
        a_check("stopped", "echo 'nginx: inactive (dead)'", output_matches=r"active \(running\)"),
        a_check("quiet", "echo 'all good'", output_not_matches="(?i)error"),
        a_check("noisy", "echo 'ERROR: disk full' >&2", output_not_matches="(?i)error"),
    ]
    checked = academy_lab(env, "check", LAB, "--yes")

    assert checked.returncode == 1
    results = re.findall(r"^  (PASS|FAIL)  (\w+)", checked.stdout, re.M)
    assert results == [("PASS", "Running"), ("FAIL", "Stopped"), ("PASS", "Quiet"), ("FAIL", "Noisy")]
    assert "| ERROR: disk full" in checked.stdout  # stderr is captured with stdout
    assert "2 of 4 checks passed." in checked.stdout


def test_new_commands_are_not_run_without_a_terminal_or_yes(stub, env, tmp_path):
    marker = tmp_path / "ran"
    stub.checks[LAB] = [a_check("touches", f"touch {marker}")]
    refused = academy_lab(env, "check", LAB)

    assert refused.returncode == 2
    assert f"touch {marker}" in refused.stdout  # the trainee sees what would have run
    assert "Nothing was run" in refused.stderr
    assert not marker.exists()


def test_a_changed_command_is_asked_about_again(stub, env, monkeypatch, capsys):
    stub.checks[LAB] = [a_check("ready", "echo ready")]
    assert cli.main(["check", LAB, "--yes"]) == 0
    assert cli.main(["check", LAB]) == 0  # approved: no question, even without a terminal
    assert "on this machine?" not in capsys.readouterr().out

    stub.checks[LAB] = [a_check("ready", "echo ready; echo steady")]
    assert cli.main(["check", LAB]) == 2
    assert "Nothing was run" in capsys.readouterr().err

    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert cli.main(["check", LAB]) == 0
    out = capsys.readouterr().out
    assert "have changed since you approved them" in out
    assert "echo ready; echo steady" in out
    assert "Run this command on this machine? [y/N]" in out
    assert "1 of 1 checks passed." in out


def test_answering_no_runs_nothing(stub, env, monkeypatch, capsys, tmp_path):
    marker = tmp_path / "ran"
    stub.checks[LAB] = [a_check("touches", f"touch {marker}")]
    monkeypatch.setattr(sys, "stdin", Terminal("\n"))

    assert cli.main(["check", LAB]) == 2
    assert not marker.exists()


def test_a_lab_without_checks_says_so(stub, env, capsys):
    stub.checks[LAB] = []

    assert cli.main(["check", LAB]) == 0
    assert f"{TITLE} has no checks to run." in capsys.readouterr().out


def test_submit_sends_the_note_files_links_check_results_and_a_request_key(stub, env, tmp_path, config):
    evidence = tmp_path / "journal.txt"
    evidence.write_bytes(b"Dec 04 nginx started\n\x00\xff")
    stub.checks[LAB] = [
        a_check("ready", "echo ready"),
        a_check("long", "head -c 5000 /dev/zero | tr '\\0' x; echo; echo END; exit 1"),
    ]
    submitted = academy_lab(
        env, "submit", LAB, "--yes", "--note", "I restarted it.", "--file", str(evidence), "--link", "https://x.org/1"
    )

    assert submitted.returncode == 0, submitted.stderr
    assert f"Submitted attempt 1 of {TITLE}: 1 of 2 checks passed. Your mentor has been told." in submitted.stdout
    assert "The failing checks (long) are visible to your mentor" in submitted.stdout
    [body] = stub.posts()
    assert body["evidence"] == "I restarted it."
    assert body["links"] == ["https://x.org/1"]
    sent = base64.b64encode(evidence.read_bytes()).decode()
    assert body["files"] == [{"name": "journal.txt", "content_base64": sent}]
    assert re.fullmatch(r"[0-9a-f]{32}", body["request_key"])
    checks = body["checks"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", checks["run_at"])
    assert 0 < len(checks["host"]) <= 80
    ready, long = checks["results"]
    assert (ready["check_id"], ready["passed"], ready["exit_status"], ready["timed_out"]) == ("ready", True, 0, False)
    assert ready["output"] == "ready\n" and isinstance(ready["seconds"], float)
    assert long["passed"] is False and long["exit_status"] == 1
    assert len(long["output"]) == 4000 and long["output"].endswith("x\nEND\n")  # the end of the output is kept
    assert pending(config) == {}


def test_submit_takes_the_note_from_the_editor_without_its_template(stub, env, monkeypatch, tmp_path, capsys):
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "Restarted **nginx**.\\n" >> "$1"\n')
    editor.chmod(0o700)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.setattr(sys, "stdin", Terminal(""))

    assert cli.main(["submit", LAB, "--yes"]) == 0
    assert [body["evidence"] for body in stub.posts()] == ["Restarted **nginx**."]


def test_submit_refuses_an_empty_note_and_sends_nothing(stub, env, monkeypatch, capsys):
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.setattr(sys, "stdin", Terminal(""))

    assert cli.main(["submit", LAB, "--yes"]) == 2
    assert "The note is empty: nothing was submitted." in capsys.readouterr().err
    assert stub.posts() == []


def test_a_lost_answer_is_retried_with_the_same_request_key(stub, env, config):
    stub.drop_posts = 1
    submitted = academy_lab(env, "submit", LAB, "--yes", "--note", "Done.")

    assert submitted.returncode == 0, submitted.stderr
    first, retry = stub.posts()
    assert first["request_key"] == retry["request_key"]
    assert len(stub.attempts) == 1
    assert "Submitted attempt 1 of" in submitted.stdout
    assert pending(config) == {}


def test_a_submission_without_any_answer_keeps_its_key_for_the_next_run(stub, env, config, monkeypatch, capsys):
    monkeypatch.setattr(api, "RETRY_DELAYS", (0, 0, 0))
    stub.drop_posts = 4

    assert cli.main(["submit", LAB, "--yes", "--note", "Done."]) == 2
    assert "Run the same command again: it will not submit twice." in capsys.readouterr().err
    keys = {body["request_key"] for body in stub.posts()}
    assert len(stub.posts()) == 4 and len(keys) == 1
    assert pending(config) == {LAB: keys.pop()}

    assert cli.main(["submit", LAB, "--yes", "--note", "Done."]) == 0
    assert "Submitted attempt 1 of" in capsys.readouterr().out
    assert len({body["request_key"] for body in stub.posts()}) == 1
    assert len(stub.attempts) == 1
    assert pending(config) == {}


def test_a_changed_note_under_a_pending_key_is_refused_and_the_tool_says_how_to_replace_it(
    stub, env, config, monkeypatch, capsys
):
    """The first run's submission reached the academy but its answer was lost: the academy keeps that one and
    refuses the changed note under the same key, rather than answering "submitted" for a note it never stored."""
    monkeypatch.setattr(api, "RETRY_DELAYS", (0, 0, 0))
    stub.drop_posts = 4
    assert cli.main(["submit", LAB, "--yes", "--note", "Done."]) == 2
    capsys.readouterr()

    assert cli.main(["submit", LAB, "--yes", "--note", "Done, with the exit code."]) == 2
    err = capsys.readouterr().err
    assert "request key was used before, for attempt 1" in err
    assert f"academy-lab withdraw {LAB}, then submit again" in err
    assert pending(config) == {}  # the next run sends a new key


def test_withdraw_takes_back_the_waiting_submission_and_the_next_submit_is_a_new_attempt(stub, env, capsys):
    assert cli.main(["submit", LAB, "--yes", "--note", "Done."]) == 0
    assert cli.main(["submit", LAB, "--yes", "--note", "Done, better."]) == 2
    assert f"To take it back and submit again: academy-lab withdraw {LAB}" in capsys.readouterr().err

    assert cli.main(["withdraw", LAB]) == 0
    out = capsys.readouterr().out
    assert f"Withdrew attempt 1 of {TITLE}" in out and f"academy-lab submit {LAB}" in out
    assert cli.main(["submit", LAB, "--yes", "--note", "Done, better."]) == 0
    assert "Submitted attempt 2 of" in capsys.readouterr().out


def test_withdraw_says_when_there_is_nothing_to_withdraw_and_sends_nothing(stub, env, capsys):
    assert cli.main(["withdraw", LAB]) == 2
    assert f"Nothing of {LAB} waits for a mentor" in capsys.readouterr().err
    assert cli.main(["withdraw", "no-such-lab"]) == 2
    assert "There is no lab 'no-such-lab' in your plan" in capsys.readouterr().err
    assert stub.posts() == []


@pytest.mark.parametrize(
    ("status", "detail", "shown"),
    [
        (409, "This lab is waiting for your mentor's decision.", "This lab is waiting for your mentor's decision."),
        (422, [{"loc": ["body", "evidence"], "msg": "too long"}], "evidence: too long"),
    ],
)
def test_a_refused_submission_shows_the_academys_reason(stub, env, config, status, detail, shown):
    stub.refusals[LAB] = (status, detail)
    refused = academy_lab(env, "submit", LAB, "--yes", "--note", "Done.")

    assert refused.returncode == 2
    assert shown in refused.stderr
    assert "Traceback" not in refused.stderr
    assert pending(config) == {}  # nothing was stored under that key: the next submission starts afresh


def test_a_missing_file_is_reported_before_anything_runs(stub, env, tmp_path):
    refused = academy_lab(env, "submit", LAB, "--yes", "--note", "Done.", "--file", str(tmp_path / "nope.txt"))

    assert refused.returncode == 2
    assert "nope.txt" in refused.stderr
    assert stub.requests == []


def test_a_token_travels_in_clear_text_only_over_http_to_another_machine():
    assert api.travels_in_clear_text("http://academy.example.org")
    assert not api.travels_in_clear_text("http://127.0.0.1:5000")
    assert not api.travels_in_clear_text("http://localhost:5000")
    assert not api.travels_in_clear_text("https://academy.example.org")
    with pytest.raises(ValueError):
        api.check_url("ftp://academy.example.org")


def test_the_tool_imports_only_the_standard_library():
    imported = set()
    for source in (TOOL / "academy_lab").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert imported, "the walk found no import at all"
    assert imported - set(sys.stdlib_module_names) - {"academy_lab"} == set()


def test_it_builds_offline_and_installs_alone_in_a_fresh_venv(tmp_path):
    """As on a lab machine: a wheel built from the folder (with the setuptools the test extra pins, which builds
    wheels by itself), installed with nothing else into a venv of its own, gives a working `academy-lab`."""
    source = shutil.copytree(TOOL, tmp_path / "academy-lab")  # the build writes into the source tree
    wheels, venv = tmp_path / "wheels", tmp_path / "venv"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-build-isolation", "--no-index", "--no-deps", "-w", wheels, source],
        check=True,
        timeout=120,
    )
    (wheel,) = wheels.glob("academy_lab-1.0.0-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=60)
    subprocess.run(
        [*pip, "--python", venv / "bin" / "python", "install", "--no-index", "--no-deps", wheel],
        check=True,
        timeout=120,
    )

    version = subprocess.run([venv / "bin" / "academy-lab", "--version"], capture_output=True, text=True, timeout=30)
    assert version.stdout.strip() == "academy-lab 1.0.0"


def test_output_no_database_could_hold_is_sent_as_text():
    """A check that prints a NUL byte or bytes that are not UTF-8 still reports: the academy refuses NUL in JSON."""
    from academy_lab import runner

    exit_status, timed_out, output = runner.execute(r"printf 'a\0b\377c'", 5)
    assert (exit_status, timed_out, output) == (0, False, "a\ufffdb\ufffdc")
