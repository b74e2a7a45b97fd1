"""What every signed-in page pays before its own work: one statement (the person, their roles, whether the session
is still theirs, and the navigation's numbers), and no new cookie unless the session changed. Revocation stays
immediate: the statement runs on every request."""

import re
import time

import pytest

from academy.models import LabAttempt, Notification
from tests.conftest import PASSWORD, People, Statements, client_of


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

    numbers = {"unread_notifications": 99, "surveys_asked": 0, "surveys_waiting": 0, "review_queue_count": None}
    versions = {"id": academy.trainee.id, "version_shared": 1, "version_all": 1, "version_user": 1}
    stale = type("Row", (), numbers | versions)()
    account = Account(academy.trainee.id, academy.trainee.email, "T", frozenset({"trainee"}), "t")
    for method, expected in (("GET", 99), ("POST", 0)):
        with app.test_request_context("/search", method=method):
            login_user(account)
            remember(stale)
            assert navigation_counts()["unread_notifications"] == expected


def test_no_new_cookie_is_sent_until_the_session_changes(app, academy, monkeypatch):
    client = client_of(app, academy.trainee)  # the sign-in's cookie holds the session's secret for form tokens
    assert "Set-Cookie" not in client.get("/search").headers  # the same session: the browser keeps its cookie
    assert "Set-Cookie" not in client.get("/search").headers
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    assert "Set-Cookie" in client.get("/search").headers  # `seen_at` moved: the idle limit counts from now


def test_with_form_tokens_checked_the_sign_in_cookie_already_holds_the_new_sessions_secret(csrf_app):
    People(csrf_app).user("a@example.com", "trainee")
    client = csrf_app.test_client()
    old = signed_in_with_the_form(client, "a@example.com")
    first = client.get("/search")  # a browser, or wrk keeping the sign-in's cookie
    assert "Set-Cookie" not in first.headers
    assert client.post("/logout", data={"csrf_token": old}).status_code == 400  # the anonymous session's
    assert client.post("/logout", data={"csrf_token": token_of(first.get_data(as_text=True))}).status_code == 302


def test_signing_out_still_ends_every_copy_of_the_session_on_its_next_request(app, academy):
    client = client_of(app, academy.trainee)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/search").status_code == 200
    client.post("/logout")
    assert copy.get("/search").status_code == 302


def header_renders(app):
    """Counts how often the header template is drawn (not taken from those kept)."""
    from flask import template_rendered

    drawn = []

    def seen(sender, template, context, **extra):
        if template.name == "_site_header.html":
            drawn.append(context.get("request").endpoint)

    template_rendered.connect(seen, app, weak=False)
    return drawn


def header_of(page: str) -> str:
    return page.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]


def tokenless(header: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", header)


def test_the_header_is_drawn_once_for_each_page_roles_and_numbers_and_kept(app, academy, people):
    drawn = header_renders(app)
    trainee, other = client_of(app, academy.trainee), client_of(app, academy.trainee2)
    first = tokenless(header_of(trainee.get("/search").get_data(as_text=True)))
    assert tokenless(header_of(other.get("/search").get_data(as_text=True))) == first  # same roles, numbers, page
    assert tokenless(header_of(trainee.get("/search").get_data(as_text=True))) == first
    assert drawn.count("catalogue.search") == 1
    learn = trainee.get("/learn").get_data(as_text=True)
    assert 'href="/learn" aria-current="page"' in header_of(learn)  # another page: its own header
    assert 'aria-current="page"' not in first.split("Learning path")[0].rsplit("<a", 1)[1]
    assert drawn.count("learning.path") == 1
    admin = header_of(client_of(app, academy.admin).get("/search").get_data(as_text=True))  # the same numbers
    assert "Administration" in admin and "Administration" not in first  # other roles: another header


def test_a_kept_header_never_shows_old_numbers_or_roles(app, academy, people):
    client = client_of(app, academy.trainee)
    assert "unread" not in header_of(client.get("/search").get_data(as_text=True))
    with people.session() as s:
        s.add(Notification(user_id=academy.trainee.id, message="new", link="/learn"))
        s.commit()
    assert '<span class="badge">1<span class="visually-hidden"> unread' in header_of(
        client.get("/search").get_data(as_text=True)
    )
    from academy.accounts.services import set_roles
    from academy.models import User

    with app.app_context(), people.session() as s:
        set_roles(s, s.get(User, academy.trainee.id), ["trainee", "mentor"])
        s.commit()
    assert "Review queue (0)" in header_of(client.get("/search").get_data(as_text=True))  # the next page knows


def signed_in_with_the_form(client, email: str) -> str:
    """Signs in through the form, token and all; the sign-in form's token."""
    from tests.test_security import csrf_token

    token = csrf_token(client, "/login")
    signed_in = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302
    return token


def token_of(page: str) -> str:
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_the_sign_out_form_of_a_kept_header_carries_this_sessions_token(csrf_app):
    people = People(csrf_app)
    clients = {email: csrf_app.test_client() for email in ("a@example.com", "b@example.com")}
    for email, client in clients.items():
        people.user(email, "trainee")
        signed_in_with_the_form(client, email)
    a, b = (header_of(clients[e].get("/search").get_data(as_text=True)) for e in clients)
    assert token_of(a) != token_of(b) and "@@" not in a
    assert clients["a@example.com"].post("/logout", data={"csrf_token": token_of(b)}).status_code == 400  # not a's
    assert clients["a@example.com"].post("/logout", data={"csrf_token": token_of(a)}).status_code == 302
    assert clients["a@example.com"].get("/search").status_code == 302  # signed out


def test_the_heads_links_are_kept_for_each_script_root(app):
    client = app.test_client()
    for root in ("/", "/academy/", "/"):
        page = client.get("/login", base_url=f"http://localhost{root}").get_data(as_text=True)
        assert f'<link rel="stylesheet" href="{root}static/academy.css">' in page
        assert f'<script src="{root}static/academy.js" defer></script>' in page
