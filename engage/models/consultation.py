"""A consultation, its questions and its optional "about you" segment fields."""
import datetime as dt
import enum

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy import false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.models.base import Base


class ConsultationStatus(str, enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(str, enum.Enum):
    TEXT = "text"
    SINGLE = "single"
    MULTIPLE = "multiple"
    SCALE = "scale"


# The agreement scale is fixed so that results stay comparable across consultations.
SCALE_LABELS = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
}


def availability(status: str, opens_on: dt.date | None, closes_on: dt.date | None, today: dt.date) -> str:
    """'open', 'not_open_yet', 'closed' or 'draft' for a consultation's status and dates, judged on `today`."""
    if status == ConsultationStatus.DRAFT.value:
        return "draft"
    if status == ConsultationStatus.CLOSED.value:
        return "closed"
    if opens_on and today < opens_on:
        return "not_open_yet"
    if closes_on and today > closes_on:
        return "closed"
    return "open"


class Consultation(Base):
    __tablename__ = "consultations"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="status"),
        CheckConstraint("min_group_size >= 1", name="min_group_size"),
        CheckConstraint("public_min_group_size >= 1", name="public_min_group_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    # Plain-language intro: what the program is, why we ask, and who reads the answers.
    description: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=ConsultationStatus.DRAFT.value)
    opens_on: Mapped[dt.date | None] = mapped_column(Date)
    closes_on: Mapped[dt.date | None] = mapped_column(Date)
    requires_access_code: Mapped[bool] = mapped_column(Boolean, default=False)
    min_group_size: Mapped[int] = mapped_column(Integer, default=10)
    # Published reports, their PDF, CSV and charts use the public minimum; identity groups (racialized,
    # Indigenous, ...) may be held to a stricter one.
    public_min_group_size: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    identity_min_group_size: Mapped[int | None] = mapped_column(Integer)
    # Retention: raw comments may be purged this many days after the report is first published.
    retention_days: Mapped[int | None] = mapped_column(Integer)
    comments_purged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Languages the form is offered in (the first is the one content is written in) and the wording in the
    # others: {"fr": {"title": ..., "summary": ..., "description": ..., "purpose": ..., "audience": ...}}.
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["en"])
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    # A consultation may be one stream of a program review, tagged with its phase, audience, format and partner.
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="SET NULL"), index=True)
    stream_phase: Mapped[str] = mapped_column(String(80), default="", server_default="")
    stream_audience: Mapped[str] = mapped_column(String(120), default="", server_default="")
    stream_format: Mapped[str] = mapped_column(String(120), default="", server_default="")
    stream_partner: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Who receives possible safeguarding disclosures, and what they are told to do with them.
    safeguarding_role: Mapped[str] = mapped_column(String(20), default="admin", server_default="admin")
    safeguarding_guidance: Mapped[str] = mapped_column(
        Text,
        default="Read the comment in full. If it suggests a child may be at risk, follow your organisation's "
        "child-protection procedure today. Engage holds nothing that identifies the writer.",
        server_default="",
    )

    questions: Mapped[list["Question"]] = relationship(
        back_populates="consultation", order_by="Question.position", cascade="all, delete-orphan"
    )
    segment_fields: Mapped[list["SegmentField"]] = relationship(
        back_populates="consultation", order_by="SegmentField.position", cascade="all, delete-orphan"
    )
    access_codes: Mapped[list["AccessCode"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan"
    )

    def public_minimum(self, *, identity: bool = False) -> int:
        """The smallest group a published figure may describe (stricter for identity groups if configured).

        Never below ``min_group_size``: that is the number the introduction and the form promise participants.
        """
        smallest = max(self.public_min_group_size or 1, self.min_group_size or 1)
        if identity and self.identity_min_group_size:
            return max(smallest, self.identity_min_group_size)
        return smallest

    def availability(self, today: dt.date) -> str:
        return availability(self.status, self.opens_on, self.closes_on, today)

    @property
    def school_names(self) -> list[str]:
        """The options of the "school" question: names the personal-details scrubber must replace."""
        return [o.label for f in self.segment_fields if f.key == "school" for o in f.options]


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (CheckConstraint("kind IN ('text', 'single', 'multiple', 'scale')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str] = mapped_column(String(500))
    help_text: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    max_length: Mapped[int] = mapped_column(Integer, default=5000)
    # A closed question is no longer asked; its answers stay.
    closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Questions marked for younger students show `simple_help` (short words, short sentences) first.
    for_younger: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    simple_help: Mapped[str] = mapped_column(Text, default="", server_default="")
    # {"fr": {"prompt": ..., "help_text": ..., "simple_help": ...}}
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")
    options: Mapped[list["QuestionOption"]] = relationship(
        back_populates="question", order_by="QuestionOption.position", cascade="all, delete-orphan"
    )


class QuestionOption(Base):
    __tablename__ = "question_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(200))
    translations: Mapped[dict] = mapped_column(JSON, default=dict)  # {"fr": {"label": ...}}

    question: Mapped[Question] = relationship(back_populates="options")


class SegmentField(Base):
    """An optional "about you" question (role, grade band, school, self-identified groups)."""

    __tablename__ = "segment_fields"
    __table_args__ = (UniqueConstraint("consultation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(Text, default="")
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    # Identity fields (racialized, Indigenous, ...) may get a stricter publication minimum later.
    is_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)  # {"fr": {"label": ..., "help_text": ...}}

    consultation: Mapped[Consultation] = relationship(back_populates="segment_fields")
    options: Mapped[list["SegmentOption"]] = relationship(
        back_populates="field", order_by="SegmentOption.position", cascade="all, delete-orphan"
    )


class SegmentOption(Base):
    __tablename__ = "segment_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("segment_fields.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(200))
    # The group's share of the population being consulted (0-1), if known, to show who is under-heard.
    expected_share: Mapped[float | None] = mapped_column(Float)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)  # {"fr": {"label": ...}}

    field: Mapped[SegmentField] = relationship(back_populates="options")


class AccessCode(Base):
    """A shared code (one per school or session) that lets people answer; it is never stored on a response."""

    __tablename__ = "access_codes"
    __table_args__ = (UniqueConstraint("consultation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    consultation: Mapped[Consultation] = relationship(back_populates="access_codes")
