from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField


class RevokeForm(FlaskForm):
    """The reason is checked by revoke_credential, the one place that decides what a reason must be."""

    credential = HiddenField()
    reason = TextAreaField("Reason")
