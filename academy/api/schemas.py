"""What the API accepts and answers, as pydantic models: the OpenAPI document is generated from these."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..learning.services import REVEAL_ANSWERS_AFTER

Text = str


# ------------------------------------------------------------------ states: one spelling each, snake_case codes
# The pages say "Changes requested" or "ready for on-call"; the API says the code, and each vocabulary is a named
# enum in the document. The maps below turn the pages' words into codes at the API's edge (tests/test_api.py
# checks that they cover every word the pages use).


class LabState(StrEnum):
    """Where a lab stands for the caller: its latest attempt that was not withdrawn."""

    NOT_STARTED = "not_started"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


class ModuleState(StrEnum):
    """Where a module stands for a trainee, as their learning path and their cohort's matrix say it."""

    LOCKED = "locked"
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    DONE = "done"


class Stage(StrEnum):
    """A trainee's stage on the way to on-call."""

    LEARNING = "learning"
    PRACTISING = "practising"
    READY_FOR_REVIEW = "ready_for_review"
    READY_FOR_ON_CALL = "ready_for_on_call"


class DecisionOutcome(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class AttemptStatus(StrEnum):
    """One lab attempt: waiting for a mentor, withdrawn by the trainee, or decided."""

    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


LAB_STATE = {  # academy.learning.services.lab_status
    "Not started": LabState.NOT_STARTED,
    "Submitted": LabState.SUBMITTED,
    "Changes requested": LabState.CHANGES_REQUESTED,
    "Approved": LabState.APPROVED,
}
MODULE_STATE = {  # academy.learning.queries.MODULE_STATES
    "locked": ModuleState.LOCKED,
    "not started": ModuleState.NOT_STARTED,
    "in progress": ModuleState.IN_PROGRESS,
    "submitted": ModuleState.SUBMITTED,
    "changes requested": ModuleState.CHANGES_REQUESTED,
    "done": ModuleState.DONE,
}
STAGE = {  # academy.readiness.queries.STAGES
    "learning": Stage.LEARNING,
    "practising": Stage.PRACTISING,
    "ready for review": Stage.READY_FOR_REVIEW,
    "ready for on-call": Stage.READY_FOR_ON_CALL,
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    error: str = Field(description="What went wrong, in a few words")
    detail: str | list | dict | None = Field(None, description="More about it: a sentence, or the fields at fault")


class PageQuery(Strict):
    page: int = Field(1, ge=1, le=100_000, description="Page number, from 1")
    per_page: int = Field(50, ge=1, le=100, description="Items per page, at most 100")


class PageOut(BaseModel):
    page: int
    per_page: int
    total: int


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    roles: list[str]


# ------------------------------------------------------------------ catalogue


class TrackOut(BaseModel):
    id: str
    title: str
    order: int
    description: str


class TrackPage(PageOut):
    items: list[TrackOut]


class LabOut(BaseModel):
    id: str
    title: str
    steps: list[str]
    acceptance_criteria: list[str]
    evidence: list[str]


class ModuleOut(BaseModel):
    id: str
    title: str
    track: str
    order: int
    prerequisites: list[str]
    estimated_minutes: int
    objectives: list[str]
    quiz_questions: int = Field(description="How many questions the knowledge check has (answers are never sent)")
    labs: list[LabOut]
    content_hash: str


class ModulePage(PageOut):
    items: list[ModuleOut]


class ModuleQuery(PageQuery):
    track: str | None = Field(None, max_length=80, description="Only the modules of this track")


class ModulePath(Strict):
    module_id: str = Field(max_length=80)


# ------------------------------------------------------------------ the caller's progress and lab evidence


class LabStatusOut(BaseModel):
    lab_id: str
    status: LabState


class ProgressOut(BaseModel):
    module_id: str
    status: ModuleState
    due_date: date | None
    read_at: datetime | None
    completed_at: datetime | None
    labs: list[LabStatusOut]


class ProgressPage(PageOut):
    items: list[ProgressOut]


class LabPath(Strict):
    lab_id: str = Field(max_length=80)


class FileIn(Strict):
    name: str = Field(min_length=1, max_length=200, description="A plain file name: out.txt, rules.yml, graph.png")
    content_base64: str = Field(min_length=1, description="The file's bytes in base64 (at most 10 MB once decoded)")


class CheckResultIn(Strict):
    check_id: str = Field(max_length=80, description="The id of one of the lab's checks")
    passed: bool
    exit_status: int | None = Field(None, ge=-255, le=255, description="null when the command timed out")
    timed_out: bool = False
    seconds: float = Field(ge=0, le=3600)
    output: str = Field(
        "", max_length=20_000, description="stdout and stderr; the server keeps the last 4,000 characters"
    )


class CheckReportIn(Strict):
    run_at: datetime = Field(description="When the checks ran, with its offset (UTC: ...Z)")
    host: str = Field(min_length=1, max_length=80, description="The lab machine's name")
    results: list[CheckResultIn] = Field(max_length=20)


class EvidenceIn(Strict):
    evidence: str = Field(min_length=1, max_length=50_000, description="Markdown: what was done and seen")
    links: list[str] = Field(default_factory=list, max_length=10, description="http(s) addresses")
    request_key: str | None = Field(
        None, pattern=r"^[0-9a-f]{32}$", description="32 hex characters; the same key sent twice stores one attempt"
    )
    files: list[FileIn] = Field(default_factory=list, max_length=5, description="Attachments, as on the web form")
    checks: CheckReportIn | None = Field(
        None, description="The lab's checks as `academy-lab` ran them on the trainee's machine"
    )


class AttemptOut(BaseModel):
    id: int
    lab_id: str
    module_id: str
    number: int
    status: AttemptStatus
    submitted_at: datetime
    checks_passed: int | None = Field(description="Checks reported as passed; null when no checks were sent")
    checks_total: int | None = Field(description="The lab's checks; null when no checks were sent")


class ModuleReadOut(BaseModel):
    module_id: str
    status: ModuleState
    read_at: datetime
    completed_at: datetime | None = Field(
        description="When it was complete: read, its knowledge check passed and its labs approved; null until then"
    )


class MyLabOut(BaseModel):
    lab_id: str
    title: str
    module_id: str
    module_title: str
    status: LabState
    open: bool = Field(description="Whether the caller may submit it now (unlocked, not approved, not waiting)")
    checks: int = Field(description="How many checks `academy-lab check` runs for it")
    waiting_attempt_id: int | None = Field(
        default=None, description="The attempt waiting for a mentor, which withdrawLabAttempt takes back; else null"
    )


class MyLabPage(PageOut):
    items: list[MyLabOut]


class CheckExpectOut(BaseModel):
    exit_status: int
    output_matches: str | None = Field(description="A Python regular expression the output must contain")
    output_not_matches: str | None = Field(description="A Python regular expression the output must not contain")


class CheckOut(BaseModel):
    id: str
    name: str
    run: str = Field(description="The shell command, run with bash -c on the lab machine")
    timeout_seconds: int
    expect: CheckExpectOut
    hint: str = Field(description="Shown when the check fails")


class LabChecksOut(BaseModel):
    lab_id: str
    title: str
    module_id: str
    checks: list[CheckOut]


# ------------------------------------------------------------------ knowledge checks


class QuestionOut(BaseModel):
    id: str
    prompt: str = Field(description="Markdown")
    choices: dict[str, str] = Field(description="Choice key -> the choice, in Markdown")
    multiple: bool = Field(description="More than one choice is right: pick all of them")


class KnowledgeCheckOut(BaseModel):
    module_id: str
    pass_threshold: float = Field(description="The share of questions that must be right to pass, 0 to 1")
    questions: list[QuestionOut]


ChoiceKeys = Annotated[list[Annotated[str, Field(max_length=80)]], Field(max_length=20)]


class KnowledgeCheckIn(Strict):
    answers: dict[Annotated[str, Field(max_length=80)], ChoiceKeys] = Field(
        max_length=100, description="Question id -> the keys of the chosen choices; every question needs an answer"
    )
    request_key: str | None = Field(
        None, pattern=r"^[0-9a-f]{32}$", description="32 hex characters; the same key sent twice stores one attempt"
    )


class QuestionResultOut(BaseModel):
    question_id: str
    right: bool
    chosen: list[str]
    answer: list[str] | None = Field(description="The right choices' keys; null until the answers are revealed")
    explanation: str | None = Field(description="Markdown; null until the answers are revealed")


class KnowledgeCheckResultOut(BaseModel):
    attempt_id: int
    module_id: str
    correct: int
    total: int
    score: float = Field(description="correct / total, 0 to 1")
    passed: bool
    answers_revealed: bool = Field(
        description="The right answers and explanations are given once the caller passed this check or tried it "
        f"{REVEAL_ANSWERS_AFTER} times, as on the result page; before that only which questions were right"
    )
    questions: list[QuestionResultOut]


# ------------------------------------------------------------------ reviews


class QueueQuery(PageQuery):
    cohort_id: int | None = Field(None, ge=1, le=2**31 - 1)
    lab_id: str | None = Field(None, max_length=80)
    checks_passed: bool = Field(False, description="Only submissions sent with every lab check passed")


class QueueItemOut(BaseModel):
    attempt_id: int
    trainee_id: int
    trainee_name: str
    cohort_id: int
    lab_id: str
    lab_title: str
    attempt_number: int
    submitted_at: datetime
    hours_waiting: float
    past_target: bool
    assigned_to_me: bool
    claimed_by: str | None
    checks_passed: int | None = Field(description="Lab checks reported as passed; null when none were sent")
    checks_total: int | None


class QueuePage(PageOut):
    items: list[QueueItemOut]


class AttemptPath(Strict):
    attempt_id: int = Field(ge=1, le=2**31 - 1)


class DecisionIn(Strict):
    outcome: DecisionOutcome
    comment: str = Field("", max_length=20_000, description="Needed when requesting changes")
    criteria: list[int] = Field(
        default_factory=list, max_length=50, description="Indexes of the acceptance criteria the mentor found met"
    )


class DecisionOut(BaseModel):
    id: int
    attempt_id: int
    outcome: DecisionOutcome
    comment: str
    criteria: list[int]
    decided_at: datetime
