"""Analysis runs and their machine output, kept apart from reviewers' own codes so re-runs never overwrite them."""
import datetime as dt
import enum
import uuid

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.models.base import Base
from engage.models.user import utcnow


class RunStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class AnalysisRun(Base):
    """One analysis of a consultation's comments (all questions, or one), numbered per consultation."""

    __tablename__ = "analysis_runs"
    __table_args__ = (
        UniqueConstraint("consultation_id", "version"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED.value)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(200), default="Waiting to start")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    n_comments: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    themes: Mapped[list["MachineTheme"]] = relationship(
        back_populates="run", order_by="MachineTheme.position", cascade="all, delete-orphan"
    )


class MachineTheme(Base):
    """A theme as the analysis found it. Reviewers curate copies of these; the run's own record stays as found."""

    __tablename__ = "machine_themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer)
    mean_sentiment: Mapped[float | None] = mapped_column(Float)
    quote_answer_ids: Mapped[list] = mapped_column(JSON, default=list)  # answer ids (as strings), best first

    run: Mapped[AnalysisRun] = relationship(back_populates="themes")


class CommentAnalysis(Base):
    """What one run found about one comment: themes (strongest first), sentiment, non-answer, personal details."""

    __tablename__ = "comment_analyses"
    __table_args__ = {"sqlite_with_rowid": False}

    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_runs.id", ondelete="CASCADE"), primary_key=True)
    # Indexed on its own too: deleting a comment cascades here, and the key leads with run_id.
    answer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True,
                                                 index=True)
    theme_scores: Mapped[list] = mapped_column(JSON, default=list)  # [[machine_theme_id, score], ...]
    sentiment: Mapped[float | None] = mapped_column(Float)
    non_answer: Mapped[bool] = mapped_column(default=False)
    pii: Mapped[list] = mapped_column(JSON, default=list)
    safeguarding: Mapped[list] = mapped_column(JSON, default=list)
