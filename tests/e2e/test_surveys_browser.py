"""Issue 20's journey: a manager opens a pain-point round through the form, three people answer it (one by keyboard
alone, leaving blanks; one says "don't know" and first types a score the sheet refuses), the manager reads the
results as the team's sheet had them and strikes the first pain point through. Every page visited passes axe, and
the results fit a phone: the sheet scrolls in its own box, the page does not."""

from datetime import timedelta

from playwright.sync_api import expect

from academy.local_time import installation_today
from tests.e2e.conftest import assert_accessible, keep_screenshot, phone_problems, sign_in_as, visit

SEED = [
    "Too much toil",
    "Out of the loop",
    "Too many alerts",
    "Reliability is not taken seriously",
    "We have no SRE vision",
]
# Per pain point, in the round's order: (pain, effort); None is a blank, "?" is "don't know".
TESS = [(70, 30), (100, 20), (100, 60), (None, None), (None, None)]  # by keyboard; leaves the last two blank
OMAR = [(100, 40), ("?", "?"), (90, 50), (60, 70), (40, 50)]
PIA = [(80, 20), (60, 40), (50, 50), (70, 80), (20, 60)]
# What the sheet makes of them, highest priority first: average pain (answered), average effort (answered), priority.
EXPECTED = [
    ("Too much toil", "83.3 (3)", "30.0 (3)", "2.78"),
    ("Out of the loop", "80.0 (2)", "30.0 (2)", "2.67"),
    ("Too many alerts", "80.0 (3)", "53.3 (3)", "1.50"),
    ("Reliability is not taken seriously", "65.0 (2)", "75.0 (2)", "0.87"),
    ("We have no SRE vision", "30.0 (2)", "55.0 (2)", "0.55"),
]


def cell(page, pain_point: str, label: str):
    """A score's input (or its "don't know" box) in the pain point's group of the answer sheet."""
    return page.get_by_role("group", name=pain_point).get_by_label(label, exact=True)


def new_page(browser, width=1280, height=900):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(10_000)
    return page


def test_a_round_from_the_form_to_the_first_pain_point_struck_through(app, live_server, browser, people):
    trainees = [
        people.user(email, "trainee", name=name)
        for email, name in (("tess@example.com", "Tess"), ("omar@example.com", "Omar"), ("pia@example.com", "Pia"))
    ]
    mina = people.user("mina@example.com", "manager", name="Mina Manager")
    people.cohort("Dublin 2027", trainees=trainees, managers=[mina])
    with app.app_context():
        closes_on = installation_today() + timedelta(days=14)

    manager = new_page(browser)
    sign_in_as(manager, live_server, "mina@example.com")
    manager.get_by_role("navigation", name="Main").get_by_role("link", name="Surveys").click()
    expect(manager.get_by_role("heading", name="No survey rounds yet")).to_be_visible()
    manager.get_by_role("link", name="Open a round").click()
    visit(manager, manager.url, screenshot="round-form")
    manager.get_by_label("Title", exact=True).fill("Team pain points, winter")
    manager.get_by_label("Closes at the end of").fill(closes_on.isoformat())
    for number, title in enumerate(SEED, start=1):
        manager.get_by_label(f"Pain point {number}", exact=True).fill(title)
    manager.get_by_label("Dublin 2027").check()
    expect(manager.get_by_label("Anonymous answers")).to_be_checked()
    manager.get_by_role("button", name="Open the round").click()
    expect(manager.get_by_text("The round is open")).to_be_visible()
    expect(manager.get_by_role("heading", name="Results appear once 3 people have answered")).to_be_visible()
    results_url = manager.url

    answer_by_keyboard(browser, live_server)
    answer_with_a_refusal_first(browser, live_server)
    answer_by_labels(browser, live_server, "pia@example.com", PIA)

    visit(manager, results_url, screenshot="results")
    expect(manager.get_by_text("3 of 4 people have answered.")).to_be_visible()
    sheet = manager.get_by_role("region", name="The results").get_by_role("table")
    figures = ["Average pain (answered)", "Average effort (answered)", "Priority"]
    expect(sheet.get_by_role("columnheader")).to_have_text(["Pain point", *figures])  # open and anonymous
    expect(manager.get_by_text("Each person's answers appear as a column once the round closes")).to_be_visible()
    rows = sheet.locator("tbody tr")
    expect(rows.locator("th")).to_have_text([title for title, *_ in EXPECTED])
    for index, (_, pain, effort, priority) in enumerate(EXPECTED):
        expect(rows.nth(index).locator("td.figure")).to_have_text([pain, effort, priority])
    expect(manager.get_by_text("Tess")).to_have_count(0)  # anonymous: no name anywhere in the results

    checklist = manager.locator("#checklist")
    expect(checklist.get_by_role("heading", level=2)).to_have_text("0 out, 5 to go")
    first = checklist.get_by_role("listitem").filter(has_text="Too much toil")
    first.get_by_text("Strike through", exact=True).click()
    first.get_by_label("What addressed it").select_option(label="An initiative")
    first.get_by_label("Name of the team or initiative").fill("Toil budget: 50% cap per sprint")
    keep_screenshot(manager, "strike-form")
    first.get_by_role("button", name="Strike “Too much toil” through").click()
    expect(manager.get_by_text("“Too much toil” is struck through.")).to_be_visible()
    expect(checklist.get_by_role("heading", level=2)).to_have_text("1 out, 4 to go")
    struck = checklist.get_by_role("listitem").filter(has_text="Too much toil")
    expect(struck.locator("s")).to_have_text("Too much toil")
    expect(struck).to_contain_text("addressed by the initiative “Toil budget: 50% cap per sprint”")
    expect(struck.get_by_role("button", name="Put it back on the list")).to_be_visible()
    expect(rows.first.locator("th s")).to_have_text("Too much toil")  # struck in the sheet too
    visit(manager, manager.url, screenshot="results-struck")

    manager.get_by_role("button", name="Close the round now").click()
    expect(manager.get_by_text("The round is closed")).to_be_visible()
    respondents = ["Respondent 1", "Respondent 2", "Respondent 3"]
    expect(sheet.get_by_role("columnheader")).to_have_text(["Pain point", *respondents, *figures])
    visit(manager, manager.url, screenshot="results-closed")

    phone = new_page(browser, 390, 844)  # not is_mobile: there innerWidth grows to the page, hiding a sideways scroll
    sign_in_as(phone, live_server, "mina@example.com")
    visit(phone, results_url, screenshot="results-phone")
    assert phone_problems(phone) == []
    sheet_box = phone.locator(".table-scroll").filter(has=phone.locator("table.sheet"))
    assert sheet_box.evaluate("box => box.scrollWidth > box.clientWidth"), "the sheet should scroll in its box"
    expect(sheet_box).to_have_attribute("tabindex", "0")  # and the keyboard can scroll it
    for page in (manager, phone):
        page.context.close()


def answer_by_keyboard(browser, live_server):
    """Tess reaches the sheet from the navigation and fills it with Tab, typing and Enter alone: each score's
    "don't know" box is one Tab after it, and a blank is a Tab past it."""
    page = new_page(browser)
    sign_in_as(page, live_server, "tess@example.com")
    expect(page.get_by_role("link", name="Surveys 1 to answer")).to_be_visible()
    page.get_by_role("link", name="Surveys 1 to answer").click()
    page.get_by_role("link", name="Team pain points, winter").click()
    visit(page, page.url, screenshot="answer-sheet")
    for _ in range(40):  # from the top of the page to the first score
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id").startswith("pain-"):
            break
    for pain, effort in TESS:
        for kind, score in (("pain", pain), ("effort", effort)):
            assert page.evaluate("document.activeElement.id").startswith(f"{kind}-")
            if score is not None:
                page.keyboard.type(str(score))
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.name").endswith("-unknown")
            page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send my answers")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    expect(cell(page, "Too much toil", "How much it hurts")).to_have_value("70")
    expect(cell(page, "Too much toil", "How hard to fix")).to_have_value("30")
    expect(cell(page, "We have no SRE vision", "How much it hurts")).to_have_value("")
    page.context.close()


def fill_sheet(page, answers) -> None:
    for title, (pain, effort) in zip(SEED, answers, strict=True):
        for label, score in (("How much it hurts", pain), ("How hard to fix", effort)):
            if score == "?":
                cell(page, title, f"don't know {label.lower()}").check()
            elif score is not None:
                cell(page, title, label).fill(str(score))


def answer_by_labels(browser, live_server, email, answers):
    page = new_page(browser)
    sign_in_as(page, live_server, email)
    page.goto(f"{live_server}/surveys")
    page.get_by_role("link", name="Team pain points, winter").click()
    fill_sheet(page, answers)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    page.context.close()


def answer_with_a_refusal_first(browser, live_server):
    """Omar types 150: the sheet comes back with the message at its top, focused, and everything he typed kept."""
    page = new_page(browser)
    sign_in_as(page, live_server, "omar@example.com")
    page.goto(f"{live_server}/surveys")
    page.get_by_role("link", name="Team pain points, winter").click()
    fill_sheet(page, [(150, 40), *OMAR[1:]])
    page.get_by_role("button", name="Send my answers").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("“Too much toil”, pain: scores are whole numbers from 0 to 100, and “150” is")
    sheet_top = page.locator("ol.pain-points").bounding_box()["y"]
    assert summary.bounding_box()["y"] < sheet_top, "the message stands above the sheet"
    refused = cell(page, "Too much toil", "How much it hurts")
    expect(refused).to_have_value("150")
    expect(refused).to_have_attribute("aria-invalid", "true")
    expect(cell(page, "Too much toil", "How hard to fix")).to_have_value("40")
    expect(cell(page, "Out of the loop", "don't know how much it hurts")).to_be_checked()
    expect(cell(page, "Too many alerts", "How much it hurts")).to_have_value("90")
    assert_accessible(page)  # the refused sheet is the answer to a POST: checked as it stands, not reloaded
    keep_screenshot(page, "answer-refused")
    summary.get_by_role("link").click()  # the message leads to the cell
    expect(refused).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("100")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    page.context.close()
