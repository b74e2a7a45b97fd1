from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length


class DecisionForm(FlaskForm):
    """The comment; the outcome comes from the button pressed, the ticked criteria from `criterion` boxes."""

    comment = TextAreaField(
        "Comment", validators=[Length(max=20_000, message="Keep the comment under 20,000 characters.")]
    )
