"""API tokens on the account page, as a person makes them: read only or read and write, with an expiry."""

from datetime import date, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, assert_accessible, sign_in_as, visit


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_person_makes_a_read_token_and_a_dated_write_token(live_server, page, browser, people):
    people.user("tess@example.com", "trainee", name="Tess Trainee")
    sign_in_as(page, live_server, "tess@example.com")
    visit(page, f"{live_server}/account")
    expect(page.get_by_label("Read only")).to_be_checked()
    expect(page.get_by_label("Expires after")).to_have_value("90")

    page.get_by_label("Token name").fill("team dashboard")
    page.get_by_label("Expires after").select_option("30")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Copy your new token now")).to_be_visible()

    until = date.today() + timedelta(days=200)
    page.get_by_label("Token name").fill("deploy bot")
    page.get_by_label("Read and write").check()
    page.get_by_label("Expires after").select_option("date")
    page.get_by_label("Expiry day").fill(until.isoformat())
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Copy your new token now")).to_be_visible()

    dashboard = page.get_by_role("row").filter(has_text="team dashboard")
    expect(dashboard).to_contain_text("read only")
    expect(dashboard).to_contain_text(f"expires {(date.today() + timedelta(days=30)).strftime('%d %b %Y')}")
    bot = page.get_by_role("row").filter(has_text="deploy bot")
    expect(bot).to_contain_text("read and write")
    expect(bot).to_contain_text(f"expires {until.strftime('%d %b %Y')}")
    assert_accessible(page)
    shoot(page, "account-tokens-1280")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    sign_in_as(phone, live_server, "tess@example.com")
    visit(phone, f"{live_server}/account")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    shoot(phone, "account-tokens-390")
    phone.context.close()
