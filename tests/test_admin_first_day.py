"""An admin's first day on a new installation: the navigation leads to every page policy lets an admin see, and
every empty page says what to do next, with a link to do it (never "ask an administrator")."""

import re

import pytest

from tests.conftest import sign_in

EMPTY_PAGES = [
    "/cohorts",
    "/reviews",
    "/notifications",
    "/admin/cohorts",
    "/admin/users?q=nobody-at-all",
    "/admin/audit?actor=nobody-at-all",
]


@pytest.fixture
def admin(app, people):
    people.user("ann@example.com", "admin", name="Ann Admin")
    client = app.test_client()
    assert sign_in(client, "ann@example.com").status_code == 302
    return client


def empty_state(html: str) -> str:
    found = re.search(r'<div class="empty-state">(.*?)</div>', html, re.S)
    assert found, "the page has no empty state"
    return found.group(1)


def test_the_main_navigation_leads_an_admin_to_the_review_queue_and_the_dashboards(admin):
    html = admin.get("/admin/").get_data(as_text=True)
    main = re.search(r'<nav class="site-nav" aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    assert 'href="/reviews"' in main and 'href="/cohorts"' in main
    sub = re.search(r'<nav class="subnav" aria-label="Administration">(.*?)</nav>', html, re.S).group(1)
    assert 'href="/reviews"' not in sub and 'href="/cohorts"' not in sub  # once is enough: the tabs fit a phone


def test_the_overview_of_an_empty_installation_says_how_to_start(admin):
    html = admin.get("/admin/").get_data(as_text=True)
    assert "Getting started" in html and 'href="/admin/cohorts/new"' in html
    assert "import many at once from a CSV file" in html
    assert '<span class="stat-n">1</span> <span>person</span>' in html  # not "1 people"


@pytest.mark.parametrize("url", EMPTY_PAGES)
def test_every_empty_page_an_admin_meets_says_what_to_do_with_a_link(admin, url):
    response = admin.get(url)
    assert response.status_code == 200
    state = empty_state(response.get_data(as_text=True))
    assert "administrator" not in state.lower()
    assert re.search(r'<a [^>]*href="/[^"]*"', state), f"{url}: the empty state has no link: {state}"
