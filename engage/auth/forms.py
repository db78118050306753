"""Forms for signing in and choosing a password; they check shape only."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[InputRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired("Enter your password."), Length(max=512)])


class ChoosePasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description="At least 12 characters. A few unrelated words together make a strong password.",
        validators=[InputRequired("Choose a password."), Length(max=512)],
    )
    confirm = PasswordField(
        "Type it again", validators=[InputRequired("Type the password again."), EqualTo("password", "The two passwords differ.")]
    )


