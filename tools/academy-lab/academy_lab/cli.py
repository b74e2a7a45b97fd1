"""The `academy-lab` command: login, list, check, submit.

Exit status: 0 all well, 1 a check failed (`check`), 2 a usage, configuration, network or server error.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
import time

from . import __version__, api, runner, store, submission
from .submission import UserError

SCOPE_ADVICE = (
    'Create a token with the scope "Lab checks and submissions" on your account page in the academy, '
    "then run `academy-lab login URL` again."
)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "action"):
        build_parser().print_help(sys.stderr)
        return 2
    try:
        return args.action(args)
    except api.ApiError as refused:
        print(f"academy-lab: {refused}", file=sys.stderr)
        if refused.status == 401:
            print(SCOPE_ADVICE, file=sys.stderr)
        if refused.status == 409 and getattr(args, "action", None) is submit:
            print(conflict_advice(str(refused), args.lab), file=sys.stderr)
        return 2
    except (api.NetworkError, store.ConfigError, UserError, OSError) as problem:
        print(f"academy-lab: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nacademy-lab: interrupted.", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="academy-lab",
        description="Run an SRE Academy lab's checks on this machine, and submit the lab with their results.",
        epilog="ACADEMY_LAB_URL and ACADEMY_LAB_TOKEN override the saved address and token.",
    )
    add_version(parser)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    login_parser = commands.add_parser("login", help="save the academy's address and your token")
    login_parser.add_argument("url", metavar="URL", help="the academy's address, e.g. https://academy.example.org")
    login_parser.add_argument("--token-stdin", action="store_true", help="read the token from standard input")
    login_parser.set_defaults(action=login)

    list_parser = commands.add_parser("list", help="your labs, the ones open for submission first")
    list_parser.set_defaults(action=list_labs)

    check_parser = commands.add_parser("check", help="run a lab's checks on this machine")
    add_lab_arguments(check_parser)
    check_parser.set_defaults(action=check)

    submit_parser = commands.add_parser("submit", help="run a lab's checks, then submit the lab with your note")
    add_lab_arguments(submit_parser)
    note = submit_parser.add_mutually_exclusive_group()
    note.add_argument("--note", metavar="TEXT", help="your note (Markdown); without it, your editor opens")
    note.add_argument("--note-file", metavar="PATH", help="a file holding your note")
    submit_parser.add_argument("--file", metavar="PATH", action="append", default=[], help="attach a file")
    submit_parser.add_argument("--link", metavar="URL", action="append", default=[], help="add a link")
    submit_parser.set_defaults(action=submit)

    withdraw_parser = commands.add_parser("withdraw", help="take back a lab's submission that waits for a mentor")
    withdraw_parser.add_argument("lab", metavar="LAB", help="the lab's id, as `academy-lab list` shows it")
    withdraw_parser.set_defaults(action=withdraw)
    for subparser in (login_parser, list_parser, check_parser, submit_parser, withdraw_parser):
        add_version(subparser)
    return parser


def add_version(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"academy-lab {__version__}")


def add_lab_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lab", metavar="LAB", help="the lab's id, as `academy-lab list` shows it")
    parser.add_argument("--yes", action="store_true", help="run new or changed check commands without asking")


def login(args) -> int:
    try:
        url = api.check_url(args.url)
    except ValueError as problem:
        raise UserError(str(problem)) from None
    token = read_token(args.token_stdin)
    if not token:
        raise UserError(f"No token given. {SCOPE_ADVICE}")
    me = api.Academy(url, token).me()
    path = store.sign_in(url, token)
    roles = ", ".join(me.get("roles") or []) or "no role"
    print(f"Signed in to {url} as {me.get('display_name')} <{me.get('email')}> ({roles}).")
    print(f"The token is saved in {path}, readable by you only.")
    return 0


def read_token(from_stdin: bool) -> str:
    """Asked without echo in a terminal; read from standard input in scripts (`... | academy-lab login URL`)."""
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    print('Paste a personal access token of scope "Lab checks and submissions" (made on your account page).')
    return getpass.getpass("Token: ").strip()


def list_labs(args) -> int:
    labs = connect().my_labs()
    if not labs:
        print("You have no labs yet.")
        return 0
    ordered = [lab for lab in labs if lab.get("open")] + [lab for lab in labs if not lab.get("open")]
    id_width = max(len(lab["lab_id"]) for lab in labs)
    title_width = max(len(lab.get("title") or "") for lab in labs)
    for lab in ordered:
        status = (lab.get("status") or "").replace("_", " ")
        line = f"{lab['lab_id']:<{id_width}}  {lab.get('title') or '':<{title_width}}  {status:<17}  "
        line += f"{lab.get('checks', 0)} checks"
        print(line if lab.get("open") else f"{line}  (not open now)")
    return 0


def check(args) -> int:
    lab = connect().lab_checks(args.lab)
    runs = run_lab_checks(lab, args.yes)
    return 0 if all(run.passed for run in runs) else 1


def submit(args) -> int:
    note = submission.note_from_options(args.note, args.note_file)
    files = [submission.attachment(path) for path in args.file]
    if note is None and not sys.stdin.isatty():
        raise UserError("Give your note with --note or --note-file: there is no terminal to open an editor in.")
    academy = connect()
    lab = academy.lab_checks(args.lab)
    run_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    runs = run_lab_checks(lab, args.yes)
    if note is None:
        note = submission.note_from_editor(lab, runs)
    body = {"evidence": note, "links": args.link, "files": files}
    if runs:
        host = socket.gethostname()[:80]
        body["checks"] = {"run_at": run_at, "host": host, "results": [run.as_result() for run in runs]}
    attempt = submission.send(academy, args.lab, body)
    print_submitted(lab, attempt, runs)
    return 0


def conflict_advice(detail: str, lab_id: str) -> str:
    """What to do next when the academy refused a submission as a conflict, in this tool's own commands."""
    if "request key was used before" in detail:  # the earlier run's submission reached the academy after all
        return (
            "The academy kept your earlier submission. To send this one instead: "
            f"academy-lab withdraw {lab_id}, then submit again."
        )
    if "withdraw" in detail.lower():
        return f"To take it back and submit again: academy-lab withdraw {lab_id}"
    return "Nothing was stored."


def withdraw(args) -> int:
    """Take back the lab's submission that waits for a mentor, so that the next `submit` is a new attempt."""
    academy = connect()
    lab = next((lab for lab in academy.my_labs() if lab.get("lab_id") == args.lab), None)
    if lab is None:
        raise UserError(f"There is no lab {args.lab!r} in your plan: `academy-lab list` shows your labs.")
    if not lab.get("waiting_attempt_id"):
        raise UserError(f"Nothing of {args.lab} waits for a mentor, so there is nothing to withdraw.")
    attempt = academy.withdraw_attempt(lab["waiting_attempt_id"])
    print(f"Withdrew attempt {attempt.get('number')} of {lab.get('title') or args.lab}; your mentor no longer sees it.")
    print(f"Submit it again with: academy-lab submit {args.lab}")
    return 0


def run_lab_checks(lab: dict, yes: bool) -> list[runner.CheckRun]:
    checks = lab.get("checks") or []
    if not checks:
        print(f"{lab.get('title') or lab.get('lab_id')} has no checks to run.")
        return []
    confirm(lab, checks, yes)
    print(f"Running the checks of {lab.get('title')}:")
    return runner.run_checks(checks)


def confirm(lab: dict, checks: list[dict], yes: bool) -> None:
    """The trainee sees every command before it first runs on their machine, and again whenever one changes."""
    lab_id, digest = lab["lab_id"], store.commands_digest(checks)
    approved = store.approved_digest(lab_id)
    if digest == approved:
        return
    if not yes:
        show_commands(lab, checks, changed=approved is not None)
        if not sys.stdin.isatty():
            raise UserError("Nothing was run: review these commands in a terminal first, or add --yes.")
        what = "this command" if len(checks) == 1 else f"these {len(checks)} commands"
        answer = input(f"Run {what} on this machine? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise UserError("Nothing was run.")
    store.approve_checks(lab_id, digest)


def show_commands(lab: dict, checks: list[dict], changed: bool) -> None:
    lab_name = f"The checks of {lab.get('title')} ({lab['lab_id']})"
    if changed:
        print(f"{lab_name} have changed since you approved them.")
        lab_name = "They"
    print(f"{lab_name} run these commands on this machine, as {user_name()}:")
    for number, check_ in enumerate(checks, start=1):
        print(f"  {number}. {check_['name']}")
        for line in check_["run"].splitlines():
            print(f"       {line}")


def user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid without a name, as in some containers
        return "you"


def print_submitted(lab: dict, attempt: dict, runs: list[runner.CheckRun]) -> None:
    title = lab.get("title") or lab.get("lab_id")
    done = f"Submitted attempt {attempt.get('number')} of {title}"
    if runs:
        passed, total = attempt.get("checks_passed"), attempt.get("checks_total")
        passed = sum(run.passed for run in runs) if passed is None else passed
        done += f": {passed} of {len(runs) if total is None else total} checks passed"
    print(f"{done}. Your mentor has been told.")
    failed = [run.check_id for run in runs if not run.passed]
    if failed:
        print(f"The failing checks ({', '.join(failed)}) are visible to your mentor, with their output.")


def connect() -> api.Academy:
    url, token = store.credentials()
    try:
        return api.Academy(url, token)
    except ValueError as problem:
        raise UserError(str(problem)) from None


if __name__ == "__main__":
    sys.exit(main())
