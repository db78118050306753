"""Anonymous responses. By construction they hold no person, request metadata or time of day."""
import datetime as dt
import enum
import uuid

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, Text, Uuid
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.models.base import Base, random_id


class Channel(str, enum.Enum):
    ONLINE = "online"
    PAPER = "paper"
    FOCUS_GROUP = "focus_group"
    ROUNDTABLE = "roundtable"
    EMAIL = "email"


CHANNEL_VALUES = tuple(c.value for c in Channel)
CHANNEL_LABELS = {"online": "Online form", "paper": "Paper survey", "focus_group": "Focus group",
                  "roundtable": "Roundtable", "email": "Email"}
_CHANNEL_CHECK = "channel IN (" + ", ".join(f"'{c}'" for c in CHANNEL_VALUES) + ")"


class Response(Base):
    """One participant's submission. Only the day is kept, never a time, and the id is random.

    SQLite stores these tables WITHOUT ROWID, so rows sit in random-id order rather than arrival order
    and cannot be lined up with any other table by insertion sequence.
    """

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint(_CHANNEL_CHECK, name="channel"),
        # The comment browser and participation view filter a consultation's responses by channel.
        # It also serves every "this consultation's responses" lookup, so consultation_id has no index of its own:
        # each index is one more random page written by every submission.
        Index("ix_responses_consultation_channel", "consultation_id", "channel"),
        # Online responses (nearly all) belong to no session or import batch, so these index only the rest.
        Index("ix_responses_engagement_session_id", "engagement_session_id",
              sqlite_where=sql_text("engagement_session_id IS NOT NULL"),
              postgresql_where=sql_text("engagement_session_id IS NOT NULL")),
        Index("ix_responses_import_batch_id", "import_batch_id", sqlite_where=sql_text("import_batch_id IS NOT NULL"),
              postgresql_where=sql_text("import_batch_id IS NOT NULL")),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=random_id)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16), default=Channel.ONLINE.value)
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(8), default="en")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # For notes from a focus group or roundtable: the session they came from (one response per comment).
    engagement_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagement_sessions.id", ondelete="CASCADE")
    )
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"))

    answers: Mapped[list["Answer"]] = relationship(back_populates="response", cascade="all, delete-orphan")
    segment_answers: Mapped[list["SegmentAnswer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(Base):
    """An answer to one question: text, a 1-5 scale value, or one chosen option (one row per choice)."""

    __tablename__ = "answers"
    __table_args__ = (
        CheckConstraint("scale_value IS NULL OR scale_value BETWEEN 1 AND 5", name="scale_value"),
        # Filtering comments by who wrote them goes answer -> response -> segment answer. It also serves every
        # "this response's answers" lookup, so response_id has no index of its own.
        Index("ix_answers_response_question", "response_id", "question_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=random_id)
    response_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    # Empty for a free-text comment that answers no particular question (an email, a session note).
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    # Set by a reviewer's redaction; shown instead of `text` to everyone but admins.
    redacted_text: Mapped[str | None] = mapped_column(Text)
    scale_value: Mapped[int | None] = mapped_column(SmallInteger)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("question_options.id", ondelete="CASCADE"))

    response: Mapped[Response] = relationship(back_populates="answers")


class SegmentAnswer(Base):
    """An "about you" answer: a chosen option, or an explicit "prefer not to say" (option_id empty)."""

    __tablename__ = "segment_answers"
    __table_args__ = (
        # "Comments from respondents who chose option X": option first, then the responses.
        Index("ix_segment_answers_option_response", "option_id", "response_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=random_id)
    response_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("segment_fields.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("segment_options.id", ondelete="CASCADE"))

    response: Mapped[Response] = relationship(back_populates="segment_answers")


class Receipt(Base):
    """A receipt code's hash and the consultation it belongs to, deliberately with no link to the response.

    The code is an HMAC of the form's one-time submission key, so a resent form maps to the same receipt:
    the primary key makes a double submit store one response.
    """

    __tablename__ = "receipts"
    __table_args__ = {"sqlite_with_rowid": False}

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
