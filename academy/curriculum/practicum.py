"""The practicum: practice a trainee logs and a mentor confirms (shadow shifts, drills...), and the drill
scenarios mentors run. Read from `curriculum/practicum/` with the modules, rendered once, frozen."""

from dataclasses import dataclass
from functools import cached_property

from markupsafe import Markup

from ..models import DRILL_ROLES
from .parse import ParsedRequirements, ParsedScenario
from .render import render_document, render_inline
from .schema import PRACTICE_KINDS, ROLE_KINDS, SCENARIO_SECTIONS, RequirementSpec, ScenarioMeta

__all__ = [
    "DRILL_ROLES",
    "DRILL_ROLE_NAMES",
    "KIND_NAMES",
    "PRACTICE_KINDS",
    "ROLE_KINDS",
    "SCENARIO_SECTIONS",
    "Practicum",
    "Requirement",
    "Scenario",
    "build_practicum",
]

KIND_NAMES = {
    "shadow": "Shadow on-call shift",
    "reverse-shadow": "Reverse-shadow on-call shift",
    "drill": "Incident-response drill",
    "game-day": "Game day",
    "postmortem": "Postmortem",
    "incident": "Real incident",
}
DRILL_ROLE_NAMES = {
    "incident-commander": "Incident commander",
    "operations": "Operations lead",
    "communications": "Communications lead",
    "scribe": "Scribe",
}


@dataclass(frozen=True)
class Requirement:
    spec: RequirementSpec
    summary_html: Markup
    rubric_html: tuple[Markup, ...]

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def count(self) -> int:
        return self.spec.count

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.spec.kind]

    @property
    def needs_role(self) -> bool:
        """Whether each entry names the role the trainee played (drills and real incidents)."""
        return self.spec.kind in ROLE_KINDS


@dataclass(frozen=True)
class Scenario:
    spec: ScenarioMeta
    path: str
    content_hash: str
    summary_html: Markup
    situation_html: Markup
    reveals_html: Markup
    hints_html: Markup
    good_response_html: Markup

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(DRILL_ROLE_NAMES[r] for r in self.spec.suggested_roles)


@dataclass(frozen=True)
class Practicum:
    """Empty when the curriculum has no `practicum/` folder."""

    requirements: tuple[Requirement, ...] = ()  # in the order of the requirements file
    scenarios: tuple[Scenario, ...] = ()  # by file name

    def requirement(self, requirement_id: str) -> Requirement | None:
        return self._requirements.get(requirement_id)

    def scenario(self, scenario_id: str) -> Scenario | None:
        return self._scenarios.get(scenario_id)

    @cached_property
    def _requirements(self) -> dict[str, Requirement]:
        return {r.id: r for r in self.requirements}

    @cached_property
    def _scenarios(self) -> dict[str, Scenario]:
        return {s.id: s for s in self.scenarios}


def render_requirement(spec: RequirementSpec, path: str, module_ids: dict[str, str]) -> Requirement:
    summary_html, _ = render_document(spec.summary, source_path=path, module_ids=module_ids)
    rubric = tuple(render_inline(item, source_path=path, module_ids=module_ids) for item in spec.rubric)
    return Requirement(spec, summary_html, rubric)


def render_scenario(parsed: ParsedScenario, module_ids: dict[str, str]) -> Scenario:
    html = {
        key: render_document(section.text, source_path=parsed.path, module_ids=module_ids)[0]
        for key, section in parsed.sections.items()
    }
    return Scenario(
        parsed.meta,
        parsed.path,
        parsed.digest,
        render_inline(parsed.meta.summary),
        *(html.get(key, Markup("")) for key in SCENARIO_SECTIONS),
    )


def build_practicum(
    requirements: ParsedRequirements | None,
    scenarios: list[ParsedScenario],
    module_ids: dict[str, str],
    previous: Practicum | None = None,
) -> Practicum:
    """The practicum to serve. A file that failed validation is left out or, when `previous` served a
    good version of it, that version is kept; of a repeated id the first wins."""
    if requirements is not None and requirements.specs is not None:
        first: dict[str, Requirement] = {}
        for spec in requirements.specs:
            if spec.id not in first:
                first[spec.id] = render_requirement(spec, requirements.path, module_ids)
        kept_requirements = tuple(first.values())
    else:
        kept_requirements = previous.requirements if previous and requirements is not None else ()
    kept = {s.path: s for s in previous.scenarios} if previous else {}
    found: dict[str, Scenario] = {}
    for p in scenarios:
        if p.meta and not p.problems:
            found.setdefault(p.meta.id, render_scenario(p, module_ids))
        elif p.path in kept:
            found.setdefault(kept[p.path].id, kept[p.path])
    return Practicum(kept_requirements, tuple(found.values()))
