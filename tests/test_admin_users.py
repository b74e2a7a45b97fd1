"""Administration of people: the list, invitations, names and roles, deactivation, and one-time password links."""

import html
import json
import re
import time

import pytest
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func
from sqlmodel import select
from werkzeug.security import check_password_hash

from academy.models import AuditEntry, CohortTrainee, User, UserRole
from tests.conftest import PASSWORD, sign_in
from tests.test_inputs import CRAFTED_EMAIL, shapes_checked

GOOD_PASSWORD = "violet tractor hums beside quiet harbours"
SEVEN_DAYS = 7 * 24 * 3600


# ------------------------------------------------------------------ reading what happened


def fetch(people, statement):
    """Rows from a short session of their own, so that no read holds a lock while a request writes."""
    with people.session() as s:
        return s.exec(statement).all()


def user_named(people, email: str) -> User | None:
    found = fetch(people, select(User).where(User.email == email))
    return found[0] if found else None


def roles(people, user_id: int) -> set[str]:
    return set(fetch(people, select(UserRole.role).where(UserRole.user_id == user_id)))


def count(people, model) -> int:
    return fetch(people, select(func.count()).select_from(model))[0]


def entries(people, action: str) -> list[AuditEntry]:
    return list(fetch(people, select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def listed_emails(page: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<\s]+@[^<\s]+)</td>", page)


def field_error(page: str, field_id: str) -> str | None:
    """The error shown right under the field with this id (the form macro ties them with aria-describedby)."""
    found = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    if found is None:
        return None
    tag = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert tag and f"{field_id}-error" in tag.group(0) and 'aria-invalid="true"' in tag.group(0)
    return html.unescape(found.group(1))


def input_value(page: str, field_id: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0)) if tag else None
    return html.unescape(value.group(1)) if value else None


def link_token(page: str) -> str:
    found = re.search(r"http://localhost/welcome/([A-Za-z0-9_.\-]+)", page)
    assert found, "the page shows no one-time link"
    return found.group(1)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# ------------------------------------------------------------------ the list


@pytest.fixture
def crowd(people, academy):
    people.user("jane@example.com", "mentor", name="Jane SMITH")
    people.user("uptime@example.com", "trainee", name="100% Uptime")
    people.user("under_score@example.com", "trainee")
    people.user("underxscore@example.com", "trainee")
    return academy


def test_users_list_shows_everyone_with_their_roles(as_role, crowd):
    page = as_role("admin").get("/admin/users").get_data(as_text=True)
    assert sorted(listed_emails(page)) == sorted(
        [
            "admin@example.com",
            "manager@example.com",
            "other-manager@example.com",
            "mentor@example.com",
            "mentor2@example.com",
            "trainee@example.com",
            "trainee2@example.com",
            "outsider@example.com",
            "jane@example.com",
            "uptime@example.com",
            "under_score@example.com",
            "underxscore@example.com",
        ]
    )
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*jane@example\.com.*?</tr>", page, re.S).group(0)
    assert '<span class="tag">mentor</span>' in row


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("JANE@EXAMPLE", ["jane@example.com"]),  # email, any case
        ("smith", ["jane@example.com"]),  # name, any case
        ("  Smith  ", ["jane@example.com"]),  # surrounding spaces ignored
        ("%", ["uptime@example.com"]),  # a literal percent sign, not "anything"
        ("100%", ["uptime@example.com"]),
        ("_", ["under_score@example.com"]),  # a literal underscore, not "any one character"
        ("r_s", ["under_score@example.com"]),
        ("nobody-has-this", []),
    ],
)
def test_users_search_matches_name_or_email_case_insensitively_and_literally(as_role, crowd, q, expected):
    response = as_role("admin").get("/admin/users", query_string={"q": q})
    assert response.status_code == 200
    assert sorted(listed_emails(response.get_data(as_text=True))) == expected


def test_users_search_is_case_insensitive_beyond_ascii(as_role, people, academy):
    people.user("emile@example.com", "trainee", name="Émile Durand")
    people.user("oezil@example.com", "trainee", name="Mesut Özil")
    admin = as_role("admin")
    for q in ("émile", "ÉMILE", "özil"):
        page = admin.get("/admin/users", query_string={"q": q}).get_data(as_text=True)
        assert listed_emails(page), f"searching {q!r} finds nobody"


def test_users_role_filter_keeps_only_holders_of_that_role(as_role, crowd):
    admin = as_role("admin")
    mentors = listed_emails(admin.get("/admin/users", query_string={"role": "mentor"}).get_data(as_text=True))
    assert sorted(mentors) == ["jane@example.com", "mentor2@example.com", "mentor@example.com"]
    managers = listed_emails(
        admin.get("/admin/users", query_string={"role": "manager", "q": "other"}).get_data(as_text=True)
    )
    assert managers == ["other-manager@example.com"]
    everyone = listed_emails(admin.get("/admin/users", query_string={"role": "wizard"}).get_data(as_text=True))
    assert len(everyone) == 12  # an unknown role is no filter at all


# ------------------------------------------------------------------ creating an account


def test_create_user_normalises_email_and_shows_the_invitation_link_once(app, as_role, people, academy):
    admin = as_role("admin")
    response = admin.post(
        "/admin/users/new",
        data={"display_name": "Alice Liddell", "email": "  ALICE@Example.com ", "roles": ["trainee", "mentor"]},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    token = link_token(page)
    assert "alice@example.com" in page

    alice = user_named(people, "alice@example.com")
    assert alice is not None and alice.display_name == "Alice Liddell"
    assert alice.password_hash is None and alice.is_active
    assert roles(people, alice.id) == {"trainee", "mentor"}
    assert user_named(people, "  ALICE@Example.com ") is None
    created = entries(people, "user.created")[-1]
    assert created.target == "alice@example.com" and created.actor_id == academy.admin.id
    assert json.loads(created.detail) == {"roles": ["mentor", "trainee"]}
    assert entries(people, "user.invited")[-1].target == "alice@example.com"

    # shown once: the link is not stored anywhere and no later page shows it again
    assert token not in admin.get(f"/admin/users/{alice.id}").get_data(as_text=True)
    assert token not in admin.get("/admin/users").get_data(as_text=True)
    assert not any(token in (e.detail or "") + (e.target or "") for e in fetch(people, select(AuditEntry)))

    welcome = app.test_client().get(f"/welcome/{token}")
    assert welcome.status_code == 200
    assert "Welcome, Alice Liddell" in text_of(welcome)


def test_create_user_beside_the_same_email_in_another_form_is_refused(as_role, people, academy):
    people.user("alice@example.com", "trainee", name="Alice")
    admin = as_role("admin")
    users_before, audit_before = count(people, User), count(people, AuditEntry)

    response = admin.post(
        "/admin/users/new",
        data={"display_name": "Alice Again", "email": "  ALICE@Example.com ", "roles": ["mentor"]},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_error(page, "email") == "An account with this email already exists."
    assert field_error(page, "display_name") is None
    assert input_value(page, "display_name") == "Alice Again"
    assert input_value(page, "email").strip() == "ALICE@Example.com"
    assert re.search(r'<input[^>]*checked[^>]*value="mentor"|<input[^>]*value="mentor"[^>]*checked', page)
    assert "/welcome/" not in page

    assert count(people, User) == users_before
    assert count(people, AuditEntry) == audit_before
    alice = user_named(people, "alice@example.com")
    assert alice.display_name == "Alice" and roles(people, alice.id) == {"trainee"}


def test_a_crafted_24_kb_email_is_refused_by_its_length_before_its_shape_is_checked(
    as_role, people, academy, monkeypatch
):
    seen = shapes_checked(monkeypatch)
    users_before = count(people, User)
    data = {"display_name": "Eve", "email": CRAFTED_EMAIL, "roles": ["trainee"]}
    response = as_role("admin").post("/admin/users/new", data=data)
    assert response.status_code == 400
    assert "Enter a valid email address." in field_error(response.get_data(as_text=True), "email")
    assert seen == []
    assert count(people, User) == users_before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"display_name": "Bob", "email": "not-an-email", "roles": ["trainee"]}, "email", "Enter a valid email"),
        ({"display_name": "", "email": "bob@example.com", "roles": ["trainee"]}, "display_name", "Enter the person"),
    ],
)
def test_create_user_with_a_bad_field_shows_the_error_next_to_it_and_keeps_the_rest(
    as_role, people, academy, data, field, message
):
    admin = as_role("admin")
    users_before = count(people, User)
    response = admin.post("/admin/users/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    for other in ("display_name", "email"):
        if other != field:
            assert input_value(page, other) == data[other]
    assert count(people, User) == users_before


def test_create_user_without_a_role_is_refused_next_to_the_roles(as_role, people, academy):
    admin = as_role("admin")
    users_before = count(people, User)
    response = admin.post("/admin/users/new", data={"display_name": "Bob", "email": "bob@example.com"})
    assert response.status_code == 400
    page = text_of(response)
    roles_fieldset = re.search(r"<legend>Roles</legend>(.*?)</fieldset>", page, re.S).group(1)
    assert "Choose at least one role." in roles_fieldset
    assert input_value(page, "email") == "bob@example.com"
    assert count(people, User) == users_before


# ------------------------------------------------------------------ names and roles


def test_edit_name_and_roles_is_saved_and_audited_with_before_and_after(as_role, people, academy):
    admin = as_role("admin")
    response = admin.post(
        f"/admin/users/{academy.trainee.id}",
        data={"display_name": "Tess Trainee", "roles": ["trainee", "mentor"]},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{academy.trainee.id}"

    trainee = user_named(people, "trainee@example.com")
    assert trainee.display_name == "Tess Trainee"
    assert roles(people, trainee.id) == {"trainee", "mentor"}
    changed = entries(people, "user.roles_changed")
    assert len(changed) == 1
    assert changed[0].target == "trainee@example.com" and changed[0].actor_id == academy.admin.id
    assert json.loads(changed[0].detail) == {"before": ["trainee"], "after": ["mentor", "trainee"]}
    assert json.loads(entries(people, "user.updated")[-1].detail) == {"display_name": "Tess Trainee"}

    admin.post(f"/admin/users/{academy.trainee.id}", data={"display_name": "Tess Trainee", "roles": ["mentor"]})
    assert roles(people, academy.trainee.id) == {"mentor"}
    assert json.loads(entries(people, "user.roles_changed")[-1].detail) == {
        "before": ["mentor", "trainee"],
        "after": ["mentor"],
    }


def test_edit_ignores_fields_it_does_not_offer(as_role, people, academy):
    as_role("admin").post(
        f"/admin/users/{academy.trainee.id}",
        data={"display_name": "Trainee", "roles": ["trainee"], "email": "evil@example.com", "is_active": "0"},
    )
    trainee = user_named(people, "trainee@example.com")
    assert trainee is not None and trainee.is_active
    assert user_named(people, "evil@example.com") is None
    assert entries(people, "user.roles_changed") == []  # unchanged roles write no entry


def test_edit_without_roles_keeps_what_was_typed_and_changes_nothing(as_role, people, academy):
    admin = as_role("admin")
    audit_before = count(people, AuditEntry)
    response = admin.post(f"/admin/users/{academy.mentor.id}", data={"display_name": "Renamed Mentor"})
    assert response.status_code == 400
    page = text_of(response)
    assert "Choose at least one role." in re.search(r"<legend>Roles</legend>(.*?)</fieldset>", page, re.S).group(1)
    assert input_value(page, "display_name") == "Renamed Mentor"
    mentor = user_named(people, "mentor@example.com")
    assert mentor.display_name == academy.mentor.display_name
    assert roles(people, mentor.id) == {"mentor"}
    assert count(people, AuditEntry) == audit_before


def test_edit_unknown_user_is_404(as_role, academy):
    assert as_role("admin").get("/admin/users/999999").status_code == 404


# ------------------------------------------------------------------ deactivation


def test_deactivation_ends_the_persons_session_and_keeps_their_history(app, as_role, people, academy):
    their_browser = app.test_client()
    assert sign_in(their_browser, "trainee@example.com").status_code == 302
    assert their_browser.get("/account").status_code == 200
    history_before = count(people, AuditEntry)

    admin = as_role("admin")
    response = admin.post(f"/admin/users/{academy.trainee.id}/active", data={"active": "0"})
    assert response.status_code == 302

    after = their_browser.get("/account")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    trainee = user_named(people, "trainee@example.com")
    assert trainee is not None and not trainee.is_active
    assert roles(people, trainee.id) == {"trainee"}
    assert fetch(people, select(CohortTrainee.cohort_id).where(CohortTrainee.trainee_id == trainee.id)) == [
        academy.cohort.id
    ]
    assert count(people, AuditEntry) > history_before
    deactivated = entries(people, "user.deactivated")
    assert [(e.target, e.actor_id) for e in deactivated] == [("trainee@example.com", academy.admin.id)]
    assert sign_in(app.test_client(), "trainee@example.com").status_code == 401
    assert "trainee@example.com" in listed_emails(admin.get("/admin/users").get_data(as_text=True))


def test_reactivation_lets_the_person_sign_in_again_but_not_with_the_old_session(app, as_role, people, academy):
    their_browser = app.test_client()
    sign_in(their_browser, "trainee@example.com")
    admin = as_role("admin")
    admin.post(f"/admin/users/{academy.trainee.id}/active", data={"active": "0"})
    admin.post(f"/admin/users/{academy.trainee.id}/active", data={"active": "1"})

    assert user_named(people, "trainee@example.com").is_active
    assert [e.target for e in entries(people, "user.reactivated")] == ["trainee@example.com"]
    assert their_browser.get("/account").status_code == 302
    assert sign_in(app.test_client(), "trainee@example.com").status_code == 302


def test_an_admin_cannot_deactivate_themselves(as_role, people, academy):
    admin = as_role("admin")
    response = admin.post(f"/admin/users/{academy.admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "You cannot deactivate your own account." in text_of(response)
    assert user_named(people, "admin@example.com").is_active
    assert entries(people, "user.deactivated") == []
    assert admin.get("/admin/").status_code == 200


# ------------------------------------------------------------------ password links


def reset_link(admin, user_id: int) -> str:
    response = admin.post(f"/admin/users/{user_id}/password-link")
    assert response.status_code == 200
    assert "Password reset link" in response.get_data(as_text=True)
    return link_token(response.get_data(as_text=True))


def set_password(client, token: str, password: str, confirm: str | None = None):
    return client.post(f"/welcome/{token}", data={"password": password, "confirm": confirm or password})


def test_password_reset_link_works_once(app, as_role, people, academy):
    token = reset_link(as_role("admin"), academy.trainee.id)
    assert [(e.target, e.actor_id) for e in entries(people, "user.password_link")] == [
        ("trainee@example.com", academy.admin.id)
    ]
    visitor = app.test_client()
    form = visitor.get(f"/welcome/{token}")
    assert form.status_code == 200
    assert 'name="password"' in form.get_data(as_text=True) and 'name="confirm"' in form.get_data(as_text=True)

    done = set_password(visitor, token, GOOD_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"].startswith("/login")
    trainee = user_named(people, "trainee@example.com")
    assert check_password_hash(trainee.password_hash, GOOD_PASSWORD)
    assert [e.target for e in entries(people, "user.password_set")] == ["trainee@example.com"]
    assert sign_in(app.test_client(), "trainee@example.com", GOOD_PASSWORD).status_code == 302
    assert sign_in(app.test_client(), "trainee@example.com", PASSWORD).status_code == 401

    again = app.test_client()
    used = again.get(f"/welcome/{token}")
    assert used.status_code == 410
    assert "already been used" in text_of(used)
    assert set_password(again, token, "another long phrase about lighthouses").status_code == 410
    assert user_named(people, "trainee@example.com").password_hash == trainee.password_hash


def test_using_one_link_spends_every_earlier_link_too(app, as_role, academy):
    admin = as_role("admin")
    first, second = reset_link(admin, academy.trainee.id), reset_link(admin, academy.trainee.id)
    assert set_password(app.test_client(), second, GOOD_PASSWORD).status_code == 302
    assert app.test_client().get(f"/welcome/{first}").status_code == 410


def test_no_password_link_for_a_deactivated_account(as_role, people, academy):
    admin = as_role("admin")
    admin.post(f"/admin/users/{academy.trainee.id}/active", data={"active": "0"})
    response = admin.post(f"/admin/users/{academy.trainee.id}/password-link", follow_redirects=True)
    assert "Reactivate the account before creating a password link." in text_of(response)
    assert "/welcome/" not in response.get_data(as_text=True)
    assert entries(people, "user.password_link") == []


def test_a_link_of_a_deactivated_account_stops_working(app, as_role, people, academy):
    admin = as_role("admin")
    token = reset_link(admin, academy.trainee.id)
    admin.post(f"/admin/users/{academy.trainee.id}/active", data={"active": "0"})
    assert app.test_client().get(f"/welcome/{token}").status_code == 410
    assert set_password(app.test_client(), token, GOOD_PASSWORD).status_code == 410
    assert check_password_hash(user_named(people, "trainee@example.com").password_hash, PASSWORD)


def later_by(monkeypatch, seconds: int) -> None:
    """itsdangerous reads the clock through TimestampSigner.get_timestamp: move it forward."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) + seconds)


def test_a_link_still_works_just_before_seven_days(app, as_role, academy, monkeypatch):
    token = reset_link(as_role("admin"), academy.trainee.id)
    later_by(monkeypatch, SEVEN_DAYS - 3600)
    assert app.test_client().get(f"/welcome/{token}").status_code == 200


def test_an_expired_link_answers_410_and_changes_nothing(app, as_role, people, academy, monkeypatch):
    token = reset_link(as_role("admin"), academy.trainee.id)
    later_by(monkeypatch, SEVEN_DAYS + 60)
    visitor = app.test_client()
    response = visitor.get(f"/welcome/{token}")
    assert response.status_code == 410
    assert "This link has expired. Ask an administrator for a new one." in text_of(response)
    assert 'name="password"' not in response.get_data(as_text=True)
    assert set_password(visitor, token, GOOD_PASSWORD).status_code == 410
    assert check_password_hash(user_named(people, "trainee@example.com").password_hash, PASSWORD)
    assert entries(people, "user.password_set") == []


def tampered(token: str) -> list[str]:
    payload, timestamp, signature = token.rsplit(".", 2)
    flip = "A" if payload[3] != "A" else "B"
    other_key = URLSafeTimedSerializer("another-secret", salt="academy.password-link")
    return [
        payload[:3] + flip + payload[4:] + "." + timestamp + "." + signature,  # payload changed
        # the signature changed (its first characters: the last one holds padding bits a decoder ignores)
        payload + "." + timestamp + "." + ("xx" if not signature.startswith("xx") else "yy") + signature[2:],
        token[:-1],  # cut short
        other_key.dumps({"u": 1, "f": "x", "p": "reset"}),  # signed with another key
        "not-a-token-at-all",
    ]


def test_tampered_links_answer_410_and_change_nothing(app, as_role, people, academy):
    token = reset_link(as_role("admin"), academy.trainee.id)
    for bad in tampered(token):
        visitor = app.test_client()
        response = visitor.get(f"/welcome/{bad}")
        assert response.status_code == 410, bad
        assert "not valid" in text_of(response) or "no longer valid" in text_of(response)
        assert set_password(visitor, bad, GOOD_PASSWORD).status_code == 410
    assert check_password_hash(user_named(people, "trainee@example.com").password_hash, PASSWORD)
    assert app.test_client().get(f"/welcome/{token}").status_code == 200  # the real link still works


def test_a_link_for_another_account_cannot_be_forged_from_a_real_one(app, as_role, people, academy):
    """Changing the user id inside a real token breaks its signature."""
    token = reset_link(as_role("admin"), academy.trainee.id)
    serializer = URLSafeTimedSerializer("test-secret-key", salt="academy.password-link")
    data = serializer.loads(token)
    assert data["u"] == academy.trainee.id
    forged_payload = URLSafeTimedSerializer("guess", salt="academy.password-link").dumps(
        {**data, "u": academy.admin.id}
    )
    payload = forged_payload.split(".")[0]
    forged = payload + "." + ".".join(token.split(".")[1:])
    assert app.test_client().get(f"/welcome/{forged}").status_code == 410


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        ("password1234", None, "password", ""),  # twelve characters, among the most common passwords
        ("Qx7#mZ2!pL9", None, "password", "Use at least 12 characters."),  # eleven characters
        ("trainee-example-2026-long", None, "password", "Do not put your email address in your password."),
        (GOOD_PASSWORD, GOOD_PASSWORD + "!", "confirm", "The two passwords are not the same."),
    ],
)
def test_weak_passwords_are_refused_next_to_the_field_and_change_nothing(
    app, as_role, people, academy, password, confirm, field, message
):
    token = reset_link(as_role("admin"), academy.trainee.id)
    visitor = app.test_client()
    response = set_password(visitor, token, password, confirm)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = field_error(page, field)
    assert error and message in error
    assert password not in page  # a password is never typed back into the page

    trainee = user_named(people, "trainee@example.com")
    assert check_password_hash(trainee.password_hash, PASSWORD)
    assert entries(people, "user.password_set") == []
    assert visitor.get(f"/welcome/{token}").status_code == 200  # the link is not spent by a refusal


def test_an_invited_person_sets_a_first_password_and_signs_in(app, as_role, people, academy):
    response = as_role("admin").post(
        "/admin/users/new", data={"display_name": "Noor", "email": "noor@example.com", "roles": ["trainee"]}
    )
    token = link_token(response.get_data(as_text=True))
    visitor = app.test_client()
    assert set_password(visitor, token, "password1234").status_code == 400
    assert user_named(people, "noor@example.com").password_hash is None
    assert set_password(visitor, token, GOOD_PASSWORD).status_code == 302
    assert sign_in(app.test_client(), "noor@example.com", GOOD_PASSWORD).status_code == 302
    assert visitor.get(f"/welcome/{token}").status_code == 410
