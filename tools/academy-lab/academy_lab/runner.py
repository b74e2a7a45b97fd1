"""Running a lab's checks on this machine, one by one, with a live line each."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import TextIO

MAX_OUTPUT = 4000  # characters of a check's output sent to the academy: the end, where errors usually are
SHOWN_LINES = 10  # lines of a failed check's output shown in the terminal
GRACE_SECONDS = 5  # to collect the output of a killed check


@dataclass
class CheckRun:
    check_id: str
    name: str
    passed: bool
    exit_status: int | None  # None when the check timed out
    timed_out: bool
    seconds: float
    output: str
    failure: str = ""  # why it did not pass, in a few words

    def as_result(self) -> dict:
        """The result as the academy stores it: the output cut to its last MAX_OUTPUT characters."""
        return {
            "check_id": self.check_id,
            "passed": self.passed,
            "exit_status": self.exit_status,
            "timed_out": self.timed_out,
            "seconds": round(self.seconds, 3),
            "output": self.output[-MAX_OUTPUT:],
        }


def run_checks(checks: list[dict]) -> list[CheckRun]:
    """Run every check in order, printing a line for each as it finishes, then the summary line."""
    out, runs = sys.stdout, []
    for check in checks:
        if out.isatty():  # a line that says what runs now; the result overwrites it
            out.write(f"  …     {check['name']}")
            out.flush()
        run = run_check(check)
        print_run(run, check.get("hint") or "", out)
        runs.append(run)
    passed = sum(run.passed for run in runs)
    print(f"{passed} of {len(runs)} checks passed.", file=out)
    return runs


def run_check(check: dict) -> CheckRun:
    expect = check.get("expect") or {}
    started = time.monotonic()
    exit_status, timed_out, output = execute(check["run"], check.get("timeout_seconds") or 30)
    seconds = time.monotonic() - started
    failure = why_failed(expect, exit_status, timed_out, output)
    return CheckRun(check["id"], check["name"], not failure, exit_status, timed_out, seconds, output, failure)


def execute(command: str, timeout: float) -> tuple[int | None, bool, str]:
    """Exit status, whether it timed out, and stdout and stderr together. The check runs in a process group of
    its own, so that a timeout kills everything it started, not only the shell."""
    process = subprocess.Popen(  # noqa: S603 - running the lab's check is the point; the trainee approved it
        [shell(), "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        return None, True, output_after_kill(process)
    except KeyboardInterrupt:  # the group left the terminal's with its new session: Ctrl-C does not reach it
        kill_group(process.pid)
        process.wait()
        raise
    return exit_status_of(process.returncode), False, decode(output)


def kill_group(group: int) -> None:
    # the group may be gone already, while something that left it still holds the pipe open
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def output_after_kill(process: subprocess.Popen) -> str:
    """What the killed check printed; nothing when a process that left the group still holds the pipe open."""
    try:
        output, _ = process.communicate(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.stdout.close()
        process.wait()
        return ""
    return decode(output)


def exit_status_of(returncode: int) -> int:
    """As a shell reports it: a process killed by signal N exits with 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def why_failed(expect: dict, exit_status: int | None, timed_out: bool, output: str) -> str:
    """Empty when the check passed, else the first reason it did not."""
    wanted = expect.get("exit_status", 0)
    must_match, must_not_match = expect.get("output_matches"), expect.get("output_not_matches")
    if timed_out:
        return "It did not finish within its time limit, and was stopped."
    if exit_status != wanted:
        return f"Exit status {exit_status}, expected {wanted}."
    if must_match is not None and not search(must_match, output):
        return f"The output does not match /{must_match}/."
    if must_not_match is not None and search(must_not_match, output):
        return f"The output matches /{must_not_match}/, and must not."
    return ""


def search(pattern: str, output: str) -> bool:
    try:
        return re.search(pattern, output) is not None
    except re.error:  # the academy validates patterns; should one slip through, it is plain text, not a crash
        return pattern in output


def print_run(run: CheckRun, hint: str, out: TextIO) -> None:
    status = "PASS" if run.passed else "TIMEOUT" if run.timed_out else "FAIL"
    start = "\r" if out.isatty() else ""
    print(f"{start}  {status}  {run.name}  ({run.seconds:.1f} s)", file=out)
    if run.passed:
        return
    print(f"        {run.failure}", file=out)
    if hint:
        print(f"        Hint: {hint}", file=out)
    lines = run.output.rstrip("\n").splitlines()[-SHOWN_LINES:]
    if lines:
        print(f"        Output (last {len(lines)} lines):" if len(lines) > 1 else "        Output:", file=out)
        for line in lines:
            print(f"        | {line}", file=out)
    else:
        print("        (no output)", file=out)
    out.flush()


def shell() -> str:
    """bash when the machine has it (the labs are written for it), else the POSIX sh."""
    return shutil.which("bash") or shutil.which("sh") or "/bin/sh"


def decode(output: bytes) -> str:
    """Text the academy can keep: invalid UTF-8 and NUL bytes (which no database text holds) become U+FFFD."""
    return output.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
