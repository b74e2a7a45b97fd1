"""Sign-in, sign-out and sessions: the same answer for every wrong guess, throttling, and sessions that end."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from academy.accounts import services
from academy.models import AuditEntry, LoginAttempt, User
from tests.conftest import PASSWORD, make_app, sign_in


def audit_actions(db_session) -> list[str]:
    actions = db_session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    db_session.rollback()
    return list(actions)


def test_login_page_has_labelled_fields_and_button(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<label for="email">Email</label>' in html
    assert '<label for="password">Password</label>' in html
    assert ">Sign in</button>" in html


@pytest.mark.parametrize(
    ("role", "home"),
    [("trainee", "/learn"), ("mentor", "/reviews"), ("manager", "/cohorts"), ("admin", "/admin/")],
)
def test_each_role_lands_on_its_own_home(app, people, role, home):
    people.user(f"{role}@example.com", role)
    response = sign_in(app.test_client(), f"{role}@example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == home


def test_a_person_with_several_roles_sees_navigation_to_each(app, people):
    people.user("both@example.com", "mentor", "manager")
    client = app.test_client()
    sign_in(client, "both@example.com")
    html = client.get("/cohorts").get_data(as_text=True)
    assert 'href="/reviews"' in html and 'href="/cohorts"' in html
    assert 'href="/admin/"' not in html


def test_email_is_matched_in_its_normalised_form(app, people):
    people.user("alice@example.com", "trainee")
    response = sign_in(app.test_client(), "  ALICE@Example.COM ")
    assert response.status_code == 302


def test_unknown_email_and_wrong_password_get_the_same_answer(app, people, db_session):
    people.user("alice@example.com", "trainee")
    unknown = sign_in(app.test_client(), "nobody@example.com", "whatever it is 123")
    wrong = sign_in(app.test_client(), "alice@example.com", "not the password 123")
    assert unknown.status_code == wrong.status_code == 401
    message = "That email and password do not match an active account."
    assert message in unknown.get_data(as_text=True) and message in wrong.get_data(as_text=True)
    assert audit_actions(db_session) == ["user.created", "login.failed", "login.failed"]


def test_unknown_email_costs_a_password_hash_too(app, people, monkeypatch):
    """The timing defence: a hash is checked whether or not the account exists."""
    checked = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    sign_in(app.test_client(), "nobody@example.com", "whatever it is 123")
    assert checked == [services._DUMMY_HASH]


def test_what_was_typed_in_email_is_kept_but_never_the_password(client):
    html = client.post("/login", data={"email": "kept@example.com", "password": "secret-typed-here"}).get_data(
        as_text=True
    )
    assert 'value="kept@example.com"' in html
    assert "secret-typed-here" not in html


def test_empty_form_gets_messages_next_to_the_fields(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter your email address." in html and "Enter your password." in html


def test_deactivated_or_invited_accounts_cannot_sign_in(app, people, db_session):
    people.user("gone@example.com", "trainee")
    people.user("invited@example.com", "trainee", password=None)
    with app.app_context():
        user = db_session.exec(select(User).where(User.email == "gone@example.com")).one()
        services.set_active(db_session, user, False)
        db_session.commit()
    assert sign_in(app.test_client(), "gone@example.com").status_code == 401
    assert sign_in(app.test_client(), "invited@example.com", "").status_code == 400


# ------------------------------------------------------------------ throttling


def failures(client, email: str, n: int, ip: str = "10.0.0.1"):
    for _ in range(n):
        response = sign_in(client, email, "wrong password 123", environ_base={"REMOTE_ADDR": ip})
        assert response.status_code == 401


def test_five_failures_for_one_account_lock_it_for_everyone(app, people):
    people.user("alice@example.com", "trainee")
    failures(app.test_client(), "alice@example.com", 5)
    refused = sign_in(app.test_client(), "alice@example.com", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert refused.status_code == 429
    assert "paused for 15 minutes" in refused.get_data(as_text=True)


def test_twenty_failures_from_one_address_block_it(app, people):
    people.user("alice@example.com", "trainee")
    client = app.test_client()
    for i in range(20):
        failures(client, f"guess{i}@example.com", 1, ip="10.0.0.7")
    assert sign_in(client, "alice@example.com", environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 429
    assert sign_in(client, "alice@example.com", environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == 302


def test_throttling_holds_across_two_app_instances_sharing_the_database(app, people, migrated):
    people.user("alice@example.com", "trainee")
    other = make_app(migrated)  # a second server process, as far as the app can tell
    failures(app.test_client(), "alice@example.com", 3)
    failures(other.test_client(), "alice@example.com", 2)
    assert sign_in(app.test_client(), "alice@example.com").status_code == 429
    assert sign_in(other.test_client(), "alice@example.com").status_code == 429
    other.extensions["academy.engine"].dispose()


def test_throttling_ends_when_the_window_passes(app, people, db_session):
    people.user("alice@example.com", "trainee")
    failures(app.test_client(), "alice@example.com", 5)
    assert sign_in(app.test_client(), "alice@example.com").status_code == 429
    for attempt in db_session.exec(select(LoginAttempt)).all():
        attempt.at = attempt.at - services.THROTTLE_WINDOW
        db_session.add(attempt)
    db_session.commit()
    assert sign_in(app.test_client(), "alice@example.com").status_code == 302


def parallel_guesses(migrated, logins: list[tuple[str, str]]) -> list[int]:
    """Each (email, address) guessed with a wrong password by its own client, connection and transaction,
    all released at once; the answers' statuses."""
    server = make_app(migrated, SQLITE_BUSY_TIMEOUT_MS=120_000)  # 40 scrypt checks may queue for the lock
    barrier, statuses = threading.Barrier(len(logins)), []

    def guess(email, ip):
        client = server.test_client()
        barrier.wait()
        response = sign_in(client, email, "wrong password 123", environ_base={"REMOTE_ADDR": ip})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=login) for login in logins]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    server.extensions["academy.engine"].dispose()
    assert len(statuses) == len(logins)
    return statuses


def test_forty_parallel_guesses_for_one_account_let_exactly_five_through(app, people, migrated, db_session):
    people.user("alice@example.com", "trainee")
    statuses = parallel_guesses(migrated, [("alice@example.com", f"10.0.1.{i}") for i in range(40)])
    assert Counter(statuses) == {401: 5, 429: 35}
    assert db_session.exec(select(func.count()).select_from(LoginAttempt)).one() == 5


def test_forty_parallel_guesses_from_one_address_let_exactly_twenty_through(app, people, migrated, db_session):
    statuses = parallel_guesses(migrated, [(f"guess{i}@example.com", "10.0.0.7") for i in range(40)])
    assert Counter(statuses) == {401: 20, 429: 20}
    assert db_session.exec(select(func.count()).select_from(LoginAttempt)).one() == 20


def test_throttled_attempts_are_audited_and_not_counted_as_attempts(app, people, db_session):
    people.user("alice@example.com", "trainee")
    failures(app.test_client(), "alice@example.com", 5)
    sign_in(app.test_client(), "alice@example.com")
    assert db_session.exec(select(func.count()).select_from(LoginAttempt)).one() == 5
    assert audit_actions(db_session)[-1] == "login.throttled"


def refused_sign_in(app, ip: str = "10.0.0.1"):
    response = sign_in(app.test_client(), "alice@example.com", environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 429


def throttled_rows(db_session) -> list[AuditEntry]:
    rows = db_session.exec(select(AuditEntry).where(AuditEntry.action == "login.throttled").order_by(AuditEntry.id))
    found = list(rows.all())
    db_session.rollback()
    return found


def test_fifty_refused_sign_ins_make_one_audit_row_that_counts_them(app, people, db_session):
    people.user("alice@example.com", "trainee")
    failures(app.test_client(), "alice@example.com", 5)
    for _ in range(50):
        refused_sign_in(app)
    (row,) = throttled_rows(db_session)
    assert (row.target, row.ip, row.repeats) == ("alice@example.com", "10.0.0.1", 50)
    assert row.last_at is not None and row.last_at >= row.at


def test_a_refusal_from_another_address_or_after_a_quiet_quarter_hour_starts_a_new_row(app, people, db_session):
    people.user("alice@example.com", "trainee")
    failures(app.test_client(), "alice@example.com", 5)
    refused_sign_in(app, "10.0.0.1")
    refused_sign_in(app, "10.0.0.1")
    refused_sign_in(app, "10.0.0.2")
    first = throttled_rows(db_session)[0]
    first.at, first.last_at = first.at - timedelta(minutes=16), first.last_at - timedelta(minutes=16)
    db_session.add(first)
    db_session.commit()
    refused_sign_in(app, "10.0.0.1")
    assert [(row.ip, row.repeats) for row in throttled_rows(db_session)] == [
        ("10.0.0.1", 2),
        ("10.0.0.2", 1),
        ("10.0.0.1", 1),
    ]


# ------------------------------------------------------------------ next


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "////evil.example",
        "\\\\\\evil.example",
        "/\\evil.example",
        "http:/evil.example",
        "/%09/evil.example",
        "javascript:alert(1)",
        " //evil.example",
    ],
)
def test_off_site_next_is_ignored(app, people, target):
    people.user("alice@example.com", "trainee")
    response = app.test_client().post(
        "/login", query_string={"next": target}, data={"email": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/learn"


def test_relative_next_is_followed(app, people):
    people.user("alice@example.com", "trainee")
    response = app.test_client().post(
        "/login", query_string={"next": "/catalogue?x=1"}, data={"email": "alice@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/catalogue?x=1"


# ------------------------------------------------------------------ sessions end


def test_logout_is_post_only(as_role):
    client = as_role("trainee")
    assert client.get("/logout").status_code == 405
    assert client.get("/learn").status_code == 200


def test_a_session_cookie_copied_before_logout_is_refused_after_it(app, as_role):
    client = as_role("trainee")
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/learn").status_code == 200
    client.post("/logout")
    assert client.get("/learn").status_code == 302
    assert copy.get("/learn").status_code == 302, "the copied cookie must stop working"


def test_deactivation_ends_existing_sessions(app, as_role, academy, db_session):
    client = as_role("trainee")
    user = db_session.get(User, academy.trainee.id)
    services.set_active(db_session, user, False)
    db_session.commit()
    assert client.get("/learn").status_code == 302


def test_changing_password_ends_other_sessions_but_keeps_this_one(app, as_role, academy):
    here, elsewhere = as_role("trainee"), as_role("trainee")
    response = here.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-password": "a brand new passphrase for me",
            "password-confirm": "a brand new passphrase for me",
        },
    )
    assert response.status_code == 302
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302


def test_wrong_current_password_changes_nothing(as_role, academy, db_session):
    client = as_role("trainee")
    before = db_session.get(User, academy.trainee.id).password_hash
    db_session.rollback()
    response = client.post(
        "/account",
        data={
            "password-current_password": "not my password 99",
            "password-password": "a brand new passphrase for me",
            "password-confirm": "a brand new passphrase for me",
        },
    )
    assert response.status_code == 400
    assert "That is not your current password." in response.get_data(as_text=True)
    assert db_session.get(User, academy.trainee.id).password_hash == before


def test_idle_sessions_expire_after_eight_hours(as_role, monkeypatch):
    client = as_role("trainee")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 8 * 3600 + 5)
    assert client.get("/learn").status_code == 302


def test_sessions_expire_after_seven_days_even_when_used(as_role, monkeypatch):
    client = as_role("trainee")
    start = time.time()
    for day in range(1, 8):  # used every few hours, never idle for long
        for hour in (0, 6, 12, 18):
            monkeypatch.setattr(time, "time", lambda d=day, h=hour: start + d * 86400 + h * 3600 - 86400)
            client.get("/learn")
    monkeypatch.setattr(time, "time", lambda: start + 7 * 86400 + 60)
    assert client.get("/learn").status_code == 302


def test_session_cookie_is_httponly_and_lax_and_secure_when_configured(app, people, migrated):
    people.user("alice@example.com", "trainee")
    response = sign_in(app.test_client(), "alice@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = make_app(migrated, SECURE_COOKIES=True)
    cookie = sign_in(secure.test_client(), "alice@example.com").headers["Set-Cookie"]
    assert "Secure" in cookie
    secure.extensions["academy.engine"].dispose()


# ------------------------------------------------------------------ accounts


@pytest.mark.parametrize("email", ["ALICE@example.com ", " Alice@Example.com", "alice@EXAMPLE.COM"])
def test_an_email_cannot_shadow_another_in_a_different_case(app, people, db_session, email):
    people.user("alice@example.com", "trainee")
    with app.app_context(), pytest.raises(services.AccountError, match="already exists"):
        services.create_user(session=db_session, email=email, display_name="Alice 2", roles=["trainee"])
    db_session.rollback()
    assert db_session.exec(select(func.count()).select_from(User)).one() == 1


def test_the_database_refuses_an_unnormalised_email(db_session):
    from sqlalchemy.exc import IntegrityError

    db_session.add(User(email="Bob@Example.com", display_name="Bob", session_token="t"))
    with pytest.raises(IntegrityError):
        db_session.commit()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "at least 12"),
        ("password1234", "common"),
        ("qwertyuiop12", "common"),
        ("x" * 257, "at most 256"),
        ("alice-loves-mountains", "email"),
    ],
)
def test_password_rule(password, message):
    from academy.accounts.passwords import password_problem

    problem = password_problem(password, email="alice@example.com", display_name="Alice Example")
    assert problem and message in problem.lower()


def test_a_long_passphrase_of_up_to_256_characters_is_accepted():
    from academy.accounts.passwords import password_problem

    assert password_problem("correct horse battery staple") is None
    assert password_problem("river kettle " * 19 + "lantern") is None  # 254 characters


def test_create_user_command_asks_for_the_password(runner, db_session):
    result = runner.invoke(
        args=["academy", "create-user", "Root@Example.com", "--role", "admin"],
        input="a sturdy first admin passphrase\na sturdy first admin passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "a sturdy first admin passphrase" not in result.output
    user = db_session.exec(select(User).where(User.email == "root@example.com")).one()
    assert services.check_password_hash(user.password_hash, "a sturdy first admin passphrase")


def test_create_user_command_refuses_a_weak_password(runner, db_session):
    result = runner.invoke(args=["academy", "create-user", "root@example.com"], input="password1234\npassword1234\n")
    assert result.exit_code != 0
    assert "common" in result.output
    assert db_session.exec(select(func.count()).select_from(User)).one() == 0
