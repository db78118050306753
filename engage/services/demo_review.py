"""The demo program review "School Resource Officer Program Review" (slug sro-program-review).

Five streams over two phases, shaped like a real review: phase 1 (an online survey, virtual conversations and
email) heard 1,904 people; phase 2 heard grade 5-6 students (115), focus groups of racialized, 2SLGBTQ+ and
disabled students (225), teachers in a private survey (551) and roundtables (103): 2,898 in all. Every comment is
made up from the phrase banks below; none is real. Rows go in with bulk inserts so seeding stays fast.
"""
import datetime as dt
import random
import uuid

from sqlalchemy import insert, select

from engage.extensions import db
from engage.models import (
    Answer, Code, Consultation, Question, Response, Review, SegmentAnswer, SegmentField, SegmentOption, Theme,
)

REVIEW_SLUG = "sro-program-review"
LEAD = "City Police Service"
PARTNERS = ["Public School Board", "Catholic School Board"]
PHASES = ["Phase 1", "Phase 2"]

# (slug, title, phase, audience, format, partner, people, channels, chance a person is supportive, own theme)
STREAMS = [
    ("sro-phase-1", "Phase 1: online survey, virtual conversations and email", "Phase 1",
     "Students, families, staff and community", "Online survey, virtual conversations and email",
     "Public School Board", 1904, (("online", 0.86), ("focus_group", 0.06), ("email", 0.08)), 0.55, None),
    ("sro-grade-5-6", "In-person sessions with grade 5 and 6 students", "Phase 2", "Grade 5-6 students",
     "In-person classroom sessions", "Catholic School Board", 115, (("paper", 1.0),), 0.65,
     ("Officer visits to class", "Talks, visits and games with the officer in class.",
      ["The officer came to our class and showed us how to stay safe online."])),
    ("sro-focus-groups", "Focus groups with racialized, 2SLGBTQ+ and disabled students", "Phase 2",
     "Racialized, 2SLGBTQ+ and disabled students", "Small focus groups", "Community youth organisations", 225,
     (("focus_group", 1.0),), 0.18, None),
    ("sro-teachers", "Private teacher survey", "Phase 2", "Teachers", "Private online survey",
     "Public School Board", 551, (("online", 1.0),), 0.82,
     ("Classroom disruption", "How the officer's visits and calls affect teaching time.",
      ["Officer visits take time out of a full teaching day."])),
    ("sro-roundtables", "Roundtables with parents and community organisations", "Phase 2",
     "Parents and community organisations", "Roundtables", "Both school boards", 103,
     (("roundtable", 1.0),), 0.45, None),
]

# The shared codebook, and made-up sentences (supportive or not) that each theme covers.
SHARED = [
    ("Feeling safe", "The officer helps people feel safe, or responds to fights, threats and lockdowns.",
     ["I feel safer knowing an officer is close by if there is a fight or a lockdown.",
      "When there was a threat at our school, the officer was there in minutes.",
      "Having an officer in the building helps when a situation escalates quickly.",
      "Knowing help is close makes the school feel calm."], []),
    ("Relationships with officers", "Knowing the officer, talking with students, coaching and trust.",
     ["Our officer knows students by name and talks with us at lunch.",
      "The officer coached our team, and now police feel like normal people.",
      "Having the same officer every year builds trust with students."],
     ["We never see the officer except when someone is in trouble."]),
    ("Fear and discomfort", "Feeling nervous, watched or afraid when police are in school.", [],
     ["Seeing a police officer in the hallway makes me nervous even when I have done nothing wrong.",
      "The uniform and the gun make school feel like a place where you are watched.",
      "Some of us are scared of police because of what happened to people in our families.",
      "I do not feel comfortable being myself when the officer is around."]),
    ("Unfair treatment", "Some students being watched, searched or questioned more than others.", [],
     ["It feels like the officer watches Black and brown students more than others.",
      "Students who look like me get treated like suspects.",
      "Queer and trans students get singled out and it is not fair.",
      "Disabled students get treated as a threat when they are having a hard time."]),
    ("Police and school discipline", "Police involved in problems the school should handle.", [],
     ["Small problems that a teacher could handle end up with police involved.",
      "A fight at school should not give a kid a police record."]),
    ("Reporting problems", "Whether students would tell the officer about bullying, threats or other problems.",
     ["I told the officer about bullying and it stopped.",
      "It is easier to report something scary when you already know the officer."],
     ["I would never tell the officer about a problem because I do not know what would happen next."]),
    ("Counsellors and youth workers", "Spend on counsellors, youth workers and mental health support instead.", [],
     ["Schools need more counsellors and youth workers, not police.",
      "I would rather talk to a counsellor than to a police officer."]),
    ("Training and accountability", "Anti-racism training, a clear role, and public reporting on police calls.",
     ["Keep the program, but train officers to work with kids with disabilities."],
     ["Officers should get anti-racism training before working in schools.",
      "Report every year on how often police are called and for which students."]),
]
FAMILY = {True: "As a parent, I am glad someone trained is there if something serious happens.",
          False: "My child is afraid of police, and I worry the officer makes school less welcoming."}
ROLES = ["Student", "Parent or guardian", "Teacher or school staff", "Community member"]


def seed_demo_review(*, seed: int = 2898, today: dt.date | None = None) -> tuple[Review, bool]:
    """Create the demo review with its streams, coded comments, shared codebook, a pinned finding, recommendations,
    two published stream reports and the published overall report. Idempotent: (review, False) if it exists."""
    existing = db.session.scalar(select(Review).where(Review.slug == REVIEW_SLUG))
    if existing is not None:
        return existing, False
    today = today or dt.date.today()
    review = Review(slug=REVIEW_SLUG, title="School Resource Officer Program Review", status="active",
                    description=("Over two and a half years, the police service and the school boards asked "
                                 "students, families, teachers and community members what they think of police "
                                 "officers in schools, and what should change. This is a made-up demo."),
                    lead_organisation=LEAD, partners=list(PARTNERS), phases=list(PHASES), is_demo=True,
                    starts_on=today - dt.timedelta(days=900), ends_on=today - dt.timedelta(days=30))
    db.session.add(review)
    db.session.flush()
    rng = random.Random(seed)
    streams = [_stream(review, spec, position, today) for position, spec in enumerate(STREAMS)]
    _shared_codebook(review)
    for consultation, spec in zip(streams, STREAMS):
        _responses(consultation, spec, rng, today)
    db.session.flush()
    return review, True


def _stream(review: Review, spec, position: int, today: dt.date) -> Consultation:
    slug, title, phase, audience, fmt, partner, people, _, _, own = spec
    opens = review.starts_on + dt.timedelta(days=150 * position)
    consultation = Consultation(
        slug=slug, title=title, summary=f"{fmt} for the School Resource Officer Program Review.",
        description="Part of the School Resource Officer Program Review (a made-up demo).",
        purpose="To hear how the program feels and what should change.",
        audience="The review team reads the answers. They do not know who wrote them.",
        status="closed", opens_on=opens, closes_on=opens + dt.timedelta(days=60), min_group_size=10,
        is_demo=True, review_id=review.id, stream_phase=phase, stream_audience=audience, stream_format=fmt,
        stream_partner=partner)
    consultation.questions = [Question(position=0, kind="text", required=True,
                                       prompt="What do you think of police officers working in schools?")]
    if slug == "sro-phase-1":
        consultation.segment_fields = [SegmentField(key="describes", position=0, label="Which describes you best?",
                                                    options=[SegmentOption(position=i, label=label)
                                                             for i, label in enumerate(ROLES)])]
    db.session.add(consultation)
    db.session.flush()
    if own:
        name, description, examples = own
        db.session.add(Theme(consultation_id=consultation.id, name=name, description=description,
                             examples=examples, position=50, source="human"))
    return consultation


def _shared_codebook(review: Review) -> None:
    from engage.models import ReviewTheme

    for position, (name, description, good, bad) in enumerate(SHARED):
        db.session.add(ReviewTheme(review_id=review.id, name=name, description=description, position=position,
                                   examples=(good + bad)[:2]))
    db.session.flush()
    from engage.services.reviews import adopt_into_streams

    adopt_into_streams(review=review, user=None)


# What each audience talks about most: a theme's weight when picking what a made-up person says.
EMPHASIS = {
    "sro-focus-groups": {"Fear and discomfort": 6, "Unfair treatment": 5, "Counsellors and youth workers": 2},
    "sro-teachers": {"Feeling safe": 5, "Relationships with officers": 3},
    "sro-grade-5-6": {"Relationships with officers": 4, "Feeling safe": 2},
    "sro-roundtables": {"Training and accountability": 3, "Police and school discipline": 2},
}


def _sentences(rng: random.Random, supportive: bool, spec) -> list[str]:
    pools = [(name, good if supportive else bad) for name, _, good, bad in SHARED]
    pools = [(name, pool) for name, pool in pools if pool and name != "Reporting problems"]
    weights = EMPHASIS.get(spec[0], {})
    chosen = []
    for _ in range(rng.choice([1, 1, 2])):
        left = [p for p in pools if p not in chosen]
        chosen.append(rng.choices(left, weights=[weights.get(name, 1) for name, _ in left])[0])
    sentences = [rng.choice(pool) for _, pool in chosen]
    if rng.random() < 0.22:  # every audience talks about reporting problems about as often
        reporting = next(s for s in SHARED if s[0] == "Reporting problems")
        sentences.append(rng.choice(reporting[2] if supportive else reporting[3]))
    own = spec[9]
    if own and rng.random() < 0.25:
        sentences.append(own[2][0])
    return sentences


def _responses(consultation: Consultation, spec, rng: random.Random, today: dt.date) -> None:
    """Bulk-insert the stream's made-up people, their comments and the reviewers' codes (by sentence)."""
    slug, _, _, _, _, _, people, channels, support, own = spec
    question = consultation.questions[0]
    themes = {t.name: t.id for t in db.session.scalars(select(Theme).where(Theme.consultation_id == consultation.id))}
    codes_for = {s: {themes[name]} for name, _, good, bad in SHARED for s in good + bad}
    if own:
        codes_for[own[2][0]] = {themes[own[0]]}
    codes_for[FAMILY[True]], codes_for[FAMILY[False]] = {themes["Feeling safe"]}, {themes["Fear and discomfort"]}
    role_field = consultation.segment_fields[0] if consultation.segment_fields else None
    responses, answers, codes, segments = [], [], [], []
    span = max((consultation.closes_on - consultation.opens_on).days, 1)
    for _ in range(people):
        role = rng.choices(range(len(ROLES)), weights=[50, 25, 12, 13])[0] if role_field else None
        chance = support + ({0: -0.05, 1: 0.05, 2: 0.25, 3: -0.1}[role] if role is not None else 0)
        supportive = rng.random() < chance
        sentences = _sentences(rng, supportive, spec)
        if role == 1 and rng.random() < 0.5:
            sentences.insert(0, FAMILY[supportive])
        channel = rng.choices([c for c, _ in channels], weights=[w for _, w in channels])[0]
        rid, aid = uuid.UUID(int=rng.getrandbits(128), version=4), uuid.UUID(int=rng.getrandbits(128), version=4)
        responses.append({"id": rid, "consultation_id": consultation.id, "channel": channel, "language": "en",
                          "submitted_on": consultation.opens_on + dt.timedelta(days=rng.randrange(span)),
                          "is_demo": True})
        answers.append({"id": aid, "response_id": rid, "question_id": None if channel == "email" else question.id,
                        "text": " ".join(sentences)})
        for theme_id in sorted(set().union(*(codes_for[s] for s in sentences))):
            codes.append({"answer_id": aid, "theme_id": theme_id, "origin": "manual"})
        if role_field is not None and rng.random() < 0.9:
            segments.append({"id": uuid.UUID(int=rng.getrandbits(128), version=4), "response_id": rid,
                             "field_id": role_field.id, "option_id": role_field.options[role].id})
    db.session.execute(insert(Response), responses)
    db.session.execute(insert(Answer), answers)
    db.session.execute(insert(Code), codes)
    if segments:
        db.session.execute(insert(SegmentAnswer), segments)


# --- Analysis, findings, recommendations and the published reports -----------------------------------------------

RECOMMENDATIONS = [
    (1, "Train every School Resource Officer on anti-racism and on working with disabled students",
     "Training designed with community partners before officers start in a school.", "Police service",
     ["Training and accountability", "Unfair treatment"]),
    (2, "Give students, especially racialized, 2SLGBTQ+ and disabled students, a say in how the program works",
     "A student advisory group meets each term and reports to the working group.", "Both school boards",
     ["Fear and discomfort"]),
    (3, "Publish a yearly report on when police are called into schools, and for which students",
     "Counts by school and by reason, with small numbers hidden.", "Police service",
     ["Training and accountability", "Police and school discipline"]),
    (4, "Remove uniforms and weapons for officers in schools", "", "Police service", ["Fear and discomfort"]),
    (5, "Hire more counsellors and youth workers in the schools with officers", "", "Both school boards",
     ["Counsellors and youth workers"]),
]
NOT_PROCEEDING = ("Provincial rules require officers on duty to be in uniform and armed. The working group will "
                  "look again at how officers dress for classroom visits, and report back.")


def publish_demo_review(review: Review, *, today: dt.date | None = None) -> int:
    """Analyse each stream (sentiment), pin the headline difference, add recommendations with dated history,
    publish two stream reports and the overall report. Returns the overall report's version number."""
    from engage.models import ReviewTheme
    from engage.services import analysis_runs, recommendations, reports, review_reports, reviews

    today = today or dt.date.today()
    streams = reviews.streams(review)
    for consultation in streams:
        run = analysis_runs.start_analysis(consultation=consultation, user=None)
        db.session.commit()
        analysis_runs.execute_run(run_id=run.id)
    _pin(review, reviews)
    shared = {t.name: t.id for t in db.session.scalars(select(ReviewTheme).where(ReviewTheme.review_id == review.id))}
    start = review.ends_on or today
    for number, title, description, owner, names in RECOMMENDATIONS:
        created = start - dt.timedelta(days=20)
        rec = recommendations.create(review, number=number, title=title, description=description, owner=owner,
                                     target_on=start + dt.timedelta(days=365), theme_ids=[shared[n] for n in names],
                                     finding_ids=[f.id for f in reviews.findings(review)] if number == 2 else (),
                                     on=created)
        recommendations.publish(rec, on=start)
        if number == 1:
            recommendations.change(rec, status="in_progress", on=start + dt.timedelta(days=14),
                                   note="The first training sessions were held with two community partners.")
        elif number == 3:
            recommendations.change(rec, status="done", on=start + dt.timedelta(days=25),
                                   note="The first yearly report is on the police service's website.")
        elif number == 4:
            recommendations.change(rec, status="not_proceeding", reason=NOT_PROCEEDING,
                                   on=start + dt.timedelta(days=20))
    for consultation in streams:
        if consultation.slug in ("sro-focus-groups", "sro-teachers"):
            report = reports.ensure_report(consultation=consultation, user=None)
            report.title = f"What We Heard: {consultation.title}"
            draft = reports.build_draft(report=report, consultation=consultation)
            reports.freeze_version(report=report, document=draft.document, user=None)
    report = review_reports.ensure_review_report(review=review, user=None)
    report.title = "What We Heard: School Resource Officer Program Review"
    version = reports.freeze_version(report=report, document=review_reports.build_draft(report=report).document,
                                     user=None)
    return version.number


def _pin(review: Review, reviews) -> None:
    """The review's headline: teachers broadly support the program, while racialized, 2SLGBTQ+ and disabled
    students report fear and discomfort."""
    cross = reviews.cross_stream(review, public=False)
    fear = next((t["id"] for t in cross["themes"] if t["name"] == "Fear and discomfort"), None)
    safe = next((t["id"] for t in cross["themes"] if t["name"] == "Feeling safe"), None)
    wanted = [("Racialized, 2SLGBTQ+ and disabled students", fear,
               "Students in the focus groups described fear and discomfort far more often than anyone else."),
              ("Teachers", safe, "Teachers more often said the officer helps people feel safe.")]
    for group, theme_id, note in wanted:
        if theme_id is None:
            continue
        try:
            reviews.pin_finding(review=review, user=None, by="audience", group=group, feature=str(theme_id),
                                note=note)
        except reviews.ReviewError:
            continue
