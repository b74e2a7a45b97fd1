"""Reading one curriculum file: front matter validated against the schema, problems with their lines."""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .render import MARKDOWN, plain_text
from .schema import SCENARIO_SECTIONS, ModuleMeta, PracticumFile, RequirementSpec, ScenarioMeta, Track, TrackFile


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ParsedDocument:
    """A Markdown file with front matter: a module, or a drill scenario of the practicum."""

    path: str
    meta: Any  # the schema's model (ModuleMeta, ScenarioMeta), or None when the front matter failed
    body: str
    body_line: int  # file line of the body's first line
    lines: dict[tuple, int]
    digest: str
    problems: list[Problem]


ParsedModule = ParsedDocument


def key_lines(node, prefix: tuple = (), offset: int = 0) -> dict[tuple, int]:
    """Map every key path in a composed YAML node tree to its 1-based line in the file."""
    lines = {prefix: node.start_mark.line + 1 + offset}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, key.value)
            lines.update(key_lines(value, path, offset))
            lines[path] = key.start_mark.line + 1 + offset
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(key_lines(item, (*prefix, i), offset))
    return lines


def line_of(lines: dict[tuple, int], loc: Iterable) -> int:
    """The line of the deepest part of `loc` that exists in the file (1 when nothing does)."""
    loc = tuple(loc)
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def validation_problems(path: str, error: ValidationError, lines: dict[tuple, int]) -> list[Problem]:
    found = []
    for item in error.errors():
        loc = [p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        where = ".".join(str(p) for p in loc) or "front matter"
        message = item["msg"].removeprefix("Value error, ")
        found.append(Problem(path, line_of(lines, loc), f"{where}: {message}"))
    return found


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, body's first line) or None when the file has no front matter."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end == -1:
        return None
    front = text[4 : end + 1]
    return front, text[end + 5 :], front.count("\n") + 3


def parse_module(path: str, raw: bytes) -> ParsedModule:
    return parse_document(path, raw, ModuleMeta, "a module")


def parse_document(path: str, raw: bytes, schema: type[BaseModel], noun: str) -> ParsedDocument:
    """`raw` split into front matter, validated against `schema`, and Markdown body; `noun` names the
    kind of file in messages ("a module")."""
    digest = hashlib.sha256(raw).hexdigest()
    parsed = ParsedDocument(path, None, "", 1, {}, digest, [])
    try:
        text = raw.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        parsed.problems.append(Problem(path, 1, f"not UTF-8 text ({exc.reason})"))
        return parsed
    parts = split_front_matter(text)
    if parts is None:
        parsed.problems.append(Problem(path, 1, f"no front matter: {noun} starts with a '---' line"))
        return parsed
    front, parsed.body, parsed.body_line = parts
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 2
        parsed.problems.append(Problem(path, line, f"invalid YAML: {getattr(exc, 'problem', exc)}"))
        return parsed
    parsed.lines = key_lines(node, offset=1) if node is not None else {}
    if not isinstance(data, dict):
        parsed.problems.append(Problem(path, 2, "front matter must be a mapping of fields"))
        return parsed
    try:
        parsed.meta = schema.model_validate(data)
    except ValidationError as exc:
        parsed.problems.extend(validation_problems(path, exc, parsed.lines))
    return parsed


def load_yaml(path: str, raw: bytes) -> tuple[object, dict[tuple, int], list[Problem]]:
    """A YAML file's data and the line of every key in it, or the problem that stopped the reading."""
    try:
        text = raw.decode("utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, {}, [Problem(path, mark.line + 1 if mark else 1, f"invalid YAML: {exc}")]
    return data, key_lines(node) if node is not None else {}, []


def parse_tracks(path: str, raw: bytes) -> tuple[list[Track], list[Problem]]:
    data, lines, problems = load_yaml(path, raw)
    if problems:
        return [], problems
    try:
        tracks = TrackFile.model_validate(data).tracks
    except ValidationError as exc:
        return [], validation_problems(path, exc, lines)
    seen, problems = set(), []
    for i, track in enumerate(tracks):
        if track.id in seen:
            problems.append(Problem(path, line_of(lines, ("tracks", i, "id")), f"duplicate track id {track.id}"))
        seen.add(track.id)
    return sorted(tracks, key=lambda t: (t.order, t.id)), problems


# ---------------------------------------------------------------- the practicum's files

TIMED_REVEAL = re.compile(r"^At (\d+) min", re.IGNORECASE)


@dataclass
class ParsedRequirements:
    path: str
    specs: list[RequirementSpec] | None  # None when the file failed validation: none of it is usable
    lines: dict[tuple, int]
    digest: str
    problems: list[Problem]


@dataclass(frozen=True)
class BodySection:
    heading: str
    heading_line: int  # file line of the `##` heading
    text: str  # the Markdown under the heading
    first_line: int  # file line of the text's first line


@dataclass
class ParsedScenario(ParsedDocument):
    sections: dict[str, BodySection] = field(default_factory=dict)  # by key of SCENARIO_SECTIONS


def parse_requirements(path: str, raw: bytes) -> ParsedRequirements:
    data, lines, problems = load_yaml(path, raw)
    parsed = ParsedRequirements(path, None, lines, hashlib.sha256(raw).hexdigest(), problems)
    if not problems:
        try:
            parsed.specs = PracticumFile.model_validate(data).requirements
        except ValidationError as exc:
            parsed.problems.extend(validation_problems(path, exc, lines))
    return parsed


def parse_scenario(path: str, raw: bytes) -> ParsedScenario:
    """A drill scenario: front matter, then exactly the sections of SCENARIO_SECTIONS, the reveals timed."""
    scenario = ParsedScenario(**vars(parse_document(path, raw, ScenarioMeta, "a drill scenario")))
    if scenario.body or not scenario.problems:
        scenario.sections, problems = split_sections(scenario)
        scenario.problems.extend(problems)
        if "reveals" in scenario.sections:
            duration = scenario.meta.duration_minutes if scenario.meta else None
            scenario.problems.extend(reveal_problems(path, scenario.sections["reveals"], duration))
    return scenario


def split_sections(doc: ParsedDocument) -> tuple[dict[str, BodySection], list[Problem]]:
    """The body's `##` sections by key, and what is missing, repeated, unknown or empty."""
    lines = doc.body.split("\n")
    tokens = MARKDOWN.parse(doc.body, {})
    heads = [(t.map, tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    keys = {heading.lower(): key for key, heading in SCENARIO_SECTIONS.items()}
    names = ", ".join(f"'{h}'" for h in SCENARIO_SECTIONS.values())
    sections: dict[str, BodySection] = {}
    problems = []
    before = lines[: heads[0][0][0]] if heads else lines
    if any(line.strip() for line in before):
        first = next(i for i, line in enumerate(before) if line.strip())
        problems.append(
            Problem(
                doc.path,
                doc.body_line + first,
                f"text before the first section: the body holds only the sections {names}",
            )
        )
    for n, ((start, end), title) in enumerate(heads):
        stop = heads[n + 1][0][0] if n + 1 < len(heads) else len(lines)
        line = doc.body_line + start
        key = keys.get(" ".join(title.split()).lower())
        text = "\n".join(lines[end:stop])
        if key is None:
            problems.append(Problem(doc.path, line, f"unknown section '{title}': a drill scenario has {names}"))
        elif key in sections:
            problems.append(Problem(doc.path, line, f"section '{title}' appears twice"))
        else:
            sections[key] = BodySection(title, line, text, doc.body_line + end)
            if not text.strip():
                problems.append(Problem(doc.path, line, f"section '{title}' is empty"))
    for key, heading in SCENARIO_SECTIONS.items():
        if key not in sections:
            problems.append(Problem(doc.path, doc.body_line, f"missing section '## {heading}'"))
    return sections, problems


def reveal_problems(path: str, section: BodySection, duration: int | None) -> list[Problem]:
    """The game master works by the clock: reveals are list items that start "At N min", in time order."""
    tokens = MARKDOWN.parse(section.text, {})
    timed = []
    for i, token in enumerate(tokens):
        if token.type == "list_item_open" and token.level == 1:
            inline = next((t for t in tokens[i + 1 :] if t.type in ("inline", "list_item_close")), None)
            match = TIMED_REVEAL.match(plain_text(inline.children or []).strip()) if inline else None
            if match:
                timed.append((int(match[1]), section.first_line + token.map[0]))
    if not timed:
        return [Problem(path, section.heading_line, "no timed reveals: list each as an item that starts 'At 5 min'")]
    problems = [
        Problem(path, line, f"the reveal at {minute} min comes after one at {before} min: keep them in time order")
        for (before, _), (minute, line) in pairwise(timed)
        if minute < before
    ]
    problems += [
        Problem(path, line, f"the reveal at {minute} min is after the drill's end ({duration} min)")
        for minute, line in timed
        if duration and minute > duration
    ]
    return problems
