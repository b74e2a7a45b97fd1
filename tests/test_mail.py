"""Password links by e-mail when SMTP is configured: written to the outbox with the link's page, and sent by the
worker's step; a refusing or hanging mail server fails nothing and loses nothing."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from academy import mail
from academy.jobs import outbox
from academy.models import OutgoingMail, User, utcnow
from tests.conftest import People, empty_tables, make_app, sign_in
from tests.smtp_sink import SmtpSink, free_port

BASE_URL = "https://academy.example.com"


@pytest.fixture
def sink():
    server = SmtpSink()
    yield server
    server.close()


def mail_app(migrated, port: int, **settings):
    return make_app(migrated, SMTP_HOST="127.0.0.1", SMTP_PORT=port, BASE_URL=BASE_URL, **settings)


def admin_client(app):
    empty_tables(app.extensions["academy.engine"])
    people = People(app)
    people.user("admin@example.com", "admin")
    client = app.test_client()
    sign_in(client, "admin@example.com")
    return client, people


def invite(client):
    return client.post("/admin/users/new", data={"display_name": "Nia", "email": "nia@example.com", "roles": "trainee"})


def outbox_rows(app) -> list[OutgoingMail]:
    with Session(app.extensions["academy.engine"], expire_on_commit=False) as s:
        rows = s.exec(select(OutgoingMail).order_by(OutgoingMail.id)).all()
        s.commit()
    return rows


def run_outbox(app, now=None) -> Counter:
    """What the worker's minute sweep does: send every due row."""
    from academy import db

    with app.app_context():
        return outbox.send_due(db.session(), now=now or utcnow(), first_retry=timedelta(seconds=30))


def test_without_smtp_settings_no_mail_is_sent_and_the_link_is_shown(app, monkeypatch):
    monkeypatch.setattr(mail.smtplib, "SMTP", lambda *a, **k: pytest.fail("no mail without settings"))
    client, _ = admin_client(app)
    response = invite(client)
    assert response.status_code == 200 and "/welcome/" in response.get_data(as_text=True)
    assert outbox_rows(app) == []


def test_the_invitation_link_goes_to_the_outbox_and_the_worker_mails_it(migrated, sink):
    app = mail_app(migrated, sink.port, SMTP_FROM="academy@example.com")
    client, _ = admin_client(app)
    html = invite(client).get_data(as_text=True)
    assert "The link is also on its way to nia@example.com by e-mail." in html
    assert sink.messages == []  # the request itself talks to no mail server
    [row] = outbox_rows(app)
    link = html.split("data-copy", 1)[0].rsplit('value="', 1)[1].split('"', 1)[0].replace("&#43;", "+")
    assert link.startswith(BASE_URL + "/welcome/") and link in row.body and row.to_address == "nia@example.com"

    assert run_outbox(app) == Counter(sent=1)
    assert len(sink.messages) == 1
    message = sink.messages[0].replace("=\n", "")
    assert "To: nia@example.com" in message and link in message.replace("=3D", "=")
    [row] = outbox_rows(app)
    assert row.sent_at is not None and row.attempts == 1 and row.claimed_until is None
    assert run_outbox(app) == Counter()  # sent once, never again
    app.extensions["academy.engine"].dispose()


@pytest.mark.parametrize("mode", ["refuse", "hang", "closed"])
def test_a_failing_mail_server_never_fails_the_invitation_and_keeps_the_message(migrated, monkeypatch, mode):
    monkeypatch.setattr(mail, "TIMEOUT_SECONDS", 1)
    sink = SmtpSink(mode) if mode != "closed" else None
    app = mail_app(migrated, sink.port if sink else free_port())
    client, people = admin_client(app)
    started = time.monotonic()
    response = invite(client)
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    with people.session() as s:
        assert s.exec(select(User).where(User.email == "nia@example.com")).one()

    assert run_outbox(app) == Counter(failed=1)
    [row] = outbox_rows(app)
    assert row.sent_at is None and row.gave_up_at is None and row.attempts == 1 and row.last_error
    assert row.next_attempt_at - row.created_at >= timedelta(seconds=29)  # tried again later, not in a loop
    if sink:
        sink.close()
    app.extensions["academy.engine"].dispose()
