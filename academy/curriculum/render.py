"""Markdown to safe HTML: markdown-it-py with the plugins the curriculum format promises.

Raw HTML is off (the js-default preset), links keep only http, https, mailto and relative targets,
and relative links to other module files become links to their module pages.
"""

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_FORMATTER = HtmlFormatter(nowrap=True)


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str


def is_safe_url(url: str) -> bool:
    """True for http(s), mailto and scheme-less (relative) URLs; every other scheme is refused."""
    match = _SCHEME.match(unquote(url).strip())
    return match is None or match.group(1).lower() in SAFE_SCHEMES


def split_link(href: str) -> tuple[str, str]:
    """A relative href as (path, fragment); the fragment without its '#'."""
    path, _, fragment = href.partition("#")
    return path, fragment


def resolve_module_link(source_path: str, href: str) -> tuple[str, str] | None:
    """The curriculum-relative file a relative `.md` link points at, with its fragment, or None."""
    if _SCHEME.match(href) or href.startswith(("/", "#")):
        return None
    path, fragment = split_link(href)
    if not path.endswith(".md"):
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(source_path), unquote(path)))
    return target, fragment


def _highlight(code: str, lang: str, _attrs) -> str:
    try:
        lexer = get_lexer_by_name(lang) if lang else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    label = f' data-lang="{escape(lang)}"' if lang else ""
    return f'<pre class="highlight" tabindex="0"{label}><code>{highlight(code, lexer, _FORMATTER)}</code></pre>\n'


def _render_link_open(self, tokens: list[Token], idx: int, options, env) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    resolved = resolve_module_link(env.get("source_path", ""), href)
    if resolved:
        target, fragment = resolved
        module_id = env.get("module_ids", {}).get(target)
        if module_id:
            token.attrSet("href", f"/modules/{module_id}" + (f"#{fragment}" if fragment else ""))
    elif _SCHEME.match(href):
        token.attrSet("rel", "noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


def _render_table_open(self, tokens, idx, options, env) -> str:
    return '<div class="table-scroll" tabindex="0">' + self.renderToken(tokens, idx, options, env)


def _render_table_close(self, tokens, idx, options, env) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>"


def make_markdown() -> MarkdownIt:
    md = MarkdownIt("js-default", {"highlight": _highlight})
    md.use(tasklists_plugin, label=True).use(admon_plugin).use(anchors_plugin, min_level=2, max_level=4)
    md.validateLink = is_safe_url
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    return md


MARKDOWN = make_markdown()


def headings(tokens: list[Token], max_level: int = 3) -> list[Heading]:
    """The table of contents: every anchored heading down to `max_level`."""
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.attrGet("id"):
            level = int(token.tag[1])
            if level <= max_level:
                found.append(Heading(level, str(token.attrGet("id")), tokens[i + 1].content))
    return found


def render_document(text: str, *, source_path: str = "", module_ids: dict | None = None):
    """Rendered HTML and table of contents of a Markdown document."""
    env = {"source_path": source_path, "module_ids": module_ids or {}}
    tokens = MARKDOWN.parse(text, env)
    html = MARKDOWN.renderer.render(tokens, MARKDOWN.options, env)
    return Markup(html), headings(tokens)


def render_inline(text: str, *, source_path: str = "", module_ids: dict | None = None) -> Markup:
    """One line of Markdown (a quiz prompt, a lab step) without a wrapping paragraph."""
    return Markup(MARKDOWN.renderInline(text, {"source_path": source_path, "module_ids": module_ids or {}}))


def render_text(text: str) -> Markup:
    """Markdown written by a user (evidence, comments): the same safe rules, no module links."""
    return Markup(MARKDOWN.render(text))


@dataclass(frozen=True)
class Section:
    """A stretch of a module under one heading, as plain text, for search."""

    anchor: str
    heading: str
    text: str


def plain_text(children: list[Token]) -> str:
    """What a reader sees of a paragraph: the words and the code, without `**`, link targets or line breaks."""
    out = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(plain_text(child.children or []))
    return "".join(out)


def document_sections(text: str) -> list[Section]:
    """Sections as plain text, computed once when the curriculum loads (search reads them on every request)."""
    tokens = MARKDOWN.parse(text, {})
    sections, anchor, heading, parts = [], "", "", []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.attrGet("id"):
            sections.append(Section(anchor, heading, " ".join(parts)))
            anchor, heading, parts = str(token.attrGet("id")), plain_text(tokens[i + 1].children or []), []
        elif token.type == "inline" and not (i and tokens[i - 1].type == "heading_open"):
            parts.append(plain_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            parts.append(" ".join(token.content.split()))
    sections.append(Section(anchor, heading, " ".join(parts)))
    return [s for s in sections if s.heading or s.text.strip()]
