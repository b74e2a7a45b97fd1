"""Stored XSS: hostile text in every field one person writes and another reads stays text on every page.

Each planted payload carries a tag naming the field it went into (`nm03`: the third trainee name), and would
leave a trace if it ever ran or became an element: a dialog, a console line with `XSS-<tag>`, `window.__xss`,
a request to `/xss-<tag>`, or an element whose id starts with `xss-`. The browser contexts ignore the
Content-Security-Policy (`bypass_csp`), so what is tested is the escaping itself, not the CSP behind it.

`test_payloads_are_live_when_not_escaped` proves the payloads and the detector: written into a page without
escaping (or through a Markdown renderer that lets raw HTML and every link scheme through), each one is caught.
"""

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

from markdown_it import MarkdownIt
from playwright.sync_api import expect
from sqlmodel import select

from academy.cohorts import services as cohorts
from academy.curriculum.store import catalogue
from academy.models import Decision, LabAttempt, ModuleProgress, Notification, utcnow
from tests.e2e.conftest import SCREENSHOTS, sign_in_as, visit

# What a payload does if it runs: each leaves a different trace, all of them name the payload's tag.
TRACES = (
    "alert('XSS-{tag}')",
    "console.log('XSS-{tag}')",
    "window.__xss='xss-{tag}'",
    "fetch('/xss-{tag}')",
)

# Raw HTML: live when a page writes it unescaped, in text or after closing an attribute.
HTML = (
    "<script>{js}</script>",
    "<img id={id} src=x onerror={js}>",
    "<svg id={id} onload={js}>",
    '"><script>{js}</script>',
    "'><img id={id} src=x onerror={js}>",
    "<<img id={id} src=x onerror={js}>",
    "</textarea><script>{js}</script>",
    "</title><svg/id={id}/onload={js}>",
    "<details id={id} open ontoggle={js}>",
    '<iframe id={id} srcdoc="<script>parent.{js}</script>"></iframe>',
    '<a id={id} href="javascript:{js}">open</a>',
    "<style>@import '/xss-{tag}';</style>",
    '<!--<img src="--><img id={id} src=x onerror={js}>">',
    '<noscript><p title="</noscript><img id={id} src=x onerror={js}>">',
    "<input id={id} autofocus onfocus={js}>",
    "<object id={id} data=/xss-{tag}></object>",
    "<svg><animate id={id} onbegin={js} attributeName=x dur=1s>",
    "<video id={id}><source onerror={js}></video>",
    "<body id={id} onload={js}>",
    "<form id={id} action=javascript:{js}><button>go</button></form>",
    "<embed id={id} src=/xss-{tag}>",
    "<link id={id} rel=stylesheet href=/xss-{tag}>",
    "<base id={id} href=/xss-{tag}/>",
    '<svg><a id={id} xlink:href="javascript:{js}"><text y=20>x</text></a></svg>',
    "<marquee id={id} onstart={js}>x</marquee>",
)

# Markdown, for evidence and comments. `True`: live through a renderer that passes raw HTML and every link
# scheme; `False`: tries to break out of an attribute or fence the renderer writes (no naive equivalent).
MARKDOWN = (
    ("- [ ] <img id={id} src=x onerror={js}> a task-list item", False),
    ("[xss-{tag}](javascript:{js})", True),
    ("![xss-{tag}](javascript:{js})", True),
    ("[xss-{tag}](data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4=)", True),
    ("[xss-{tag}](data:text/html,<script>{js}</script>)", True),
    ("[xss-{tag}](JaVaScRiPt:{js})", True),
    ("[xss-{tag}](&#106;avascript&#58;{js})", True),
    ("[xss-{tag}](<javascript:{js}>)", True),
    ("[xss-{tag}]( javascript:{js})", True),
    ("<javascript:{js}>", True),
    ("[xss-{tag}][r-{tag}]\n\n[r-{tag}]: javascript:{js}", True),
    ("[xss-{tag}](vbscript:msgbox('xss-{tag}'))", True),
    ('[<img id={id} src=x onerror="{js}">](https://example.com/)', True),
    ('| <details id={id} open ontoggle="{js}"> |\n|---|\n| cell |', True),
    ('!!! note "<img id={id} src=x onerror="{js}">"\n    admonition xss-{tag}', True),
    ("[xss-{tag}](java&#x09;script:{js})", False),
    ('[xss-{tag}](https://example.com/ "a\\" onmouseover=\\"{js}")', False),
    ('![xss-{tag}" onerror="{js}](x)', False),
    ('```"><img/id={id}/src=x/onerror={js}>\nfenced xss-{tag}\n```', False),
    ('!!! x"onmouseover="{js}\n    admonition xss-{tag}', False),
)

# Evidence links: the app accepts only http(s) addresses without spaces; these try to leave the href.
LINKS = (
    'https://example.com/"><img/id={id}/src=x/onerror={js}>',
    "https://example.com/'><svg/id={id}/onload={js}>",
    "https://example.com/?q=</a><script>{js}</script>",
    'https://example.com/#"onmouseover="{js}"/id="{id}',
    "https://example.com/</textarea><img/id={id}/src=x/onerror={js}>",
    "http://example.com/<iframe/id={id}/src=/xss-{tag}>",
    'https://example.com/"/id="{id}"/style="background:url(/xss-{tag})',
)


@dataclass(frozen=True)
class Payload:
    tag: str
    field: str
    text: str


class Planted:
    """Every payload of the run, by tag, so that a trace names the field and the text that caused it."""

    def __init__(self):
        self.by_tag: dict[str, Payload] = {}

    def make(self, code: str, field: str, templates, *, max_len: int = 10_000) -> list[str]:
        texts = []
        for template in templates:
            tag = f"{code}{len(texts) + 1:02d}"
            text = template.format(id=f"xss-{tag}", js=TRACES[len(self.by_tag) % 4].format(tag=tag), tag=tag)
            if len(text) <= max_len:
                self.by_tag[tag] = Payload(tag, field, text)
                texts.append(text)
        return texts

    def tags(self, *codes: str) -> list[str]:
        return [t for t in self.by_tag if t[:2] in codes]

    def explain(self, finding: str) -> str:
        hits = [p for tag, p in self.by_tag.items() if f"xss-{tag}" in finding.lower()]
        return finding + "".join(f"\n      <- {p.field} [{p.tag}]: {p.text!r}" for p in hits)


# Every finding as a string; the JavaScript returns what it sees, Python decides.
DOM_CHECK = """() => {
  const found = [];
  const show = (el) => el.outerHTML.slice(0, 200);
  for (const el of document.querySelectorAll('[id^="xss-" i]')) found.push('element from a payload: ' + show(el));
  const risky = /^(javascript|vbscript|data):/;
  const urls = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'poster', 'background'];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push(`event handler ${name}: ` + show(el));
      if (name === 'srcdoc') found.push('srcdoc: ' + show(el));
      if (urls.includes(name) && risky.test(attr.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase()))
        found.push(`${name} with a script or data URL: ` + show(el));
    }
  }
  for (const s of document.scripts)
    if (!s.src || !s.src.startsWith(location.origin + '/static/')) found.push('script: ' + show(s));
  for (const el of document.querySelectorAll('iframe, frame, object, embed, base, style, meta[http-equiv]'))
    found.push('embedding element: ' + show(el));
  for (const el of document.querySelectorAll('link'))
    if (!el.href.startsWith(location.origin + '/static/')) found.push('link: ' + show(el));
  if (window.__xss !== undefined) found.push('window.__xss = ' + window.__xss);
  return found;
}"""


class Watch:
    """Dialogs, console lines and requests from payloads, on every page of the run; and a DOM check per page."""

    def __init__(self, planted: Planted):
        self.planted = planted
        self.findings: list[str] = []
        self.checked: list[str] = []
        self.who: dict = {}

    def open(self, browser, who: str):
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        self.who[page] = who

        def on_dialog(dialog):
            self.findings.append(f"{who}: dialog {dialog.message!r} on {page.url}")
            dialog.dismiss()

        def on_console(message):
            if "xss" in message.text.lower():
                self.findings.append(f"{who}: console {message.text!r} on {page.url}")

        def on_request(request):
            if "/xss-" in urlsplit(request.url).path.lower():
                self.findings.append(f"{who}: request to {request.url} from {page.url}")

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("request", on_request)
        return page

    def visit(self, page, url: str, *, shows=()) -> None:
        """`visit` (status and axe-core), then `check`; a failed `visit` is reported with the rest, not first."""
        try:
            visit(page, url)
        except AssertionError as error:
            self.findings.append(f"{self.who[page]} on {url}: {str(error).splitlines()[0]}")
        self.check(page, shows=shows)

    def check(self, page, *, shows=()) -> None:
        """The page as it is now: nothing live from a payload, and each payload in `shows` on the page."""
        page.wait_for_timeout(50)  # let onerror, onload and fetch traces arrive
        where = f"{self.who[page]} on /{page.url.split('/', 3)[-1]}"
        self.checked.append(where)
        self.findings += [f"{where}: {f}" for f in page.evaluate(DOM_CHECK)]
        if len(page.frames) > 1:
            self.findings.append(f"{where}: {len(page.frames) - 1} frame(s) in the page")
        html = page.content().lower()
        missing = [t for t in shows if f"xss-{t}" not in html]
        if missing:
            self.findings.append(f"{where}: payloads expected on this page are missing: {missing}")

    def assert_clean(self) -> None:
        findings = list(dict.fromkeys(self.findings))  # a page seen twice reports the same trace twice
        report = "\n".join(self.planted.explain(f) for f in findings)
        assert not findings, f"{len(findings)} finding(s) over {len(self.checked)} page views:\n{report}"


def csv_text(rows) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([("name", "email", "role", "mentor email"), *rows])
    return out.getvalue()


def packed(texts: list[str], limit: int) -> list[str]:
    """The texts joined with spaces into as few strings of at most `limit` characters as fit."""
    groups, current = [], ""
    for text in texts:
        if current and len(current) + 1 + len(text) > limit:
            groups.append(current)
            current = ""
        current = f"{current} {text}".strip()
    return [*groups, current] if current else groups


def fulfil_html(document: str, route) -> None:
    route.fulfill(body=document, content_type="text/html")


def naive_markdown(text: str) -> str:
    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True
    from mdit_py_plugins.admon import admon_plugin

    return md.use(admon_plugin).render(text)


# ------------------------------------------------------------------ the detector works


def test_payloads_are_live_when_not_escaped(browser):
    """Each payload, written into a page without escaping, is caught: the main test cannot pass by blindness."""
    planted = Planted()
    html = planted.make("hh", "raw HTML", HTML)
    markdown = planted.make("mm", "naive Markdown", [t for t, live in MARKDOWN if live])
    links = planted.make("ll", "naive href", LINKS)
    pages = {
        **{p: f"<p>{p}</p>" for p in html},
        **{m: naive_markdown(m) for m in markdown},
        **{u: f'<p><a href="{u}">{u}</a></p>' for u in links},
    }
    watch = Watch(planted)
    page = watch.open(browser, "canary")
    page.route("http://canary.test/**", lambda route: route.fulfill(status=404, body=""))
    for n, body in enumerate(pages.values()):  # one page each: an unclosed element would swallow the next
        document = f"<!doctype html><title>canary</title><body>{body}</body>"
        page.route(f"http://canary.test/{n}", partial(fulfil_html, document))
        page.goto(f"http://canary.test/{n}")
        watch.findings += page.evaluate(DOM_CHECK)
    page.wait_for_timeout(300)
    traces = "\n".join(watch.findings).lower()
    blind = [p for p in planted.by_tag.values() if f"xss-{p.tag}" not in traces]
    assert not blind, "payloads the detector did not see, written unescaped:\n" + "\n".join(map(repr, blind))
    for trace in (": dialog ", ": console ", ": request to ", "window.__xss = ", "event handler "):
        assert trace in "\n".join(watch.findings), f"no payload left a {trace.strip(': ')!r} trace"


# ------------------------------------------------------------------ the academy escapes them


def test_stored_payloads_stay_text_for_every_reader(app, live_server, browser, people, monkeypatch):
    """Payloads written by the admin, a stranger, a trainee and a mentor; every page that shows them, to every
    role that reads them, holds them as text."""
    monkeypatch.setattr("academy.cohorts.views.MATRIX_PAGE", 100)  # every payload-named trainee on one page
    planted = Planted()
    p = plant_everything(planted)
    a = arrange_academy(app, people, p)
    watch = Watch(planted)

    ada = write_as_admin(watch, browser, live_server, a, p)
    tess, marco, attempt = write_as_trainee_and_mentor(watch, browser, live_server, people, a, p)
    manager = watch.open(browser, "manager")
    sign_in_as(manager, live_server, a.manager.email)

    work, names = planted.tags("ev", "cm", "lk", "fl"), planted.tags("nm", "ac")
    pages = [
        (marco, "/reviews", [*names, *planted.tags("co", "cl")]),
        (marco, f"/reviews/{attempt.id}", [*work, *planted.tags("ac", "ad", "cl")]),
        (marco, "/notifications", names),
        (marco, f"/trainees/{a.tess.id}", [*work, *planted.tags("ac", "cl"), "co01"]),
        (marco, f"/trainees/{a.tess.id}/progress", [*planted.tags("ac", "cl"), "co01"]),
        (tess, "/learn", [*planted.tags("cm"), "co01"]),
        (tess, f"/modules/{a.lab.module_id}", [*work, *planted.tags("ad")]),
        (tess, "/notifications", planted.tags("ad")),
        (manager, "/cohorts", planted.tags("co", "cu")),
        (manager, f"/cohorts/{a.main.id}", [*names, "co01"]),
        (manager, f"/cohorts/{a.imported}", planted.tags("cv", "cu")),
        (manager, f"/trainees/{a.tess.id}", [*work, *planted.tags("ac", "cl")]),
        (manager, f"/trainees/{a.tess.id}/progress", planted.tags("ac", "cl")),
        (ada, "/admin/users", planted.tags("nm", "ad", "iv", "ac", "cl", "mg", "cv")),
        (ada, f"/admin/users/{a.mentor.id}", planted.tags("ad")),
        (ada, "/admin/cohorts", planted.tags("co", "cu")),
        (ada, f"/admin/cohorts/{a.main.id}", [*names, *planted.tags("ad", "cl", "mg"), "co01"]),
        (ada, f"/admin/cohorts/{a.imported}", planted.tags("cv", "cu", "ad", "mg")),
        (ada, "/admin/audit", planted.tags("tk", "ad", "ac", "cu")),
        (ada, "/admin/audit?action=login.failed", planted.tags("lg")),
    ]
    # reflected, not stored: the search page and the admin's filters show what was typed
    queries = [(q, [t for t in planted.tags("sq") if planted.by_tag[t].text in q]) for q in packed(p.searches, 200)]
    pages += [(ada, f"/search?q={quote(q)}", shown) for q, shown in queries]
    q, shown = queries[0]
    pages += [(ada, f"/admin/users?q={quote(q)}", shown), (ada, f"/admin/audit?actor={quote(q)}", shown)]

    for page, path, shows in pages:
        watch.visit(page, f"{live_server}{path}", shows=shows)
    screenshot(marco, f"{live_server}/reviews/{attempt.id}", "xss-review-page")
    screenshot(ada, f"{live_server}/admin/cohorts/{a.main.id}", "xss-admin-cohort")
    watch.assert_clean()


def plant_everything(planted: Planted) -> SimpleNamespace:
    """The payloads for each field, within the field's length limit."""
    p = SimpleNamespace()
    p.names = planted.make("nm", "trainee display name (database)", HTML, max_len=120)
    p.cohort_names = planted.make("co", "cohort name (database)", HTML, max_len=120)
    short = iter(t for t in HTML if len(t) < 50)
    for attr, code, field, max_len in (
        ("mentor_name", "ad", "display name, admin's user form", 120),
        ("invitee_name", "iv", "display name, admin's invitation form", 120),
        ("own_name", "ac", "display name, trainee's account page", 120),
        ("claimer_name", "cl", "mentor display name (database), shown as claimer and signer", 120),
        ("manager_name", "mg", "manager display name (database)", 120),
        ("ui_cohort", "cu", "cohort name, admin's cohort form", 120),
        ("token_name", "tk", "API token name, account page", 80),
        ("login_email", "lg", "email typed at a failed sign-in", 200),
    ):
        setattr(p, attr, planted.make(code, field, [next(short)], max_len=max_len)[0])
    p.csv_names = planted.make("cv", "name in CSV import", HTML[:12], max_len=120)
    p.csv_bad = planted.make("ce", "email, role and mentor email in CSV import", HTML[12:18], max_len=200)
    p.evidence = planted.make("ev", "lab evidence (Markdown)", [*HTML, *(t for t, _ in MARKDOWN)])
    p.comment = planted.make("cm", "decision comment (Markdown)", [*HTML, *(t for t, _ in MARKDOWN)])
    p.links = planted.make("lk", "evidence link", LINKS)
    p.file_names = planted.make(  # no slash: a file name with one is refused
        "fl",
        "attachment file name",
        [
            "<img id={id} src=x onerror=alert('XSS-{tag}')>.txt",
            "\"><svg id={id} onload=console.log('XSS-{tag}')>.log",
            "'><details id={id} open ontoggle=window.__xss='xss-{tag}'>.md",
        ],
    )
    p.searches = planted.make("sq", "search query (reflected)", HTML[:10], max_len=200)
    return p


def arrange_academy(app, people, p) -> SimpleNamespace:
    """People and cohorts named with payloads, the mentors' queue full of their submissions, and a signed-off lab."""
    a = SimpleNamespace()
    with app.app_context():
        a.lab = catalogue().get("linux-shell").labs[0]
        a.signed_lab = catalogue().get("files-permissions").labs[0]
        a.track = catalogue().get(a.lab.module_id).track
    a.admin = people.user("admin@example.com", "admin", name="Ada Admin")
    a.manager = people.user("manager@example.com", "manager", name=p.manager_name)
    a.mentor = people.user("mentor@example.com", "mentor", name="Marco Mentor")
    a.claimer = people.user("mentor2@example.com", "mentor", name=p.claimer_name)
    a.tess = people.user("tess@example.com", "trainee", name="Tess Trainee")
    trainees = [people.user(f"trainee{i}@example.com", "trainee", name=n) for i, n in enumerate(p.names, 1)]
    a.main = people.cohort(
        p.cohort_names[0], trainees=[a.tess, *trainees], mentors=[a.mentor, a.claimer], managers=[a.manager]
    )
    for name in p.cohort_names[1:]:
        people.cohort(name, mentors=[a.mentor], managers=[a.manager])
    with app.test_request_context(), people.session() as s:
        cohorts.set_plan(session=s, catalogue=catalogue(), cohort=a.main, track_ids=[a.track])  # a small matrix
        for i, trainee in enumerate(trainees):
            attempt = new_attempt(trainee.id, a.lab, claimed_by=a.claimer.id if i % 5 == 0 else None)
            s.add(attempt)
            s.flush()
            message = f"{trainee.display_name} submitted “{a.lab.title}” (attempt 1) for review."
            s.add(Notification(user_id=a.mentor.id, message=message, link=f"/reviews/{attempt.id}"))
        now = utcnow()  # the progress record names the mentor who signed a lab off
        done = dict(opened_at=now, read_at=now, completed_at=now)
        s.add(ModuleProgress(trainee_id=a.tess.id, module_id=a.signed_lab.module_id, **done))
        signed = new_attempt(a.tess.id, a.signed_lab, status="approved")
        s.add(signed)
        s.flush()
        s.add(Decision(attempt_id=signed.id, mentor_id=a.claimer.id, outcome="approved", comment="Well done."))
        s.commit()
    return a


def new_attempt(trainee_id: int, lab, *, status: str = "submitted", claimed_by: int | None = None) -> LabAttempt:
    return LabAttempt(
        trainee_id=trainee_id,
        module_id=lab.module_id,
        lab_id=lab.id,
        number=1,
        evidence="I ran each step and pasted the output.",
        status=status,
        request_key=uuid.uuid4().hex,
        claimed_by=claimed_by,
        claimed_at=utcnow() if claimed_by else None,
    )


def write_as_admin(watch: Watch, browser, base: str, a, p):
    """A stranger's failed sign-in; the admin renames a mentor, invites a person, creates a cohort, imports CSV."""
    stranger = watch.open(browser, "stranger")
    visit(stranger, f"{base}/login")
    stranger.get_by_label("Email").fill(p.login_email)
    stranger.get_by_label("Password").fill("not the password at all")
    stranger.get_by_role("button", name="Sign in").click()
    expect(stranger.get_by_text("do not match an active account")).to_be_visible()
    watch.check(stranger, shows=watch.planted.tags("lg"))
    stranger.context.close()

    ada = watch.open(browser, "admin")
    sign_in_as(ada, base, a.admin.email)
    ada.goto(f"{base}/admin/users/{a.mentor.id}")
    ada.get_by_role("textbox", name="Name").fill(p.mentor_name)
    ada.get_by_role("button", name="Save", exact=True).click()
    expect(ada.get_by_text("is saved.")).to_be_visible()
    watch.check(ada, shows=watch.planted.tags("ad"))

    ada.goto(f"{base}/admin/users/new")
    ada.get_by_label("Name").fill(p.invitee_name)
    ada.get_by_label("Email").fill("ivy@example.com")
    ada.get_by_label("Trainee").check()
    ada.get_by_role("button", name="Create and get the link").click()
    expect(ada.get_by_label("One-time link")).to_be_visible()
    watch.check(ada, shows=watch.planted.tags("iv"))

    ada.goto(f"{base}/admin/cohorts/new")
    ada.get_by_label("Name").fill(p.ui_cohort)
    ada.get_by_label("Start date").fill("2026-09-01")
    ada.get_by_label("Planned end date").fill("2027-03-01")
    for box in ada.locator("input[name=tracks]").all():
        box.set_checked(box.get_attribute("value") == a.track)
    ada.get_by_role("button", name="Create cohort").click()
    expect(ada.get_by_text("Now add its people.")).to_be_visible()
    watch.check(ada, shows=watch.planted.tags("cu"))
    a.imported = int(ada.url.rstrip("/").rsplit("/", 1)[-1])
    import_csv(watch, ada, base, a, p)
    return ada


def import_csv(watch: Watch, ada, base: str, a, p) -> None:
    """Rows with hostile emails, roles and mentors are refused in the preview; rows with hostile names import."""
    visit(ada, f"{base}/admin/cohorts/{a.imported}/import")
    ada.get_by_label("Or paste the rows").fill(csv_text([(t, t, t, t) for t in p.csv_bad]))
    ada.get_by_role("button", name="Preview").click()
    expect(ada.get_by_text("Nothing was imported.")).to_be_visible()
    watch.check(ada, shows=watch.planted.tags("ce", "cu"))

    rows = [
        ("Marco as mentor", a.mentor.email, "mentor", ""),
        ("The manager", a.manager.email, "manager", ""),
        *((name, f"csv{i}@example.com", "trainee", a.mentor.email) for i, name in enumerate(p.csv_names, 1)),
    ]
    ada.get_by_label("Or paste the rows").fill(csv_text(rows))
    ada.get_by_role("button", name="Preview").click()
    confirm = ada.get_by_role("button", name=f"Import {len(rows)} people")
    expect(confirm).to_be_visible()
    watch.check(ada, shows=watch.planted.tags("cv", "cu"))
    ada.get_by_label("I confirm these changes to existing accounts").check()  # Marco and the manager exist
    confirm.click()
    expect(ada.get_by_role("link", name=f"Back to {p.ui_cohort}")).to_be_visible()
    watch.check(ada, shows=watch.planted.tags("cv"))


def write_as_trainee_and_mentor(watch: Watch, browser, base: str, people, a, p):
    """The trainee renames herself and names a token; the mentor sends her first attempt back with a hostile
    comment; her second attempt has hostile evidence, links and file names, and another mentor claims it."""
    tess = watch.open(browser, "trainee")
    sign_in_as(tess, base, a.tess.email)
    tess.goto(f"{base}/account")
    tess.get_by_label("Display name").fill(p.own_name)
    tess.get_by_role("button", name="Save name").click()
    expect(tess.get_by_text("Your name is saved.")).to_be_visible()
    tess.get_by_label("Token name").fill(p.token_name)
    tess.get_by_role("button", name="Create token").click()
    expect(tess.get_by_text("Copy your new token now")).to_be_visible()
    watch.check(tess, shows=watch.planted.tags("ac", "tk"))
    submit_evidence(tess, base, a.lab, "First try: I ran the commands.")

    marco = watch.open(browser, "mentor")
    sign_in_as(marco, base, a.mentor.email)
    with people.session() as s:
        first = tess_attempt(s, a, 1)
    marco.goto(f"{base}/reviews/{first.id}")
    marco.get_by_label("Comment").fill("\n\n".join(p.comment))
    marco.get_by_role("button", name="Request changes").click()
    expect(marco.get_by_text("is sent back with your comment")).to_be_visible()

    files = [{"name": name, "mimeType": "text/plain", "buffer": b"uptime: 3 days\n"} for name in p.file_names]
    submit_evidence(tess, base, a.lab, "\n\n".join(p.evidence), links="\n".join(p.links), files=files)
    with people.session() as s:
        second = tess_attempt(s, a, 2)
        second.claimed_by, second.claimed_at = a.claimer.id, utcnow() - timedelta(minutes=5)
        s.add(second)
        s.commit()
    return tess, marco, second


def tess_attempt(session, a, number: int) -> LabAttempt:
    query = select(LabAttempt).where(
        LabAttempt.trainee_id == a.tess.id, LabAttempt.lab_id == a.lab.id, LabAttempt.number == number
    )
    return session.exec(query).one()


def submit_evidence(page, base_url, lab, text, *, links="", files=()):
    page.goto(f"{base_url}/modules/{lab.module_id}")  # without the fragment: a fresh load, not a scroll
    section = page.locator(f"#lab-{lab.id}")
    section.get_by_label("Evidence").fill(text)
    section.get_by_label("Links (optional, one per line)").fill(links)
    if files:
        section.get_by_label("Attachments (optional)").set_input_files(list(files))
    section.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()


def screenshot(page, url: str, name: str) -> None:
    """The whole page, to look at: the payloads should read as plain text."""
    page.goto(url)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
