"""Search across the curriculum: titles, headings and text, with results that open the right section."""

import re
from html import escape

import pytest

from academy.curriculum.search import snippet
from academy.curriculum.store import catalogue
from tests.test_labs import active_content, page


@pytest.fixture
def reader(as_role):
    return as_role("trainee")


@pytest.fixture
def cat(app):
    with app.app_context():
        return catalogue()


def result_links(html: str) -> list[str]:
    """The href of every result, in order."""
    listing = html[html.index('<ol class="search-results">') :]
    return re.findall(r'<li><a href="([^"]+)">', listing[: listing.index("</ol>")])


def search(client, query: str) -> str:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_module_is_found_by_its_title(reader, cat):
    module = cat.get("linux-shell") or cat.ordered_modules()[0]

    html = search(reader, module.title)

    links = result_links(html)
    assert links and all(link.startswith(f"/modules/{module.id}") for link in links[:3])
    assert f"{escape(module.title)} › " in html


def test_a_heading_is_found_and_the_result_opens_its_section(reader, cat):
    module = cat.ordered_modules()[0]
    section = next(s for s in module.sections if s.anchor and len(s.heading.split()) >= 3)

    html = search(reader, section.heading)

    assert result_links(html)[0] == f"/modules/{module.id}#{section.anchor}"
    assert f"{escape(module.title)} › {escape(section.heading)}</a>" in html


def test_words_in_the_text_are_found_and_marked_in_the_snippet(reader, cat):
    """A long word that appears in the text of one section only, not in any title or heading."""
    everywhere = " ".join(f"{m.title} {s.heading} {s.text}" for m in cat.ordered_modules() for s in m.sections).lower()
    module, section, word = next(
        (m, s, w)
        for m in cat.ordered_modules()
        for s in m.sections
        if s.anchor
        for w in re.findall(r"\b[a-z]{10,}\b", s.text)
        if everywhere.count(w) == 1
    )

    html = search(reader, word)

    assert result_links(html) == [f"/modules/{module.id}#{section.anchor}"]
    assert f"<mark>{word}</mark>" in html.lower()
    assert "1 place found." in html


def test_every_word_of_the_query_must_match(reader, cat):
    module = cat.ordered_modules()[0]
    html = search(reader, f"{module.title.split()[-1]} xylophonequartz")
    assert "Nothing found" in html
    assert 'class="search-results"' not in html


def test_html_in_the_query_is_shown_as_text(reader):
    query = '"><script>alert(1)</script><img src=x onerror=alert(2)>'

    html = search(reader, query)

    assert active_content(html) == []
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"' in html


def test_html_in_a_query_that_finds_something_stays_text(reader, cat):
    module = cat.ordered_modules()[0]
    word = module.title.split()[-1]
    html = search(reader, f"<b>{word}</b>")

    assert active_content(html) == []
    assert f"<b>{word}</b>" not in html
    assert result_links(html)


def test_snippets_escape_the_curriculum_text_and_mark_only_the_terms():
    text = "Run <script>alert(1)</script> then check `2>&1` in the shell."
    marked = str(snippet(text, ["shell"]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in marked
    assert "2&gt;&amp;1" in marked
    assert marked.count("<mark>") == 1 and "<mark>shell</mark>" in marked


def test_an_empty_query_shows_only_the_form(reader):
    html = page(reader, "/search?q=+")
    assert 'role="search"' in html
    assert "Nothing found" not in html and 'class="search-results"' not in html


def test_search_needs_sign_in(app):
    response = app.test_client().get("/search?q=shell")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_snippets_are_plain_text_not_markdown(reader, cat):
    """Bold, links and line breaks of the source never reach a snippet; the words do."""
    html = search(reader, "52 seconds")
    listing = html[html.index('<ol class="search-results">') :]
    assert "<mark>52</mark> <mark>seconds</mark>" in listing and "**<mark>" not in listing
    for section in (s for m in cat.ordered_modules() for s in m.sections):
        assert not re.search(r"\]\((https?:|\.\./)|\n", section.text), section.heading
        assert "`" not in section.heading, section.heading
