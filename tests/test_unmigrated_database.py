"""A database nobody migrated: every command (but those that make the schema) and every page that asks the
database say so and what to do (`flask academy db upgrade`), with exit status 1 or a 503, never a traceback."""

import pytest
from sqlalchemy.engine import make_url

from academy import migrate
from academy.service import main, read_environment_file
from tests.conftest import fresh_database, make_app, sign_in


@pytest.fixture
def empty_database(tmp_path):
    with fresh_database(tmp_path, prefix="academy_unmigrated") as url:
        yield url


@pytest.fixture
def unmigrated_app(empty_database):
    app = make_app(empty_database)
    yield app
    app.extensions["academy.engine"].dispose()


def no_tables(url: str) -> str:
    shown = make_url(url).render_as_string(hide_password=True)
    return f"the database at {shown} has no tables: run `flask academy db upgrade`"


@pytest.mark.parametrize(
    "command",
    [
        ["create-user", "admin@example.com", "--password", "a long and unguessable password"],
        ["token", "create", "admin@example.com", "--name", "ci"],
        ["export-user", "admin@example.com"],
        ["worker"],
    ],
)
def test_a_command_against_an_unmigrated_database_says_what_to_run(unmigrated_app, empty_database, command):
    result = unmigrated_app.test_cli_runner().invoke(args=["academy", *command])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"Error: {no_tables(empty_database)}"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_help_and_the_commands_that_make_the_schema_are_not_refused(unmigrated_app, empty_database):
    runner = unmigrated_app.test_cli_runner()
    assert runner.invoke(args=["academy", "create-user", "--help"]).exit_code == 0
    assert runner.invoke(args=["academy", "curriculum", "check"]).exit_code == 0
    assert runner.invoke(args=["academy", "db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["academy", "create-user", "a@example.com", "--password", "a long and unguessable pw"])
    assert result.exit_code == 0, result.output


def test_a_missing_sqlite_file_is_reported_and_not_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'nowhere.db'}"
    app = make_app(url)
    result = app.test_cli_runner().invoke(args=["academy", "create-user", "a@example.com", "--password", "x" * 20])
    assert result.exit_code == 1
    assert no_tables(url) in result.output
    assert not (tmp_path / "nowhere.db").exists()


def test_a_password_in_the_url_is_not_shown(tmp_path):
    url = "postgresql+psycopg://academy:s3cret@127.0.0.1:1/academy"
    assert "s3cret" not in migrate.no_tables_message(make_app(url).extensions["academy.engine"])


def test_pages_answer_a_clear_503(unmigrated_app):
    client = unmigrated_app.test_client()
    response = sign_in(client, "admin@example.com")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "has no tables yet" in page and "flask academy db upgrade" in page
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer sra_x", "Accept": "application/json"})
    assert response.status_code == 503
    assert "flask academy db upgrade" in response.get_json()["detail"]


def test_sre_academy_reads_the_settings_from_the_environment_file(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'academy.db'}"
    env_file = tmp_path / "env"
    env_file.write_text(
        f"# the service's settings\nACADEMY_DATABASE_URL={url}\nACADEMY_SECRET_KEY=k\nACADEMY_QUEUE_URL=memory://\n"
    )
    monkeypatch.delenv("ACADEMY_DATABASE_URL", raising=False)
    run = lambda *args: main.main(args=["--env-file", str(env_file), *args], standalone_mode=False)  # noqa: E731
    with pytest.raises(Exception, match="has no tables"):
        run("create-user", "a@example.com", "--password", "a long and unguessable pw")
    run("db", "upgrade")
    run("create-user", "a@example.com", "--password", "a long and unguessable pw")
    assert (tmp_path / "academy.db").exists()


def test_the_environment_file_is_read_as_systemd_reads_it(tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text(
        "# a comment\n; another\n\nA=academy   # not a comment: part of the value\n"
        " B = spaced \nC=\"quoted # kept\"\nD='single'\nE=a=b\n"
    )
    assert read_environment_file(env_file) == {
        "A": "academy   # not a comment: part of the value",
        "B": "spaced",
        "C": "quoted # kept",
        "D": "single",
        "E": "a=b",
    }


def test_readyz_says_not_ready_until_the_schema_exists(unmigrated_app, empty_database):
    answer = unmigrated_app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"] == {"database": True, "schema": False, "curriculum": True}
    migrate.upgrade(unmigrated_app.extensions["academy.engine"])
    assert unmigrated_app.test_client().get("/readyz").status_code == 200
