"""What We Heard reports: the editable draft, its revisions, approved quotes, commitments and published versions.

A report's working copy is its sections (Markdown with number tokens). Every save keeps a revision. Publishing
freezes a ``ReportVersion``: the rendered HTML, the facts and the suppressed tables as they were, so a published
report never changes under its readers and survives the purge of raw comments. A correction is a new version with
a public note.
"""
import datetime as dt
import enum
import uuid

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.models.base import Base
from engage.models.user import utcnow


class ReportStatus(str, enum.Enum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"


REPORT_STATUS_VALUES = tuple(s.value for s in ReportStatus)


class Report(Base):
    """The What We Heard report of one consultation (its working copy and workflow state)."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'in_review', 'approved', 'published')", name="status"),
        # A report is either one consultation's or a program review's overall report, never both.
        CheckConstraint("(consultation_id IS NULL) <> (review_id IS NULL)", name="owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), unique=True
    )
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.DRAFT.value)
    include_appendix: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the coded data comes from: reviewers' codes ("codes") or the latest run's themes ("machine").
    source: Mapped[str] = mapped_column(String(16), default="codes")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A hash of the document as approved: publishing refuses if the text or the data changed since.
    approved_fingerprint: Mapped[str | None] = mapped_column(String(64))

    sections: Mapped[list["ReportSection"]] = relationship(
        back_populates="report", order_by="ReportSection.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list["ReportVersion"]] = relationship(
        back_populates="report", order_by="ReportVersion.number", cascade="all, delete-orphan"
    )


class ReportSection(Base):
    """One section of the working copy. ``body`` is Markdown; ``{{ token }}`` marks a number from the data.

    ``facts_at_save`` keeps the value of every fact when the section was last saved, so that a number a person
    typed can be flagged when the data it was copied from has changed.
    """

    __tablename__ = "report_sections"
    __table_args__ = (UniqueConstraint("report_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    edited: Mapped[bool] = mapped_column(Boolean, default=False)  # False: still the machine draft
    facts_at_save: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    report: Mapped[Report] = relationship(back_populates="sections")


class ReportRevision(Base):
    """A saved state of one section (drafts keep their versions)."""

    __tablename__ = "report_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    section_key: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per section
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="edit")  # draft (machine), edit, restore, refresh
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReportVersion(Base):
    """A published, frozen version. Version 1 is the first publication; later ones are public corrections."""

    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("report_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    correction_note: Mapped[str] = mapped_column(Text, default="")  # public: what changed and why
    title: Mapped[str] = mapped_column(String(300))
    # [{"key", "title", "html"}] rendered and sanitised at publication.
    sections: Mapped[list] = mapped_column(JSON, default=list)
    # Everything the exports need, already suppressed: facts, tables, charts, quotes, commitments.
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    report: Mapped[Report] = relationship(back_populates="versions")


class QuoteStatus(str, enum.Enum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReportQuote(Base):
    """A verbatim, scrubbed comment proposed for the report. Only a publisher's approval lets it be published.

    ``text`` is the comment after personal-information scrubbing, exactly; it is never edited here. If the comment
    is redacted again later, the quote's text no longer matches and its approval lapses.
    """

    __tablename__ = "report_quotes"
    __table_args__ = (
        UniqueConstraint("report_id", "answer_id"),
        CheckConstraint("status IN ('proposed', 'approved', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    # SET NULL: a purge of raw comments keeps approved quotes that were already published.
    answer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("answers.id", ondelete="SET NULL"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    # The group the writer chose (for example "Student"); shown only when show_label and the group is large enough.
    segment_label: Mapped[str] = mapped_column(String(300), default="")
    show_label: Mapped[bool] = mapped_column(Boolean, default=False)
    warnings: Mapped[list] = mapped_column(JSON, default=list)  # re-identification check: [{"kind", "message"}]
    status: Mapped[str] = mapped_column(String(16), default=QuoteStatus.PROPOSED.value, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was rejected
    position: Mapped[int] = mapped_column(Integer, default=0)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class CommitmentStatus(str, enum.Enum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_PROCEEDING = "not_proceeding"


COMMITMENT_STATUS_VALUES = tuple(s.value for s in CommitmentStatus)
COMMITMENT_STATUS_LABELS = {
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "not_proceeding": "Not proceeding",
}


class Commitment(Base):
    """A "what we will do" commitment in the Next steps section, linked to the themes it answers."""

    __tablename__ = "commitments"
    __table_args__ = (
        CheckConstraint("status IN ('planned', 'in_progress', 'done', 'not_proceeding')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=CommitmentStatus.PLANNED.value)
    reason: Mapped[str] = mapped_column(Text, default="")  # public: why it is not proceeding, or what changed
    owner: Mapped[str] = mapped_column(String(200), default="")
    target_on: Mapped[dt.date | None] = mapped_column(Date)
    status_changed_on: Mapped[dt.date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    theme_links: Mapped[list["CommitmentTheme"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def theme_ids(self) -> list[int]:
        return [link.theme_id for link in self.theme_links]


class CommitmentTheme(Base):
    __tablename__ = "commitment_themes"

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True)
