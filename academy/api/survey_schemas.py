"""The API's answers about pain-point surveys: the rounds a person answers or runs, a round and its pain points, the
caller's own answers, and a round's results as the team's sheet had them."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from ..surveys.queries import ANONYMITY_THRESHOLD
from ..surveys.services import MAX_POINTS
from .schemas import Strict

SCORE_RULE = 'A score is a whole number from 0 to 100, "?" for don\'t know, or null for blank.'
SCORE = (
    'One cell of the sheet: a whole number from 0 to 100, the string "?" for don\'t know, or null for blank. '
    "Blank and don't know are both left out of the averages; neither counts as 0."
)


def score(value):
    """One rule and one message for every wrong cell: a number as text, 70.5, true and 101 are all refused."""
    if value is None or value == "?" or (type(value) is int and 0 <= value <= 100):
        return value
    raise PydanticCustomError("score", SCORE_RULE)


Score = Annotated[
    int | Literal["?"] | None,
    PlainValidator(score),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 100},
                {"type": "string", "const": "?"},
                {"type": "null"},
            ],
            "description": SCORE,
        }
    ),
]


class RoundPath(Strict):
    round_id: int = Field(ge=1, le=2**31 - 1)


class RoundBasics(BaseModel):
    id: int
    title: str
    closes_on: date = Field(description="It takes answers until the end of this day, on the academy's calendar")
    open: bool = Field(description="Whether it takes answers now: before the end of closes_on and not closed early")
    anonymous: bool = Field(
        description=f"Results show respondents as numbers, and nothing until {ANONYMITY_THRESHOLD} have answered"
    )
    asks_effort: bool = Field(description="Respondents also score the effort to fix each pain point")


class RoundToAnswerOut(RoundBasics):
    answered: bool = Field(description="Whether the caller has saved their answers")
    answered_at: datetime | None = Field(description="When the caller last saved their answers")


class RoundRunOut(RoundBasics):
    asked: int = Field(description="People asked to answer")
    answered: int = Field(description="Of them, those who have saved their answers")


class SurveysOut(BaseModel):
    to_answer: list[RoundToAnswerOut] = Field(description="Rounds the caller is asked to answer, latest closing first")
    run: list[RoundRunOut] = Field(
        description="Rounds the caller runs (opened, or opened for a cohort they manage; every round for an admin), "
        "latest closing first; empty for everyone else"
    )


class PainPointOut(BaseModel):
    id: int
    position: int = Field(description="Its place in the round's list, from 1")
    title: str
    description: str
    addresses: str | None = Field(
        description='What of the curriculum addresses it: "track:<id>" or "module:<id>"; null when nothing is named'
    )


class RoundOut(RoundBasics):
    closed_at: datetime | None = Field(description="When someone who runs it closed it early; null otherwise")
    asked_to_answer: bool = Field(description="Whether the caller is asked to answer it")
    runs_it: bool = Field(description="Whether the caller runs it, and so may read its results")
    points: list[PainPointOut]


# ------------------------------------------------------------------ the caller's answers


class AnswerIn(Strict):
    pain_point_id: int = Field(ge=1, le=2**31 - 1)
    pain: Score = None
    effort: Score = Field(
        None, description=f"{SCORE} Only in a round that asks for effort; otherwise null or left out."
    )


class AnswersIn(Strict):
    """The caller's whole sheet: it replaces what they saved before, and a pain point left out is blank."""

    answers: list[AnswerIn] = Field(
        max_length=MAX_POINTS, description="One item per pain point, each at most once; a pain point left out is blank"
    )


class AnswerOut(BaseModel):
    pain_point_id: int
    pain: Score
    effort: Score


class AnswersOut(BaseModel):
    round_id: int
    open: bool = Field(description="Whether the caller may still change their answers")
    answered_at: datetime | None = Field(description="When the caller last saved their answers; null if never")
    answers: list[AnswerOut] = Field(description="One item per pain point, in the round's order; all blank if never")


# ------------------------------------------------------------------ results


class AverageOut(BaseModel):
    average: float | None = Field(
        description="The sum of the answered scores divided by how many were answered, unrounded (blank and "
        "don't know are left out, not counted as 0); null when none was answered"
    )
    answered: int = Field(description="How many cells were answered with a score")


class StruckOut(BaseModel):
    struck_at: datetime
    addressed_by: Literal["team", "initiative", "track", "module"] = Field(
        description="What addressed it: a cross-functional team, an initiative, a curriculum track or module"
    )
    what: str = Field(description="The team or initiative named, or the track's or module's id")


class CellOut(BaseModel):
    pain: Score
    effort: Score = Field(description=f"{SCORE} Always null in a round that does not ask for effort.")


class ResultRowOut(BaseModel):
    point: PainPointOut
    cells: list[CellOut] = Field(description="One per column, in the columns' order")
    pain: AverageOut
    effort: AverageOut | None = Field(description="null in a round that does not ask for effort")
    priority: float | None = Field(
        description="Average pain divided by average effort, both unrounded (71.1 over 30.8 is 2.31); null without "
        "effort answers, or when the average effort is 0 (then priority_infinite is true)"
    )
    priority_infinite: bool = Field(description="The average effort is 0: free to fix, so first in the order")
    on_checklist: bool = Field(description="Among the top pain points that make the team's checklist")
    struck: StruckOut | None = Field(description="Struck off the team's list, and with what; null while it is on it")


class ResultsOut(BaseModel):
    round: RoundBasics
    asked: int = Field(description="People asked to answer")
    answered: int = Field(description="Of them, those who have saved their answers")
    hidden: bool = Field(
        description=f"An anonymous round with fewer than {ANONYMITY_THRESHOLD} answers shows nothing, not even "
        "averages: with two answers, either person could work out the other's. Then columns and rows are empty"
    )
    cells_shown: bool = Field(
        description="Whether each person's column is shown: not while an anonymous round is open (averages and "
        "counts only), since two reads a few minutes apart would show which column is new, and so whose it is"
    )
    columns: list[str] = Field(
        description='The respondents who answered: "Respondent 1", "Respondent 2"... in an anonymous round (in an '
        "order fixed for the round that says nothing of who answered first), their names otherwise"
    )
    rows: list[ResultRowOut] = Field(
        description="One per pain point, by priority, highest first (by average pain in a round without effort); "
        "rows nobody answered last, then in the round's order"
    )
    checklist_struck: int = Field(description='Pain points of the checklist struck off: "1 out, 4 to go"')
    checklist_size: int = Field(description="Pain points on the checklist: the top rows, at most 5")
