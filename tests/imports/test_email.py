"""Email imports: the sender, their signature and quoted replies are never stored; HTML is read safely."""
import datetime as dt
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.imports import ImportFileError
from engage.imports.mail import html_to_text, strip_quotes_and_signature
from engage.models import Answer, Consultation, Response
from engage.services import email_imports
from tests.imports.conftest import count_rows, database_contains

BODY = """I think the officer should stay, but Quentin Zabriskie says students feel watched.
Call me at 403-555-0199.

Thanks,
Quentin Zabriskie
Parent, Grade 4

On Tue, May 7, 2024 at 9:00 AM Review Team <review@board.example> wrote:
> Please send us your views.
"""


def _message(body=BODY, html=None, sender="Quentin Zabriskie <q.zabriskie@mail.example>") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "review@board.example"
    message["Subject"] = "My view from Zabriskie household"
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    return bytes(message)


def _import(app, data, filename="view.eml"):
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "school-safety"))
        result = email_imports.import_emails(consultation=consultation, data=data, filename=filename, user=None,
                                             today=dt.date(2024, 5, 14))
        db.session.commit()
        return result


def test_sender_signature_and_quotes_are_never_stored(app, consultation):
    assert _import(app, _message()).added == 1
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        answer = db.session.scalars(select(Answer)).one()
    assert response.channel == "email" and answer.question_id is None
    assert answer.text.startswith("I think the officer should stay, but [name] says")
    assert "[phone]" in answer.text
    for secret in ("Zabriskie", "Quentin", "q.zabriskie", "mail.example", "Grade 4", "Please send", "review@board",
                   "Subject", "My view from"):
        assert not database_contains(app, secret), secret


def test_mbox_of_several_messages_and_reimport(app, consultation, tmp_path):
    first = _message("We need more counsellors.\n\nSent from my iPhone")
    second = _message("Keep the program.\n-- \nAlex Smith\nalex@x.example", sender="alex@x.example")
    mbox = b"".join(b"From sender@example Tue May  7 09:00:00 2024\n" + m.replace(b"\r\n", b"\n") + b"\n" for m in (first, second))
    assert _import(app, mbox, "box.mbox").added == 2
    result = _import(app, mbox, "box.mbox")
    assert (result.added, result.skipped) == (0, 2)
    with app.app_context():
        assert set(db.session.scalars(select(Answer.text))) == {"We need more counsellors.", "Keep the program."}
    assert not database_contains(app, "iPhone") and not database_contains(app, "Alex")


def test_html_only_messages_drop_scripts_and_quotes():
    html = ("<html><head><style>p{}</style><script>alert('x')</script></head><body><p>Officers &amp; staff</p>"
            "<ul><li>one</li></ul><blockquote>old reply</blockquote><div class='gmail_quote'>quoted</div></body></html>")
    text = html_to_text(html)
    assert "Officers & staff" in text and "- one" in text
    assert "alert" not in text and "old reply" not in text and "quoted" not in text and "<" not in text


def test_html_only_email_is_imported_as_text(app, consultation):
    message = EmailMessage()
    message["From"] = "someone@example.org"
    message.set_content("<p>Please <b>listen</b> to students</p><script>steal()</script>", subtype="html")
    _import(app, bytes(message))
    with app.app_context():
        assert db.session.scalar(select(Answer.text)) == "Please listen to students"


def test_strip_keeps_ordinary_closing_sentences():
    assert strip_quotes_and_signature("Good idea.\nThank you for asking us.") == "Good idea.\nThank you for asking us."
    assert strip_quotes_and_signature("Hi\n---------- Forwarded message ---------\nFrom: A <a@b.c>\nDate: x\n\nBody") == "Hi\nBody"
    assert strip_quotes_and_signature("Mine\n-----Original Message-----\nTheirs") == "Mine"


@pytest.mark.parametrize("data,name", [(b"", "a.eml"), (b"just some words", "a.eml"), (b"x", "a.pdf")])
def test_broken_email_files_are_refused(app, consultation, data, name):
    with app.app_context(), pytest.raises(ImportFileError):
        email_imports.prepare_emails(data=data, filename=name)
    assert count_rows(app)["responses"] == 0


def test_an_email_nested_thousands_of_parts_deep_is_refused(app, consultation):
    parts = [b"From: a@example.org\nMIME-Version: 1.0\n"]
    for depth in range(3000):
        parts.append(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (depth, depth))
    parts.append(b"Content-Type: text/plain\n\nDeep down.\n")
    with app.app_context(), pytest.raises(ImportFileError, match="nested too deeply"):
        email_imports.prepare_emails(data=b"".join(parts), filename="deep.eml")
    assert count_rows(app)["responses"] == 0


@pytest.mark.parametrize("content_type", [b"text/plain", b"text/plain; charset=x-unknown-zz"])
def test_latin1_mail_that_does_not_say_so_is_read_as_windows_1252(app, consultation, content_type):
    raw = b"From: a@example.org\nContent-Type: " + content_type + b"\n\nCaf\xe9 na\xefve, d\xe9j\xe0 vu.\n"
    with app.app_context():
        rows, _preview = email_imports.prepare_emails(data=raw, filename="latin.eml")
    assert [text for text, _hash in rows] == ["Café naïve, déjà vu."]
