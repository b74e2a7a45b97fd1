"""The session cookie lives no longer than the server lets a session live: 7 days from signing in."""

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from academy.accounts.auth import ABSOLUTE_LIMIT
from tests.conftest import sign_in


def session_cookie_expiry(response) -> datetime:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    attributes = dict(part.strip().split("=", 1) for part in cookies[0].split(";")[1:] if "=" in part)
    return parsedate_to_datetime(attributes["Expires"])


def test_the_cookie_of_a_new_session_expires_when_the_server_ends_it(client, people):
    people.user("alice@example.com", "trainee")
    response = sign_in(client, "alice@example.com")
    assert response.status_code == 302
    left = session_cookie_expiry(response) - datetime.now(UTC)
    assert timedelta(days=7) - timedelta(minutes=1) < left <= timedelta(days=7)


def test_a_later_request_does_not_push_the_cookie_past_the_sessions_end(client, people):
    people.user("alice@example.com", "trainee")
    assert sign_in(client, "alice@example.com").status_code == 302
    with client.session_transaction() as session:  # signed in three days ago, last seen two minutes ago
        session["signed_in_at"] -= timedelta(days=3).total_seconds()
        session["seen_at"] -= timedelta(minutes=2).total_seconds()  # so the next page sends a new cookie
    response = client.get("/learn")
    assert response.status_code == 200
    left = session_cookie_expiry(response) - datetime.now(UTC)
    assert timedelta(days=4) - timedelta(minutes=1) < left <= timedelta(days=4)


def test_the_server_ends_the_session_when_the_cookie_would_have_expired(client, people):
    people.user("alice@example.com", "trainee")
    assert sign_in(client, "alice@example.com").status_code == 302
    with client.session_transaction() as session:
        session["signed_in_at"] = time.time() - ABSOLUTE_LIMIT.total_seconds() - 1
    assert client.get("/learn").status_code == 302
