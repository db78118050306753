"""Segments and the equity lens: suppressed tables and charts, where groups differ, pinned findings."""
import re

from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Consultation, Finding, SegmentField
from engage.services import segments
from tests.helpers import hidden_inputs
from tests.review.data_factory import add_responses

# Distinctive counts: 211 students and 73 teachers; 150 students and 0 teachers coded "Safety".
STUDENTS, TEACHERS = 211, 73


def _build(app, make_consultation, slug, min_group_size):
    cid = make_consultation(slug, min_group_size=min_group_size)
    rows = [(f"Student comment {i}", "online", {"role": ["Student"]}, ["Safety"] if i < 150 else [])
            for i in range(STUDENTS)]
    rows += [(f"Teacher comment {i}", "online", {"role": ["Teacher"]}, []) for i in range(TEACHERS)]
    add_responses(app, cid, rows)
    with app.app_context():
        return cid, db.session.scalar(select(SegmentField.id).where(SegmentField.consultation_id == cid,
                                                                     SegmentField.key == "role"))


def _visible(html: str) -> str:
    """The page without hidden inputs (a CSRF token could hold any digits by chance)."""
    return re.sub(r'<input type="hidden"[^>]*>', "", html)


def _has_number(html: str, number: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(number)}(?![\w-])", _visible(html)) is not None


def test_suppressed_values_appear_nowhere_in_the_html(app, client, make_consultation, login_as):
    hidden_id, hidden_field = _build(app, make_consultation, "hidden", 100)  # 73 < 100: hidden, and 211 with it
    shown_id, shown_field = _build(app, make_consultation, "shown", 10)      # the same data, nothing hidden
    login_as("reviewer")
    # 73/284 = 26% (a bar 77.1 wide) and 211/284 = 74% (222.9 wide) on the participation page.
    leaks = [str(TEACHERS), str(STUDENTS), "26%", "74%", "77.1", "222.9"]
    pages = {
        "shown": [client.get(f"/review/shown/segments?by=f{shown_field}").get_data(as_text=True),
                  client.get("/review/shown/participation").get_data(as_text=True)],
        "hidden": [client.get(f"/review/hidden/segments?by=f{hidden_field}").get_data(as_text=True),
                   client.get("/review/hidden/participation").get_data(as_text=True)],
    }
    # The test can fail: with a small minimum every one of these figures is on the pages.
    for number in leaks:
        assert any(_has_number(html, number) for html in pages["shown"]), number
    for html in pages["hidden"]:
        assert "fewer than 100" in html and "complementary suppression" in html and "hidden" in html
        for number in leaks:
            assert not _has_number(html, number), number
        assert "<svg" in html and "<title" in html and "<desc" in html


def test_table_counts_and_shares_come_from_the_library(app, make_consultation):
    cid, field_id = _build(app, make_consultation, "shown", 10)
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        units, names = segments.load_units(consultation=consultation, question_id=None, source="codes")
        dim = segments.find_dimension(consultation=consultation, key=f"f{field_id}")
        table = segments.theme_table(consultation=consultation, units=units, theme_ids=list(names), first=dim)
    safety = next(t for t, name in names.items() if name == "Safety")
    assert table.total_n == 284 and table.theme_totals[safety] == 150 and table.min_cell == 10
    assert table.row("Teacher").themes[safety] is None  # a zero is a small count too
    assert table.row("Student").themes[safety] is None  # else 150 - it would give the zero away
    assert table.row("Student").n in (211, None) and table.row("Teacher").n in (73, None)


def test_bad_choices_get_a_message_not_an_error(app, client, make_consultation, login_as):
    _build(app, make_consultation, "shown", 10)
    login_as("reviewer")
    for query in ("by=zzz", "question=abc", "question=99999", "source=magic", "source=machine", "by=f1&and=f1"):
        response = client.get(f"/review/shown/segments?{query}")
        assert response.status_code == 400 and "error-summary" in response.get_data(as_text=True), query
    assert client.get("/review/shown/segments/differences?by=zzz").status_code == 400


def test_other_scope_is_404(app, client, make_consultation, login_as):
    _build(app, make_consultation, "shown", 10)
    other = make_consultation("other-one")
    login_as("reviewer", consultation_ids=[other])
    assert client.get("/review/shown/segments").status_code == 404
    assert client.get("/review/shown/segments/differences?by=f1&value=Student").status_code == 404


def test_where_groups_differ_and_pinning_a_finding(app, client, make_consultation, login_as):
    cid = make_consultation("differ", min_group_size=10)
    rows = [(f"Students like me get stopped more, note {i}", "online", {"role": ["Student"], "groups": ["Racialized"]}, ["Fairness"] if i < 45 else ["Other"])
            for i in range(60)]
    rows += [(f"Out {i}", "online", {"role": ["Student"], "groups": ["2SLGBTQ+"]}, ["Fairness"] if i < 10 else ["Other"])
             for i in range(60)]
    add_responses(app, cid, rows)
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        racialized = next(o for f in consultation.segment_fields for o in f.options if o.label == "Racialized")
        role = next(f for f in consultation.segment_fields if f.key == "role")
    login_as("reviewer")
    intersection = client.get(f"/review/differ/segments?by=f{role.id}&and=o{racialized.id}")
    assert intersection.status_code == 200 and " × " in intersection.get_data(as_text=True)
    url = f"/review/differ/segments/differences?by=o{racialized.id}&value=In+this+group"
    html = client.get(url).get_data(as_text=True)
    assert "Effect size" in html and "Likely real" in html and "75% of 60" in html and "17% of 60" in html
    assert "<blockquote" in html and "Students like me get stopped more" in html  # an example quote, scrubbed
    row = re.search(r'<th scope="row">Fairness.*?</tr>', html, re.S).group(0)
    form = re.search(r'<form method="post" action="/review/differ/segments/findings">.*?</form>', row, re.S).group(0)
    data = hidden_inputs(form) | {"note": "For the summary"}
    assert client.post("/review/differ/segments/findings", data=data).status_code == 303
    with app.app_context():
        finding = db.session.scalars(select(Finding)).one()
        assert finding.data["group_n"] == 60 and finding.data["rest_n"] == 60 and finding.note == "For the summary"
        assert finding.data["group_share"] == 0.75 and "Fairness" in finding.title
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pin_finding")).one().target_id == finding.id
    assert client.post("/review/differ/segments/findings", data=data | {"feature": "99999"}).status_code == 303
    with app.app_context():
        assert len(db.session.scalars(select(Finding)).all()) == 1  # a made-up feature is refused


def test_a_group_below_the_minimum_is_not_compared(app, make_consultation):
    cid, field_id = _build(app, make_consultation, "hidden", 100)
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        units, names = segments.load_units(consultation=consultation, question_id=None, source="codes")
        dim = segments.find_dimension(consultation=consultation, key=f"f{field_id}")
        table = segments.theme_table(consultation=consultation, units=units, theme_ids=list(names), first=dim)
        assert segments.group_differences(consultation=consultation, units=units, table=table, value="Teacher",
                                          names=names, dimension=dim) == []
