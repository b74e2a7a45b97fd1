"""Text compression (Lighthouse found none) and the page description every page carries."""

import gzip
import re

import pytest

GZIP = {"Accept-Encoding": "gzip"}


def gunzipped(response) -> bytes:
    assert response.headers.get("Content-Encoding") == "gzip", dict(response.headers)
    assert "Accept-Encoding" in response.headers.get("Vary", "")
    return gzip.decompress(response.get_data())


def test_a_page_is_gzipped_for_a_browser_that_asks(as_role):
    client = as_role("trainee")
    plain = client.get("/catalogue")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers  # not asked: not compressed
    packed = client.get("/catalogue", headers=GZIP)
    assert packed.status_code == 200
    assert gunzipped(packed) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data()) / 3


def test_the_sign_in_page_is_gzipped_too(client):
    assert b"<h1>Sign in</h1>" in gunzipped(client.get("/login", headers=GZIP))


@pytest.mark.parametrize("path", ["/static/academy.css", "/static/academy.js", "/static/pygments.css"])
def test_stylesheets_and_scripts_are_gzipped(client, path):
    plain = client.get(path)
    packed = client.get(path, headers=GZIP)
    assert packed.status_code == 200
    assert gunzipped(packed) == plain.get_data()
    plain.close()
    packed.close()


def test_json_and_csv_are_gzipped(app, as_role, academy):
    client = as_role("manager")
    csv_text = gunzipped(client.get(f"/cohorts/{academy.cohort.id}/progress.csv", headers=GZIP))
    assert csv_text.decode("utf-8-sig").startswith('"cohort","trainee"')
    spec = gunzipped(client.get("/api/v1/openapi.json", headers=GZIP))
    assert spec.startswith(b"{")


def test_brotli_when_the_browser_prefers_it(client):
    response = client.get("/login", headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br"


def test_every_page_has_a_description(client, as_role):
    for page in (client.get("/login"), as_role("trainee").get("/learn"), as_role("admin").get("/admin/")):
        html = page.get_data(as_text=True)
        description = re.search(r'<meta name="description" content="([^"]+)">', html)
        assert description and len(description.group(1)) > 50, html[:400]


def test_a_module_page_is_described_by_its_summary(as_role, app):
    from academy.curriculum.store import catalogue

    with app.app_context():
        module = next(m for m in catalogue().modules.values() if m.summary)
    html = as_role("trainee").get(f"/modules/{module.id}").get_data(as_text=True)
    assert f'<meta name="description" content="{module.summary}">' in html.replace("&#39;", "'").replace("&#34;", '"')
