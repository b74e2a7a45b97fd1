from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, StopValidation

from .passwords import MAX_LENGTH

ONE_LINE = Regexp(r"^[^\r\n]*\Z", message="Keep it on one line.")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)])


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Choose a password."), Length(max=MAX_LENGTH)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired("Repeat the password."), EqualTo("password", "The two passwords are not the same.")],
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired("Enter a name."), Length(max=120), ONE_LINE])


def needed_for_on_a_day(form, field) -> None:
    """The expiry date counts only with "On a day"; then it must be there."""
    if form.expires.data != "date":
        field.errors[:] = []
        raise StopValidation()
    if not field.raw_data or not field.raw_data[0].strip():
        field.errors[:] = []
        raise StopValidation("Choose the day the token stops working.")


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired("Name the token."), Length(max=80), ONE_LINE])
    scope = RadioField(
        "Access",
        choices=[
            SelectChoice("read", "Read only"),
            SelectChoice("write", "Read and write (submit evidence, decide reviews)"),
            SelectChoice("lab", "Lab checks and submissions (for academy-lab on your lab machine)"),
        ],
        default="read",
    )
    expires = SelectField(
        "Expires after",
        choices=[SelectChoice(v, label) for v, label in (("30", "30 days"), ("90", "90 days"), ("365", "365 days"))]
        + [SelectChoice("date", "On a day")],
        default="90",
    )
    expires_on = DateField("Expiry day", validators=[needed_for_on_a_day])
