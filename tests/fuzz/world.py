"""The data the fuzzer aims at: one of everything a URL can name, built through the services, quickly.

The demo consultation would do, but its report takes tens of seconds to draft (complementary suppression over
many segments), so a small consultation with two "about you" questions stands in for it.
"""
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from engage.extensions import db
from engage.models import (
    AnalysisRun,
    Answer,
    CodingSample,
    CommentFlag,
    Commitment,
    Consultation,
    EngagementSession,
    Question,
    ReportQuote,
    ReportRevision,
    ReportVersion,
    SegmentField,
    Suggestion,
    Theme,
    User,
)
from tests.conftest import STAFF_PASSWORD
from tests.review.data_factory import add_responses

MAIN = "school-safety"  # open, with responses, themes, flags, samples, a published report
REVIEW = "safety-review"  # an active program review with MAIN and CLOSED as streams, its overall report published
DRAFT_REVIEW = "draft-review"  # not public at all
ADVISOR_EMAIL = "advisor@example.org"
CODED = "coded-entry"  # open, needs an access code
CLOSED = "closed-one"
DRAFT = "draft-one"  # not public at all
ACCESS_CODE = "ALPHA-1"
FUZZER_EMAIL = "fuzzer@example.org"
LOGIN_TARGET = "login-target@example.org"  # fuzzed sign-ins aim here, so the fuzzer's own account never locks
ALL_ROLES = ("admin", "reviewer", "facilitator", "publisher")

SPREADSHEET = b"comment,role\nThe officer said hello every morning.,Student\nWe need more counsellors.,Teacher\n"
EMAIL = (b"From: Sam Person <sam@example.org>\r\nTo: review@example.org\r\nSubject: The officer\r\n"
         b"Content-Type: text/plain; charset=utf-8\r\n\r\nI think the officer should not carry a gun at school.\r\n")

_COMMENTS = [
    ("The officer makes me feel safe at lunch.", {"role": ["Teacher"]}, ["Safety"]),
    ("I feel nervous when police walk past my class.", {"role": ["Student"], "groups": ["Racialized"]}, ["Fear"]),
    ("Tickets for small things are unfair to us.", {"role": ["Student"], "groups": ["2SLGBTQ+"]}, ["Tickets"]),
    ("My name is Jordan Smith and my number is 555-123-4567.", {"role": ["Student"]}, ["Fear"]),
    ("Officer Dan at Maple School helped my friend right away.", {"role": ["Teacher"]}, ["Safety", "Fear"]),
]


@dataclass
class World:
    fuzzer_id: int
    consultation_ids: dict[str, int]
    invite_token: str
    spreadsheet_token: str
    email_token: str
    seed_urls: list[str] = field(default_factory=list)  # pages whose forms only some rows show


def build_world(app, make_consultation, make_user) -> World:
    """Consultations in every state, staff, responses, codes, flags, samples, a run, a report, uploads."""
    ids = {
        MAIN: make_consultation(MAIN, min_group_size=5, public_min_group_size=5),
        CODED: make_consultation(CODED, access_codes=(ACCESS_CODE,), title="Coded entry"),
        CLOSED: make_consultation(CLOSED, status="closed", title="Closed one",
                                  opens_on=dt.date.today() - dt.timedelta(days=60),
                                  closes_on=dt.date.today() - dt.timedelta(days=30)),
        DRAFT: make_consultation(DRAFT, status="draft", title="Draft one"),
    }
    fuzzer_id = make_user(email=FUZZER_EMAIL, roles=ALL_ROLES)
    other_id = make_user(email="other-reviewer@example.org", roles=("reviewer",))
    third_id = make_user(email="third-reviewer@example.org", roles=("reviewer",))
    make_user(email="publisher-only@example.org", roles=("publisher",), consultation_ids=(ids[MAIN],))
    make_user(email=LOGIN_TARGET, roles=("reviewer",))
    make_user(email=ADVISOR_EMAIL, roles=("advisor",))
    rows = [(text, channel, segments, themes) for text, segments, themes in _COMMENTS
            for channel in ("online", "paper", "online", "online")]
    add_responses(app, ids[MAIN], rows)
    add_responses(app, ids[CLOSED], rows[:4])
    with app.app_context():
        return _services_world(app, ids, fuzzer_id, other_id, third_id)


def _services_world(app, ids, fuzzer_id, other_id, third_id) -> World:
    from engage.facilitate.uploads import save_upload
    from engage.services import accounts, analysis_runs, double_coding, engagement_sessions, flags, quotes, reports
    from engage.services import themes as themes_service

    consultation = db.session.get(Consultation, ids[MAIN])
    consultation.languages = ["en", "fr"]  # so its French wording page exists
    consultation.translations = {"fr": {"title": "Sécurité à l'école"}}
    fuzzer, other, third = (db.session.get(User, i) for i in (fuzzer_id, other_id, third_id))
    answers = db.session.scalars(select(Answer).join(Answer.response).where(
        Answer.text.is_not(None), Answer.response.has(consultation_id=consultation.id)).order_by(Answer.text)).all()
    themes = db.session.scalars(select(Theme).where(Theme.consultation_id == consultation.id)).all()

    # A theme deleted from the board, so its Restore button is on a page.
    themes_service.archive_theme(
        theme=themes_service.add_theme(consultation=consultation, user=fuzzer, name="Deleted by the team"), user=fuzzer)
    # And one merged into another, so its "Separate again" button is on a page.
    themes_service.merge_themes(
        source=themes_service.add_theme(consultation=consultation, user=fuzzer, name="Merged by the team"),
        target=themes_service.add_theme(consultation=consultation, user=fuzzer, name="Kept by the team"), user=fuzzer)

    invitee = accounts.create_user(email="invited@example.org", roles=["reviewer"])
    invite_token = accounts.invite_user(user=invitee)

    # Double coding: one sample the fuzzer codes blind, one finished by two others with disagreements.
    double_coding.create_sample(consultation=consultation, user=fuzzer, coder_a=fuzzer, coder_b=other, size=6, seed=1)
    finished = double_coding.create_sample(consultation=consultation, user=fuzzer, coder_a=other, coder_b=third,
                                           size=6, seed=2)
    for number, answer_id in enumerate(double_coding.sample_answer_order(finished)):
        double_coding.save_sample_coding(sample=finished, user=other, answer_id=answer_id, theme_ids={themes[0].id})
        chosen = {themes[number % len(themes)].id}
        double_coding.save_sample_coding(sample=finished, user=third, answer_id=answer_id, theme_ids=chosen)

    flags.flag_comment(answer=answers[0], kind="pii", user=fuzzer)
    flags.flag_comment(answer=answers[4], kind="pii", user=fuzzer)
    flags.flag_comment(answer=answers[8], kind="safeguarding", user=fuzzer)
    for answer in answers[:6]:
        db.session.add(Suggestion(answer_id=answer.id, theme_id=themes[-1].id, source="codebook", score=0.7))

    # A finished analysis run (machine themes, suggestions) and a queued one no worker will pick up.
    run = analysis_runs.start_analysis(consultation=consultation, user=fuzzer)
    db.session.commit()
    analysis_runs.execute_run(run_id=run.id)
    analysis_runs.start_analysis(consultation=consultation, user=fuzzer, n_themes=3)

    # The report: quotes in each state, a commitment, a published version, an edited section with history.
    report = reports.ensure_report(consultation=consultation, user=fuzzer)
    proposed = [quotes.propose_quote(report=report, answer=a, theme_id=themes[0].id, user=fuzzer) for a in answers[1:4]]
    quotes.approve_quote(quote=proposed[0], user=fuzzer, show_label=False, checked_warnings=True)
    quotes.reject_quote(quote=proposed[1], user=fuzzer, reason="Too close to another quote.")
    reports.save_commitment(consultation=consultation, user=fuzzer, commitment=None, title="Train officers",
                            description="Before next year.", status="planned", reason="", owner="Police service",
                            target_on=dt.date.today() + dt.timedelta(days=90), theme_ids=[themes[0].id])
    draft = reports.build_draft(report=report, consultation=consultation, user=fuzzer)
    reports.freeze_version(report=report, document=draft.document, user=fuzzer)
    section = reports.section_or_none(report, "executive_summary")
    reports.save_section(report=report, section=section, title=section.title, body="We heard from {{ respondents }}.",
                         user=fuzzer, data=draft.document.data)

    engagement_sessions.save_session(
        consultation=consultation, user=fuzzer, today=dt.date.today(),
        details=engagement_sessions.SessionDetails(channel="focus_group", attendees=12, organisation="Youth centre"),
        comments=["We talked about feeling safe at school.", "Some students do not trust the officer."])
    db.session.commit()
    _review_world(consultation, db.session.get(Consultation, ids[CLOSED]), themes, fuzzer)
    blind = double_coding.blind_answer_ids(consultation=consultation, user=fuzzer)
    suggested = next(a for a in answers[:6] if a.id not in blind)
    return World(fuzzer_id=fuzzer_id, consultation_ids=ids, invite_token=invite_token,
                 spreadsheet_token=save_upload(SPREADSHEET, "comments.csv"), email_token=save_upload(EMAIL, "note.eml"),
                 seed_urls=[f"/review/{MAIN}/comments/{suggested.id}/code"])


def _review_world(main: Consultation, closed: Consultation, themes: list, fuzzer: User) -> None:
    """A program review with two streams, a shared theme, a finding, recommendations with history, an advisor
    named on it, a comment on a draft in review, and a published overall report; and a draft review."""
    from engage.models import Report, ReviewFinding
    from engage.services import recommendations, review_admin, review_reports, reports, reviews

    review = review_admin.save_review(
        user=fuzzer, review=None, slug=REVIEW, title="Safety review", description="Two streams.", status="active",
        starts_on=dt.date.today() - dt.timedelta(days=90), lead_organisation="Police service",
        partners=["School board"], phases=["Phase 1", "Phase 2"])
    review_admin.tag_stream(user=fuzzer, review=review, consultation=main, phase="Phase 1", audience="Students",
                            format="Online survey", partner="School board")
    review_admin.tag_stream(user=fuzzer, review=review, consultation=closed, phase="Phase 2", audience="Teachers",
                            format="Roundtable")
    shared = reviews.save_review_theme(review=review, user=fuzzer, theme=None, name=themes[0].name,
                                       description="Feeling safe.", keywords="safe")
    reviews.adopt_into_streams(review=review, user=fuzzer)
    finding = ReviewFinding(review_id=review.id, title="Students differ", data={"group": "Students"})
    db.session.add(finding)
    db.session.flush()
    first = recommendations.create(review, number=1, title="Train officers", owner="Police service",
                                   theme_ids=[shared.id], finding_ids=[finding.id], publish=True, user=fuzzer,
                                   on=dt.date.today() - dt.timedelta(days=30))
    recommendations.change(first, user=fuzzer, status="in_progress", note="Training has started.")
    recommendations.create(review, number=2, title="An internal draft", user=fuzzer)
    advisor = db.session.scalar(select(User).where(User.email == ADVISOR_EMAIL))
    review_admin.set_advisors(user=fuzzer, review=review, user_ids=[advisor.id])

    overall = review_reports.ensure_review_report(review=review, user=fuzzer)
    draft = review_reports.build_draft(report=overall, user=fuzzer)
    reports.freeze_version(report=overall, document=draft.document, user=fuzzer)
    stream_report = db.session.scalar(select(Report).where(Report.consultation_id == main.id))
    stream_report.status = "in_review"
    review_admin.add_comment(user=advisor, report=stream_report, body="Please say how many took part.")
    review_admin.save_review(user=fuzzer, review=None, slug=DRAFT_REVIEW, title="Draft review")
    db.session.commit()


def id_pools(app, world: World) -> dict[str, list]:
    """Valid values for each URL argument name, read from the database now (fuzzing changes it)."""
    from engage.models import AccessCode
    from engage.services.reports import SECTION_TITLES

    def ids(column, *where):
        return list(db.session.scalars(select(column).where(*where).order_by(column).limit(12)))

    from engage.models import Recommendation, Report, Review, ReviewFinding
    from engage.services.review_reports import SECTION_TITLES as REVIEW_SECTIONS

    with app.app_context():
        main = world.consultation_ids[MAIN]
        # Program-review URLs name a review by its slug; the active one with everything comes first.
        review_slugs = sorted(ids(Review.slug), key=lambda slug: (slug != REVIEW, slug))
        review_routes = {f"{rule.endpoint}:slug": review_slugs for rule in app.url_map.iter_rules()
                         if rule.endpoint.startswith("programs.")}
        review_routes |= {f"programs.{name}:key": sorted(REVIEW_SECTIONS)
                          for name in ("report_edit_section", "report_redraft_section")}
        # The main consultation first: the crawl starts from the first values, and it has one of everything.
        return {
            "slug": sorted(ids(Consultation.slug), key=lambda slug: (slug != MAIN, slug)),
            "consultation_id": sorted(ids(Consultation.id), key=lambda i: (i != main, i)),
            "question_id": ids(Question.id, Question.consultation_id == main),
            "field_id": ids(SegmentField.id),
            "code_id": ids(AccessCode.id),
            "user_id": ids(User.id),
            "theme_id": ids(Theme.id),
            "flag_id": ids(CommentFlag.id),
            "sample_id": ids(CodingSample.id),
            "quote_id": ids(ReportQuote.id),
            "commitment_id": ids(Commitment.id),
            "suggestion_id": ids(Suggestion.id),
            "session_id": ids(EngagementSession.id),
            "version": ids(AnalysisRun.version),
            "number": sorted(set(ids(ReportVersion.number)) | set(ids(ReportRevision.number))),
            "answer_id": [str(a) for a in ids(Answer.id, Answer.text.is_not(None))],
            "fmt": ["html", "csv", "pdf"],
            "key": sorted(SECTION_TITLES, key=lambda key: (key != "executive_summary", key)),  # the edited one
            "auth.accept_invite:token": [world.invite_token],
            "facilitate.map_spreadsheet:token": [world.spreadsheet_token],
            "facilitate.preview_email:token": [world.email_token],
            "filename": ["css/engage.css", "js/intake.js"],
            "language": ["fr", "en"],
            "rec_id": ids(Recommendation.id),
            "report_id": ids(Report.id),
            "finding_id": ids(ReviewFinding.id),
        } | review_routes


def sign_in(app, *, email: str = FUZZER_EMAIL):
    """A test client signed in through the login form, and the CSRF token of its session."""
    from tests.helpers import hidden_inputs

    client = app.test_client()
    hidden = hidden_inputs(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data=hidden | {"email": email, "password": STAFF_PASSWORD})
    assert response.status_code == 303, response.status_code
    return client, csrf_token(client)


def csrf_token(client) -> str:
    """The session's CSRF token, parsed from a page that holds a form, as a browser would get it."""
    from tests.helpers import hidden_inputs

    page = client.get("/receipt").get_data(as_text=True)
    return hidden_inputs(page).get("csrf_token", "")
