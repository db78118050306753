"""What other channels heard: focus-group and roundtable sessions, and import batches from files."""
import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engage.models.base import Base
from engage.models.user import utcnow


class EngagementSession(Base):
    """A focus group or roundtable. Its comments are counted as comments from a session, never as attendees."""

    __tablename__ = "engagement_sessions"
    __table_args__ = (
        CheckConstraint("channel IN ('focus_group', 'roundtable')", name="channel"),
        CheckConstraint("attendees >= 0", name="attendees"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    held_on: Mapped[dt.date | None] = mapped_column(Date)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    attendees: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Who was in the room, as a group: "grade 5-6 students, racialized". Never names.
    segment_description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ImportBatch(Base):
    """One imported file: what it was, who imported it and how many comments it added."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255), default="")
    rows_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ImportedRow(Base):
    """The hash of a row already imported, so importing the same file again adds nothing.

    Deliberately not linked to the response it became.
    """

    __tablename__ = "imported_rows"
    __table_args__ = {"sqlite_with_rowid": False}

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
