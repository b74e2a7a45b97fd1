"""Company sign-in in Chromium: a mentor clicks "Sign in with Example SSO", signs in at a real OpenID Connect
provider on 127.0.0.1 and lands on the review queue; signing out offers the provider's sign-out too."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, People, own_app, served
from tests.e2e.conftest import assert_accessible, keep_screenshot, phone_problems, visit
from tests.oidc_provider import running_provider


@pytest.fixture(scope="module")
def provider():
    with running_provider() as running:
        yield running


@pytest.fixture
def sso_server(migrated, provider):
    settings = provider.settings(PASSWORD_SIGN_IN="off", BREAK_GLASS_ADMINS="root@example.com")
    with own_app(migrated, WTF_CSRF_ENABLED=True, **settings) as app, served(app) as url:
        yield app, url


def test_a_mentor_signs_in_with_the_company_account_and_out_again(sso_server, provider, page):
    app, url = sso_server
    People(app).user("ada@example.com", "trainee", name="Ada Mentor")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-mentors"])

    visit(page, f"{url}/login")
    expect(page.get_by_text("Break-glass administrator sign-in")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_hidden()  # folded away: passwords are off for everyone else
    page.get_by_role("link", name="Sign in with Example SSO").click()
    page.get_by_placeholder("sub").fill("sub-ada")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{url}/reviews")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review")
    expect(page.get_by_role("link", name="Review queue")).to_be_visible()  # the mentors' group gave the role
    visit(page, page.url, "review-queue-after-sign-in")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{url}/login")
    expect(page.get_by_role("link", name="Sign out of Example SSO too")).to_be_visible()
    assert_accessible(page)  # not `visit`, which reloads: the offer is made once
    keep_screenshot(page, "signed-out")
    page.goto(f"{url}/reviews")
    assert page.url.startswith(f"{url}/login")  # the academy's session is over


def test_the_offer_of_the_providers_sign_out_is_a_link_there(sso_server, provider, page):
    app, url = sso_server
    People(app).user("ada@example.com", "mentor")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-mentors"])
    page.goto(f"{url}/login")
    page.get_by_role("link", name="Sign in with Example SSO").click()
    page.get_by_placeholder("sub").fill("sub-ada")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{url}/reviews")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{url}/login")
    offer = page.get_by_role("link", name="Sign out of Example SSO too")
    href = offer.get_attribute("href")
    assert href.startswith(
        f"{provider.issuer}/oauth2/end_session?client_id=sre-academy&"
        f"post_logout_redirect_uri={url.replace(':', '%3A').replace('/', '%2F')}%2Flogin&id_token_hint="
    )
    offer.click()  # the provider's own page: it asks to confirm, then comes back to the academy's sign-in page
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{url}/login")


def test_an_unverified_address_is_told_why_on_the_sign_in_page(sso_server, provider, browser):
    app, url = sso_server
    People(app).user("ada@example.com", "mentor")
    provider.set_user("sub-mallory", email="ada@example.com", email_verified=False)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{url}/login")
    page.get_by_role("link", name="Sign in with Example SSO").click()
    page.get_by_placeholder("sub").fill("sub-mallory")
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("alert")).to_contain_text("is verified")
    assert phone_problems(page) == []
    context.close()


def test_the_break_glass_admin_signs_in_with_a_password_by_keyboard(sso_server, page):
    app, url = sso_server
    People(app).user("root@example.com", "admin")
    page.goto(f"{url}/login")
    page.get_by_text("Break-glass administrator sign-in").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Email").fill("root@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/admin/")
