"""Password links by e-mail when SMTP is configured; a refusing or hanging mail server fails nothing."""

import time

import pytest
from sqlmodel import select

from academy import mail
from academy.models import User
from tests.conftest import People, empty_tables, make_app, sign_in
from tests.smtp_sink import SmtpSink, free_port


@pytest.fixture
def sink():
    server = SmtpSink()
    yield server
    server.close()


def admin_client(app):
    empty_tables(app.extensions["academy.engine"])
    people = People(app)
    people.user("admin@example.com", "admin")
    client = app.test_client()
    sign_in(client, "admin@example.com")
    return client, people


def invite(client):
    return client.post("/admin/users/new", data={"display_name": "Nia", "email": "nia@example.com", "roles": "trainee"})


def test_without_smtp_settings_no_mail_is_sent_and_the_link_is_shown(app, monkeypatch):
    monkeypatch.setattr(mail.smtplib, "SMTP", lambda *a, **k: pytest.fail("no mail without settings"))
    client, _ = admin_client(app)
    response = invite(client)
    assert response.status_code == 200 and "/welcome/" in response.get_data(as_text=True)


def test_the_invitation_link_is_mailed_when_smtp_is_configured(migrated, sink):
    app = make_app(
        migrated,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=sink.port,
        SMTP_FROM="academy@example.com",
        BASE_URL="http://localhost",
    )
    client, _ = admin_client(app)
    html = invite(client).get_data(as_text=True)
    assert "The link was also e-mailed to nia@example.com." in html
    assert len(sink.messages) == 1
    link = html.split("data-copy", 1)[0].rsplit('value="', 1)[1].split('"', 1)[0]
    message = sink.messages[0].replace("=\n", "")
    assert "To: nia@example.com" in message and link.replace("&#43;", "+") in message.replace("=3D", "=")
    app.extensions["academy.engine"].dispose()


@pytest.mark.parametrize("mode", ["refuse", "hang", "closed"])
def test_a_failing_mail_server_never_fails_the_invitation(migrated, monkeypatch, mode):
    monkeypatch.setattr(mail, "TIMEOUT_SECONDS", 1)
    sink = SmtpSink(mode) if mode != "closed" else None
    port = sink.port if sink else free_port()
    app = make_app(migrated, SMTP_HOST="127.0.0.1", SMTP_PORT=port, BASE_URL="http://localhost")
    client, people = admin_client(app)
    started = time.monotonic()
    response = invite(client)
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert "could not be sent; copy the link" in response.get_data(as_text=True)
    with people.session() as s:
        assert s.exec(select(User).where(User.email == "nia@example.com")).one()
    if sink:
        sink.close()
    app.extensions["academy.engine"].dispose()
