"""Reading one curriculum file: front matter validated against the schema, problems with their lines."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import yaml
from pydantic import ValidationError

from .schema import ModuleMeta, Track, TrackFile


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ParsedModule:
    path: str
    meta: ModuleMeta | None
    body: str
    body_line: int  # file line of the body's first line
    lines: dict[tuple, int]
    digest: str
    problems: list[Problem]


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
    digest = hashlib.sha256(raw).hexdigest()
    parsed = ParsedModule(path, None, "", 1, {}, digest, [])
    try:
        text = raw.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        parsed.problems.append(Problem(path, 1, f"not UTF-8 text ({exc.reason})"))
        return parsed
    parts = split_front_matter(text)
    if parts is None:
        parsed.problems.append(Problem(path, 1, "no front matter: a module starts with a '---' line"))
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
        parsed.meta = ModuleMeta.model_validate(data)
    except ValidationError as exc:
        parsed.problems.extend(validation_problems(path, exc, parsed.lines))
    return parsed


def parse_tracks(path: str, raw: bytes) -> tuple[list[Track], list[Problem]]:
    try:
        text = raw.decode("utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [Problem(path, mark.line + 1 if mark else 1, f"invalid YAML: {exc}")]
    lines = key_lines(node) if node is not None else {}
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
