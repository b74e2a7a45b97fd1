from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length


class ReadinessRequestForm(FlaskForm):
    note = TextAreaField("A note for the panel (optional)", validators=[Length(max=25_000)])


class ReadinessDecisionForm(FlaskForm):
    rationale = TextAreaField("The panel's rationale", validators=[Length(max=25_000)])
    missing = TextAreaField("What is missing (for Not yet)", validators=[Length(max=25_000)])
    override_reason = TextAreaField(
        "Reason for overriding an incomplete checklist (admins)", validators=[Length(max=25_000)]
    )
