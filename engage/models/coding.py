"""The curated codebook and coding: themes reviewers trust, machine suggestions, human codes, double coding."""
import datetime as dt
import uuid

from sqlalchemy import (
    JSON, CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.models.base import Base
from engage.models.user import utcnow


class Theme(Base):
    """A theme in a consultation's codebook: adopted from a run, added by hand, or imported."""

    __tablename__ = "themes"
    __table_args__ = (CheckConstraint("source IN ('machine', 'human', 'imported')", name="source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    examples: Mapped[list] = mapped_column(JSON, default=list)  # example comment texts, for codebook matching
    position: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(16), default="human")
    machine_theme_id: Mapped[int | None] = mapped_column(ForeignKey("machine_themes.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Deleting or merging archives a theme, so codes that pointed at it can still be traced.
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    # On a merged theme: what the merge moved, dropped and rewrote, so that it can be separated again.
    merge_undo: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # The review codebook's theme this one stands for, when the consultation is a stream of a program review.
    review_theme_id: Mapped[int | None] = mapped_column(ForeignKey("review_themes.id", ondelete="SET NULL"), index=True)


class Suggestion(Base):
    """A machine's suggestion that a comment belongs to a theme, waiting for a reviewer's decision."""

    __tablename__ = "suggestions"
    __table_args__ = (
        CheckConstraint("source IN ('discovery', 'assisted', 'codebook')", name="source"),
        CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("analysis_runs.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Code(Base):
    """A reviewer's decision that a comment belongs to a theme. Machines never write these."""

    __tablename__ = "codes"
    __table_args__ = (
        UniqueConstraint("answer_id", "theme_id"),
        CheckConstraint("origin IN ('manual', 'suggestion', 'double_coding')", name="origin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    origin: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CodingSample(Base):
    """A random sample of comments that two reviewers code blind, to measure agreement."""

    __tablename__ = "coding_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    coder_a_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    coder_b_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    seed: Mapped[int] = mapped_column(Integer, default=0)

    items: Mapped[list["CodingSampleItem"]] = relationship(cascade="all, delete-orphan")


class CodingSampleItem(Base):
    __tablename__ = "coding_sample_items"

    sample_id: Mapped[int] = mapped_column(ForeignKey("coding_samples.id", ondelete="CASCADE"), primary_key=True)
    answer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True,
                                                 index=True)


class SampleCoding(Base):
    """One coder's blind coding of one sampled comment (an empty theme list means "none of the themes")."""

    __tablename__ = "sample_codings"

    sample_id: Mapped[int] = mapped_column(ForeignKey("coding_samples.id", ondelete="CASCADE"), primary_key=True)
    answer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True,
                                                 index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    theme_ids: Mapped[list] = mapped_column(JSON, default=list)
    coded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Finding(Base):
    """A pinned "where groups differ" finding, kept for the What We Heard summary. Holds only safe figures."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CommentFlag(Base):
    """Personal details or a possible safeguarding concern in a comment, found by analysis or a reviewer."""

    __tablename__ = "comment_flags"
    __table_args__ = (
        CheckConstraint("kind IN ('pii', 'safeguarding')", name="kind"),
        CheckConstraint("status IN ('open', 'resolved', 'dismissed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default="machine")  # machine or reviewer
    details: Mapped[list] = mapped_column(JSON, default=list)  # e.g. ["phone", "name"] or ["self_harm"]
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text, default="")


class QuestionRevision(Base):
    """A recorded rewording or closing of a question that already has answers."""

    __tablename__ = "question_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
