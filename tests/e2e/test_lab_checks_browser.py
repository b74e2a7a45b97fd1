"""Lab checks from end to end: the trainee makes a lab token on their account page, academy-lab checks and submits
from the lab machine, and the mentor reads the results, each check's output one click away, and sends it back.
Every page at 1280 and 390 px, checked with axe."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import keep_screenshot, phone_problems, sign_in_as, visit
from tests.labchecks_factory import checked_app
from tests.test_academy_lab_live import tool

LAB = "check-demo-lab"


@pytest.fixture
def app(migrated, tmp_path):
    with checked_app(migrated, tmp_path / "curriculum", WTF_CSRF_ENABLED=True) as app:
        yield app


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def width(request):
    return request.param


def test_a_lab_checked_on_the_lab_machine_reaches_the_mentor(live_server, browser, people, width, tmp_path):
    trainee = people.user("tess@example.com", "trainee", name="Tess Trainee")
    mentor = people.user("marco@example.com", "mentor", name="Marco Mentor")
    people.cohort("Dublin 2027", trainees=[trainee], mentors=[mentor])
    tess = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_as(tess, live_server, "tess@example.com")

    visit(tess, f"{live_server}/modules/check-demo")
    tess.get_by_text("3 checks you can run on your lab machine").click()
    expect(tess.get_by_text("academy-lab check check-demo-lab")).to_be_visible()
    tess.get_by_role("link", name="How to install academy-lab").click()
    expect(tess.get_by_role("heading", name="Check your labs with academy-lab")).to_be_visible()
    visit(tess, tess.url, screenshot="lab-tool")
    if width == 390:
        assert phone_problems(tess) == []
    tess.get_by_role("link", name="your account page").click()
    tess.get_by_label("Token name").fill("lab VM")
    tess.get_by_label("Lab checks and submissions").check()
    tess.get_by_role("button", name="Create token").click()
    token = tess.get_by_label("New token").input_value()
    expect(tess.get_by_role("row").filter(has_text="lab VM")).to_contain_text("lab checks and submissions")

    home = tmp_path / "lab-machine"
    assert tool("login", live_server, "--token-stdin", home=home, stdin=token).returncode == 0
    check = tool("check", LAB, "--yes", home=home)
    assert check.returncode == 1 and "1 of 3 checks passed" in check.stdout
    submitted = tool("submit", LAB, "--note", "Ran it on my VM.", home=home)  # approved once: no question now
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr

    marco = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_as(marco, live_server, "marco@example.com")
    visit(marco, f"{live_server}/reviews", screenshot="queue-with-checks")
    row = marco.get_by_role("row").filter(has_text="Check demo lab")
    expect(row).to_contain_text("1 of 3 passed")
    marco.get_by_label("All lab checks passed").check()
    marco.get_by_role("button", name="Filter").click()
    expect(marco.get_by_text("Nothing matches these filters.")).to_be_visible()
    marco.get_by_role("link", name="Show every submission").click()
    marco.get_by_role("link", name="Check demo lab").click()
    expect(marco.get_by_role("heading", name="Checks: 1 of 3 passed")).to_be_visible()
    expect(marco.get_by_text("reported by the trainee's own machine")).to_be_visible()
    greets = marco.get_by_text("The machine greets")
    greets.focus()
    marco.keyboard.press("Enter")  # a check's output opens from the keyboard
    expect(marco.get_by_label("Output of The machine greets")).to_contain_text("hello from the lab")
    visit(marco, marco.url, screenshot="review-with-checks")
    marco.get_by_text("The machine greets").click()
    expect(marco.get_by_label("Output of The machine greets")).to_be_visible()
    keep_screenshot(marco, "review-with-an-open-check")
    if width == 390:
        assert phone_problems(marco) == []
    marco.get_by_label("Comment").fill("The file check fails: create it as step 2 says.")
    marco.get_by_role("button", name="Request changes").click()
    expect(marco.get_by_text("is sent back with your comment")).to_be_visible()
