"""Personal access tokens: revoked with a new password or a deactivation, expiring, and scoped to read or write."""

import html
import json
import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from academy.accounts import services as accounts
from academy.api import tokens
from academy.models import ApiToken, AuditEntry, User, utcnow
from tests.conftest import PASSWORD
from tests.test_admin_users import GOOD_PASSWORD, reset_link, set_password

LAB = "linux-shell-lab"


def make_token(app, people, user_id: int, *, scope: str = "write", name: str = "laptop", **kwargs) -> str:
    with app.test_request_context(), people.session() as s:
        token, _ = tokens.create_token(s, user=s.get(User, user_id), name=name, scope=scope, **kwargs)
        s.commit()
    return token


def me(client, token: str):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def rows(people, user_id: int) -> list[ApiToken]:
    with people.session() as s:
        return list(s.exec(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)).all())


def revocations(people, email: str) -> list[dict]:
    with people.session() as s:
        found = s.exec(select(AuditEntry).where(AuditEntry.action == "token.revoked", AuditEntry.target == email)).all()
        return [json.loads(e.detail) for e in found]


def new_token_on(page: str) -> str:
    return page.split('id="new-token" class="copy-box" type="text" readonly value="', 1)[1].split('"', 1)[0]


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


# ------------------------------------------------------------------ revoked with the password and the account


def test_changing_ones_password_revokes_every_token_audited(app, people, academy, as_role, client):
    first, second = (make_token(app, people, academy.mentor.id, name=n) for n in ("ci", "dashboard"))
    mentor = as_role("mentor")
    response = mentor.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-password": GOOD_PASSWORD,
            "password-confirm": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    for token in (first, second):
        refused = me(client, token)
        assert refused.status_code == 401
        assert "revoked" in refused.get_json()["detail"]
    assert all(row.revoked_at is not None for row in rows(people, academy.mentor.id))
    assert revocations(people, "mentor@example.com") == [{"reason": "password changed", "tokens": ["ci", "dashboard"]}]


def test_a_refused_password_change_keeps_the_tokens(app, people, academy, as_role, client):
    token = make_token(app, people, academy.mentor.id)
    as_role("mentor").post(
        "/account",
        data={
            "password-current_password": "wrong",
            "password-password": GOOD_PASSWORD,
            "password-confirm": GOOD_PASSWORD,
        },
    )
    assert me(client, token).status_code == 200


def test_tokens_are_revoked_in_the_password_changes_own_transaction(app, people, academy, client):
    token = make_token(app, people, academy.mentor.id)
    with app.test_request_context(), people.session() as s:
        accounts.set_password(s, s.get(User, academy.mentor.id), GOOD_PASSWORD)
        s.rollback()  # the password change did not happen: neither did the revocation
    assert me(client, token).status_code == 200
    with app.test_request_context(), people.session() as s:
        accounts.set_password(s, s.get(User, academy.mentor.id), GOOD_PASSWORD)
        s.commit()
    assert me(client, token).status_code == 401


def test_a_password_reset_revokes_every_token(app, people, academy, as_role, client):
    token = make_token(app, people, academy.trainee.id)
    link = reset_link(as_role("admin"), academy.trainee.id)
    assert me(client, token).status_code == 200, "a reset link alone changes nothing"
    assert set_password(app.test_client(), link, GOOD_PASSWORD).status_code == 302
    assert me(client, token).status_code == 401
    assert revocations(people, "trainee@example.com") == [{"reason": "password set", "tokens": ["laptop"]}]


def test_deactivation_revokes_every_token_and_reactivation_does_not_revive_them(app, people, academy, as_role, client):
    token = make_token(app, people, academy.trainee.id)
    admin = as_role("admin")
    admin.post(f"/admin/users/{academy.trainee.id}/active", data={"active": "0"})
    assert me(client, token).status_code == 401
    admin.post(f"/admin/users/{academy.trainee.id}/active", data={"active": "1"})
    refused = me(client, token)
    assert refused.status_code == 401 and "revoked" in refused.get_json()["detail"]
    assert revocations(people, "trainee@example.com") == [{"reason": "account deactivated", "tokens": ["laptop"]}]


# ------------------------------------------------------------------ expiry


def test_a_token_lasts_90_days_unless_told_otherwise(app, people, academy):
    make_token(app, people, academy.trainee.id)
    (row,) = rows(people, academy.trainee.id)
    assert abs(row.expires_at - (utcnow() + timedelta(days=90))) < timedelta(minutes=1)


def test_an_expired_token_is_refused_with_a_clear_detail(app, people, academy, client):
    token = make_token(app, people, academy.trainee.id)
    with people.session() as s:
        row = s.exec(select(ApiToken)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
    refused = me(client, token)
    assert refused.status_code == 401
    assert refused.get_json()["error"] == "Not authenticated"
    assert "expired on" in refused.get_json()["detail"] and "account page" in refused.get_json()["detail"]


def test_a_token_made_before_expiry_existed_expires_a_year_after_it_was_made(app, people, academy, client):
    token = make_token(app, people, academy.trainee.id)
    with people.session() as s:
        row = s.exec(select(ApiToken)).one()
        row.expires_at, row.created_at = None, utcnow() - timedelta(days=364)
        s.add(row)
        s.commit()
    assert me(client, token).status_code == 200
    with people.session() as s:
        row = s.exec(select(ApiToken)).one()
        row.created_at = utcnow() - timedelta(days=366)
        s.add(row)
        s.commit()
    assert me(client, token).status_code == 401


@pytest.mark.parametrize(
    ("form", "days"),
    [({"token-expires": "30"}, 30), ({"token-expires": "90"}, 90), ({"token-expires": "365"}, 365), ({}, 90)],
)
def test_the_account_page_offers_30_90_or_365_days(as_role, people, academy, form, days):
    response = as_role("mentor").post("/account/tokens", data={"token-name": "ci", "token-scope": "read"} | form)
    assert response.status_code == 200, page_text(response)
    (row,) = rows(people, academy.mentor.id)
    assert abs(row.expires_at - (utcnow() + timedelta(days=days))) < timedelta(minutes=1)
    expires = row.expires_at.strftime("%d %b %Y")
    assert f"expires {expires}" in page_text(response)


def test_the_account_page_takes_a_date_and_the_token_works_until_that_days_end(as_role, people, academy):
    until = date.today() + timedelta(days=10)
    data = {"token-name": "ci", "token-scope": "read", "token-expires": "date", "token-expires_on": until.isoformat()}
    response = as_role("mentor").post("/account/tokens", data=data)
    assert response.status_code == 200, page_text(response)
    (row,) = rows(people, academy.mentor.id)
    assert (row.expires_at.date(), row.expires_at.hour, row.expires_at.minute) == (until, 23, 59)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"token-expires": "date"}, "Choose the day the token stops working"),
        ({"token-expires": "date", "token-expires_on": "2001-01-01"}, "Choose a day after today"),
        ({"token-expires": "date", "token-expires_on": (date.today() + timedelta(days=400)).isoformat()}, "at most"),
        ({"token-expires": "7"}, "Not a valid choice"),
        ({"token-scope": "admin"}, "Not a valid choice"),
    ],
)
def test_a_wrong_expiry_or_scope_is_refused_next_to_its_field(as_role, people, academy, data, message):
    response = as_role("mentor").post("/account/tokens", data={"token-name": "ci", "token-scope": "read"} | data)
    assert response.status_code == 400
    assert message in page_text(response)
    assert rows(people, academy.mentor.id) == []


def test_the_account_page_shows_each_tokens_access_and_expiry(app, people, academy, as_role):
    make_token(app, people, academy.mentor.id, scope="read", name="dashboard")
    make_token(app, people, academy.mentor.id, scope="write", name="deploy bot")
    text = page_text(as_role("mentor").get("/account"))
    assert re.search(r"dashboard sra_\S+ read only", text), text
    assert re.search(r"deploy bot sra_\S+ read and write", text), text
    expires = (utcnow() + timedelta(days=90)).strftime("%d %b %Y")
    assert text.count(f"expires {expires}") == 2


# ------------------------------------------------------------------ scope


def test_a_read_token_reads_and_is_refused_every_write_with_403_json(app, people, academy, client):
    token = make_token(app, people, academy.trainee.id, scope="read")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me/progress", headers=headers).status_code == 200
    refused = client.post(f"/api/v1/labs/{LAB}/attempts", headers=headers, json={"evidence": "I ran it."})
    assert refused.status_code == 403
    assert refused.get_json() == {
        "error": "Not allowed",
        "detail": "This token may only read. Create a token with read and write access to change anything.",
    }
    with people.session() as s:
        assert s.exec(select(ApiToken)).one().scope == "read"


def test_a_write_token_reads_and_writes(app, people, academy, client):
    token = make_token(app, people, academy.trainee.id, scope="write")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    response = client.post(f"/api/v1/labs/{LAB}/attempts", headers=headers, json={"evidence": "I ran it."})
    assert response.status_code != 403, response.get_json()


def test_the_account_page_creates_the_scope_chosen(as_role, people, academy, client):
    page = as_role("trainee").post("/account/tokens", data={"token-name": "bot", "token-scope": "write"})
    token = new_token_on(page.get_data(as_text=True))
    assert rows(people, academy.trainee.id)[0].scope == "write"
    posted = client.post(
        f"/api/v1/labs/{LAB}/attempts", headers={"Authorization": f"Bearer {token}"}, json={"evidence": "x"}
    )
    assert posted.status_code != 403


def test_the_token_command_takes_days_and_scope(runner, people, academy, client):
    result = runner.invoke(
        args=["academy", "token", "create", "trainee@example.com", "--name", "ci", "--days", "30", "--scope", "read"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    assert me(client, token).status_code == 200
    (row,) = rows(people, academy.trainee.id)
    assert row.scope == "read"
    assert abs(row.expires_at - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    for bad in (["--scope", "admin"], ["--days", "0"], ["--days", "366"]):
        refused = runner.invoke(args=["academy", "token", "create", "trainee@example.com", "--name", "x", *bad])
        assert refused.exit_code != 0, bad
    assert len(rows(people, academy.trainee.id)) == 1


def test_the_openapi_document_describes_scopes_and_expiry(client):
    scheme = client.get("/api/v1/openapi.json").get_json()["components"]["securitySchemes"]["bearer"]
    assert "read" in scheme["description"] and "expire" in scheme["description"]
