"""Facilitator forms, shape only: file checks and import rules live in the import services."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

SPREADSHEET_CHANNELS = [SelectChoice("paper", _l("Paper surveys")), SelectChoice("email", _l("Email")),
                        SelectChoice("focus_group", _l("Focus group")), SelectChoice("roundtable", _l("Roundtable"))]
SESSION_CHANNELS = [SelectChoice("focus_group", _l("Focus group")), SelectChoice("roundtable", _l("Roundtable"))]
LANGUAGES = [SelectChoice("en", _l("English")), SelectChoice("fr", _l("French")), SelectChoice("other", _l("Other"))]


class SpreadsheetUploadForm(FlaskForm):
    file = FileField(_l("Spreadsheet (.csv or .xlsx)"), validators=[FileRequired(_l("Choose a spreadsheet file."))],
                     description=_l("The first row must name the columns."))
    channel = SelectField(_l("Where these comments came from"), choices=SPREADSHEET_CHANNELS, default="paper")
    language = SelectField(_l("Language of the comments"), choices=LANGUAGES, default="en",
                           description=_l("Analysis reads each language with its own word lists."))


class EmailUploadForm(FlaskForm):
    file = FileField(_l("Email file (.eml) or mailbox (.mbox)"),
                     validators=[FileRequired(_l("Choose an .eml or .mbox file."))],
                     description=_l("Senders' names, addresses and signatures are removed and never stored."))


class SessionForm(FlaskForm):
    channel = SelectField(_l("Kind of session"), choices=SESSION_CHANNELS, default="focus_group")
    held_on = DateField(_l("Date held"), validators=[Optional()], description=_l("For example 2024-05-14."))
    organisation = StringField(_l("Facilitating organisation"), validators=[Optional(), Length(max=200)])
    attendees = IntegerField(_l("Number of attendees"), default=0,
                             validators=[InputRequired(_l("Enter how many people attended (0 if unknown).")),
                                         NumberRange(min=0, max=100000,
                                                     message=_l("Enter a number of people, 0 or more."))],
                             description=_l("Attendees are never counted as separate respondents."))
    language = SelectField(_l("Language"), choices=LANGUAGES, default="en")
    segment_description = StringField(_l("Who was there, as a group"), validators=[Optional(), Length(max=500)],
                                      description=_l('For example "grade 5-6 students, racialized". Never names.'))
    notes = TextAreaField(_l("Paste the notes"), validators=[Optional()],
                          description=_l("One comment per paragraph or bullet. You can check and change them next."))
    notes_file = FileField(_l("Or upload the notes (.txt or .docx)"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.notes.data or "").strip() and not self.notes_file.data:
            self.notes.errors = [*self.notes.errors, _l("Paste the notes or upload a notes file.")]
            valid = False
        return valid
