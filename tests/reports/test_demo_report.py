"""seed-demo publishes an example What We Heard report: public, frozen, suppressed, with approved quotes only."""
import re

from sqlalchemy import select

from engage.extensions import db
from engage.models import QuoteStatus, ReportQuote, ReportVersion


def test_the_demo_has_a_published_report_with_findings_quotes_and_commitments(runner, app, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "/c/sro-review/report" in result.output
    page = client.get("/c/sro-review/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for heading in ("Executive summary", "About the project", "How we engaged", "What we asked", "What we heard",
                    "Next steps"):
        assert heading in html
    assert "We heard from 360 people" in html
    assert "Teacher" in html and "Feeling safe" in html  # the pinned segment difference
    assert "Not proceeding" in html and "Provincial rules" in html  # a commitment with its public reason
    with app.app_context():
        version = db.session.scalar(select(ReportVersion))
        approved = db.session.scalars(select(ReportQuote).where(ReportQuote.status == QuoteStatus.APPROVED.value)).all()
        others = db.session.scalars(select(ReportQuote).where(ReportQuote.status != QuoteStatus.APPROVED.value)).all()
    assert version.number == 1 and approved
    for quote in approved:
        assert quote.text in html and not quote.warnings
    for quote in others:
        assert quote.text not in html
    # Every count published for a group is at or above the public minimum.
    for table in version.data["participation"]["tables"]:
        assert all(row["n"] is None or row["n"] >= table["min"] for row in table["rows"])
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "Published" not in again.output
    assert re.search(r"already exists", again.output)
