"""The API's answers about cohorts: their trainees, progress matrix, who is at risk and readiness for on-call."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from .schemas import ModuleState, PageOut, Stage, Strict


class CohortOut(BaseModel):
    id: int
    name: str
    start_date: date
    end_date: date
    trainees: int
    completion_percent: int


class CohortPage(PageOut):
    items: list[CohortOut]


class CohortPath(Strict):
    cohort_id: int = Field(ge=1, le=2**31 - 1)


class MatrixRowOut(BaseModel):
    trainee_id: int
    name: str
    mentor: str | None
    done: int
    cells: dict[str, ModuleState] = Field(description="Module id -> the trainee's state of that module")


class MatrixPage(PageOut):
    modules: list[str] = Field(description="The plan's module ids, in due order: the matrix's columns")
    items: list[MatrixRowOut]


class AtRiskOut(BaseModel):
    trainee_id: int
    name: str
    reasons: list[str]


class AtRiskPage(PageOut):
    items: list[AtRiskOut]


# ------------------------------------------------------------------ readiness

FORECAST = (
    "The day the readiness checklist is complete: when it is, the day its last item was signed off; otherwise the "
    "day it would be at the trainee's own pace (the plan's modules at their pace since the cohort started, the "
    "practice entries still required at their cadence of confirmed entries since their first), whichever part "
    "finishes later; null when there is not enough activity yet to tell"
)


class TraineePath(Strict):
    trainee_id: int = Field(ge=1, le=2**31 - 1)


class ChecklistItemOut(BaseModel):
    kind: Literal["module", "lab", "practice"]
    id: str
    title: str
    done_on: date | None = Field(description="The day it was signed off; null while it is not")
    progress: str = Field(description='For practice: confirmed entries that count of those required, "1 of 3"')
    locked_by: list[str] = Field(description="What must be finished first, in words")


class TraineeReadinessOut(BaseModel):
    trainee_id: int
    stage: Stage
    done: int = Field(description="Checklist items done")
    total: int = Field(description="Checklist items")
    items: list[ChecklistItemOut]
    graduated_on: date | None = Field(description="The day a readiness panel decided they are ready for on-call")
    pending_request_id: int | None = Field(description="Their readiness review waiting for a decision, if any")
    forecast: date | None = Field(description=FORECAST)


class CohortTraineeReadinessOut(BaseModel):
    trainee_id: int
    name: str
    stage: Stage
    done: int = Field(description="Checklist items done")
    total: int = Field(description="Checklist items")
    graduated_on: date | None
    forecast: date | None = Field(description=FORECAST)


class StageCounts(BaseModel):
    """Trainees of the whole cohort at each stage (the funnel): one field per Stage."""

    learning: int
    practising: int
    ready_for_review: int
    ready_for_on_call: int


class CohortReadinessPage(PageOut):
    stages: StageCounts = Field(description="Trainees of the whole cohort at each stage: the funnel")
    items: list[CohortTraineeReadinessOut]
