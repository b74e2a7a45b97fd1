"""The curriculum format, defined once: what a track and a module's front matter may say."""

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..models import DRILL_ROLES

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
EvidenceKind = Literal["command-output", "link", "write-up", "screenshot", "config", "file"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Track(Strict):
    id: Slug
    title: Text
    order: int = Field(ge=0)
    description: Text


class TrackFile(Strict):
    tracks: list[Track] = Field(min_length=1)


class Question(Strict):
    id: Slug
    prompt: Text
    choices: dict[Slug, Text] = Field(min_length=2)
    answer: list[Slug] = Field(min_length=1)
    explanation: Text

    @field_validator("answer", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("answer")
    @classmethod
    def _answers_are_choices(cls, answer, info: ValidationInfo):
        choices = info.data.get("choices") or {}
        unknown = [a for a in answer if a not in choices]
        if choices and unknown:
            raise ValueError(f"answer {', '.join(unknown)} is not among the choices ({', '.join(choices)})")
        return answer

    @property
    def multiple(self) -> bool:
        return len(self.answer) > 1


class Quiz(Strict):
    pass_threshold: float = Field(default=0.8, gt=0, le=1)
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_question_ids(self):
        ids = [q.id for q in self.questions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate question id {', '.join(duplicates)}")
        return self


class CheckExpect(Strict):
    """What passing means: the exit status, and optionally a pattern the output (stdout and stderr together)
    must match, or must not match (Python regular expressions, searched anywhere in the output)."""

    exit_status: int = Field(default=0, ge=0, le=255)
    output_matches: str | None = Field(default=None, min_length=1, max_length=500)
    output_not_matches: str | None = Field(default=None, min_length=1, max_length=500)

    @field_validator("output_matches", "output_not_matches")
    @classmethod
    def _compiles(cls, pattern: str | None):
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"the pattern {pattern!r} is not a regular expression: {exc}") from None
        return pattern


class LabCheck(Strict):
    """A command run on the trainee's lab machine by `academy-lab check`; it verifies, it never changes state."""

    id: Slug
    name: Text = Field(max_length=120)
    run: Text = Field(max_length=2000)
    timeout_seconds: int = Field(default=30, ge=1, le=600)
    expect: CheckExpect = Field(default_factory=CheckExpect)
    hint: Text = Field(max_length=500)


class Lab(Strict):
    id: Slug
    title: Text
    summary: Text | None = None
    steps: list[Text] = Field(min_length=1)
    acceptance_criteria: list[Text] = Field(min_length=1)
    evidence: list[EvidenceKind] = Field(min_length=1)
    checks: list[LabCheck] = Field(default_factory=list, max_length=20)
    # the tools a trainee must already know to do the lab: this module or a prerequisite must teach each
    uses_tools: list[Slug] = Field(default_factory=list)

    @field_validator("checks")
    @classmethod
    def _unique_check_ids(cls, checks: list[LabCheck]):
        ids = [c.id for c in checks]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate check id {', '.join(duplicates)}")
        return checks


class ModuleMeta(Strict):
    id: Slug
    title: Text
    track: Slug
    order: int = Field(ge=0)
    prerequisites: list[Slug] = Field(default_factory=list)
    estimated_minutes: int = Field(gt=0, le=24 * 60)
    objectives: list[Text] = Field(min_length=1)
    summary: Text | None = None
    quiz: Quiz | None = None
    labs: list[Lab] = Field(default_factory=list)
    teaches_tools: list[Slug] = Field(default_factory=list)  # tools this module teaches, for its labs and later ones

    @model_validator(mode="after")
    def _unique_lab_ids(self):
        ids = [lab.id for lab in self.labs]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate lab id {', '.join(duplicates)}")
        if self.id in self.prerequisites:
            raise ValueError("a module cannot be its own prerequisite")
        return self


# ---------------------------------------------------------------- the practicum

PRACTICE_KINDS = ("shadow", "reverse-shadow", "drill", "game-day", "postmortem", "incident")
ROLE_KINDS = ("drill", "incident")  # the kinds where each entry names the role the trainee played
PracticeKind = Literal[PRACTICE_KINDS]
DrillRole = Literal[DRILL_ROLES]
# A drill scenario's body is made of these `##` sections, each once: key -> heading as written.
SCENARIO_SECTIONS = {
    "situation": "The situation",
    "reveals": "What the game master reveals",
    "hints": "Hints",
    "good_response": "What a good response looks like",
}


class PracticePrerequisites(Strict):
    modules: list[Slug] = Field(default_factory=list)
    labs: list[Slug] = Field(default_factory=list)
    practice: dict[Slug, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)  # requirement id -> confirmed


class RequirementSpec(Strict):
    id: Slug
    kind: PracticeKind
    title: Text
    summary: Text
    count: int = Field(ge=1, le=50)
    different_roles: bool = False
    prerequisites: PracticePrerequisites = Field(default_factory=PracticePrerequisites)
    rubric: list[Text] = Field(min_length=1)

    @field_validator("different_roles")
    @classmethod
    def _roles_make_sense(cls, different_roles: bool, info: ValidationInfo):
        kind, count = info.data.get("kind"), info.data.get("count")
        if different_roles and kind and kind not in ROLE_KINDS:
            raise ValueError(f"different_roles applies to {' and '.join(ROLE_KINDS)} requirements, not {kind}")
        if different_roles and count and count > len(DRILL_ROLES):
            raise ValueError(f"count {count} in different roles cannot be met: there are {len(DRILL_ROLES)} roles")
        return different_roles


class PracticumFile(Strict):
    requirements: list[RequirementSpec] = Field(min_length=1)


class ScenarioMeta(Strict):
    id: Slug
    title: Text
    service: Text
    summary: Text
    suggested_roles: list[DrillRole] = Field(min_length=1)
    duration_minutes: int = Field(ge=10, le=480)

    @field_validator("suggested_roles")
    @classmethod
    def _roles_once(cls, roles: list[str]):
        repeated = sorted({r for r in roles if roles.count(r) > 1})
        if repeated:
            raise ValueError(f"role {', '.join(repeated)} is listed twice")
        return roles
