"""What We Heard reports: the working copy, its workflow, and the documents the exports render.

Reviewers draft and edit; a publisher approves and publishes. Publishing freezes a ``ReportVersion`` so the
public page, PDF and CSV never change under their readers; a correction is a new version with a public note.
"""
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from engage.database import begin_write
from engage.extensions import db
from engage.models import Consultation, Report, ReportStatus, ReportVersion, Role, User
from engage.models.user import utcnow
from engage.services.audit import record_event


class ReportError(ValueError):
    """A request that cannot be carried out; the message is safe to show."""


@dataclass(frozen=True)
class Document:
    """Everything a renderer needs: the sections as sanitised HTML and the suppressed report data.

    ``sections`` is ``[{"key", "title", "html"}]``; ``data`` has the shape documented in ``engage.reporting``.
    ``version`` is None for a draft; ``corrections`` lists earlier published versions ``{"number",
    "published_on", "note"}`` newest first.
    """

    slug: str
    title: str
    sections: list
    data: dict
    draft: bool
    version: int | None = None
    published_on: dt.date | None = None
    corrections: list = field(default_factory=list)


def is_publisher(user: User) -> bool:
    return user.has_role(Role.PUBLISHER.value)


def is_drafter(user: User) -> bool:
    return user.has_role(Role.REVIEWER.value, Role.ADMIN.value)


def report_for(consultation: Consultation) -> Report | None:
    return db.session.scalar(select(Report).where(Report.consultation_id == consultation.id))


def ensure_report(*, consultation: Consultation, user: User | None) -> Report:
    """The consultation's report, created (empty, as a draft) on first use."""
    report = report_for(consultation)
    if report is not None:
        return report
    begin_write()
    report = report_for(consultation)  # another request may have made it while we waited for the lock
    if report is None:
        report = Report(consultation_id=consultation.id, title=f"What We Heard: {consultation.title}"[:300],
                        created_by_id=user.id if user else None, status=ReportStatus.DRAFT.value)
        db.session.add(report)
        db.session.flush()
        record_event(actor=user, action="create_report", target_type="report", target_id=report.id,
                     details={"consultation_id": consultation.id})
    return report


def latest_version(report: Report | None) -> ReportVersion | None:
    if report is None:
        return None
    return db.session.scalar(
        select(ReportVersion).where(ReportVersion.report_id == report.id).order_by(ReportVersion.number.desc()).limit(1)
    )


def touch(report: Report) -> None:
    report.updated_at = utcnow()
