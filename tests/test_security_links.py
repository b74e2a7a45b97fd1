"""Absolute links the academy builds (invitations, password resets, e-mail) come from ACADEMY_BASE_URL, never
from a Host or X-Forwarded-Host header a client chose; the academy refuses to mail without that setting."""

import re

import pytest

from academy import create_app
from academy.links import external_path, external_url
from tests.conftest import People, empty_tables, make_app, sign_in

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}


def invitation_page(app, headers) -> str:
    empty_tables(app.extensions["academy.engine"])
    People(app).user("admin@example.com", "admin")
    client = app.test_client()
    assert sign_in(client, "admin@example.com", headers=headers).status_code == 302
    data = {"display_name": "Nia", "email": "nia@example.com", "roles": "trainee"}
    response = client.post("/admin/users/new", data=data, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_forged_host_does_not_reach_an_invitation_link(migrated):
    app = make_app(migrated, TRUSTED_PROXIES=1, BASE_URL="https://academy.example.com/")
    page = invitation_page(app, FORGED)
    assert re.search(r"https://academy\.example\.com/welcome/[A-Za-z0-9_.\-]+", page)
    assert "evil.example" not in page
    app.extensions["academy.engine"].dispose()


def test_behind_a_trusted_proxy_a_forwarded_host_is_not_believed(migrated):
    """Without ACADEMY_BASE_URL the link falls back to the request, but X-Forwarded-Host is never trusted."""
    app = make_app(migrated, TRUSTED_PROXIES=1)
    page = invitation_page(app, {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
    assert re.search(r"https://localhost/welcome/", page)
    assert "evil.example" not in page
    app.extensions["academy.engine"].dispose()


def test_links_are_built_outside_a_request_from_the_base_url(app):
    app.config["BASE_URL"] = "https://academy.example.com/sre/"
    with app.app_context():
        assert external_url("accounts.welcome", token="abc") == "https://academy.example.com/sre/welcome/abc"
        assert external_path("/review/12") == "https://academy.example.com/sre/review/12"
        with pytest.raises(ValueError):
            external_path("//evil.example/x")
    app.config["BASE_URL"] = None
    with app.app_context(), pytest.raises(RuntimeError, match="ACADEMY_BASE_URL"):
        external_path("/review/12")


def test_mail_without_a_base_url_is_refused_at_start():
    with pytest.raises(ValueError, match="ACADEMY_BASE_URL must be set when ACADEMY_SMTP_HOST is"):
        create_app({"SECRET_KEY": "k", "SMTP_HOST": "mail.example.com"})


@pytest.mark.parametrize(
    "base_url",
    [
        "academy.example.com",
        "ftp://academy.example.com",
        "https://",
        "https:///path",
        "https://academy.example.com/?next=x",
        "https://academy.example.com/#top",
        "javascript:alert(1)",
        "https://user:pw@academy.example.com",
    ],
)
def test_a_base_url_that_is_not_an_http_address_is_refused_at_start(base_url):
    with pytest.raises(ValueError, match="ACADEMY_BASE_URL must be"):
        create_app({"SECRET_KEY": "k", "BASE_URL": base_url})


@pytest.mark.parametrize("base_url", ["https://academy.example.com", "http://localhost:5000/academy/"])
def test_a_good_base_url_is_accepted(base_url):
    create_app({"SECRET_KEY": "k", "BASE_URL": base_url, "SMTP_HOST": "mail.example.com"})
