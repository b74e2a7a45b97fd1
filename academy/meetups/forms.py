"""The meetup's form and the check-in code's: WTForms reads them; the services decide what is acceptable."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import Length, Optional

from ..local_time import time_zones


class MeetupForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=400)])
    day = DateField("Date", validators=[Optional()])
    starts = TimeField("Starts at", validators=[Optional()])
    ends = TimeField("Ends at", validators=[Optional()])
    time_zone = SelectField("Time zone", choices=[], validate_choice=False)
    place = StringField("Place (optional when there is a video link)", validators=[Length(max=400)])
    video_url = StringField("Video link (optional)", validators=[Length(max=2000)])
    recording_url = StringField("Recording, once it is online (optional)", validators=[Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = [(z, z) for z in time_zones()]


class CheckInForm(FlaskForm):
    code = StringField("The code shown at the meetup", validators=[Length(max=40)])


class AttendanceForm(FlaskForm):
    emails = TextAreaField("Others who came (their e-mail addresses, one per line)", validators=[Length(max=50_000)])
