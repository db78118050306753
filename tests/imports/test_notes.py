"""Focus-group and roundtable notes: splitting, adjusting, saving, and counting sessions, never attendees."""
import datetime as dt
import io

import pytest
from docx import Document
from sqlalchemy import select

from engage.extensions import db
from engage.imports import ImportFileError
from engage.imports.notes import adjust_comments, read_notes, split_comments
from engage.models import Answer, Consultation, EngagementSession, Response
from engage.services import engagement_sessions
from engage.services.imports import ImportRejected
from tests.imports.conftest import count_rows

NOTES = """Students said:
- The officer knows our names
* Some feel watched at lunch,
  especially in the cafeteria
• More counsellors instead
1. Cameras at the doors
2) Less police at dances

A paragraph on its own.
"""


def test_split_one_comment_per_bullet_or_paragraph():
    assert split_comments(NOTES) == [
        "Students said:", "The officer knows our names", "Some feel watched at lunch, especially in the cafeteria",
        "More counsellors instead", "Cameras at the doors", "Less police at dances", "A paragraph on its own.",
    ]
    assert split_comments("  \n\n") == []


def test_adjust_drops_joins_and_keeps_edits():
    texts = ["one", "two", "three", "four"]
    assert adjust_comments(texts, leave_out={3}, join_next={0}) == ["one two", "three"]
    assert adjust_comments(["a", "b"], join_next={1}) == ["a", "b"]
    assert adjust_comments(["edited ", ""], leave_out=set()) == ["edited"]


def test_docx_paragraphs_become_comments():
    document = Document()
    document.add_paragraph("First point from the group")
    document.add_paragraph("Second point", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    assert split_comments(read_notes(buffer.getvalue(), "notes.docx")) == ["First point from the group", "Second point"]
    with pytest.raises(ImportFileError):
        read_notes(b"\x89PNG\r\n", "notes.docx")
    with pytest.raises(ImportFileError):
        read_notes(b"hi", "notes.pdf")


def _save(app, comments, attendees=25):
    details = engagement_sessions.SessionDetails(
        channel="focus_group", held_on=dt.date(2024, 4, 9), organisation="Youth Centre", attendees=attendees,
        segment_description="grade 5-6 students, racialized")
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "school-safety"))
        try:
            session, result = engagement_sessions.save_session(consultation=consultation, details=details, comments=comments,
                                                               user=None, today=dt.date(2024, 5, 1), filename="notes.txt")
        except ImportRejected:
            db.session.rollback()
            raise
        db.session.commit()
        return (session.id if session else None), result


def test_session_comments_are_responses_and_attendees_are_not_respondents(app, consultation):
    session_id, result = _save(app, ["More counsellors", "Fewer officers"])
    assert result.added == 2
    _save(app, ["Another group's view"], attendees=10)
    with app.app_context():
        responses = db.session.scalars(select(Response).where(Response.engagement_session_id == session_id)).all()
        assert {r.channel for r in responses} == {"focus_group"} and {r.submitted_on for r in responses} == {dt.date(2024, 4, 9)}
        assert all(a.question_id is None for r in responses for a in r.answers)
        consultation = db.session.get(Consultation, consultation)
        summary = engagement_sessions.session_summary(consultation)
        assert str(summary) == "3 comments from 2 sessions with 35 attendees"
    assert count_rows(app)["responses"] == 3  # not 35


def test_saving_the_same_notes_twice_adds_nothing(app, consultation):
    _save(app, ["Same notes"])
    session_id, result = _save(app, ["Same notes"])
    assert session_id is None and (result.added, result.skipped) == (0, 1)
    assert count_rows(app)["engagement_sessions"] == 1


def test_too_long_comment_rejects_the_whole_session(app, consultation):
    with pytest.raises(ImportRejected, match="Comment 2"):
        _save(app, ["fine", "x" * 6000])
    assert count_rows(app)["engagement_sessions"] == 0 and count_rows(app)["responses"] == 0


def test_a_damaged_word_document_is_refused_with_a_way_forward():
    import zipfile

    good = io.BytesIO()
    document = Document()
    document.add_paragraph("A point from the group.")
    document.save(good)
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good.getvalue())) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            body = b"<w:document><w:body><w:p" if item.filename == "word/document.xml" else source.read(item.filename)
            target.writestr(item, body)
    with pytest.raises(ImportFileError, match="may be damaged"):
        read_notes(damaged.getvalue(), "notes.docx")
