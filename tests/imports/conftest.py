"""Fixtures for import tests: files are built in tmp_path or in memory, never read from shared data."""
import pytest
from sqlalchemy import func, select, text

from engage.extensions import db


@pytest.fixture
def consultation(app, make_consultation):
    make_consultation()
    from engage.models import Consultation

    with app.app_context():
        return db.session.scalar(select(Consultation.id).where(Consultation.slug == "school-safety"))


def count_rows(app) -> dict[str, int]:
    """Row counts of every table an import writes to."""
    from engage.models import Answer, EngagementSession, ImportBatch, ImportedRow, Response, SegmentAnswer

    with app.app_context():
        return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
                for m in (Response, Answer, SegmentAnswer, ImportBatch, ImportedRow, EngagementSession)}


def database_contains(app, needle: str) -> bool:
    """Whether any text column anywhere in the database holds `needle` (case-insensitive)."""
    from sqlalchemy import String, Text

    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, (String, Text)):
                    hit = db.session.execute(select(func.count()).select_from(table).where(
                        func.lower(column).contains(needle.lower()))).scalar()
                    if hit:
                        return True
                elif column.type.__class__.__name__ == "JSON":
                    rows = db.session.execute(select(column)).scalars()
                    if any(needle.lower() in str(r).lower() for r in rows):
                        return True
    return False
