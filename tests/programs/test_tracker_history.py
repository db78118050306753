"""The recommendations service: dated changes, drafts kept out of the public history, and its rules."""
import datetime as dt

import pytest

from engage.extensions import db
from engage.models import RecommendationChange, Review, ReviewFinding, ReviewTheme
from engage.services import recommendations as recs

D = dt.date


@pytest.fixture
def review(app_ctx):
    review = Review(slug="sro-review", title="SRO program review", status="active", phases=["Phase 1", "Phase 2"])
    db.session.add(review)
    db.session.commit()
    return review


def test_create_dates_the_change_and_keeps_drafts_out_of_the_public(review):
    draft = recs.create(review, number=2, title="Draft idea", on=D(2026, 1, 5))
    public = recs.create(review, number=1, title="Train officers", owner="Police service", status="planned",
                         publish=True, on=D(2026, 1, 6))
    db.session.commit()
    assert [r.number for r in recs.public_recommendations(review)] == [1]
    history = recs.public_history(review)
    assert [(e.number, e.field, e.changed_on) for e in history] == [(1, "created", D(2026, 1, 6))]
    assert draft.changes[0].field == "created" and draft.changes[0].changed_on == D(2026, 1, 5)
    assert public.published_on == D(2026, 1, 6)


def test_changes_are_one_row_per_field_newest_first_with_the_note(review):
    rec = recs.create(review, number=1, title="Train officers", publish=True, on=D(2026, 1, 6))
    rows = recs.change(rec, status="in_progress", target_on=D(2026, 9, 1), owner="School board",
                       note="Training began.", on=D(2026, 3, 12))
    assert [r.field for r in rows] == ["status", "target_on", "owner"]
    assert rows[0].note == "Training began." and rows[1].note == ""
    assert (rows[0].old_value, rows[0].new_value) == ("planned", "in_progress")
    assert rows[1].new_value == "2026-09-01"
    assert recs.change(rec, status="in_progress", on=D(2026, 3, 13)) == []  # nothing changed: no row
    recs.change(rec, status="done", on=D(2026, 4, 1))
    db.session.commit()
    history = recs.public_history(review)
    assert [(e.changed_on, e.field) for e in history] == [
        (D(2026, 4, 1), "status"), (D(2026, 3, 12), "status"), (D(2026, 3, 12), "target_on"),
        (D(2026, 3, 12), "owner"), (D(2026, 1, 6), "created")]  # newest day first, a day in the order done
    assert recs.status_counts(recs.public_recommendations(review))["done"] == 1


def test_a_note_alone_is_a_public_update(review):
    rec = recs.create(review, number=1, title="Train officers", publish=True, on=D(2026, 1, 6))
    rows = recs.change(rec, note="The working group met.", on=D(2026, 2, 2))
    assert [(r.field, r.note) for r in rows] == [("note", "The working group met.")]


def test_not_proceeding_needs_a_public_reason(review):
    rec = recs.create(review, number=1, title="Move officers", publish=True)
    with pytest.raises(ValueError):
        recs.change(rec, status="not_proceeding")
    with pytest.raises(ValueError):
        recs.create(review, number=2, title="Other", status="not_proceeding")
    rows = recs.change(rec, status="not_proceeding", reason="The province ended the funding.")
    assert [r.field for r in rows] == ["status", "reason"]
    assert rec.status == "not_proceeding"


def test_draft_changes_stay_internal_after_publication(review):
    rec = recs.create(review, number=1, title="First wording", on=D(2026, 1, 1))
    recs.change(rec, title="Second wording", on=D(2026, 1, 2))
    assert recs.public_history(review) == [] and recs.public_history_of(rec) == []
    recs.publish(rec, on=D(2026, 2, 1))
    assert recs.publish(rec) is None  # already public
    recs.change(rec, owner="City", on=D(2026, 2, 3))
    db.session.commit()
    history = recs.public_history_of(rec)
    assert [(e.field, e.changed_on) for e in history] == [("owner", D(2026, 2, 3)), ("published", D(2026, 2, 1))]
    assert all("wording" not in e.old_value for e in history)
    assert db.session.query(RecommendationChange).count() == 4  # staff still have every row


def test_numbers_are_unique_and_links_belong_to_the_review(review):
    other = Review(slug="other", title="Other review")
    db.session.add(other)
    db.session.flush()
    mine = ReviewTheme(review_id=review.id, name="Safety")
    theirs = ReviewTheme(review_id=other.id, name="Safety")
    finding = ReviewFinding(review_id=review.id, title="Teachers and students differ")
    db.session.add_all([mine, theirs, finding])
    db.session.flush()
    rec = recs.create(review, number=1, title="Listen", theme_ids=[mine.id], finding_ids=[finding.id])
    assert [l.review_theme_id for l in rec.theme_links] == [mine.id]
    with pytest.raises(recs.RecommendationError):
        recs.create(review, number=1, title="Duplicate")
    with pytest.raises(recs.RecommendationError):
        recs.create(review, number=2, title="Wrong theme", theme_ids=[theirs.id])
    assert recs.set_links(rec, theme_ids=[], finding_ids=[finding.id]) is True
    assert rec.theme_links == [] and recs.next_number(review) == 2
