"""The admin's first day: a cohort, an invited trainee, and that trainee's first sign-in."""

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as, visit


def test_admin_creates_cohort_invites_trainee_who_signs_in(live_server, page, browser, people):
    people.user("admin@example.com", "admin", name="Ada Admin")
    people.user("mentor@example.com", "mentor", name="Marco Mentor")
    sign_in_as(page, live_server, "admin@example.com")
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    visit(page, page.url, screenshot="admin-home")

    page.get_by_role("link", name="Create a cohort").first.click()
    visit(page, page.url)
    page.get_by_label("Name").fill("Dublin spring 2027")
    page.get_by_label("Start date").fill("2027-03-01")
    page.get_by_label("Planned end date").fill("2027-02-01")  # a mistake: before the start
    page.get_by_role("button", name="Create cohort").click()
    expect(page.get_by_text("The planned end must be on or after the start.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Dublin spring 2027")  # what was typed is kept
    page.get_by_label("Planned end date").fill("2027-08-31")
    page.get_by_role("button", name="Create cohort").click()
    expect(page.get_by_role("heading", name="Dublin spring 2027", level=1)).to_be_visible()

    page.get_by_label("Email").fill("mentor@example.com")
    page.get_by_label("Role in the cohort").select_option("mentor")
    page.get_by_role("button", name="Add to cohort").click()
    expect(page.get_by_text("Marco Mentor is now a mentor of Dublin spring 2027.")).to_be_visible()

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Invite a person").first.click()
    page.get_by_label("Name").fill("Tess Trainee")
    page.get_by_label("Email").fill("  Tess@Example.com ")
    page.get_by_label("Trainee").check()
    page.get_by_role("button", name="Create and get the link").click()
    link = page.get_by_label("One-time link").input_value()
    assert "/welcome/" in link
    visit(page, page.url, screenshot="invitation-link")

    page.goto(f"{live_server}/admin/cohorts")
    page.get_by_role("link", name="Dublin spring 2027").click()
    page.get_by_label("Email").fill("tess@example.com")
    page.get_by_label("Role in the cohort").select_option("trainee")
    page.get_by_label("Mentor (for a trainee)").select_option(label="Marco Mentor")
    page.get_by_role("button", name="Add to cohort").click()
    expect(page.get_by_text("Tess Trainee is now a trainee of Dublin spring 2027.")).to_be_visible()
    visit(page, page.url, screenshot="admin-cohort")

    trainee = browser.new_context().new_page()
    visit(trainee, link)
    expect(trainee.get_by_role("heading", name="Welcome, Tess Trainee")).to_be_visible()
    trainee.get_by_label("New password", exact=True).fill("lighthouse pancake orbit")
    trainee.get_by_label("Repeat the new password").fill("lighthouse pancake orbit")
    trainee.get_by_role("button", name="Set password").click()
    expect(trainee.get_by_text("Your password is set.")).to_be_visible()

    sign_in_as(trainee, live_server, "tess@example.com", "lighthouse pancake orbit")
    expect(trainee.get_by_role("heading", name="Your learning path", level=1)).to_be_visible()
    expect(trainee.get_by_text("Dublin spring 2027")).to_be_visible()
    visit(trainee, trainee.url, screenshot="learning-path")

    visit(trainee, link)  # the link worked once
    expect(trainee.get_by_role("heading", name="This link cannot be used")).to_be_visible()
