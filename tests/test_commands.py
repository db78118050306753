"""CLI commands: the demo consultation is realistic, deterministic and idempotent."""
from collections import Counter

from sqlalchemy import func, select

from engage.extensions import db
from engage.models import Answer, Consultation, Response, SegmentAnswer, SegmentField, SegmentOption


def test_seed_demo_creates_a_varied_labelled_consultation(runner, app):
    result = runner.invoke(args=["seed-demo", "--without-review"])  # the program review: tests/programs
    assert result.exit_code == 0, result.output
    assert "sro-review" in result.output and "360" in result.output
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "sro-review"))
        assert consultation.is_demo and consultation.availability(__import__("datetime").date.today()) == "open"
        assert {q.kind for q in consultation.questions} == {"text", "single", "multiple", "scale"}
        assert {f.key for f in consultation.segment_fields} == {"role", "grade_band", "school", "groups"}
        assert db.session.scalar(select(func.count()).select_from(Response).where(Response.is_demo)) == 360
        roles = Counter(db.session.scalars(
            select(SegmentOption.label).join(SegmentAnswer, SegmentAnswer.option_id == SegmentOption.id)
            .join(SegmentField, SegmentField.id == SegmentAnswer.field_id).where(SegmentField.key == "role")
        ))
        assert set(roles) == {"Student", "Parent or guardian", "Teacher", "Other school staff", "Community member"}
        texts = db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all()
        assert len(set(texts)) > 100  # varied, not one sentence repeated


def test_seed_demo_is_deterministic_and_idempotent(runner, app):
    runner.invoke(args=["seed-demo", "--responses", "40", "--without-review"])
    with app.app_context():
        first = sorted(db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))))
    again = runner.invoke(args=["seed-demo", "--without-review"])
    assert "already exists" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 40
        db.session.execute(db.delete(Consultation))
        db.session.commit()
    runner.invoke(args=["seed-demo", "--responses", "40", "--without-review"])
    with app.app_context():
        assert sorted(db.session.scalars(select(Answer.text).where(Answer.text.is_not(None)))) == first
