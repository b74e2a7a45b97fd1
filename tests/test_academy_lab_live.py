"""academy-lab against the real academy on 127.0.0.1: a lab whose checks pass, fail and time out is checked and
submitted, a retried submit after a lost answer stores one attempt, and the refusals say why."""

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from academy.models import ApiToken, CheckResult, LabAttempt, utcnow
from tests.conftest import REPO, served
from tests.labchecks_factory import checked_app

LAB = "check-demo-lab"


@pytest.fixture
def app(migrated, tmp_path):
    with checked_app(migrated, tmp_path / "curriculum") as app:
        yield app


@pytest.fixture
def live_server(app):
    with served(app) as url:
        yield url


@pytest.fixture
def lab_token(app, academy, people):
    from academy.api.tokens import create_token
    from academy.models import User

    with app.test_request_context(), people.session() as s:
        token, _ = create_token(s, user=s.get(User, academy.trainee.id), name="lab VM", scope="lab")
        s.commit()
    return token


def tool(*args, home, stdin=None, **env):
    """Run academy-lab as a trainee would, with its own config folder."""
    environment = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPO / "tools" / "academy-lab"),
        "XDG_CONFIG_HOME": str(home),
        "HOME": str(home),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "academy_lab", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


def test_check_and_submit_against_the_academy_and_the_mentor_sees_the_results(
    live_server, lab_token, tmp_path, people, as_role
):
    login = tool("login", live_server, "--token-stdin", home=tmp_path, stdin=lab_token + "\n")
    assert login.returncode == 0, login.stderr
    assert "Trainee" in login.stdout
    listed = tool("list", home=tmp_path)
    assert LAB in listed.stdout and "later-lab" in listed.stdout

    check = tool("check", LAB, "--yes", home=tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "PASS  The machine greets" in check.stdout
    assert "FAIL  A file that is not there" in check.stdout and "Create the file the lab asks for." in check.stdout
    assert "TIMEOUT  A command that takes too long" in check.stdout
    assert "1 of 3 checks passed" in check.stdout

    note = tmp_path / "note.md"
    note.write_text("I did the lab; the file step is still open.")
    output = tmp_path / "status.txt"
    output.write_text("active (running)\n")
    submit = tool("submit", LAB, "--yes", "--note-file", str(note), "--file", str(output), home=tmp_path)
    assert submit.returncode == 0, submit.stdout + submit.stderr
    assert "Submitted attempt 1" in submit.stdout

    with people.session() as s:
        (attempt,) = s.exec(select(LabAttempt)).all()
        results = s.exec(select(CheckResult).order_by(CheckResult.position)).all()
    assert (attempt.checks_passed, attempt.checks_total) == (1, 3)
    assert attempt.checks_host == socket.gethostname()[:80]
    assert [(r.check_id, r.passed, r.timed_out) for r in results] == [
        ("greets", True, False),
        ("fails", False, False),
        ("slow", False, True),
    ]
    assert "hello from the lab" in results[0].output
    page = as_role("mentor").get(f"/reviews/{attempt.id}").get_data(as_text=True)
    assert "Checks: 1 of 3 passed" in page and "status.txt" in page and "hello from the lab" in page


class DropFirstAnswer:
    """A TCP proxy in front of the academy that forwards the first POST and throws its answer away, as a network
    that fails after the server has committed would; every other request passes through."""

    def __init__(self, target: str):
        self.host, self.port = target.removeprefix("http://").split(":")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.dropped = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            client, _ = self.listener.accept()
            threading.Thread(target=self.relay, args=(client,), daemon=True).start()

    def relay(self, client):
        with client, socket.create_connection((self.host, int(self.port))) as upstream:
            request = self.read_request(client)
            upstream.sendall(request)
            upstream.shutdown(socket.SHUT_WR)
            answer = b"".join(iter(lambda: upstream.recv(65536), b""))
            if request.startswith(b"POST") and not self.dropped:
                self.dropped += 1
                return  # the academy stored it; the trainee's machine never hears so
            client.sendall(answer)

    @staticmethod
    def read_request(client) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            data += client.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
        )
        while len(body) < length:
            body += client.recv(65536)
        return head + b"\r\n\r\n" + body


def test_a_submit_whose_answer_was_lost_is_retried_and_stores_one_attempt(live_server, lab_token, tmp_path, people):
    proxy = DropFirstAnswer(live_server)
    submit = tool(
        "submit", LAB, "--yes", "--note", "Done.", home=tmp_path, ACADEMY_LAB_URL=proxy.url, ACADEMY_LAB_TOKEN=lab_token
    )
    assert submit.returncode == 0, submit.stdout + submit.stderr
    assert proxy.dropped == 1
    with people.session() as s:
        assert len(s.exec(select(LabAttempt)).all()) == 1
        assert len(s.exec(select(CheckResult)).all()) == 3


def test_a_waiting_submission_is_withdrawn_with_the_lab_token_and_the_next_submit_is_attempt_two(
    live_server, lab_token, tmp_path, people
):
    env = {"ACADEMY_LAB_URL": live_server, "ACADEMY_LAB_TOKEN": lab_token}
    assert tool("submit", LAB, "--yes", "--note", "Done.", home=tmp_path, **env).returncode == 0
    busy = tool("submit", LAB, "--yes", "--note", "Done, better.", home=tmp_path, **env)
    assert busy.returncode == 2 and f"academy-lab withdraw {LAB}" in busy.stderr

    withdrawn = tool("withdraw", LAB, home=tmp_path, **env)
    assert withdrawn.returncode == 0, withdrawn.stdout + withdrawn.stderr
    assert "Withdrew attempt 1 of" in withdrawn.stdout
    again = tool("submit", LAB, "--yes", "--note", "Done, better.", home=tmp_path, **env)
    assert again.returncode == 0 and "Submitted attempt 2 of" in again.stdout
    with people.session() as s:
        stored = s.exec(select(LabAttempt).order_by(LabAttempt.number)).all()
        assert [(a.number, a.status, a.evidence) for a in stored] == [
            (1, "withdrawn", "Done."),
            (2, "submitted", "Done, better."),
        ]


def test_a_locked_lab_a_wrong_token_and_an_expired_token_are_refused_with_the_reason(
    live_server, lab_token, tmp_path, people
):
    env = {"ACADEMY_LAB_URL": live_server, "ACADEMY_LAB_TOKEN": lab_token}
    locked = tool("submit", "later-lab", "--yes", "--note", "Early.", home=tmp_path, **env)
    assert locked.returncode == 2
    assert "finish" in (locked.stdout + locked.stderr).lower()  # the academy's reason: prerequisites first

    wrong = tool("login", live_server, "--token-stdin", home=tmp_path / "wrong", stdin="sra_not-a-token\n")
    assert wrong.returncode == 2 and "personal access token" in wrong.stdout + wrong.stderr
    assert not (tmp_path / "wrong" / "academy-lab" / "config.json").exists()

    with people.session() as s:
        for row in s.exec(select(ApiToken)).all():
            row.expires_at = utcnow() - timedelta(minutes=1)
            s.add(row)
        s.commit()
    expired = tool("list", home=tmp_path, **env)
    assert expired.returncode == 2 and "expired" in expired.stdout + expired.stderr
    with people.session() as s:
        assert s.exec(select(LabAttempt)).all() == []
