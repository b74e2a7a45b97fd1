"""README.md's "Production" section, run as written on this machine: the install commands (a virtual environment
from constraints.txt, the service user, the instance folder, the settings file), the settings block written to that
file and read as systemd reads it, the database commands (the role, the database, `db upgrade` and `create-user` as
the service user through `sre-academy --env-file`), then the unit's ExecStartPre and ExecStart (gunicorn) as its
User, in its WorkingDirectory, with its EnvironmentFile; an admin signs in over HTTP and gets a page.

The blocks are read from the README, never copied here. What must differ in a test is substituted, and only that:

- /srv/sre-academy, /etc/sre-academy and /run/sre-academy: the same paths under a temporary directory;
- the checkout: the README's clone of the release is this working tree, copied (tracked and new files) there;
- the name `academy` as a word of its own (the system user and group, the PostgreSQL role and database): a name
  unique to this run, dropped at the end;
- the port 8000 of 127.0.0.1:8000: a free port;
- the placeholders `...` of ACADEMY_SECRET_KEY and ACADEMY_METRICS_TOKEN: fresh random values;
- what systemd does for the unit (RuntimeDirectory, User, EnvironmentFile): done by hand, with runuser.

It needs root and the PostgreSQL server on its local socket (CI has both), and takes a minute or two (the pip
cache makes the install quick); every step has a timeout.
"""

import http.client
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from academy.service import read_environment_file

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "seven tall lighthouses guard the quay"
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def postgres_answers() -> bool:
    try:
        probe = ["runuser", "-u", "postgres", "--", "psql", "-XAtc", "select 1"]
        return subprocess.run(probe, capture_output=True, timeout=20, cwd="/").returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the Production steps run as root (useradd, runuser)"),
    pytest.mark.skipif(os.geteuid() == 0 and not postgres_answers(), reason="no PostgreSQL on the local socket"),
]


def production_blocks() -> list[tuple[str, str]]:
    """(language, text) of each fenced block in README.md's Production section."""
    section = (REPO / "README.md").read_text().split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```(\w+)\n(.*?)^```$", section, flags=re.M | re.S)


def the_block(language: str, marker: str) -> str:
    found = [text for lang, text in production_blocks() if lang == language and marker in text]
    assert len(found) == 1, f"README's Production section should have one {language} block with {marker!r}"
    return found[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    """The substitutions above, and what the run made (removed by `remove`)."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="sra-production-"))
        self.base.chmod(0o755)  # the service user walks through it, as through /srv and /etc
        self.name = f"sra_setup_{secrets.token_hex(4)}"
        self.port = free_port()
        self.checkout = self.base / "srv/sre-academy"

    def substitute(self, text: str) -> str:
        for path in ("/srv/sre-academy", "/etc/sre-academy", "/run/sre-academy"):
            text = text.replace(path, f"{self.base}{path}")
        text = text.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")
        text = re.sub(r"(?<![\w.-])academy(?![\w.-])", self.name, text)
        placeholder = r"^(ACADEMY_SECRET_KEY|ACADEMY_METRICS_TOKEN)=\.\.\.$"
        return re.sub(placeholder, lambda m: f"{m[1]}={secrets.token_hex(32)}", text, flags=re.M)

    def copy_checkout(self) -> None:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO, capture_output=True, check=True, timeout=60,
        ).stdout.decode().split("\0")
        for name in filter(None, listed):
            source = REPO / name
            if source.is_file():  # a tracked file deleted in the working tree is not copied
                (self.checkout / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, self.checkout / name)
        subprocess.run(["chmod", "-R", "u=rwX,go=rX", str(self.checkout)], check=True, timeout=60)

    def remove(self) -> None:
        for command in (
            ["runuser", "-u", "postgres", "--", "dropdb", "--if-exists", "--force", self.name],
            ["runuser", "-u", "postgres", "--", "dropuser", "--if-exists", self.name],
            ["userdel", self.name],
        ):
            subprocess.run(command, capture_output=True, timeout=60, cwd="/")
        for _ in range(5):  # userdel refuses while a process of the user is still ending
            if subprocess.run(["id", "-u", self.name], capture_output=True, timeout=10).returncode != 0:
                break
            time.sleep(1)
            subprocess.run(["userdel", self.name], capture_output=True, timeout=60, cwd="/")
        shutil.rmtree(self.base, ignore_errors=True)


def admin_shell_environment() -> dict:
    """Root's shell on the server: none of the academy's settings, nor this test run's virtual environment."""
    own_bin = str(Path(sys.prefix) / "bin")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACADEMY_", "PROMETHEUS_"))}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    env["PATH"] = ":".join(p for p in env.get("PATH", SYSTEMD_PATH).split(":") if p != own_bin)
    return env


def run_as_root(script: str, site: Site, *, stdin: str = "", timeout: int) -> str:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=site.base, env=admin_shell_environment(), input=stdin, capture_output=True, text=True,
        timeout=timeout, start_new_session=True,  # no terminal: create-user reads its password from stdin
    )
    assert result.returncode == 0, f"{script}\nfailed with {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def unit_settings(unit: str) -> dict[str, str]:
    settings, section = {}, None
    for line in unit.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service" and "=" in line:
            key, _, value = line.partition("=")
            settings[key] = value
    return settings


class Browser:
    """Just enough of one: cookies kept by hand (the session cookie is Secure, and this is plain HTTP on
    loopback, where the proxy would have ended TLS)."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        text = response.read().decode()
        connection.close()
        return response.status, dict(response.headers), text


def wait_for_health(port: int, server: subprocess.Popen, log: Path, seconds: int = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"gunicorn exited with {server.returncode}:\n{log.read_text()}"
        try:
            if Browser(port).request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"gunicorn did not answer within {seconds} s:\n{log.read_text()}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


@pytest.fixture
def site():
    site = Site()
    try:
        yield site
    finally:
        site.remove()


def test_the_production_section_as_written(site):
    install = site.substitute(the_block("bash", "pip install"))
    settings = site.substitute(the_block("ini", "ACADEMY_DATABASE_URL="))
    database = site.substitute(the_block("bash", "createdb"))
    unit = unit_settings(site.substitute(the_block("ini", "ExecStart=")))
    for text in (install, settings, database, str(unit)):
        left = re.search(r"(?<!<base>)/(srv|etc|run)/sre-academy", text.replace(str(site.base), "<base>"))
        assert not left, f"{left[0]} was left unsubstituted"

    # install: the release checked out (here: copied) as root, then the README's commands
    site.copy_checkout()
    run_as_root(install, site, timeout=900)
    venv = site.checkout / ".venv/bin"
    assert (venv / "sre-academy").exists() and (venv / "gunicorn").exists()
    instance = site.checkout / "instance"
    assert instance.owner() == site.name and site.checkout.owner() == "root"

    # the settings, in the file the install made, read as systemd reads an EnvironmentFile
    env_file = site.base / "etc/sre-academy/env"
    assert env_file.exists() and env_file.group() == site.name and env_file.stat().st_mode & 0o077 == 0o040
    env_file.write_text(settings)
    values = read_environment_file(env_file)
    trailing_comments = {key: value for key, value in values.items() if re.search(r"\s[#;]", value)}
    assert not trailing_comments, f"systemd would keep these comments in the values: {trailing_comments}"
    assert values["ACADEMY_DATABASE_URL"] == f"postgresql+psycopg://{site.name}@/{site.name}"
    assert re.fullmatch(r"[0-9a-f]{64}", values["ACADEMY_SECRET_KEY"])

    # the database and the first admin, as the service user, through sre-academy
    output = run_as_root(database, site, stdin=f"{PASSWORD}\n{PASSWORD}\n", timeout=300)
    assert "Database at head." in output and "Created admin@example.com (admin)." in output

    # the unit, as systemd would run it
    assert unit["User"] == site.name and Path(unit["EnvironmentFile"]) == env_file
    runtime = site.base / "run" / unit["RuntimeDirectory"]
    runtime.mkdir(parents=True)
    shutil.chown(runtime, site.name, site.name)
    service_env = {"PATH": SYSTEMD_PATH, "LANG": "C.UTF-8", **read_environment_file(Path(unit["EnvironmentFile"]))}

    def as_service(command: str, **kwargs):
        argv = ["runuser", "-u", unit["User"], "--", *shlex.split(command)]
        return subprocess.Popen(argv, cwd=unit["WorkingDirectory"], env=service_env, start_new_session=True, **kwargs)

    pre = as_service(unit["ExecStartPre"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert pre.wait(timeout=120) == 0, pre.stdout.read()
    log = site.base / "gunicorn.log"
    with log.open("w") as log_file:
        server = as_service(unit["ExecStart"], stdout=log_file, stderr=subprocess.STDOUT)
    try:
        wait_for_health(site.port, server, log)
        browser = Browser(site.port)
        status, _, page = browser.request("GET", "/login")
        assert status == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        form = {"email": "admin@example.com", "password": PASSWORD, "csrf_token": csrf}
        status, headers, _ = browser.request("POST", "/login", form)
        assert status in (302, 303), f"sign-in answered {status}"
        status, _, page = browser.request("GET", urllib.parse.urlsplit(headers["Location"]).path)
        assert status == 200 and "Sign out" in page
    finally:
        stop(server)
    assert server.returncode is not None
    assert "Booting worker" in log.read_text()
