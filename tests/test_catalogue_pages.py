"""The catalogue and module pages, and a catalogue that keeps serving when one file is broken."""

import logging

import pytest

from academy.curriculum.store import catalogue
from tests.conftest import make_app, sign_in
from tests.curriculum_factory import module_text, write_curriculum


@pytest.fixture
def client(app, people):
    people.user("reader@example.com", "trainee")
    client = app.test_client()
    sign_in(client, "reader@example.com")
    return client


def test_catalogue_needs_sign_in(app):
    response = app.test_client().get("/catalogue")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_catalogue_lists_every_track_and_module_with_its_time(app, client):
    html = client.get("/catalogue").get_data(as_text=True)
    with app.app_context():
        cat = catalogue()
        for track in cat.tracks:
            assert track.title in html
        for module in cat.modules.values():
            assert f'href="/modules/{module.id}"' in html
    assert "min" in html


def test_module_page_shows_content_toc_and_prerequisites(app, client):
    with app.app_context():
        module = next(m for m in catalogue().modules.values() if m.prerequisites and m.toc)
        prerequisite = catalogue().get(module.prerequisites[0])
    html = client.get(f"/modules/{module.id}").get_data(as_text=True)
    assert module.title in html
    assert f'href="#{module.toc[0].anchor}"' in html
    assert f'href="/modules/{prerequisite.id}"' in html
    assert 'href="/catalogue"' in html  # a way back
    toc = html.split('<aside class="toc"', 1)[1]
    assert "<details>" in toc.split("</summary>", 1)[0]  # folded as drawn: academy.js opens it beside the text only


def test_unknown_module_is_a_friendly_404(client):
    response = client.get("/modules/no-such-module")
    assert response.status_code == 404
    assert "no module with that name" in response.get_data(as_text=True)


def test_broken_module_is_left_out_and_the_rest_served(migrated, tmp_path, caplog):
    write_curriculum(
        tmp_path,
        {
            "01-good.md": module_text("good"),
            "02-broken.md": module_text("broken", order=2).replace("estimated_minutes: 30", "estimated_minutes: -5"),
            "03-fine.md": module_text("fine", order=3, prerequisites="[good]"),
        },
    )
    with caplog.at_level(logging.ERROR, logger="academy.curriculum.loader"):
        client = signed_in_client(make_app(migrated, CURRICULUM_DIR=str(tmp_path)))
    assert "basics/02-broken.md:7: estimated_minutes" in caplog.text
    page = client.get("/catalogue").get_data(as_text=True)
    assert "Module good" in page and "Module fine" in page and "Module broken" not in page
    assert client.get("/modules/fine").status_code == 200
    assert client.get("/modules/broken").status_code == 404
    assert client.get("/readyz").status_code == 200


def test_changed_file_is_picked_up_in_watch_mode_and_a_broken_edit_keeps_the_last_good(migrated, tmp_path):
    root = write_curriculum(tmp_path, {"01-a.md": module_text("a", body="## Intro\n\nFirst version.\n")})
    app = make_app(migrated, CURRICULUM_DIR=str(root), CURRICULUM_WATCH=True)
    store = app.extensions["academy.catalogue"]
    client = signed_in_client(app)
    assert "First version." in client.get("/modules/a").get_data(as_text=True)

    (root / "basics" / "01-a.md").write_text(module_text("a", body="## Intro\n\nSecond version.\n"))
    store._checked_at = 0  # skip the one-second pause between checks
    assert "Second version." in client.get("/modules/a").get_data(as_text=True)

    (root / "basics" / "01-a.md").write_text("---\nid: a\ntitle: [broken\n---\nThird version.\n")
    store._checked_at = 0
    page = client.get("/modules/a")
    assert page.status_code == 200 and "Second version." in page.get_data(as_text=True)


def test_rendered_html_is_cached_not_rendered_per_request(app, client, monkeypatch):
    import academy.curriculum.loader as loader

    calls = []
    monkeypatch.setattr(loader, "render_document", lambda *a, **k: calls.append(a))
    with app.app_context():
        module_id = next(iter(catalogue().modules))
    for _ in range(3):
        assert client.get(f"/modules/{module_id}").status_code == 200
    assert calls == []


def signed_in_client(app):
    from tests.conftest import People, empty_tables

    empty_tables(app.extensions["academy.engine"])
    People(app).user("reader@example.com", "trainee")
    client = app.test_client()
    sign_in(client, "reader@example.com")
    return client


def test_a_labs_summary_reads_as_markdown_on_its_module_page(as_role, app):
    from academy.curriculum.render import render_inline

    assert str(render_inline("see *Lab material* and `jq`")) == "see <em>Lab material</em> and <code>jq</code>"
    page = as_role("mentor").get("/modules/incident-roles").get_data(as_text=True)
    assert "<em>Lab material</em>" in page and "*Lab material*" not in page
