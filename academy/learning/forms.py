import uuid

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length

from ..page_cache import one_time


def new_request_key() -> str:
    """Each page's own: a kept page gets a new one each time it is served."""
    return one_time(lambda: uuid.uuid4().hex)


class EvidenceForm(FlaskForm):
    evidence = TextAreaField("Evidence", validators=[Length(max=60_000)])
    links = TextAreaField("Links (optional, one per line)", validators=[Length(max=25_000)])
    files = MultipleFileField("Attachments (optional)")
    request_key = HiddenField(default=new_request_key)


class QuizForm(FlaskForm):
    """Only the token and the request key: the answers are read by question id from the form."""

    request_key = HiddenField(default=new_request_key)


class ActionForm(FlaskForm):
    """A button that changes something: mark as read, withdraw."""
