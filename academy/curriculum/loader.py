"""Curriculum files -> a frozen, fully rendered catalogue, kept in memory.

`read_catalogue` validates every file and renders every valid module once. A file that fails is left
out (or, on a reload, its last good version is kept) and its problems are reported as `path:line:`.
"""

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from markupsafe import Markup

from .check import check_practicum, cross_check
from .parse import (
    ParsedModule,
    ParsedRequirements,
    ParsedScenario,
    Problem,
    parse_module,
    parse_requirements,
    parse_scenario,
    parse_tracks,
)
from .practicum import Practicum, Requirement, Scenario, build_practicum
from .render import Heading, Section, document_sections, render_document, render_inline
from .schema import Lab, ModuleMeta, Question, Track

__all__ = [
    "Catalogue",
    "Module",
    "Practicum",
    "RenderedLab",
    "RenderedQuestion",
    "Requirement",
    "Scenario",
    "analyse",
    "learning_order",
    "read_catalogue",
    "signature",
]

log = logging.getLogger(__name__)
TRACKS_FILE = "tracks.yaml"
PRACTICUM_DIR = "practicum"  # not a track: the practicum's requirements and drill scenarios
REQUIREMENTS_FILE = f"{PRACTICUM_DIR}/requirements.yaml"
SCENARIOS_GLOB = f"{PRACTICUM_DIR}/drills/*.md"


@dataclass(frozen=True)
class RenderedQuestion:
    spec: Question
    prompt_html: Markup
    choices_html: dict[str, Markup]
    explanation_html: Markup


@dataclass(frozen=True)
class RenderedLab:
    spec: Lab
    module_id: str
    steps_html: tuple[Markup, ...]
    criteria_html: tuple[Markup, ...]
    summary_html: Markup | None = None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.title


@dataclass(frozen=True)
class Module:
    meta: ModuleMeta
    path: str
    content_hash: str
    html: Markup
    toc: tuple[Heading, ...]
    questions: tuple[RenderedQuestion, ...]
    labs: tuple[RenderedLab, ...]
    words: int
    sections: tuple[Section, ...] = ()

    def __getattr__(self, name):  # summary, objectives, quiz, ... straight from the front matter
        return getattr(self.meta, name)

    # the fields every page reads, many times over: a property is much cheaper than a failed lookup
    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def track(self) -> str:
        return self.meta.track

    @property
    def order(self) -> int:
        return self.meta.order

    @property
    def prerequisites(self) -> list[str]:
        return self.meta.prerequisites

    def __html__(self) -> str:
        return str(self.html)


@dataclass(frozen=True)
class Catalogue:
    tracks: tuple[Track, ...]
    modules: dict[str, Module]
    problems: tuple[Problem, ...] = ()
    signature: tuple = field(default=(), compare=False)
    practicum: Practicum = field(default_factory=Practicum)

    def get(self, module_id: str) -> Module | None:
        return self.modules.get(module_id)

    def track(self, track_id: str) -> Track | None:
        return self._tracks.get(track_id)

    def modules_in(self, track_id: str) -> list[Module]:
        return list(self._by_track.get(track_id, ()))

    def ordered_modules(self) -> list[Module]:
        return [m for t in self.tracks for m in self._by_track.get(t.id, ())]

    def lab(self, lab_id: str) -> RenderedLab | None:
        return self._labs.get(lab_id)

    # Lookups, built on first use: the catalogue never changes (a reload builds a new one).
    @cached_property
    def _tracks(self) -> dict[str, Track]:
        return {t.id: t for t in reversed(self.tracks)}  # reversed: the first of a repeated id wins

    @cached_property
    def _by_track(self) -> dict[str, tuple[Module, ...]]:
        ordered = sorted(self.modules.values(), key=lambda m: (m.order, m.id))
        return {t: tuple(m for m in ordered if m.track == t) for t in {m.track for m in ordered}}

    @cached_property
    def _labs(self) -> dict[str, RenderedLab]:
        found: dict[str, RenderedLab] = {}
        for m in self.modules.values():
            for lab in m.labs:
                found.setdefault(lab.id, lab)
        return found

    @property
    def lab_count(self) -> int:
        return sum(len(m.labs) for m in self.modules.values())

    @property
    def quiz_count(self) -> int:
        return sum(1 for m in self.modules.values() if m.quiz)


# ---------------------------------------------------------------- building the catalogue


def render_module(parsed: ParsedModule, module_ids: dict[str, str]) -> Module:
    meta = parsed.meta
    html, toc = render_document(parsed.body, source_path=parsed.path, module_ids=module_ids)
    questions = tuple(
        RenderedQuestion(
            spec=q,
            prompt_html=render_inline(q.prompt),
            choices_html={key: render_inline(text) for key, text in q.choices.items()},
            explanation_html=render_inline(q.explanation),
        )
        for q in (meta.quiz.questions if meta.quiz else [])
    )
    labs = tuple(
        RenderedLab(
            spec=lab,
            module_id=meta.id,
            steps_html=tuple(render_inline(s) for s in lab.steps),
            criteria_html=tuple(render_inline(c) for c in lab.acceptance_criteria),
            summary_html=render_inline(lab.summary) if lab.summary else None,
        )
        for lab in meta.labs
    )
    return Module(
        meta,
        parsed.path,
        parsed.digest,
        html,
        tuple(toc),
        questions,
        labs,
        len(parsed.body.split()),
        tuple(document_sections(parsed.body)),
    )


def module_files(root: Path) -> list[Path]:
    return sorted(f for f in root.glob("*/*.md") if f.parent.name != PRACTICUM_DIR)


def practicum_files(root: Path) -> list[Path]:
    return [root / REQUIREMENTS_FILE, *sorted(root.glob(SCENARIOS_GLOB))]


def source_files(root: Path) -> list[Path]:
    """Every file the catalogue is read from, but the tracks file."""
    return [*module_files(root), *(f for f in practicum_files(root) if f.exists())]


def signature(root: Path) -> tuple:
    """What changes when any curriculum file changes: cheap enough to ask on every request in debug."""
    files = [root / TRACKS_FILE, *source_files(root)]
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())


@dataclass
class Analysis:
    tracks: list[Track]
    modules: list[ParsedModule]
    requirements: ParsedRequirements | None  # None when there is no requirements file
    scenarios: list[ParsedScenario]
    problems: list[Problem]


def analyse(root: Path) -> tuple[list[Track], list[ParsedModule], list[Problem]]:
    """Parse and check every file under `root`, the practicum's too; nothing is rendered."""
    found = analysis(root)
    return found.tracks, found.modules, found.problems


def analysis(root: Path) -> Analysis:
    tracks_path = root / TRACKS_FILE
    if tracks_path.exists():
        tracks, problems = parse_tracks(TRACKS_FILE, tracks_path.read_bytes())
    else:
        tracks, problems = [], [Problem(TRACKS_FILE, 1, "missing: the catalogue needs a tracks file")]
    parsed = [parse_module(f.relative_to(root).as_posix(), f.read_bytes()) for f in module_files(root)]
    requirements, scenarios = read_practicum(root)
    for p in [*parsed, *scenarios, *([requirements] if requirements else [])]:
        problems.extend(p.problems)
    problems.extend(cross_check(tracks, parsed))
    problems.extend(check_practicum(requirements, scenarios, parsed))
    return Analysis(tracks, parsed, requirements, scenarios, sorted(problems))


def read_practicum(root: Path) -> tuple[ParsedRequirements | None, list[ParsedScenario]]:
    requirements_path, *scenario_paths = practicum_files(root)
    scenarios = [parse_scenario(f.relative_to(root).as_posix(), f.read_bytes()) for f in scenario_paths]
    if requirements_path.exists():
        return parse_requirements(REQUIREMENTS_FILE, requirements_path.read_bytes()), scenarios
    if (root / PRACTICUM_DIR).is_dir():
        missing = Problem(REQUIREMENTS_FILE, 1, "missing: a practicum folder needs a requirements file")
        return ParsedRequirements(REQUIREMENTS_FILE, None, {}, "", [missing]), scenarios
    return None, scenarios


def read_catalogue(root: Path, previous: Catalogue | None = None) -> Catalogue:
    """The catalogue under `root`. A module file that fails validation is left out, or, when
    `previous` served a good version of it, that version is kept; the practicum's files likewise."""
    sig = signature(root)
    found = analysis(root)
    tracks, parsed, problems = found.tracks, found.modules, found.problems
    if not tracks and previous is not None:
        tracks = list(previous.tracks)
    kept = {m.path: m for m in previous.modules.values()} if previous else {}
    module_ids = {p.path: p.meta.id for p in parsed if p.meta}
    modules: dict[str, Module] = {}
    for p in parsed:
        if p.meta and p.meta.id not in modules:
            modules[p.meta.id] = render_module(p, module_ids)
        elif not p.meta and p.path in kept:
            modules.setdefault(kept[p.path].id, kept[p.path])
    practicum = build_practicum(found.requirements, found.scenarios, module_ids, previous and previous.practicum)
    for problem in problems:
        log.error("curriculum: %s", problem)
    return Catalogue(tuple(tracks), modules, tuple(problems), sig, practicum)


def learning_order(catalogue: Catalogue) -> list[Module]:
    """Modules in track order, each after its prerequisites (a stable topological order)."""
    ordered = catalogue.ordered_modules()
    placed: dict[str, Module] = {}
    while len(placed) < len(ordered):
        progress = False
        for module in ordered:
            ready = all(p in placed or p not in catalogue.modules for p in module.prerequisites)
            if module.id not in placed and ready:
                placed[module.id] = module
                progress = True
                break
        if not progress:  # a cycle: the check reports it; place the rest in track order
            placed.update((m.id, m) for m in ordered if m.id not in placed)
    return list(placed.values())
