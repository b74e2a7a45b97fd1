"""Secure by default: CSRF on every state change, no change on GET, strict headers, only the fields we mean."""

import pytest
from sqlmodel import select

from academy.models import AuditEntry, User, UserRole
from tests.conftest import PASSWORD, empty_tables, make_app, sign_in


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    if marker not in html:
        marker = 'name="csrf_token" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_sign_in_without_a_csrf_token_is_refused(csrf_app):
    from tests.conftest import People

    People(csrf_app).user("alice@example.com", "trainee")
    client = csrf_app.test_client()
    response = sign_in(client, "alice@example.com")
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    token = csrf_token(client, "/login")
    ok = client.post("/login", data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302


def test_admin_post_without_a_valid_token_changes_nothing(csrf_app):
    from tests.conftest import People

    people = People(csrf_app)
    people.user("admin@example.com", "admin")
    client = csrf_app.test_client()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token})
    for bad in ({}, {"csrf_token": "forged"}):
        response = client.post(
            "/admin/users/new", data={"display_name": "Eve", "email": "eve@example.com", "roles": "admin", **bad}
        )
        assert response.status_code == 400
    with people.session() as s:
        assert s.exec(select(User).where(User.email == "eve@example.com")).first() is None
    good = client.post(
        "/admin/users/new",
        data={
            "display_name": "Eve",
            "email": "eve@example.com",
            "roles": "trainee",
            "csrf_token": csrf_token(client, "/admin/users/new"),
        },
    )
    assert good.status_code == 200


def test_logout_needs_a_csrf_token_too(csrf_app):
    from tests.conftest import People

    People(csrf_app).user("alice@example.com", "trainee")
    client = csrf_app.test_client()
    client.post(
        "/login", data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
    )
    assert client.post("/logout").status_code == 400
    assert client.get("/learn").status_code == 200


@pytest.mark.parametrize("path", ["/login", "/healthz", "/catalogue", "/admin/"])
def test_security_headers_on_every_response(as_role, path):
    response = as_role("admin").get(path)
    csp = response.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_when_secure_cookies_are_on(migrated):
    app = make_app(migrated, SECURE_COOKIES=True)
    assert "max-age=" in app.test_client().get("/healthz").headers["Strict-Transport-Security"]
    app.extensions["academy.engine"].dispose()


def test_no_template_uses_inline_script_or_style():
    """The CSP refuses inline scripts and styles, so none may be written."""
    from pathlib import Path

    for template in Path("templates").rglob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and " onclick=" not in text and "style=" not in text, template


def test_account_form_ignores_fields_it_does_not_mean(as_role, academy, db_session):
    client = as_role("trainee")
    response = client.post(
        "/account",
        data={
            "profile-display_name": "New Name",
            "roles": "admin",
            "role": "admin",
            "user_id": academy.admin.id,
            "email": "admin@example.com",
            "is_active": "0",
        },
    )
    assert response.status_code == 302
    me = db_session.get(User, academy.trainee.id)
    assert me.display_name == "New Name" and me.email == "trainee@example.com" and me.is_active
    assert db_session.get(UserRole, (academy.trainee.id, "admin")) is None
    assert db_session.get(User, academy.admin.id).display_name == "Admin"


def test_admin_edit_cannot_change_email_or_activation_through_extra_fields(as_role, academy, db_session):
    client = as_role("admin")
    client.post(
        f"/admin/users/{academy.trainee.id}",
        data={"display_name": "Trainee", "roles": "trainee", "email": "x@example.com", "is_active": "0", "user_id": 1},
    )
    trainee = db_session.get(User, academy.trainee.id)
    assert trainee.email == "trainee@example.com" and trainee.is_active


@pytest.mark.parametrize("path", ["/logout", "/admin/users/1/active", "/admin/users/1/password-link"])
def test_state_changing_routes_refuse_get(as_role, path, db_session):
    before = db_session.exec(select(AuditEntry)).all()
    db_session.rollback()
    assert as_role("admin").get(path).status_code == 405
    after = db_session.exec(select(AuditEntry)).all()
    assert [a.action for a in after[len(before) :]] == ["login.succeeded"]


def test_error_pages_are_friendly_and_never_show_a_stack(as_role):
    response = as_role("trainee").get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "Traceback" not in html and 'href="/"' in html


@pytest.mark.parametrize(("method", "path"), [("get", "/search?q=a%00b"), ("post", "/login"), ("post", "/account")])
def test_nul_characters_are_refused_with_a_clear_message(as_role, method, path, db_session):
    client = as_role("trainee")
    data = {"email": "x\x00@example.com", "password": "p", "profile-display_name": "Nul\x00Name"}
    response = getattr(client, method)(path, data=data if method == "post" else None)
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    assert db_session.exec(select(User).where(User.display_name.contains("Nul"))).first() is None


def test_behind_a_trusted_proxy_the_client_address_counts_for_throttling(migrated):
    from tests.conftest import People

    app = make_app(migrated, TRUSTED_PROXIES=1)
    empty_tables(app.extensions["academy.engine"])
    People(app).user("alice@example.com", "trainee")
    client = app.test_client()
    for i in range(20):
        sign_in(client, f"guess{i}@example.com", "wrong password 123", headers={"X-Forwarded-For": "203.0.113.7"})
    refused = sign_in(client, "alice@example.com", headers={"X-Forwarded-For": "203.0.113.7"})
    allowed = sign_in(client, "alice@example.com", headers={"X-Forwarded-For": "203.0.113.8"})
    assert (refused.status_code, allowed.status_code) == (429, 302)
    app.extensions["academy.engine"].dispose()


def test_without_trusted_proxies_a_forwarded_header_is_ignored(app, people):
    people.user("alice@example.com", "trainee")
    client = app.test_client()
    for i in range(20):
        sign_in(client, f"guess{i}@example.com", "wrong password 123", headers={"X-Forwarded-For": f"198.51.100.{i}"})
    assert sign_in(client, "alice@example.com", headers={"X-Forwarded-For": "198.51.100.200"}).status_code == 429
