"""Review management over real HTTP: admins create and edit reviews and attach, tag and detach streams."""
from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Consultation, Review
from tests.programs.tracker_factory import csrf_from, make_review, post
from tests.review.data_factory import sign_in


def _admin(app, make_user):
    return sign_in(app, make_user, "admin", email="admin@example.org")


def test_an_admin_creates_a_review_and_sees_it_listed(app, make_user):
    admin = _admin(app, make_user)
    response = post(admin, "/programs/new", {
        "title": "SRO program review", "slug": "sro-review", "description": "Two and a half years.",
        "status": "draft", "starts_on": "2023-09-01", "ends_on": "2026-02-28",
        "lead_organisation": "Calgary Board of Education", "partners": "Calgary Police Service\nActionDignity\n\n",
        "phases": "Phase 1\nPhase 2"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/programs/sro-review")
    with app.app_context():
        review = db.session.scalar(select(Review))
        assert review.partners == ["Calgary Police Service", "ActionDignity"]
        assert review.phases == ["Phase 1", "Phase 2"] and str(review.ends_on) == "2026-02-28"
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "create_review")) is not None
    page = admin.get("/programs/").get_data(as_text=True)
    assert "SRO program review" in page
    assert "Calgary Police Service" in admin.get("/programs/sro-review").get_data(as_text=True)


def test_the_form_refuses_a_bad_address_and_a_taken_one(app, make_user):
    make_review(app, "taken")
    admin = _admin(app, make_user)
    bad = post(admin, "/programs/new", {"title": "X", "slug": "Not OK!", "status": "draft"})
    assert bad.status_code == 422 and "lowercase letters" in bad.get_data(as_text=True)
    taken = post(admin, "/programs/new", {"title": "X", "slug": "taken", "status": "draft"})
    assert taken.status_code == 422 and "already uses that web address" in taken.get_data(as_text=True)
    backwards = post(admin, "/programs/new", {"title": "X", "slug": "new-one", "status": "draft",
                                              "starts_on": "2026-01-02", "ends_on": "2026-01-01"})
    assert backwards.status_code == 422


def test_streams_are_attached_tagged_and_detached(app, make_user, make_consultation):
    cid = make_consultation("students")
    make_review(app, "sro-review")
    admin = _admin(app, make_user)
    token = csrf_from(admin, "/programs/sro-review")
    response = admin.post("/programs/sro-review/streams", data={
        "csrf_token": token, "action": "attach", "new-consultation_id": cid, "new-phase": "Phase 2",
        "new-audience": "Grade 5-6 students", "new-format": "In-person sessions", "new-partner": "ActionDignity"})
    assert response.status_code == 303
    with app.app_context():
        c = db.session.get(Consultation, cid)
        assert (c.review_id, c.stream_phase, c.stream_audience, c.stream_format, c.stream_partner) == (
            db.session.scalar(select(Review.id)), "Phase 2", "Grade 5-6 students", "In-person sessions",
            "ActionDignity")
    # Retag: a phase that is not the review's is refused, a real one is kept.
    admin.post("/programs/sro-review/streams", data={
        "csrf_token": token, "action": "update", f"s{cid}-consultation_id": cid, f"s{cid}-phase": "Phase 9",
        f"s{cid}-audience": "x", f"s{cid}-format": "y", f"s{cid}-partner": ""})
    with app.app_context():
        assert db.session.get(Consultation, cid).stream_phase == "Phase 2"
    admin.post("/programs/sro-review/streams", data={
        "csrf_token": token, "action": "update", f"s{cid}-consultation_id": cid, f"s{cid}-phase": "Phase 1",
        f"s{cid}-audience": "Students", f"s{cid}-format": "Survey", f"s{cid}-partner": ""})
    with app.app_context():
        assert db.session.get(Consultation, cid).stream_phase == "Phase 1"
    # A phase in use cannot be removed from the review.
    edit = post(admin, "/programs/sro-review/edit", {"title": "SRO program review", "slug": "sro-review",
                                                     "status": "active", "phases": "Phase 2"})
    assert edit.status_code == 422 and "still tagged" in edit.get_data(as_text=True)
    admin.post("/programs/sro-review/streams", data={"csrf_token": token, "action": "detach", "consultation_id": cid})
    with app.app_context():
        c = db.session.get(Consultation, cid)
        assert c.review_id is None and c.stream_phase == "" and c.stream_partner == ""
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"attach_stream", "tag_stream", "detach_stream"} <= actions
    # The consultation still stands alone.
    assert admin.get("/c/students").status_code == 200


def test_a_consultation_belongs_to_one_review_at_most(app, make_user, make_consultation):
    cid = make_consultation("students")
    make_review(app, "first", streams=[(cid, "Phase 1", "", "", "")])
    make_review(app, "second")
    admin = _admin(app, make_user)
    token = csrf_from(admin, "/programs/second")
    admin.post("/programs/second/streams", data={"csrf_token": token, "action": "attach",
                                                 "new-consultation_id": cid, "new-phase": "Phase 1"})
    with app.app_context():
        assert db.session.get(Consultation, cid).review_id == db.session.scalar(
            select(Review.id).where(Review.slug == "first"))


def test_reviewers_and_publishers_read_but_do_not_edit(app, make_user, make_consultation):
    make_review(app, "sro-review")
    for role in ("reviewer", "publisher"):
        client = sign_in(app, make_user, role, email=f"{role}@example.org")
        assert client.get("/programs/").status_code == 200
        assert client.get("/programs/sro-review").status_code == 200
        assert client.get("/programs/new").status_code == 403
        assert client.get("/programs/sro-review/edit").status_code == 403
        assert client.post("/programs/sro-review/streams", data={}).status_code in (400, 403)
        assert client.get("/programs/sro-review/advisors").status_code == 403


def test_scoped_staff_see_only_reviews_with_their_consultations(app, make_user, make_consultation):
    mine, other = make_consultation("mine"), make_consultation("other")
    make_review(app, "with-mine", streams=[(mine, "Phase 1", "", "", "")])
    make_review(app, "without", streams=[(other, "Phase 1", "", "", "")])
    client = sign_in(app, make_user, "reviewer", email="scoped@example.org", consultation_ids=[mine])
    listing = client.get("/programs/").get_data(as_text=True)
    assert "/programs/with-mine" in listing and "/programs/without" not in listing
    assert client.get("/programs/without").status_code == 404


def test_anonymous_visitors_go_to_sign_in(client, app):
    make_review(app, "sro-review")
    for url in ("/programs/", "/programs/new", "/programs/sro-review", "/programs/sro-review/recommendations",
                "/programs/sro-review/advisors", "/programs/sro-review/board"):
        response = client.get(url)
        assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"], url
