"""Forms for managing consultations; shape only (state checks live in services.consultations)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional



def _lines(value):
    return [line for line in (value or "").splitlines()]


class ConsultationForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give it a title."), Length(max=200)])
    slug = StringField("Web address", description="Used in links: /c/this-part. Lower-case letters, digits and dashes.",
                       validators=[InputRequired("Give it a web address."), Length(max=80)])
    summary = StringField("One-line summary", validators=[Optional(), Length(max=500)])
    description = TextAreaField("What is this about?", description="Plain words a grade 5 student can follow.",
                                validators=[InputRequired("Explain what it is about."), Length(max=5000)])
    purpose = TextAreaField("Why are we asking?", validators=[InputRequired("Say why you are asking."), Length(max=5000)])
    audience = TextAreaField("Who will read the answers?", validators=[InputRequired("Say who reads the answers."), Length(max=5000)])
    status = SelectField("Status", choices=[SelectChoice("draft", "Draft (not public)"), SelectChoice("open", "Open"),
                                            SelectChoice("closed", "Closed")])
    opens_on = DateField("Opens on", validators=[Optional()])
    closes_on = DateField("Closes on", validators=[Optional()])
    requires_access_code = BooleanField("People need an access code to answer")
    min_group_size = IntegerField("Smallest group size shown", description="Counts for smaller groups are hidden everywhere.",
                                  default=10, validators=[InputRequired(), NumberRange(min=5, max=100, message="Use 5 to 100.")])
    # Only roles that can open the review workspace's flags page can be the safeguarding contacts.
    safeguarding_role = SelectField("Who receives possible safeguarding concerns",
                                    choices=[SelectChoice("admin", "Admins"), SelectChoice("reviewer", "Reviewers")],
                                    default="admin")
    safeguarding_guidance = TextAreaField("Guidance for them", validators=[Optional(), Length(max=5000)])
    retention_days = IntegerField(
        "Delete the written comments this many days after the report is first published",
        description="Leave empty to keep them until someone deletes them. When the time is up, the server's daily "
                    "clean-up deletes the words people wrote; the published report, its numbers and its approved "
                    "quotes stay.",
        validators=[Optional(), NumberRange(min=0, max=3650, message="Use 0 to 3,650 days, or leave it empty.")])

    def values(self) -> dict:
        data = {name: self[name].data for name in (
            "title", "slug", "summary", "description", "purpose", "audience", "status", "opens_on", "closes_on",
            "requires_access_code", "min_group_size", "safeguarding_role", "safeguarding_guidance",
            "retention_days")}
        data["summary"] = data["summary"] or ""
        data["safeguarding_guidance"] = data["safeguarding_guidance"] or ""
        data["slug"] = (data["slug"] or "").strip().lower()
        return data


class QuestionForm(FlaskForm):
    kind = SelectField("Kind", choices=[SelectChoice("text", "Open text"), SelectChoice("single", "Single choice"),
                                        SelectChoice("multiple", "Multiple choice"), SelectChoice("scale", "Agreement scale 1-5")])
    prompt = StringField("Question", validators=[InputRequired("Write the question."), Length(max=500)])
    help_text = TextAreaField("Help text", validators=[Optional(), Length(max=2000)])
    required = BooleanField("An answer is required")
    max_length = IntegerField("Longest answer (characters)", default=5000,
                              validators=[Optional(), NumberRange(min=50, max=5000, message="Use 50 to 5,000.")])
    options = TextAreaField("Options, one per line", description="For choice questions only.", validators=[Optional(), Length(max=5000)])

    def option_lines(self) -> list[str]:
        return _lines(self.options.data)


class SegmentFieldForm(FlaskForm):
    key = StringField("Key", description="A short name for exports, e.g. role or grade_band.",
                      validators=[InputRequired("Give it a key."), Length(max=40)])
    label = StringField("Question", validators=[InputRequired("Write the question."), Length(max=300)])
    help_text = TextAreaField("Why we ask (shown to participants)", validators=[Optional(), Length(max=2000)])
    multiple = BooleanField("People can choose more than one")
    is_identity = BooleanField("This is about identity (racialized, Indigenous, 2SLGBTQ+, disability ...)")
    options = TextAreaField("Options, one per line", description='Optionally add "| share" for the expected population share, '
                            'e.g. "Student | 60%". "Prefer not to say" is added for you.',
                            validators=[InputRequired("List the options."), Length(max=5000)])

    def option_lines(self) -> list[str]:
        return _lines(self.options.data)


class AccessCodeForm(FlaskForm):
    code = StringField("Code", validators=[InputRequired("Type a code."), Length(max=40)])
    label = StringField("Label", description="For you only, e.g. the school or session. Never stored with answers.",
                        validators=[Optional(), Length(max=200)])
