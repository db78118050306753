"""Forms for signing in and choosing a password; they check shape only."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(_l("Enter your email address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password.")), Length(max=512)])


class ChoosePasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A few unrelated words together make a strong password."),
        validators=[InputRequired(_l("Choose a password.")), Length(max=512)],
    )
    confirm = PasswordField(
        _l("Type it again"),
        validators=[InputRequired(_l("Type the password again.")), EqualTo("password", _l("The two passwords differ."))],
    )
