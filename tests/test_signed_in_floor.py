"""What every signed-in page pays before its own work: one statement (the person, their roles, whether the session
is still theirs, and the navigation's numbers), and no new cookie unless the session changed. Revocation stays
immediate: the statement runs on every request."""

import time

import pytest

from academy.models import LabAttempt, Notification
from tests.conftest import client_of
from tests.test_query_counts import Statements


def one_statement_pages(app, client, path="/search"):
    engine = app.extensions["academy.engine"]
    with Statements(engine) as seen:
        answer = client.get(path)
    assert answer.status_code == 200
    return seen.seen


@pytest.mark.parametrize("who", ["trainee", "mentor", "manager", "admin"])
def test_the_smallest_signed_in_page_is_one_statement_for_every_role(app, academy, who):
    client = client_of(app, getattr(academy, who))
    client.get("/search")
    assert len(one_statement_pages(app, client)) == 1


def test_the_navigation_shows_the_numbers_read_with_the_session_check(app, academy, people):
    with people.session() as s:
        s.add_all(Notification(user_id=academy.mentor.id, message=f"note {i}", link="/reviews") for i in range(3))
        s.add(Notification(user_id=academy.trainee.id, message="not the mentor's", link="/learn"))
        for n in range(2):
            s.add(
                LabAttempt(
                    trainee_id=academy.trainee.id,
                    module_id="linux-shell",
                    lab_id="linux-shell-lab",
                    number=n + 1,
                    evidence="e",
                    request_key=f"k{n}",
                    status="submitted" if n else "withdrawn",
                )
            )
        s.commit()
    page = client_of(app, academy.mentor).get("/search").get_data(as_text=True)
    assert "Review queue (1)" in page  # the withdrawn attempt waits for no one
    assert '<span class="badge">3<span class="visually-hidden"> unread</span>' in page
    trainee_page = client_of(app, academy.trainee).get("/search").get_data(as_text=True)
    assert "Review queue" not in trainee_page and '1<span class="visually-hidden"> unread' in trainee_page


def test_a_page_that_changed_something_before_it_renders_reads_the_numbers_again(app, academy):
    from flask_login import login_user

    from academy.accounts.auth import Account
    from academy.navigation import navigation_counts, remember

    stale = type(
        "Row", (), {"unread_notifications": 99, "surveys_asked": 0, "surveys_waiting": 0, "review_queue_count": None}
    )()
    account = Account(academy.trainee.id, academy.trainee.email, "T", frozenset({"trainee"}), "t")
    for method, expected in (("GET", 99), ("POST", 0)):
        with app.test_request_context("/search", method=method):
            login_user(account)
            remember(stale)
            assert navigation_counts()["unread_notifications"] == expected


def test_no_new_cookie_is_sent_until_the_session_changes(app, academy, monkeypatch):
    client = client_of(app, academy.trainee)
    client.get("/search")  # the first page after signing in adds its form token to the session
    assert "Set-Cookie" not in client.get("/search").headers  # the same session: the browser keeps its cookie
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    assert "Set-Cookie" in client.get("/search").headers  # `seen_at` moved: the idle limit counts from now


def test_signing_out_still_ends_every_copy_of_the_session_on_its_next_request(app, academy):
    client = client_of(app, academy.trainee)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/search").status_code == 200
    client.post("/logout")
    assert copy.get("/search").status_code == 302
