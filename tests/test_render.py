"""Markdown rendering: the plugins we promise, and nothing unsafe ever reaching a page."""

from html.parser import HTMLParser

import pytest

from academy.curriculum.render import is_safe_url, render_document, render_text

HOSTILE_LINKS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[x](file:///etc/passwd)",
]


class UrlCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("href", "src")]


def urls_in(html: str) -> list[str]:
    collector = UrlCollector()
    collector.feed(html)
    return collector.urls


@pytest.mark.parametrize("markdown", HOSTILE_LINKS)
def test_hostile_links_never_become_links(markdown):
    urls = urls_in(render_text(markdown))
    assert all(
        is_safe_url(url) and not url.lower().lstrip().startswith(("java", "vb", "data", "file")) for url in urls
    ), urls


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<div onclick=alert(1)>hi</div>",
        "<svg><script>alert(1)</script></svg>",
        "para <b onmouseover=alert(1)>bold</b>",
    ],
)
def test_raw_html_is_escaped(markdown):
    html = render_text(markdown)
    assert "<script" not in html and "<img" not in html and "<div" not in html and "<svg" not in html
    assert "<b " not in html
    assert "&lt;" in html


def test_safe_links_survive():
    html = render_text("[a](https://prometheus.io/docs/) [b](mailto:sre@example.com) [c](/catalogue) [d](#top)")
    assert 'href="https://prometheus.io/docs/"' in html
    assert 'href="mailto:sre@example.com"' in html
    assert 'href="/catalogue"' in html and 'href="#top"' in html


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://x.example", True),
        ("http://x", True),
        ("mailto:a@b", True),
        ("../a.md", True),
        ("#s", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:x", False),
        ("data:text/html,x", False),
        ("ftp://x", False),
    ],
)
def test_url_rule(url, safe):
    assert is_safe_url(url) is safe


def test_tables_strikethrough_tasklists_admonitions_and_anchors():
    html, toc = render_document(
        "## First part\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n- [ ] to do\n\n"
        '!!! warning "Careful"\n    This deletes data.\n\n### A detail\n'
    )
    assert "<table>" in html and "<td>1</td>" in html
    assert "<s>old</s>" in html
    assert 'type="checkbox"' in html and "checked" in html
    assert '<label><input class="task-list-item-checkbox"' in html  # a checkbox with its words as the label
    assert 'class="admonition warning"' in html and "Careful" in html
    assert [(h.level, h.anchor, h.text) for h in toc] == [(2, "first-part", "First part"), (3, "a-detail", "A detail")]
    assert '<h2 id="first-part">' in html


def test_code_is_highlighted_on_the_server():
    html, _ = render_document("```python\nimport os\n```\n\n```nosuchlang\n<b>x</b>\n```\n")
    assert '<pre class="highlight" tabindex="0" data-lang="python">' in html
    assert '<span class="kn">import</span>' in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html  # unknown languages are escaped text


def test_links_between_modules_become_module_pages():
    html, _ = render_document(
        "[dns](../foundations/04-networking.md#dns) [x](missing.md)",
        source_path="slos/01-x.md",
        module_ids={"foundations/04-networking.md": "networking"},
    )
    assert 'href="/modules/networking#dns"' in html
    assert 'href="missing.md"' in html
