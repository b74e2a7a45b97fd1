"""Every main page of every role, in the demo academy (people, history and text in the amounts a new user meets),
at a desktop's width and a phone's. `visit` checks each page with axe-core, keeps a screenshot of it and keeps
its HTML for the Nu validator; on the phone each page must also fit: nothing scrolls sideways, the navigation
takes one row until it is opened, and table cells are neither cut off nor squeezed into a narrow column."""

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from academy.curriculum.loader import learning_order
from academy.curriculum.store import catalogue
from academy.demo import FINISHED, PASSWORD, load_demo
from academy.models import (
    Cohort,
    Credential,
    LabAttempt,
    Meetup,
    PracticeEntry,
    QuizAttempt,
    ReadinessRequest,
    SurveyRound,
    Talk,
    User,
    utcnow,
)
from tests.e2e.conftest import assert_accessible, keep_screenshot, phone_problems, sign_in_as, visit

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
ACCOUNTS = {
    "trainee": "trainee@example.com",
    "mentor": "mentor@example.com",
    "manager": "manager@example.com",
    "admin": "admin@example.com",
    "organizer": "organizer@example.com",  # runs the Reliability Meetup
}


def demo_pages(app) -> dict[str, list[str]]:
    """Load the demo academy; each role's main pages in it."""
    with app.test_request_context(), Session(app.extensions["academy.engine"]) as s:
        load_demo(session=s, catalogue=catalogue(), today=date.today())
        s.commit()
        user = {u.email: u.id for u in s.exec(select(User))}
        cohort = {c.name: c.id for c in s.exec(select(Cohort))}
        busy = user["trainee2@example.com"]  # 14 modules done, a lab waiting: the longest timeline and path
        waiting = s.exec(
            select(LabAttempt).where(LabAttempt.status == "submitted", LabAttempt.trainee_id == busy)
        ).one()
        quiz = s.exec(select(QuizAttempt).where(QuizAttempt.trainee_id == user["trainee@example.com"])).first()
        next_module = learning_order(catalogue())[FINISHED[1]]  # its knowledge check and lab forms, open
        entry = s.exec(select(PracticeEntry).where(PracticeEntry.status == "submitted")).one()  # trainee12's
        review = s.exec(select(ReadinessRequest).where(ReadinessRequest.status == "pending")).one()  # trainee11's
        credential = s.exec(select(Credential)).one()  # trainee10's
        drill = catalogue().practicum.scenarios[0].id
        rounds = s.exec(select(SurveyRound).order_by(SurveyRound.closes_on)).all()  # a year ago, six months, open
        now = utcnow()
        coming = s.exec(select(Meetup).where(Meetup.starts_at > now).order_by(Meetup.starts_at)).first()  # replies
        held = s.exec(select(Meetup).where(Meetup.ends_at <= now).order_by(Meetup.starts_at.desc())).first()
        given = s.exec(select(Talk).where(Talk.meetup_id == held.id).order_by(Talk.position)).first()  # slides
        proposal = s.exec(select(Talk).where(Talk.state == "proposed")).one()  # the mentor's, waiting
    berlin, lisbon, dublin = cohort["Berlin autumn 2026"], cohort["Lisbon winter 2026"], cohort["Dublin spring 2026"]
    return {
        "trainee": [
            "/learn",
            "/catalogue",
            "/modules/linux-shell",
            f"/modules/{next_module.id}",
            f"/quiz-attempts/{quiz.id}",
            "/search?q=burn+rate",
            "/notifications",
            "/account",
            f"/trainees/{user['trainee@example.com']}/progress",
            "/practicum",
            "/surveys",
            f"/surveys/{rounds[-1].id}/answer",  # the open round, not answered yet
            "/meetups",
            f"/meetups/{coming.id}",  # the trainee said they will come
            "/meetups/talks",
            f"/meetups/talks/{given.id}",
            "/meetups/talks/new",
            "/meetups/calendar",
            "/meetups/figures",
        ],
        "mentor": [
            "/reviews",
            f"/reviews/{waiting.id}",
            f"/trainees/{busy}",
            f"/trainees/{busy}/progress",
            f"/practicum/entries/{entry.id}",
            "/practicum/drills",
            f"/practicum/drills/{drill}",
            f"/readiness/requests/{review.id}",
            f"/meetups/talks/{proposal.id}",  # their own proposal, waiting for the organizer
        ],
        "manager": [
            "/cohorts",
            f"/cohorts/{berlin}",
            f"/cohorts/{lisbon}?sort=progress",
            f"/cohorts/{dublin}",
            f"/trainees/{busy}",
            f"/trainees/{review.trainee_id}",
            f"/readiness/requests/{review.id}",
            f"/credentials/{credential.public_id}",
            "/surveys",
            "/surveys/new",
            f"/surveys/{rounds[0].id}",  # the seed sheet
            f"/surveys/{rounds[1].id}",  # two struck through, trends
            f"/surveys/{rounds[-1].id}",  # open
            f"/surveys/{rounds[-1].id}/edit",  # answered: pain points locked
        ],
        "admin": [
            "/admin/",
            "/admin/users",
            "/admin/users/new",
            f"/admin/users/{busy}",
            "/admin/cohorts",
            "/admin/cohorts/new",
            f"/admin/cohorts/{berlin}",
            f"/admin/cohorts/{berlin}/import",
            "/admin/audit",
            "/admin/credentials",
            "/admin/provisioning",
            "/surveys",
            "/api/docs",
            "/modules/no-such-module",
        ],
        "organizer": [
            "/meetups",
            f"/meetups/{coming.id}",  # the check-in code for the screen, the organizer's links
            f"/meetups/{held.id}/attendance",
            "/meetups/talks",  # the proposals to decide
            f"/meetups/talks/{proposal.id}",  # the decision form
            "/meetups/new",
            "/meetups/figures",
        ],
    }


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_every_main_page(app, live_server, browser, role, width):
    pages = demo_pages(app)[role]
    context = browser.new_context(viewport=WIDTHS[width], is_mobile=width == "phone")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in_as(page, live_server, ACCOUNTS[role], PASSWORD)
    problems = []
    for path in pages:
        visit(page, f"{live_server}{path}")
        if width == "phone":
            problems += [f"{path}: {p}" for p in phone_problems(page)]
    context.close()
    assert not problems, "\n".join(problems)


def test_phone_menu_opens_and_closes(app, live_server, browser):
    """Collapsed to one "Menu" button on a phone; opened, every link is there; Escape closes it again. On a
    desktop there is no menu button: the links are all in view."""
    demo_pages(app)
    phone = browser.new_context(viewport=WIDTHS["phone"], is_mobile=True).new_page()
    sign_in_as(phone, live_server, "mentor2@example.com", PASSWORD)  # a mentor and a manager: a long menu
    visit(phone, f"{live_server}/reviews")
    nav = phone.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Catalogue")).to_be_hidden()
    phone.get_by_text("Menu", exact=True).click()
    for name in ("Review queue", "Cohorts", "Catalogue", "Search", "Notifications", "Account"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    assert_accessible(phone)
    keep_screenshot(phone, "menu-open")
    phone.keyboard.press("Escape")
    expect(nav.get_by_role("link", name="Catalogue")).to_be_hidden()
    expect(phone.get_by_text("Menu", exact=True)).to_be_focused()

    desktop = browser.new_context(viewport=WIDTHS["desktop"]).new_page()
    sign_in_as(desktop, live_server, "mentor2@example.com", PASSWORD)
    expect(desktop.get_by_text("Menu", exact=True)).to_be_hidden()
    expect(desktop.get_by_role("navigation", name="Main").get_by_role("link", name="Catalogue")).to_be_visible()
    phone.context.close()
    desktop.context.close()
