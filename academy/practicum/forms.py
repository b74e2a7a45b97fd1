from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import Length, NumberRange, Optional

from ..learning.forms import new_request_key


class EntryForm(FlaskForm):
    """What the trainee tells about one piece of practice; the rules are the service's (practicum.services)."""

    requirement = SelectField("Requirement of the practicum", choices=[], validate_choice=False)
    started_on = DateField("Day it started", validators=[Optional()])
    started_time = TimeField("Time it started (your time zone)", validators=[Optional()])
    minutes = IntegerField("How long, in minutes", validators=[Optional(), NumberRange(min=1, max=100_000)])
    service = StringField("Rotation or service", validators=[Length(max=200)])
    role = SelectField("Your role (drills and incidents)", choices=[], validate_choice=False)
    scenario = SelectField("Drill scenario (drills)", choices=[], validate_choice=False)
    account = TextAreaField("What happened", validators=[Length(max=25_000)])
    links = TextAreaField("Links (optional, one per line)", validators=[Length(max=25_000)])
    present = StringField("Who else was there (optional)", validators=[Length(max=400)])
    present_mentor = SelectField("The mentor who was there (optional)", choices=[], validate_choice=False)
    request_key = HiddenField(default=new_request_key)


class EntryDecisionForm(FlaskForm):
    comment = TextAreaField("Comment", validators=[Length(max=25_000)])
