"""A visitor browses the catalogue and reads a module, by mouse and by keyboard."""

from playwright.sync_api import expect

from academy.curriculum.store import catalogue
from tests.e2e.conftest import sign_in_as, visit


def test_catalogue_and_module_page(app, live_server, page, people):
    people.user("reader@example.com", "trainee")
    sign_in_as(page, live_server, "reader@example.com")
    with app.app_context():
        module = next(m for m in catalogue().modules.values() if m.prerequisites and m.toc)
        track = catalogue().track(module.track)

    visit(page, f"{live_server}/catalogue", screenshot="catalogue")
    expect(page.get_by_role("heading", name="Catalogue", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name=track.title)).to_be_visible()

    page.get_by_role("link", name=module.title, exact=True).click()
    expect(page.get_by_role("heading", name=module.title, level=1)).to_be_visible()
    visit(page, page.url, screenshot="module")
    toc = page.get_by_role("complementary", name="On this page")
    expect(toc.get_by_role("link", name=module.toc[0].text)).to_be_visible()

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Catalogue").click()
    expect(page).to_have_url(f"{live_server}/catalogue")


def test_keyboard_user_can_skip_to_content(live_server, page, people):
    people.user("reader@example.com", "trainee")
    sign_in_as(page, live_server, "reader@example.com")
    visit(page, f"{live_server}/catalogue")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/catalogue#main")


def test_module_page_reads_on_a_phone(app, live_server, browser, people):
    people.user("reader@example.com", "trainee")
    with app.app_context():
        module = next(iter(catalogue().modules.values()))
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    sign_in_as(phone, live_server, "reader@example.com")
    visit(phone, f"{live_server}/modules/{module.id}", screenshot="module-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    context.close()


LAYOUT_SHIFT = """() => new Promise(done => {
  let total = 0;
  new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value; })
    .observe({type: "layout-shift", buffered: true});
  setTimeout(() => done(total), 500);
})"""


def test_the_module_page_does_not_move_once_drawn(app, live_server, browser, people):
    """The table of contents is folded above the text on a phone and open beside it on a laptop. The page is drawn
    with it folded, so that on a phone the script has nothing to change after the first paint (Lighthouse counted a
    layout shift of 0.22 when the script folded it afterwards on a slow phone): tests/test_catalogue_pages.py checks
    the page as drawn."""
    people.user("reader@example.com", "trainee")
    with app.app_context():
        module = next(m for m in catalogue().modules.values() if m.toc)
    for width, is_open in ((390, False), (1280, True)):
        context = browser.new_context(viewport={"width": width, "height": 844}, is_mobile=width < 800)
        tab = context.new_page()
        sign_in_as(tab, live_server, "reader@example.com")
        visit(tab, f"{live_server}/modules/{module.id}")
        expect(tab.locator(".toc details")).to_have_js_property("open", is_open)
        assert tab.evaluate(LAYOUT_SHIFT) < 0.01, f"the module page shifts at {width}px"
        context.close()
