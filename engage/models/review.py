"""Program reviews: consultations grouped into phases and streams, a shared codebook, recommendations with a
dated public history, and the advisory board's access and comments."""
import datetime as dt
import enum

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.models.base import Base
from engage.models.user import utcnow


class ReviewStatus(str, enum.Enum):
    DRAFT = "draft"    # being set up: nothing public
    ACTIVE = "active"  # the public tracker page is live
    CLOSED = "closed"  # finished; the tracker stays readable


REVIEW_STATUS_VALUES = tuple(s.value for s in ReviewStatus)


class Review(Base):
    """A program review: several consultations (streams), each tagged with a phase and an audience."""

    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("status IN ('draft', 'active', 'closed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.DRAFT.value)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    lead_organisation: Mapped[str] = mapped_column(String(200), default="")
    partners: Mapped[list] = mapped_column(JSON, default=list)  # partner organisations' names
    # Phases in order, e.g. ["Phase 1", "Phase 2"]; a stream's Consultation.stream_phase names one of them.
    phases: Mapped[list] = mapped_column(JSON, default=list)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    themes: Mapped[list["ReviewTheme"]] = relationship(
        back_populates="review", order_by="ReviewTheme.position", cascade="all, delete-orphan"
    )
    recommendations: Mapped[list["Recommendation"]] = relationship(
        back_populates="review", order_by="Recommendation.number", cascade="all, delete-orphan"
    )


class ReviewTheme(Base):
    """A theme of the review's shared codebook. A stream's Theme points here through review_theme_id, so the
    same theme means the same thing in every stream; streams may still have themes of their own."""

    __tablename__ = "review_themes"
    __table_args__ = (UniqueConstraint("review_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    examples: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    review: Mapped[Review] = relationship(back_populates="themes")


class ReviewFinding(Base):
    """A pinned cross-stream "where groups differ" finding. Holds only figures that were safe to show."""

    __tablename__ = "review_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class RecommendationStatus(str, enum.Enum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_PROCEEDING = "not_proceeding"


RECOMMENDATION_STATUS_VALUES = tuple(s.value for s in RecommendationStatus)


class Recommendation(Base):
    """One of the review's recommendations, linked to the themes and findings it answers."""

    __tablename__ = "recommendations"
    __table_args__ = (
        CheckConstraint("status IN ('planned', 'in_progress', 'done', 'not_proceeding')", name="status"),
        UniqueConstraint("review_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # as published: "Recommendation 12"
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    target_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=RecommendationStatus.PLANNED.value)
    reason: Mapped[str] = mapped_column(Text, default="")  # public: why it is not proceeding, or what changed
    # Hidden from the public tracker until published (a draft recommendation is internal).
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    review: Mapped[Review] = relationship(back_populates="recommendations")
    theme_links: Mapped[list["RecommendationTheme"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    finding_links: Mapped[list["RecommendationFinding"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    changes: Mapped[list["RecommendationChange"]] = relationship(
        order_by="RecommendationChange.id", cascade="all, delete-orphan"
    )


class RecommendationTheme(Base):
    __tablename__ = "recommendation_themes"

    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), primary_key=True
    )
    review_theme_id: Mapped[int] = mapped_column(ForeignKey("review_themes.id", ondelete="CASCADE"), primary_key=True)


class RecommendationFinding(Base):
    __tablename__ = "recommendation_findings"

    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), primary_key=True
    )
    review_finding_id: Mapped[int] = mapped_column(
        ForeignKey("review_findings.id", ondelete="CASCADE"), primary_key=True
    )


class RecommendationChange(Base):
    """A dated public change to a recommendation: created, status, target date, owner or wording."""

    __tablename__ = "recommendation_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"), index=True)
    changed_on: Mapped[dt.date] = mapped_column(Date)  # the day only, as shown to the public
    field: Mapped[str] = mapped_column(String(40))  # "created", "status", "target_on", "owner", "title", ...
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")  # public explanation
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReviewAccess(Base):
    """Which reviews an advisory-board member (role `advisor`) may read."""

    __tablename__ = "review_access"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True)


class DraftComment(Base):
    """An advisor's (or staff member's) comment on a report draft before publication."""

    __tablename__ = "draft_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    section_key: Mapped[str] = mapped_column(String(40), default="")  # "" for the whole draft
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
