"""Search across the curriculum: titles, headings and text, answered from memory."""

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from .loader import Catalogue, Module

MAX_TERMS = 8
SNIPPET = 90


@dataclass(frozen=True)
class Hit:
    module: Module
    anchor: str
    heading: str
    snippet: Markup
    score: int


def terms_of(query: str) -> list[str]:
    return [t for t in re.findall(r"\w[\w.+-]*", query.lower())[:MAX_TERMS] if len(t) <= 60]


def snippet(text: str, terms: list[str]) -> Markup:
    """Some text around the first match, escaped, with every term marked."""
    lowered = text.lower()
    at = min((i for t in terms if (i := lowered.find(t)) >= 0), default=0)
    start = max(0, at - SNIPPET)
    piece = ("…" if start else "") + text[start : at + SNIPPET * 2] + ("…" if at + SNIPPET * 2 < len(text) else "")
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    parts, last = [], 0
    for match in pattern.finditer(piece):
        parts += [escape(piece[last : match.start()]), Markup("<mark>%s</mark>") % match.group()]
        last = match.end()
    return Markup("").join([*parts, escape(piece[last:])])


def search(catalogue: Catalogue, query: str, limit: int = 40) -> list[Hit]:
    terms = terms_of(query)
    if not terms:
        return []
    hits = []
    for module in catalogue.ordered_modules():
        title = module.title.lower()
        for section in module.sections:
            heading, text = section.heading.lower(), section.text.lower()
            if not all(t in title or t in heading or t in text for t in terms):
                continue
            score = sum(10 * (t in title) + 5 * (t in heading) + min(text.count(t), 5) for t in terms)
            score += 20 * (" ".join(terms) in " ".join(terms_of(heading)))  # the query is the heading's own words
            hits.append(
                Hit(module, section.anchor, section.heading or module.title, snippet(section.text, terms), score)
            )
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]
