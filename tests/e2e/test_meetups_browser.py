"""Issue 19's journey: a mentor proposes a talk by keyboard alone (title, abstract, themselves as speaker marked an
SRE, a related module); an organizer plans a meetup through the form, later today where it is about midday, and
accepts the proposal into it; a trainee opens the meetup from the list and says they will come; once it has started
the organizer records who came, and a second trainee checks in with the code the organizer's page shows; once it is
over the figures count it, with its talk and both people who came. The proposal form, the talk page with its
decision form, the meetup page, the attendance sheet and the figures pass axe, and fit a 390 px phone."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from academy.models import Meetup, utcnow
from tests.e2e.conftest import assert_accessible, keep_screenshot, phone_problems, sign_in_as, visit
from tests.meetups_factory import midday_zone

TALK = "What our error budget taught the product team"
ABSTRACT = "How one quarter's error budget changed what the product team ships.\nAnd what we would do again."
MODULE = ("postmortems", "Blameless postmortems")
MEETUP = "Reliability Meetup, spring"


def new_page(browser, width=1280, height=900):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(10_000)
    return page


def signed_in(browser, live_server, email, width=1280):
    page = new_page(browser, width, 844 if width < 600 else 900)
    sign_in_as(page, live_server, email)
    return page


def on_phone(phone, url: str, screenshot: str) -> None:
    """The page at 390 px: axe passes, and nothing a phone shows wrong (no sideways scroll first of all)."""
    visit(phone, url, screenshot=screenshot)
    assert phone_problems(phone) == [], f"{url} on a phone"


def tab_until(page, condition: str, limit: int = 80) -> int:
    """Press Tab until `condition` (JavaScript about `document.activeElement`) holds; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const e = document.activeElement; return Boolean({condition}); }})()"):
            return presses
    raise AssertionError(f"{condition} was not reached in {limit} presses of Tab")


def move_meetup(people, meetup_id: int, **moments) -> None:
    """Set the meetup's starts_at and/or ends_at (UTC) in the database, as time passing would."""
    with people.session() as s:
        meetup = s.get(Meetup, meetup_id)
        for key, value in moments.items():
            setattr(meetup, key, value)
        s.add(meetup)
        s.commit()


def test_a_talk_from_the_call_for_talks_to_the_figures(app, live_server, browser, people):
    mentor = people.user("mo@example.com", "mentor", name="Mo Mentor")
    people.user("olga@example.com", "organizer", name="Olga Organizer")
    tina = people.user("tina@example.com", "trainee", name="Tina Trainee")
    people.user("theo@example.com", "trainee", name="Theo Trainee")

    proposal_url = propose_by_keyboard(browser, live_server, mentor.email)

    organizer = signed_in(browser, live_server, "olga@example.com")
    phone = signed_in(browser, live_server, "olga@example.com", width=390)
    on_phone(phone, f"{live_server}/meetups/talks/new", "talk-form-phone")
    meetup_url = plan_later_today(organizer)
    meetup_id = int(meetup_url.rstrip("/").rsplit("/", 1)[-1])

    # The organizer finds the proposal in the call for talks and accepts it into the meetup.
    organizer.get_by_role("navigation", name="Main").get_by_role("link", name="Meetups").click()
    organizer.get_by_role("link", name="Call for talks and past talks").click()
    to_decide = organizer.get_by_role("region", name="Proposals to decide").get_by_role("table")
    expect(to_decide.locator("tbody tr")).to_have_count(1)
    expect(to_decide.locator("tbody tr td")).to_contain_text([TALK, "Mo Mentor SRE", "by Mo Mentor"])
    to_decide.get_by_role("link", name=TALK).click()
    assert organizer.url == proposal_url
    visit(organizer, proposal_url, screenshot="talk-to-decide")
    on_phone(phone, proposal_url, "talk-to-decide-phone")
    expect(organizer.get_by_role("heading", level=1)).to_have_text(f"{TALK} waiting for the organizers")
    expect(organizer.get_by_role("link", name=MODULE[1])).to_be_visible()
    decide = organizer.get_by_role("region", name="Decide")
    decide.get_by_label("Accept it into a meetup").check()
    expect(decide.get_by_label("Into the meetup")).to_be_visible()
    decide.get_by_label("Into the meetup").select_option(value=str(meetup_id))
    decide.get_by_role("button", name="Decide").click()
    expect(organizer.get_by_text("Decided: accepted. The proposer is told.")).to_be_visible()
    expect(organizer.get_by_role("heading", level=1)).to_have_text(f"{TALK} accepted")
    expect(organizer.locator(".page-header .lede").get_by_role("link", name=MEETUP)).to_be_visible()
    expect(organizer.get_by_text("Change the decision")).to_be_visible()  # folded away once decided

    # Tina opens the meetup from the list, sees the talk on its agenda and says she will come.
    tina_page = signed_in(browser, live_server, tina.email)
    tina_page.get_by_role("navigation", name="Main").get_by_role("link", name="Meetups").click()
    card = tina_page.get_by_role("region", name="Coming up").locator("article").filter(has_text=MEETUP)
    expect(card.get_by_role("link", name=TALK)).to_be_visible()
    card.get_by_role("link", name=MEETUP).click()
    assert tina_page.url == meetup_url
    tina_page.get_by_role("button", name="I will come").click()
    expect(tina_page.get_by_text("See you there: it is in your calendar feed.")).to_be_visible()
    expect(tina_page.get_by_text("You are coming")).to_be_visible()
    expect(tina_page.get_by_text("1 person is coming.")).to_be_visible()
    tina_page.context.close()

    # The meetup starts: a few minutes ago, still today where it is held, ending later today.
    move_meetup(people, meetup_id, starts_at=utcnow().replace(microsecond=0) - timedelta(minutes=5))

    visit(organizer, meetup_url, screenshot="meetup-started")
    on_phone(phone, meetup_url, "meetup-started-phone")
    for_organizers = organizer.get_by_role("region", name="For organizers")
    code = for_organizers.locator(".check-in-code").inner_text().strip()
    assert len(code) == 6, code
    expect(organizer.get_by_role("region", name="Agenda").get_by_role("link", name=TALK)).to_be_visible()
    for_organizers.get_by_role("link", name="Record who came").click()
    attendance_url = f"{meetup_url}/attendance"
    assert organizer.url == attendance_url
    visit(organizer, attendance_url, screenshot="attendance")
    on_phone(phone, attendance_url, "attendance-phone")
    organizer.get_by_label("Tina Trainee").check()
    organizer.get_by_role("button", name="Save who came").click()
    expect(organizer.get_by_text("Attendance saved: 1 person came.")).to_be_visible()

    check_in_by_keyboard(browser, live_server, "theo@example.com", meetup_url, code)

    visit(organizer, attendance_url, screenshot="attendance-after-check-in")
    expect(organizer.get_by_label("Tina Trainee")).to_be_checked()
    expect(organizer.get_by_label("Theo Trainee")).to_be_checked()
    expect(organizer.locator("label.check").filter(has_text="Theo Trainee")).to_contain_text(
        "checked in with the code · did not say they would come"
    )

    # Still going on: the figures count only meetups that have ended.
    visit(organizer, f"{live_server}/meetups/figures", screenshot="figures-before")
    expect(organizer.get_by_role("heading", name="No meetup has been held yet: plan one")).to_be_visible()

    # The meetup ends; the figures count it, its talk and both people who came.
    move_meetup(people, meetup_id, ends_at=utcnow().replace(microsecond=0) - timedelta(minutes=1))
    visit(organizer, f"{live_server}/meetups/figures", screenshot="figures")
    stats = organizer.get_by_role("list", name="The figures").get_by_role("listitem")
    expect(stats).to_have_text(["1 meetup held", "1 talk given", "1 speaker", "2 people came", "0 teams reached"])
    expect(organizer.get_by_text("0 of 1 speaker (0 %) were not SREs.")).to_be_visible()
    expect(organizer.get_by_text("2 people came to at least one meetup.")).to_be_visible()
    came = organizer.get_by_role("region", name="Who came")
    came.get_by_text("The numbers behind the chart").click()
    row = came.get_by_role("table", name="Talks given and people who came, meetup by meetup").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=MEETUP)).to_be_visible()
    expect(row.locator("td[data-label=Talks]")).to_have_text("1")
    expect(row.locator("td[data-label=Came]")).to_have_text("2")
    assert_accessible(organizer)  # again, with the table shown
    keep_screenshot(organizer, "figures-open")
    on_phone(phone, f"{live_server}/meetups/figures", "figures-phone")

    visit(organizer, meetup_url, screenshot="meetup-held")
    expect(organizer.get_by_role("heading", level=1)).to_have_text(f"{MEETUP} held")
    expect(organizer.get_by_text("This meetup is over: 2 people came.")).to_be_visible()
    for page in (organizer, phone):
        page.context.close()


def propose_by_keyboard(browser, live_server, email) -> str:
    """The mentor fills the call for talks' form with the keyboard alone: the title has the focus, Tab moves on,
    Space ticks "is an SRE", Enter opens the modules and sends the form. Returns the proposal's address."""
    page = signed_in(browser, live_server, email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Meetups").click()
    page.get_by_role("link", name="Propose a talk").first.click()
    visit(page, page.url, screenshot="talk-form")
    expect(page.get_by_label("Title", exact=True)).to_be_focused()
    page.keyboard.type(TALK)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Abstract")).to_be_focused()
    page.keyboard.type(ABSTRACT)
    page.keyboard.press("Tab")
    expect(page.locator("#speakers-0-email")).to_be_focused()
    expect(page.locator("#speakers-0-email")).to_have_value(email)  # themselves, already
    assert tab_until(page, "e.id === 'speakers-0-is_sre'") == 3  # past the guest's name and team
    page.keyboard.press("Space")
    expect(page.locator("#speakers-0-is_sre")).to_be_checked()
    assert tab_until(page, "e.tagName === 'SUMMARY'") == 9  # past the two empty speaker rows
    expect(page.locator(":focus")).to_have_text("Choose modules")
    page.keyboard.press("Enter")
    expect(page.get_by_label(MODULE[1])).to_be_visible()
    tab_until(page, f"e.value === '{MODULE[0]}'", limit=200)
    page.keyboard.press("Space")
    expect(page.get_by_label(MODULE[1])).to_be_checked()
    tab_until(page, "e.id === 'slides_url'", limit=200)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send the proposal")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your proposal is sent")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{TALK} waiting for the organizers")
    speakers = page.locator("ul.speakers li")
    expect(speakers).to_have_count(1)
    expect(speakers).to_contain_text("Mo Mentor")
    expect(speakers).to_contain_text("SRE")
    expect(page.get_by_role("region", name="Abstract")).to_contain_text("changed what the product team ships")
    expect(page.get_by_role("region", name="In the curriculum").get_by_role("link")).to_have_text(MODULE[1])
    url = page.url
    page.context.close()
    return url


def plan_later_today(page) -> str:
    """The organizer plans the meetup through the form: today where it is about midday, from an hour from now for
    two hours and a half. Returns the meetup's address."""
    zone = midday_zone(utcnow())
    local = utcnow().astimezone(ZoneInfo(zone))
    starts, ends = local + timedelta(hours=1), local + timedelta(hours=2, minutes=30)
    assert starts.date() == ends.date() == local.date()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Meetups").click()
    page.get_by_role("link", name="Plan a meetup").first.click()
    visit(page, page.url, screenshot="meetup-form")
    page.get_by_label("Title", exact=True).fill(MEETUP)
    page.get_by_label("Date").fill(local.date().isoformat())
    page.get_by_label("Starts at").fill(f"{starts:%H:%M}")
    page.get_by_label("Ends at").fill(f"{ends:%H:%M}")
    page.get_by_label("Time zone").select_option(value=zone)
    page.get_by_label("Place (optional").fill("Auditorium 2, Building B")
    page.get_by_role("button", name="Plan the meetup").click()
    expect(page.get_by_text("The meetup is planned.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(MEETUP)
    expect(page.get_by_text(f"({zone})")).to_be_visible()
    return page.url


def check_in_by_keyboard(browser, live_server, email, meetup_url, code) -> None:
    """Theo, who never said he would come, opens the meetup from the list and types the code; Enter checks in."""
    page = signed_in(browser, live_server, email)
    page.goto(f"{live_server}/meetups")
    page.get_by_role("region", name="Coming up").get_by_role("link", name=MEETUP).click()
    assert page.url == meetup_url
    visit(page, meetup_url, screenshot="meetup-to-check-in")
    field = page.get_by_label("The code shown at the meetup")
    field.focus()
    page.keyboard.type(code.lower())  # as typed from a slide, lower case
    page.keyboard.press("Enter")
    expect(page.get_by_text("You are checked in. Welcome!")).to_be_visible()
    expect(page.get_by_text("You came")).to_be_visible()
    expect(page.get_by_label("The code shown at the meetup")).to_have_count(0)
    page.context.close()
