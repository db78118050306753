"""Participation: respondents by segment and channel against expected shares, suppressed like everything else."""
import pytest

from engage.extensions import db
from engage.models import Consultation, SegmentOption
from engage.services import segments
from tests.review.data_factory import add_responses


@pytest.fixture
def consultation_id(app, make_consultation):
    cid = make_consultation(min_group_size=10)
    rows = [("ok", "online", {"role": ["Student"], "groups": ["Racialized"]}, []) for _ in range(40)]
    rows += [("ok", "paper", {"role": ["Teacher"]}, []) for _ in range(12)]
    rows += [("ok", "focus_group", {"role": ["Student"]}, []) for _ in range(4)]
    add_responses(app, cid, rows)
    with app.app_context():
        for option in db.session.query(SegmentOption).all():
            option.expected_share = {"Student": 0.4, "Teacher": 0.5, "2SLGBTQ+": 0.1}.get(option.label)
        db.session.commit()
    return cid


def test_counts_by_channel_and_segment_with_suppression(app, consultation_id):
    with app.app_context():
        total, tables = segments.participation(consultation=db.session.get(Consultation, consultation_id))
    assert total == 56
    by = {t.label: {r.label: r for r in t.rows} for t in tables}
    assert by["Channel"]["Focus group"].n is None  # 4 is below 10
    # (The library also hides online and paper here, more than complementary suppression needs: reported.)
    role = by["Which describes you?"]
    assert role["Student"].n == 44 and role["Teacher"].n == 12 and "Not stated" not in role
    assert role["Teacher"].under_heard and not role["Student"].under_heard  # 21% against an expected 50%
    groups = by["Your groups (a person may be in several)"]
    assert groups["Racialized"].n == 40 and groups["2SLGBTQ+"].n is None  # nobody: listed, and hidden


def test_the_page_shows_under_heard_groups_and_hides_small_ones(app, client, consultation_id, login_as):
    login_as("reviewer")
    response = client.get("/review/school-safety/participation")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "under-heard" in html and "56 responses" in html
    assert "<svg" in html and "<title" in html and "<desc" in html and "<caption>" in html
    assert 'scope="row"' in html and "Focus group" in html
    # The focus group's 4 responses are hidden: neither a count, a share (7%) nor a bar (21.4 px) shows.
    section = html.split("Responses by channel")[1].split("</table>")[0]
    assert ">4<" not in section and "7%" not in html and "21.4" not in html


def test_other_scope_is_404(app, client, consultation_id, login_as, make_consultation):
    other = make_consultation("other-one")
    login_as("reviewer", consultation_ids=[other])
    assert client.get("/review/school-safety/participation").status_code == 404
