"""The talk's form and the organizers' decision form: WTForms reads them; the services decide what is acceptable
(the form's limits are loose on purpose, so that the service's message, not a generic one, says what is wrong)."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, ValidationError

from .services import MAX_SPEAKERS, SpeakerDraft, TalkDraft


class SpeakerForm(Form):
    email = StringField("Their account's e-mail", validators=[Length(max=400)])
    guest_name = StringField("Or a guest's name", validators=[Length(max=400)])
    guest_team = StringField("The guest's team", validators=[Length(max=400)])
    is_sre = BooleanField("is an SRE")

    def validate_is_sre(self, field):
        """A tick sends "y"; anything else is a form not of this page, refused rather than read as ticked."""
        if any(value != "y" for value in field.raw_data or []):
            raise ValidationError("Tick the box or leave it; the form sent something else.")


class TalkForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=400)])
    abstract = TextAreaField("Abstract", validators=[Length(max=20_000)])
    # more rows than the page shows, so that the service, not the form, says "at most 3"
    speakers = FieldList(FormField(SpeakerForm), min_entries=MAX_SPEAKERS, max_entries=3 * MAX_SPEAKERS)
    module_ids = SelectMultipleField("Related modules of the curriculum", choices=[], validate_choice=False)
    slides_url = StringField("Slides (optional)", validators=[Length(max=2000)])


DECISIONS = [
    ("accept", "Accept it into a meetup"),
    ("changes", "Ask for changes"),
    ("decline", "Decline it"),
]


class DecisionForm(FlaskForm):
    """One of DECISIONS, a meetup's id, a comment: as sent, for the service to judge."""

    decision = StringField("Decision", validators=[Length(max=20)])
    meetup = StringField("Into the meetup", validators=[Length(max=20)])
    comment = TextAreaField("Comment to the proposer", validators=[Length(max=4000)])


def draft_from(form: TalkForm) -> TalkDraft:
    return TalkDraft(
        title=form.title.data or "",
        abstract=form.abstract.data or "",
        speakers=[
            SpeakerDraft(
                email=row.form.email.data or "",
                guest_name=row.form.guest_name.data or "",
                guest_team=row.form.guest_team.data or "",
                is_sre=bool(row.form.is_sre.data),
            )
            for row in form.speakers
        ],
        module_ids=[m for m in form.module_ids.data or [] if isinstance(m, str)],
        slides_url=form.slides_url.data or "",
    )


def padded(rows: list[dict]) -> list[dict]:
    """A talk's speakers as the form's rows, with empty ones up to the rows the page shows."""
    return rows + [{}] * max(MAX_SPEAKERS - len(rows), 0)
