"""Ids beyond the database's integer range in a URL answer 404, on every route that takes one: never a 500
from SQLite's 64-bit limit or PostgreSQL's 32-bit integer columns."""

import re

import pytest

from tests.test_api import token_for  # noqa: F401  (a fixture)

HUGE = [2**31, 2**63, 10**30]


def id_routes(app, *, api: bool):
    """(method, URL template) of every route with an <int:...> part, the other parts filled with a plain word."""
    found = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule or rule.rule.startswith("/api/") != api:
            continue
        template = re.sub(r"<int:\w+>", "{id}", rule.rule)
        template = re.sub(r"<(?:\w+:)?\w+>", "linux-shell", template)
        found += [(method, template) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_the_app_has_id_routes_to_check(app):
    pages, api = id_routes(app, api=False), id_routes(app, api=True)
    assert len(pages) > 20 and ("GET", "/admin/users/{id}") in pages
    assert ("POST", "/api/v1/reviews/{id}/decision") in api and ("GET", "/api/v1/cohorts/{id}/progress") in api


@pytest.mark.parametrize("huge", HUGE)
def test_an_id_out_of_range_in_a_page_url_answers_404(app, as_role, huge):
    admin = as_role("admin")
    answers = {
        (method, template): getattr(admin, method.lower())(template.format(id=huge)).status_code
        for method, template in id_routes(app, api=False)
    }
    assert {route: status for route, status in answers.items() if status != 404} == {}


@pytest.mark.parametrize("huge", HUGE)
def test_an_id_out_of_range_in_an_api_url_answers_404_in_the_api_shape(app, client, token_for, huge):  # noqa: F811
    headers = {"Authorization": f"Bearer {token_for('admin')}"}
    for method, template in id_routes(app, api=True):
        body = {"outcome": "approved"} if method == "POST" else None
        response = getattr(client, method.lower())(template.format(id=huge), headers=headers, json=body)
        assert response.status_code == 404, (method, template, response.get_data(as_text=True)[:300])
        assert set(response.get_json()) == {"error", "detail"}


def test_the_largest_id_in_range_is_still_looked_up(as_role, academy):
    admin = as_role("admin")
    assert admin.get(f"/admin/users/{2**31 - 1}").status_code == 404
    assert admin.get(f"/admin/users/{academy.trainee.id}").status_code == 200
