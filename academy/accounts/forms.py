from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

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


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired("Name the token."), Length(max=80), ONE_LINE])
