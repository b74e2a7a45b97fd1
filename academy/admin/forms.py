from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.forms import ONE_LINE
from ..inputs import is_email
from ..models import ROLES


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def email_address(form, field) -> None:
    """The shared check (length first, no backtracking pattern); spaces around the address are forgiven."""
    if not is_email((field.data or "").strip()):
        raise ValidationError("Enter a valid email address.")


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def role_choices():
    return choices((r, r.capitalize()) for r in ROLES)


class UserForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired("Enter the person's name."), Length(max=120), ONE_LINE])
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter an email address."),
            Length(max=254),
            email_address,
        ],
    )
    roles = MultiCheckboxField("Roles", choices=role_choices(), validators=[DataRequired("Choose at least one role.")])


class EditUserForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired("Enter the person's name."), Length(max=120), ONE_LINE])
    roles = MultiCheckboxField("Roles", choices=role_choices(), validators=[DataRequired("Choose at least one role.")])


class CohortForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the cohort a name."), Length(max=120), ONE_LINE])
    start_date = DateField("Start date", validators=[DataRequired("Enter the day the cohort starts.")])
    end_date = DateField("Planned end date", validators=[DataRequired("Enter the day the cohort is planned to end.")])


class NewCohortForm(CohortForm):
    tracks = MultiCheckboxField("Tracks to follow", validators=[DataRequired("Choose at least one track.")])


class PlanForm(FlaskForm):
    tracks = MultiCheckboxField("Tracks to follow", validators=[DataRequired("Choose at least one track.")])


class MemberForm(FlaskForm):
    """Adds an existing account to the cohort, or, with a name, invites a new person straight into it."""

    name = StringField("Name (for a new person)", validators=[Optional(), Length(max=120), ONE_LINE])
    email = EmailField("Email", validators=[DataRequired("Enter the person's email."), Length(max=254)])
    role = SelectField(
        "Role in the cohort", choices=choices([("trainee", "Trainee"), ("mentor", "Mentor"), ("manager", "Manager")])
    )
    mentor = SelectField("Mentor (for a trainee)", choices=[], validators=[Optional()], validate_choice=False)


class AssignMentorForm(FlaskForm):
    trainee = SelectField("Trainee", choices=[], coerce=str, validate_choice=False)
    mentor = SelectField("Mentor", choices=[], coerce=str, validate_choice=False)


class ImportForm(FlaskForm):
    file = FileField("CSV file")
    text = TextAreaField("Or paste the rows", validators=[Optional(), Length(max=1_000_000)])


class ProvisioningTokenForm(FlaskForm):
    name = StringField(
        "Identity provider", validators=[DataRequired("Name the identity provider."), Length(max=80), ONE_LINE]
    )
