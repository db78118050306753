"""Facilitator forms, shape only: file checks and import rules live in the import services."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

SPREADSHEET_CHANNELS = [SelectChoice("paper", "Paper surveys"), SelectChoice("email", "Email"),
                        SelectChoice("focus_group", "Focus group"), SelectChoice("roundtable", "Roundtable")]
SESSION_CHANNELS = [SelectChoice("focus_group", "Focus group"), SelectChoice("roundtable", "Roundtable")]
LANGUAGES = [SelectChoice("en", "English"), SelectChoice("fr", "French"), SelectChoice("other", "Other")]


class SpreadsheetUploadForm(FlaskForm):
    file = FileField("Spreadsheet (.csv or .xlsx)", validators=[FileRequired("Choose a spreadsheet file.")],
                     description="The first row must name the columns.")
    channel = SelectField("Where these comments came from", choices=SPREADSHEET_CHANNELS, default="paper")


class EmailUploadForm(FlaskForm):
    file = FileField("Email file (.eml) or mailbox (.mbox)", validators=[FileRequired("Choose an .eml or .mbox file.")],
                     description="Senders' names, addresses and signatures are removed and never stored.")


class SessionForm(FlaskForm):
    channel = SelectField("Kind of session", choices=SESSION_CHANNELS, default="focus_group")
    held_on = DateField("Date held", validators=[Optional()], description="For example 2024-05-14.")
    organisation = StringField("Facilitating organisation", validators=[Optional(), Length(max=200)])
    attendees = IntegerField("Number of attendees", default=0,
                             validators=[InputRequired("Enter how many people attended (0 if unknown)."),
                                         NumberRange(min=0, max=100000, message="Enter a number of people, 0 or more.")],
                             description="Attendees are never counted as separate respondents.")
    language = SelectField("Language", choices=LANGUAGES, default="en")
    segment_description = StringField("Who was there, as a group", validators=[Optional(), Length(max=500)],
                                      description='For example "grade 5-6 students, racialized". Never names.')
    notes = TextAreaField("Paste the notes", validators=[Optional()],
                          description="One comment per paragraph or bullet. You can check and change them next.")
    notes_file = FileField("Or upload the notes (.txt or .docx)")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.notes.data or "").strip() and not self.notes_file.data:
            self.notes.errors = [*self.notes.errors, "Paste the notes or upload a notes file."]
            valid = False
        return valid
