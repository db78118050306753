"""Double coding: kappa on known values, blind samples, disagreements, and machine-vs-human agreement."""
import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import AuditEvent, Code, CodingSample, Consultation, SampleCoding, Suggestion, User
from engage.services import double_coding as service
from engage.services.demo import seed_demo
from engage.services.double_coding import DoubleCodingError, agreement, cohen_kappa
from engage.services.themes import add_theme
from tests.conftest import STAFF_PASSWORD
from tests.helpers import hidden_inputs

# --- the maths ---------------------------------------------------------------------------------------------


def test_kappa_on_known_values():
    # Wikipedia's worked example: 20 yes-yes, 5 yes-no, 10 no-yes, 15 no-no -> p_o 0.7, p_e 0.5, kappa 0.4.
    a = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == pytest.approx(1.0)
    assert cohen_kappa([1, 0], [0, 1]) == pytest.approx(-1.0)
    # Agreement no better than chance is 0: each says yes half the time, independently.
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 1, 0]) == pytest.approx(0.0)


def test_kappa_is_undefined_without_variation_or_items():
    assert cohen_kappa([], []) is None
    assert cohen_kappa([0, 0, 0], [0, 0, 0]) is None
    assert cohen_kappa([1, 1], [1, 1]) is None
    with pytest.raises(ValueError):
        cohen_kappa([1], [1, 0])


def test_agreement_reports_per_theme_pooled_and_mean():
    coder_a = [{1}, {1, 2}, set(), {2}]
    coder_b = [{1}, {1}, set(), {2}]
    result = agreement(coder_a, coder_b, [1, 2, 3])
    assert result.per_theme[1] == (pytest.approx(1.0), 2, 4)
    assert result.per_theme[2][0] == pytest.approx(0.5) and result.per_theme[2][1:] == (2, 3)
    assert result.per_theme[3] == (None, 0, 4)  # never used: undefined, left out of the mean
    assert result.mean == pytest.approx(0.75)
    # Pooled: 12 decisions, 11 agree; yes rates 4/12 and 3/12.
    p_o, p_a, p_b = 11 / 12, 4 / 12, 3 / 12
    p_e = p_a * p_b + (1 - p_a) * (1 - p_b)
    assert result.pooled == pytest.approx((p_o - p_e) / (1 - p_e))
    assert result.n_items == 4


# --- samples, blind coding and resolution ------------------------------------------------------------------------


@pytest.fixture
def setup(app, make_user):
    with app.app_context():
        consultation, _ = seed_demo(responses=20)
        themes = [add_theme(consultation=consultation, user=None, name=n).id for n in ("Safety", "Trust")]
        db.session.commit()
        ids = {"consultation": consultation.id, "themes": themes}
    ids["a"] = make_user(email="coder-a@example.org")
    ids["b"] = make_user(email="coder-b@example.org")
    ids["third"] = make_user(email="third@example.org")
    return ids


def make_sample(app, setup, size=4, seed=7):
    with app.app_context():
        sample = service.create_sample(
            consultation=db.session.get(Consultation, setup["consultation"]), user=None,
            coder_a=db.session.get(User, setup["a"]), coder_b=db.session.get(User, setup["b"]), size=size, seed=seed)
        db.session.commit()
        return sample.id, service.sample_answer_order(sample)


def sign_in(client, email):
    token = hidden_inputs(client.get("/auth/login").get_data(as_text=True))
    assert client.post("/auth/login", data=token | {"email": email, "password": STAFF_PASSWORD}).status_code == 303


def test_admin_draws_a_reproducible_sample(app, client, setup, login_as):
    admin_id = login_as("admin", email="admin@example.org")
    page = client.get("/admin/coding-samples")
    assert page.status_code == 200 and "coder-a@example.org" in page.get_data(as_text=True)
    data = hidden_inputs(page.get_data(as_text=True)) | {
        "consultation": str(setup["consultation"]), "coder_a": str(setup["a"]), "coder_b": str(setup["b"]),
        "size": "5", "seed": "3"}
    assert client.post("/admin/coding-samples", data=data).status_code == 303
    same = client.post("/admin/coding-samples", data=data | {"coder_b": str(setup["a"])})
    assert same.status_code == 422 and "two different reviewers" in same.get_data(as_text=True)
    too_big = client.post("/admin/coding-samples", data=data | {"size": "100000"})
    assert too_big.status_code == 422
    with app.app_context():
        samples = db.session.scalars(select(CodingSample)).all()
        assert len(samples) == 1 and len(samples[0].items) == 5 and samples[0].seed == 3
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "create_coding_sample"))
        assert event.actor_id == admin_id and event.details["size"] == 5
        again = service.create_sample(consultation=db.session.get(Consultation, setup["consultation"]), user=None,
                                      coder_a=db.session.get(User, setup["a"]), coder_b=db.session.get(User, setup["b"]),
                                      size=5, seed=3)
        assert service.sample_answer_order(again) == service.sample_answer_order(samples[0])


def test_reviewers_cannot_reach_the_admin_page(client, setup, login_as):
    login_as("reviewer")
    assert client.get("/admin/coding-samples").status_code == 403


def test_coders_code_blind_and_see_the_report_only_when_done(app, client, setup):
    sample_id, order = make_sample(app, setup, size=3)
    safety, trust = setup["themes"]
    with app.app_context():
        # Codes and suggestions that exist already must stay hidden from a blind coder.
        db.session.add(Code(answer_id=order[0], theme_id=trust, origin="manual"))
        db.session.add(Suggestion(answer_id=order[0], theme_id=safety, source="discovery", score=0.93))
        db.session.add(SampleCoding(sample_id=sample_id, answer_id=order[0], coder_id=setup["b"], theme_ids=[trust]))
        db.session.commit()
    sign_in(client, "coder-a@example.org")
    url = f"/review/sro-review/double-coding/{sample_id}/items/{order[0]}"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "coding blind" in html
    assert "0.93" not in html and "checked" not in html  # neither the suggestion nor anyone's codes
    # The suggestions list, the ordinary coding page and the report are closed to a coder still working.
    suggestions = client.get(f"/review/sro-review/suggestions?theme={safety}")
    assert suggestions.status_code == 200 and "0.93" not in suggestions.get_data(as_text=True)
    assert client.get(f"/review/sro-review/comments/{order[0]}/code").status_code == 303
    report = client.get(f"/review/sro-review/double-coding/{sample_id}").get_data(as_text=True)
    assert "opens once you have coded every comment" in report and "Cohen" not in report
    token = hidden_inputs(html)["csrf_token"]
    response = client.post(url, data={"csrf_token": token, "themes": [str(safety)]})
    assert response.status_code == 303 and str(order[1]) in response.headers["Location"]
    for answer_id in order[1:]:
        client.post(f"/review/sro-review/double-coding/{sample_id}/items/{answer_id}", data={"csrf_token": token})
    report = client.get(f"/review/sro-review/double-coding/{sample_id}").get_data(as_text=True)
    assert "Cohen" in report and "Disagreements to resolve" in report
    with app.app_context():
        codings = db.session.scalars(select(SampleCoding).where(SampleCoding.coder_id == setup["a"])).all()
        assert len(codings) == 3 and sorted(len(c.theme_ids) for c in codings) == [0, 0, 1]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "code_sample_item")) == 3


def test_only_the_two_coders_code_a_sample(app, client, setup):
    sample_id, order = make_sample(app, setup, size=2)
    sign_in(client, "third@example.org")
    assert client.get(f"/review/sro-review/double-coding/{sample_id}/items/{order[0]}").status_code == 404
    with app.app_context():
        with pytest.raises(DoubleCodingError):
            service.save_sample_coding(sample=db.session.get(CodingSample, sample_id),
                                       user=db.session.get(User, setup["third"]), answer_id=order[0], theme_ids=set())


def _both_code(app, setup, sample_id, order, codes_a, codes_b):
    with app.app_context():
        sample = db.session.get(CodingSample, sample_id)
        for coder, codes in ((setup["a"], codes_a), (setup["b"], codes_b)):
            for answer_id, themes in zip(order, codes):
                service.save_sample_coding(sample=sample, user=db.session.get(User, coder), answer_id=answer_id,
                                           theme_ids=themes)
                db.session.commit()


def test_report_and_resolving_a_disagreement(app, client, setup):
    sample_id, order = make_sample(app, setup, size=4)
    safety, trust = setup["themes"]
    _both_code(app, setup, sample_id, order, [{safety}, {safety, trust}, set(), {trust}],
               [{safety}, {safety}, set(), {trust}])
    with app.app_context():
        report = service.sample_report(sample=db.session.get(CodingSample, sample_id))
        assert report.complete == 4
        assert report.agreement.per_theme[safety][0] == pytest.approx(1.0)
        assert report.agreement.per_theme[trust][0] == pytest.approx(0.5)
        assert [d.number for d in report.disagreements] == [2] and not report.disagreements[0].resolved
    sign_in(client, "third@example.org")
    listing = client.get("/review/sro-review/double-coding")
    assert listing.status_code == 200 and f"Sample {sample_id}" in listing.get_data(as_text=True)
    page = client.get(f"/review/sro-review/double-coding/{sample_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "0.50" in html and "Comment 2" in html and "pooled" in html
    response = client.post(f"/review/sro-review/double-coding/{sample_id}/items/{order[1]}/resolve",
                           data={"csrf_token": hidden_inputs(html)["csrf_token"], "themes": [str(safety), str(trust)]})
    assert response.status_code == 303
    with app.app_context():
        codes = db.session.scalars(select(Code).where(Code.answer_id == order[1])).all()
        assert sorted(c.theme_id for c in codes) == [safety, trust] and {c.origin for c in codes} == {"double_coding"}
        assert db.session.scalar(select(func.count()).select_from(Code).where(Code.answer_id != order[1])) == 0
        report = service.sample_report(sample=db.session.get(CodingSample, sample_id))
        assert report.disagreements[0].resolved and report.disagreements[0].final == {safety, trust}
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "resolve_disagreement"))
        assert event.details == {"item": 2, "added": 2, "removed": 0}
        # Agreed comments have nothing to resolve.
        with pytest.raises(DoubleCodingError):
            service.resolve_disagreement(sample=db.session.get(CodingSample, sample_id), user=None,
                                         answer_id=order[0], theme_ids={safety})


def test_resolving_to_fewer_themes_removes_the_disputed_code(app, setup):
    sample_id, order = make_sample(app, setup, size=2)
    safety, trust = setup["themes"]
    _both_code(app, setup, sample_id, order, [{safety, trust}, set()], [{safety}, set()])
    with app.app_context():
        db.session.add(Code(answer_id=order[0], theme_id=trust, origin="manual"))
        db.session.commit()
        added, removed = service.resolve_disagreement(sample=db.session.get(CodingSample, sample_id), user=None,
                                                      answer_id=order[0], theme_ids={safety})
        db.session.commit()
        assert (added, removed) == (1, 1)
        assert db.session.scalars(select(Code.theme_id).where(Code.answer_id == order[0])).all() == [safety]


def test_machine_agreement_against_human_codes(app, client, setup, login_as):
    sample_id, order = make_sample(app, setup, size=4)
    safety, trust = setup["themes"]
    with app.app_context():
        for answer_id, human, machine in zip(order, [{safety}, {trust}, {safety}, {trust}],
                                             [{safety: 0.9, trust: 0.1}, {trust: 0.8}, {safety: 0.3}, {trust: 0.95}]):
            db.session.add_all(Code(answer_id=answer_id, theme_id=t, origin="manual") for t in human)
            db.session.add_all(Suggestion(answer_id=answer_id, theme_id=t, source="assisted", score=s) for t, s in machine.items())
        db.session.commit()
        consultation = db.session.get(Consultation, setup["consultation"])
        result, _ = service.machine_agreement(consultation=consultation, threshold=0.5)
        # Safety: machine [1,0,0,0] vs human [1,0,1,0]; trust: machine [0,1,0,1] vs human [0,1,0,1].
        assert result.per_theme[safety][0] == pytest.approx(cohen_kappa([1, 0, 0, 0], [1, 0, 1, 0]))
        assert result.per_theme[trust][0] == pytest.approx(1.0)
        low, _ = service.machine_agreement(consultation=consultation, threshold=0.25)
        assert low.per_theme[safety][0] == pytest.approx(1.0)
    login_as("reviewer")
    page = client.get("/review/sro-review/machine-agreement?threshold=0.5")
    assert page.status_code == 200 and "1.00" in page.get_data(as_text=True)


def test_double_coding_pages_are_scoped(app, client, setup, login_as, make_consultation):
    sample_id, order = make_sample(app, setup, size=2)
    other = make_consultation("other-one")
    login_as("reviewer", consultation_ids=[other])
    assert client.get("/review/sro-review/double-coding").status_code == 404
    assert client.get(f"/review/sro-review/double-coding/{sample_id}").status_code == 404
    assert client.get("/review/sro-review/machine-agreement").status_code == 404
    # A sample is reachable only under its own consultation.
    assert client.get(f"/review/other-one/double-coding/{sample_id}").status_code == 404
