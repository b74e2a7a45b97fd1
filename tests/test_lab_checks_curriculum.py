"""The lab checks in the shipped curriculum: enough of them, valid bash, and commands that only observe.

`academy-lab` runs these commands on a trainee's own machine, so the rules below are read off the text of
every shipped check. They are a simple reading of the command, not a shell parser: a check that needs to
break one of them should be rewritten, not the rule loosened.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from academy.curriculum.loader import read_catalogue
from tests.curriculum_factory import module_text, write_curriculum

ROOT = Path(__file__).resolve().parent.parent / "curriculum"
CATALOGUE = read_catalogue(ROOT)
LABS = [lab for module in sorted(CATALOGUE.modules.values(), key=lambda m: m.path) for lab in module.labs]
CHECKS = [(lab.id, check) for lab in LABS for check in lab.spec.checks]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


def where(lab_id: str, check) -> str:
    return f"lab {lab_id}, check {check.id}"


# ---------------------------------------------------------------- reading a command


HEREDOC = re.compile(r"<<-?[ \t]*(['\"]?)(\w+)\1[^\n]*\n.*?^[ \t]*\2[ \t]*$", re.M | re.S)


def unquoted(command: str) -> str:
    """The command with here-document bodies and the contents of quoted strings blanked out, so that a rule
    reads shell syntax and not a message, a regular expression or a Python program passed as an argument."""
    text = HEREDOC.sub("<<HEREDOC", command)
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            out.append(text[i : i + 2])
            i += 2
        elif ch == "'":
            end = text.find("'", i + 1)
            out.append("''")
            i = len(text) if end < 0 else end + 1
        elif ch == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif ch == "#" and (i == 0 or text[i - 1] in " \t\n;"):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def segments(command: str) -> list[str]:
    """The command split into simple commands (roughly: at newlines, pipes, `;`, `&&` and `||`)."""
    return [s for s in re.split(r"\n|\|\||&&|[|;]", command) if s.strip()]


COMMAND_PREFIX = re.compile(r"^(?:\s*(?:!|if|then|do|else|elif|while|until|time|\{|\(|\$\(|\w+=\S*?(?:\$\()?))*\s*$")


def invocations(command: str, tools: str) -> list[str]:
    """Each simple command that runs one of `tools` (a regex alternation), from the tool's name on."""
    found = []
    for segment in segments(command):
        for match in re.finditer(rf"(?<![\w./-])(?:{tools})(?![\w.-])", segment):
            if COMMAND_PREFIX.match(segment[: match.start()]):
                found.append(segment[match.start() :])
    return found


# ---------------------------------------------------------------- the rules: each returns what it found wrong


def no_sudo(command: str) -> list[str]:
    return [
        f"runs {m[1]}: checks run as the trainee, without a password"
        for m in re.finditer(r"(?<![\w-])(sudo|doas|pkexec)(?![\w-])", command)
    ]


def no_rm(command: str) -> list[str]:
    return ["removes files with rm: checks only observe" for _ in re.finditer(r"(?<![\w./-])rm\s", command)]


URL = re.compile(r"\b[a-z][a-z0-9+.-]*://(\[[^\]]*\]|[^/\s'\"?:#]+)", re.I)
LOCAL_URL = re.compile(r"\bhttps?://(127\.0\.0\.1|localhost|\[::1\])[:/]", re.I)


def network_only_local(command: str) -> list[str]:
    problems = [
        f"names the host {m[1]}: checks talk to this machine only"
        for m in URL.finditer(command)
        if m[1].lower() not in LOCAL_HOSTS
    ]
    for call in invocations(command, "curl|wget"):
        if not LOCAL_URL.search(call):
            problems.append(f"{call.split()[0]} without a URL on 127.0.0.1 or localhost: {call.strip()[:60]}")
    return problems


REDIRECT = re.compile(r"(?<![<>&|=-])(?:[0-9]+|&)?>>?\|?(?!&)(?!\()\s*([^\s;&|()<>]*)")
HARMLESS_TARGETS = {"/dev/null", "/dev/stdout", "/dev/stderr"}


def writes_no_files(command: str) -> list[str]:
    text = unquoted(command)
    problems = [
        f"redirects output into {m[1] or 'a file'}: only /dev/null is allowed"
        for m in REDIRECT.finditer(text)
        if m[1] not in HARMLESS_TARGETS
    ]
    problems += [
        f"writes a file with tee: {call.strip()[:60]}"
        for call in invocations(text, "tee")
        if call.split()[1:] != ["/dev/null"]
    ]
    return problems


KUBECTL_CHANGES = re.compile(
    r"^kubectl\s+(?:(?:-n|--namespace|--context)[\s=]\S+\s+)*"
    r"(apply|create|delete|patch|edit|replace|scale|set|label|annotate|taint|drain|cordon|uncordon|run|expose|"
    r"debug|exec|cp|attach|port-forward|rollout\s+(?:restart|undo|pause|resume))(?![\w-])"
)
SYSTEMCTL_CHANGES = re.compile(
    r"^systemctl\s+(?:--\S+\s+)*(start|stop|restart|reload|try-restart|reload-or-restart|enable|disable|reenable|"
    r"mask|unmask|daemon-reload|daemon-reexec|edit|kill|reset-failed|set-property|isolate|link|revert|preset|"
    r"set-default|set-environment|poweroff|reboot|halt|suspend)(?![\w-])"
)
ENGINE_CHANGES = re.compile(
    r"^(?:docker|podman|\$\{?d\}?)\s+(?:container\s+|image\s+)?(run|rm|rmi|stop|kill|start|restart|build|pull|"
    r"push|create|load|import|tag|commit|prune|system|volume|network|compose|cp|update|rename|pause|unpause)(?![\w-])"
)
GIT_CHANGES = re.compile(
    r"^git\s+(?:-[Cc]\s+\S+\s+)*(add|commit|push|pull|fetch|merge|rebase|reset|checkout|switch|restore|stash|"
    r"clean|rm|mv|revert|cherry-pick|gc|prune|init|clone|am|apply)(?![\w-])"
)
INSTALLS = re.compile(
    r"^(?:apt|apt-get|dnf|yum|apk|pip3?|pipx|npm|gem|snap|brew|\S*python3?\s+-m\s+pip)\s+"
    r"(?:\S+\s+)*?(install|upgrade|update|remove|uninstall)(?![\w-])"
)


READING_TOOLS = (
    r"kubectl|systemctl|docker|podman|\$\{?d\}?|git|apt|apt-get|dnf|yum|apk|pip3?|pipx|npm|gem|snap|brew|\S*python3?"
)


def tools_only_read(command: str) -> list[str]:
    """kubectl, systemctl, docker or podman, git and package managers only in their reading forms; a
    kubectl change is allowed with --dry-run, where the server checks it and keeps nothing."""
    text = unquoted(command)
    problems = []
    for call in invocations(text, READING_TOOLS):
        for rule, what in (
            (SYSTEMCTL_CHANGES, "systemctl"),
            (ENGINE_CHANGES, "the container engine"),
            (GIT_CHANGES, "git"),
            (INSTALLS, "a package manager"),
        ):
            if m := rule.match(call):
                problems.append(f"changes state with {what} ({m[1]})")
        if (m := KUBECTL_CHANGES.match(call)) and "--dry-run=server" not in call and "--dry-run=client" not in call:
            problems.append(f"changes the cluster with kubectl {m[1]} (only --dry-run is allowed)")
    return problems


RULES = [no_sudo, no_rm, network_only_local, writes_no_files, tools_only_read]


# ---------------------------------------------------------------- the shipped checks


def test_at_least_fifteen_labs_carry_checks():
    with_checks = [lab.id for lab in LABS if lab.spec.checks]
    assert len(with_checks) >= 15, with_checks


def test_the_shipped_checks_load_without_problems():
    assert [str(p) for p in CATALOGUE.problems] == []


def syntax_errors(commands: list[str]) -> dict[int, str]:
    """`bash -n -c` on each command, in one bash process that forks a parser per command: index -> error."""
    script = 'i=0; while IFS= read -r -d "" cmd; do bash -n -c "$cmd" 2>&1 | sed "s/^/$i: /"; i=$((i+1)); done'
    stdin = "".join(command + "\0" for command in commands)
    result = subprocess.run(["bash", "-c", script], input=stdin, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    errors: dict[int, str] = {}
    for line in result.stdout.splitlines():
        index, _, message = line.partition(": ")
        errors[int(index)] = f"{errors.get(int(index), '')} {message}".strip()
    return errors


def test_every_check_command_is_valid_bash():
    """All the commands at once, each as the body of a function, through a single `bash -n` (which parses and
    runs nothing); only when that fails is each command parsed on its own, to name the broken ones."""
    bundle = "".join(f"__check_{i}() {{\n{check.run}\n}}\n" for i, (_, check) in enumerate(CHECKS))
    result = subprocess.run(["bash", "-n"], input=bundle, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        errors = syntax_errors([check.run for _, check in CHECKS])
        assert {where(*CHECKS[i]): error for i, error in errors.items()} == {}, result.stderr
        pytest.fail(f"the commands parse one by one but not together: {result.stderr}")


def test_a_syntax_error_is_found_and_named():
    assert syntax_errors(["test -f x && echo ok", "if true; then echo", "echo 'open"]).keys() == {1, 2}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_every_check_only_observes(rule):
    problems = [f"{where(lab_id, check)}: {p}" for lab_id, check in CHECKS for p in rule(check.run)]
    assert problems == []


def test_every_check_is_fast_and_explained():
    for lab_id, check in CHECKS:
        assert check.timeout_seconds <= 120, f"{where(lab_id, check)}: a check should take seconds"
        assert len(check.hint) >= 40, f"{where(lab_id, check)}: the hint should say what usually went wrong"


def test_promtool_subcommands_exist_in_the_installed_promtool():
    """The README's test line installs Debian's prometheus, which brings promtool; the rule tests use it too."""
    assert shutil.which("promtool"), "promtool is missing: the README's test line installs Debian's prometheus"
    used = {tuple(m.groups()) for _, c in CHECKS for m in re.finditer(r"\bpromtool\s+(check|test)\s+(\w+)", c.run)}
    assert used, "no check calls promtool"
    for command in sorted(used):
        result = subprocess.run(["promtool", *command, "--help"], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"promtool {' '.join(command)}: {result.stderr}"


# ---------------------------------------------------------------- the rules themselves


@pytest.mark.parametrize(
    ("rule", "command"),
    [
        (no_sudo, "sudo ss -ltnp"),
        (no_rm, "test -f x && rm x"),
        (network_only_local, "curl -fsS https://example.org/"),
        (network_only_local, "out=$(curl -fsS localhost:8080/)"),
        (writes_no_files, "date > ~/stamp"),
        (writes_no_files, 'echo hi >> "$f"'),
        (writes_no_files, "ls | tee listing.txt"),
        (tools_only_read, "kubectl delete pod web-1"),
        (tools_only_read, "kubectl -n shop scale deployment/hello --replicas=0"),
        (tools_only_read, "systemctl restart hello.service"),
        (tools_only_read, "d=docker; $d rm -f hello"),
        (tools_only_read, "git -C ~/repo commit -am wip"),
        (tools_only_read, "python3 -m pip install requests"),
    ],
)
def test_a_rule_catches_what_it_is_for(rule, command):
    assert rule(command)


@pytest.mark.parametrize(
    "command",
    [
        "curl -fsS --max-time 5 http://127.0.0.1:8082/ 2>/dev/null | grep -q 'hello > world'",
        'for tool in dig curl; do command -v "$tool" >/dev/null || exit 1; done',
        "kubectl delete namespace shop --dry-run=server 2>&1",
        "python3 -c 'import sys; sys.exit(0 if len(sys.argv) >= 1 else 1)' && echo \"a -> b\"",
        "git -C ~/repo log --format=%s main | grep -qx 'Revert \"x\"'",
        "systemctl show -p ExecStart --value hello.service",
        "d=docker; $d image inspect hello-sre:0.1 --format '{{.Config.User}}'",
    ],
)
def test_the_rules_let_an_observing_command_pass(command):
    assert [p for rule in RULES for p in rule(command)] == []


# ---------------------------------------------------------------- the check command refuses broken checks

CHECKS_YAML = """\
labs:
  - id: lab-a
    title: A lab
    steps: [Do it.]
    acceptance_criteria: [Done.]
    evidence: [command-output]
    checks:
      - id: listening
        name: The service listens
        run: "ss -ltnH 'sport = :8080' | grep -q ."
        hint: Start the service.
{extra}"""


def lab_with(extra: str) -> str:
    return module_text("a", extra=CHECKS_YAML.format(extra=extra))


def line_with(path: Path, snippet: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if snippet in line)


@pytest.mark.parametrize(
    ("extra", "snippet", "message"),
    [
        (
            '      - id: active\n        name: Active\n        run: "systemctl is-active x"\n'
            '        expect:\n          output_matches: "active("\n        hint: Start it.\n',
            'output_matches: "active("',
            "labs.0.checks.1.expect.output_matches: the pattern 'active(' is not a regular expression",
        ),
        (
            '      - id: listening\n        name: Again\n        run: "true"\n        hint: Again.\n',
            "    checks:",
            "labs.0.checks: duplicate check id listening",
        ),
        (
            '      - id: quick\n        name: Quick\n        run: "true"\n'
            "        timeout_seconds: 0\n        hint: Quick.\n",
            "timeout_seconds: 0",
            "labs.0.checks.1.timeout_seconds: Input should be greater than or equal to 1",
        ),
        (
            '      - id: retried\n        name: Retried\n        run: "true"\n'
            "        retries: 3\n        hint: Once.\n",
            "retries: 3",
            "labs.0.checks.1.retries: Extra inputs are not permitted",
        ),
    ],
    ids=["regex-does-not-compile", "duplicate-id", "timeout-zero", "unknown-field"],
)
def test_the_curriculum_check_refuses_a_broken_check(runner, tmp_path, extra, snippet, message):
    write_curriculum(tmp_path, {"01-a.md": lab_with(extra)})
    path = tmp_path / "basics" / "01-a.md"
    result = runner.invoke(args=["academy", "curriculum", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert f"{path}:{line_with(path, snippet)}: {message}" in result.output


def test_the_curriculum_check_accepts_a_well_formed_check(runner, tmp_path):
    extra = (
        '      - id: active\n        name: Active\n        run: "systemctl is-active x"\n        timeout_seconds: 10\n'
        '        expect:\n          exit_status: 0\n          output_matches: "^active$"\n'
        '          output_not_matches: "failed"\n        hint: Start it.\n'
    )
    write_curriculum(tmp_path, {"01-a.md": lab_with(extra)})
    result = runner.invoke(args=["academy", "curriculum", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
