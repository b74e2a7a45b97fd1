"""The CSV import as an admin sees it: each row names the account it touches, changes to existing accounts are
highlighted, and they are imported only once the admin ticks the confirmation."""

from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, assert_accessible, sign_in_as, visit

ROWS = (
    "name,email,role,mentor email\n"
    "Oscar the Mentor,oscar@example.com,mentor,\n"  # a trainee of another cohort
    "Nina New,nina@example.com,trainee,oscar@example.com\n"
    "Nora New,nora@example.com,trainee,\n"
)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_the_preview_shows_changes_to_existing_accounts_and_the_import_needs_them_confirmed(
    live_server, browser, page, people
):
    people.user("admin@example.com", "admin", name="Ada Admin")
    oscar = people.user("oscar@example.com", "trainee", name="Oscar Okafor")
    people.cohort("Lisbon", trainees=[oscar])
    people.cohort("Dublin")
    sign_in_as(page, live_server, "admin@example.com")
    visit(page, f"{live_server}/admin/cohorts/2/import")
    page.get_by_label("Or paste the rows").fill(ROWS)
    page.get_by_role("button", name="Preview").click()

    oscar_row = page.get_by_role("row").filter(has_text="oscar@example.com").first
    expect(oscar_row).to_contain_text("Oscar Okafor")
    expect(oscar_row).to_contain_text("roles: trainee")
    expect(oscar_row.locator("mark")).to_have_text(["gains the role mentor", "becomes a mentor of Dublin"])
    expect(page.get_by_role("row").filter(has_text="nina@example.com")).to_contain_text("New account")
    expect(page.get_by_text("1 row changes an existing account")).to_be_visible()
    assert_accessible(page)
    shoot(page, "import-preview-1280")

    page.get_by_role("button", name="Import 3 people").click()
    expect(page.get_by_text("Nothing was imported: 1 row changes an existing account")).to_be_visible()
    assert_accessible(page)
    shoot(page, "import-refused-1280")
    page.get_by_label("I confirm these changes to existing accounts").check()
    page.get_by_role("button", name="Import 3 people").click()
    expect(page.get_by_role("heading", name="3 people imported into Dublin")).to_be_visible()


def test_the_preview_reads_on_a_phone(live_server, browser, people):
    people.user("admin@example.com", "admin", name="Ada Admin")
    oscar = people.user("oscar@example.com", "trainee", name="Oscar Okafor")
    people.cohort("Lisbon", trainees=[oscar])
    people.cohort("Dublin")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    sign_in_as(phone, live_server, "admin@example.com")
    visit(phone, f"{live_server}/admin/cohorts/2/import")
    phone.get_by_label("Or paste the rows").fill(ROWS)
    phone.get_by_role("button", name="Preview").click()
    expect(phone.get_by_label("I confirm these changes to existing accounts")).to_be_attached()
    phone.wait_for_load_state()  # its stylesheet applied: an element is attached while the page still loads
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    assert_accessible(phone)
    shoot(phone, "import-preview-390")
    context.close()
