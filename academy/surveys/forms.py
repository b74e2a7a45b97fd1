"""The round's form (WTForms) and the answer sheet's cells, read by hand: a sheet is as wide as its round."""

import re
from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from .services import MAX_POINTS, Answer, Cell

BLANK_ROWS = 8  # room for the five pain points of a first round and a few more


class PointForm(Form):
    title = StringField("Pain point", validators=[Length(max=400)])
    description = StringField("Description (optional)", validators=[Length(max=2000)])
    addresses = SelectField("Addressed in the curriculum by (optional)", choices=[], validate_choice=False)


class RoundForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=400)])
    closes_on = DateField("Closes at the end of", validators=[Optional()])
    people = TextAreaField("People (their e-mail addresses, one per line)", validators=[Length(max=50_000)])
    anonymous = BooleanField("Anonymous answers", default=True)
    asks_effort = BooleanField("Also ask how hard each one is to fix", default=True)
    # far more rows than a page shows, so that the service, not the form, says "at most 20"
    points = FieldList(FormField(PointForm), min_entries=BLANK_ROWS, max_entries=5 * MAX_POINTS)


def curriculum_choices(catalogue) -> list[tuple[str, str]]:
    choices = [("", "—")]
    for track in catalogue.tracks:
        choices.append((f"track:{track.id}", f"Track: {track.title}"))
        choices += [(f"module:{m.id}", f"   Module: {m.title}") for m in catalogue.modules_in(track.id)]
    return choices


class StrikeForm(FlaskForm):
    addressed_by = SelectField(
        "What addressed it",
        choices=[
            ("team", "A cross-functional team"),
            ("initiative", "An initiative"),
            ("track", "A curriculum track"),
            ("module", "A curriculum module"),
        ],
        validate_choice=False,
    )
    what = StringField("Its name (a team or an initiative)", validators=[Length(max=400)])
    curriculum = SelectField("Or the track or module", choices=[], validate_choice=False)


SCORE = re.compile(r"^[0-9]{1,3}$")


@dataclass
class Sheet:
    """A respondent's sheet as typed: the answers when every cell reads, else the problems, each by its cell."""

    typed: dict[str, str]
    answers: dict[int, Answer]
    problems: list[tuple[str, str]]


def read_cell(raw: str | None, unknown: bool, what: str) -> tuple[Cell, str | None]:
    text = (raw or "").strip()
    if text == "?":  # as on the team's sheet
        return Cell(unknown=True), None
    if not text:
        return Cell(unknown=unknown), None
    if unknown:
        return Cell(), f"{what}: give a score or tick “don't know”, not both."
    if not SCORE.match(text) or int(text) > 100:
        shown = text if len(text) <= 12 else text[:12] + "…"
        return Cell(), f"{what}: scores are whole numbers from 0 to 100, and “{shown}” is not one."
    return Cell(score=int(text)), None


def read_sheet(form, points, asks_effort: bool) -> Sheet:
    sheet = Sheet(typed={}, answers={}, problems=[])
    for point in points:
        cells = {}
        for kind in ("pain", "effort") if asks_effort else ("pain",):
            name = f"{kind}-{point.id}"
            unknown = form.get(f"{name}-unknown") == "1"
            sheet.typed[name] = (form.get(name) or "")[:40]
            sheet.typed[f"{name}-unknown"] = "1" if unknown else ""
            label = f"“{point.title}”, {'pain' if kind == 'pain' else 'effort to fix'}"
            cells[kind], problem = read_cell(form.get(name), unknown, label)
            if problem:
                sheet.problems.append((f"#{name}", problem))
        sheet.answers[point.id] = Answer(cells["pain"], cells.get("effort", Cell()))
    return sheet


def typed_from(scores) -> dict[str, str]:
    """The sheet as saved, in the form's own names, to fill the form again."""
    typed = {}
    for s in scores:
        for kind in ("pain", "effort"):
            value, unknown = getattr(s, kind), getattr(s, f"{kind}_unknown")
            typed[f"{kind}-{s.pain_point_id}"] = "" if value is None else str(value)
            typed[f"{kind}-{s.pain_point_id}-unknown"] = "1" if unknown else ""
    return typed
