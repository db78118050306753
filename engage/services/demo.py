"""The demo "School Resource Officer Program Review": a realistic consultation with made-up responses."""
import datetime as dt
import random

from sqlalchemy import select

from engage.extensions import db
from engage.models import (
    Answer,
    Channel,
    Consultation,
    ConsultationStatus,
    Question,
    QuestionKind,
    QuestionOption,
    Response,
    SegmentAnswer,
    SegmentField,
    SegmentOption,
)

DEMO_SLUG = "sro-review"

ROLES = ["Student", "Parent or guardian", "Teacher", "Other school staff", "Community member"]
GRADE_BANDS = ["Grade 4 to 6", "Grade 7 to 9", "Grade 10 to 12"]
SCHOOLS = [  # made up, so that no real school appears in demo data
    "Aspen Creek School", "Maple Ridge Junior High", "Cedar Heights High School",
    "Willow Park School", "Juniper Hill Junior High", "Larch Valley High School",
]
GROUPS = [
    "Racialized (for example Black, South Asian, East Asian, Latin American, Middle Eastern)",
    "Indigenous (First Nations, Métis or Inuit)",
    "2SLGBTQ+",
    "Person with a disability",
    "Newcomer to Canada (here less than 5 years)",
]

# Sentences written for the demo, grouped by what they are about and how they feel.
POSITIVE = {
    "relationships": [
        "Our officer knows students by name and stops to talk with us at lunch.",
        "The officer coached our basketball team, and now police feel like normal people to me.",
        "The officer is friendly and takes time to get to know the students.",
        "Having the same officer every year means the kids trust him.",
    ],
    "safety": [
        "I feel safer knowing someone is there if there is a fight or a lockdown.",
        "When there was a threat last year, the officer was here in minutes.",
        "The officer helps keep people who do not belong out of the school.",
        "Knowing help is close by makes the school feel calm.",
    ],
    "reporting": [
        "When my friend was being threatened online, the officer helped us right away.",
        "I told the officer about bullying and it stopped.",
        "It is easier to report something scary when you already know the officer.",
    ],
    "teaching": [
        "The talks about online safety and vaping were really useful.",
        "The officer taught us about the law in a way that made sense.",
    ],
}
NEGATIVE = {
    "fear": [
        "Seeing a police officer in the hallway makes me nervous, even when I have not done anything wrong.",
        "Some of us are scared of police because of what happened to people in our families.",
        "The uniform and the gun make school feel like a place where you are watched.",
        "I do not feel safe when the officer is around.",
    ],
    "fairness": [
        "It feels like the officer watches Black and brown students more than other students.",
        "My friends got searched, and the white kids doing the same thing did not.",
        "Students who look like me get treated like suspects.",
        "Indigenous students get stopped and questioned more often.",
    ],
    "discipline": [
        "Small problems that a teacher could handle end up with police involved.",
        "Students get tickets for things the school should deal with.",
        "A fight at school should not give a kid a police record.",
    ],
    "reporting": [
        "I would never tell the officer about a problem because I do not know what would happen next.",
        "I would rather talk to a counsellor than to a police officer.",
    ],
}
STAFF_POSITIVE = [
    "As a teacher, having an officer nearby helps when a situation escalates quickly.",
    "The officer supports staff during lockdown drills and threats.",
    "Our officer connects families with services they did not know about.",
]
PARENT_VOICES = {
    True: ["As a parent, I am glad there is someone trained to respond if something serious happens."],
    False: ["My child is afraid of police, and I worry the officer makes school feel less welcoming."],
}
CHANGES = [
    "Officers should not wear a uniform or carry a gun in school.",
    "Students should have a say in how the program works.",
    "Train officers on anti-racism and on working with kids with disabilities.",
    "Hire more counsellors and youth workers instead.",
    "Explain to students what the officer can and cannot do.",
    "Keep the program, but make sure the officer spends time getting to know students.",
    "Let schools choose whether they want an officer.",
    "Report every year on how often police are called and for which students.",
]
NON_ANSWERS = ["nothing", "n/a", "No comment", "I don't know", "see above"]


def seed_demo(*, responses: int = 360, seed: int = 2021, today: dt.date | None = None) -> tuple[Consultation, int]:
    """Create the demo consultation with `responses` made-up responses; return it and how many were added.

    Idempotent: if the demo already exists, nothing changes. The same seed always gives the same answers.
    """
    existing = db.session.scalar(select(Consultation).where(Consultation.slug == DEMO_SLUG))
    if existing is not None:
        return existing, 0
    today = today or dt.date.today()
    consultation = _build_consultation(today)
    db.session.add(consultation)
    db.session.flush()
    rng = random.Random(seed)
    for _ in range(responses):
        db.session.add(_demo_response(consultation, rng, today))
    db.session.flush()
    return consultation, responses


def _build_consultation(today: dt.date) -> Consultation:
    consultation = Consultation(
        slug=DEMO_SLUG,
        title="School Resource Officer Program Review",
        summary="Tell us what you think about police officers working in schools.",
        description=(
            "Some schools have a police officer who works with the school. This officer is called a "
            "School Resource Officer. The program has four goals: help students be safe and feel safe, "
            "build good relationships between students and police, make it easier to report problems, "
            "and find out what should change."
        ),
        purpose=(
            "We want to know how the program feels to you. Your answers help decide if the program "
            "should stay the same, change, or stop. We want to hear from everyone, and most of all from "
            "students who do not often get asked."
        ),
        audience=(
            "A review team from the school board and the police service reads the answers. They do not "
            "know who wrote them. They look for ideas that many people share."
        ),
        status=ConsultationStatus.OPEN.value,
        opens_on=today - dt.timedelta(days=21),
        closes_on=today + dt.timedelta(days=60),
        min_group_size=10,
        is_demo=True,
    )
    scale, text, single, multiple = (k.value for k in (QuestionKind.SCALE, QuestionKind.TEXT, QuestionKind.SINGLE, QuestionKind.MULTIPLE))
    specs = [
        (scale, "I feel safe at my school.", "", True, []),
        (scale, "Having a School Resource Officer at my school makes me feel safer.", "", True, []),
        (text, "Tell us about the School Resource Officer at your school. What has gone well, and what has not?",
         "Write as much or as little as you like. Please do not write anyone's name.", True, []),
        (single, "If you were worried about your safety at school, who would you tell first?", "", False,
         ["A teacher", "A school counsellor", "The principal or vice-principal", "The School Resource Officer",
          "A parent or family member", "A friend", "I would not tell anyone"]),
        (scale, "I would feel comfortable telling the School Resource Officer about a problem.", "", False, []),
        (multiple, "What should the School Resource Officer spend time on? Choose all that fit.", "", False,
         ["Getting to know students", "Teaching about safety and the law", "Helping when there is a fight or a threat",
          "Helping students who are being bullied", "Working with families", "Less time in the school"]),
        (text, "What should change? What would help you feel safer at school?",
         "You can skip this question.", False, []),
    ]
    for position, (kind, prompt, help_text, required, options) in enumerate(specs):
        consultation.questions.append(Question(
            position=position, kind=kind, prompt=prompt, help_text=help_text, required=required,
            options=[QuestionOption(position=i, label=label) for i, label in enumerate(options)],
        ))
    fields = [
        ("role", "Which of these describes you best?", "", False, False, ROLES),
        ("grade_band", "If you are a student, what grade are you in?", "Skip this if you are not a student.", False, False, GRADE_BANDS),
        ("school", "Which school are you answering about?", "", False, False, SCHOOLS),
        ("groups", "Do you belong to any of these groups? Choose all that fit.",
         "Some groups have told us the program feels different for them. Asking helps us check.", True, True, GROUPS),
    ]
    for position, (key, label, help_text, multiple_choice, identity, options) in enumerate(fields):
        consultation.segment_fields.append(SegmentField(
            key=key, position=position, label=label, help_text=help_text, multiple=multiple_choice, is_identity=identity,
            options=[SegmentOption(position=i, label=text) for i, text in enumerate(options)],
        ))
    return consultation


def _demo_response(consultation: Consultation, rng: random.Random, today: dt.date) -> Response:
    questions = consultation.questions
    fields = {f.key: f for f in consultation.segment_fields}
    role = rng.choices(range(len(ROLES)), weights=[55, 20, 12, 8, 5])[0]
    groups = [i for i, share in enumerate([0.35, 0.08, 0.10, 0.08, 0.10]) if rng.random() < share]
    racialized_or_indigenous = bool({0, 1} & set(groups))
    support = {0: 0.55, 1: 0.6, 2: 0.85, 3: 0.75, 4: 0.5}[role]
    if racialized_or_indigenous:
        support -= 0.35 if role == 0 else 0.15
    supportive = rng.random() < support

    response = Response(
        consultation_id=consultation.id,
        channel=Channel.ONLINE.value,
        submitted_on=today - dt.timedelta(days=rng.randint(0, 20)),
        is_demo=True,
    )
    answers = response.answers
    feel_safe = rng.choice([4, 5, 5] if supportive else [2, 3, 4])
    sro_safer = rng.choice([4, 5] if supportive else [1, 2, 2, 3])
    answers.append(Answer(question_id=questions[0].id, scale_value=feel_safe))
    answers.append(Answer(question_id=questions[1].id, scale_value=sro_safer))
    answers.append(Answer(question_id=questions[2].id, text=_experience_text(rng, role, supportive)))
    if rng.random() < 0.85:
        options = questions[3].options
        pick = 3 if supportive and rng.random() < 0.4 else rng.choice([0, 1, 2, 4, 5, 6])
        answers.append(Answer(question_id=questions[3].id, option_id=options[pick].id))
    if rng.random() < 0.8:
        answers.append(Answer(question_id=questions[4].id, scale_value=max(1, min(5, sro_safer + rng.choice([-1, 0, 0])))))
    for option in rng.sample(questions[5].options, rng.randint(0, 3)):
        answers.append(Answer(question_id=questions[5].id, option_id=option.id))
    if rng.random() < 0.6:
        text = rng.choice(NON_ANSWERS) if rng.random() < 0.1 else " ".join(rng.sample(CHANGES, rng.randint(1, 2)))
        answers.append(Answer(question_id=questions[6].id, text=text))

    segs = response.segment_answers
    if rng.random() < 0.92:
        segs.append(SegmentAnswer(field_id=fields["role"].id, option_id=fields["role"].options[role].id))
    if role == 0 and rng.random() < 0.9:
        segs.append(SegmentAnswer(field_id=fields["grade_band"].id, option_id=rng.choice(fields["grade_band"].options).id))
    if rng.random() < 0.8:
        segs.append(SegmentAnswer(field_id=fields["school"].id, option_id=rng.choice(fields["school"].options).id))
    if rng.random() < 0.06:
        segs.append(SegmentAnswer(field_id=fields["groups"].id, option_id=None))
    else:
        segs.extend(SegmentAnswer(field_id=fields["groups"].id, option_id=fields["groups"].options[g].id) for g in groups)
    return response


def _experience_text(rng: random.Random, role: int, supportive: bool) -> str:
    if rng.random() < 0.05:
        return rng.choice(NON_ANSWERS)
    pool = POSITIVE if supportive else NEGATIVE
    themes = rng.sample(sorted(pool), rng.randint(1, 2))
    sentences = [rng.choice(pool[t]) for t in themes]
    if role in (2, 3) and supportive and rng.random() < 0.6:
        sentences.insert(0, rng.choice(STAFF_POSITIVE))
    if role == 1 and rng.random() < 0.5:
        sentences.insert(0, rng.choice(PARENT_VOICES[supportive]))
    if not supportive and rng.random() < 0.15:
        sentences.append("The safety talks were fine, but that does not make up for the rest.")
    return " ".join(sentences)


# --- The demo's coded analysis and its published What We Heard report --------------------------------------------

# The demo codebook: what a review team might have agreed on, with the demo sentences each theme covers.
DEMO_THEMES = [
    ("Relationships with the officer", "Knowing the officer by name, talking with students, coaching and trust.",
     POSITIVE["relationships"]),
    ("Feeling safe", "The officer helps people feel safe, or responds quickly to fights, threats and lockdowns.",
     POSITIVE["safety"] + STAFF_POSITIVE[:2] + PARENT_VOICES[True]),
    ("Reporting problems", "Whether students would tell the officer about bullying, threats or other problems.",
     POSITIVE["reporting"] + NEGATIVE["reporting"]),
    ("Safety education", "Talks and lessons about online safety, vaping and the law.",
     POSITIVE["teaching"] + ["The safety talks were fine, but that does not make up for the rest."]),
    ("Fear and discomfort", "Feeling nervous, watched or afraid when police are in school.",
     NEGATIVE["fear"] + PARENT_VOICES[False]),
    ("Unfair treatment", "Racialized and Indigenous students being watched, searched or questioned more.",
     NEGATIVE["fairness"]),
    ("Police and school discipline", "Police involved in problems the school should handle; tickets and records.",
     NEGATIVE["discipline"]),
    ("Support for families", "Connecting families with services.", STAFF_POSITIVE[2:]),
]
DEMO_CHANGE_THEMES = [
    ("No uniform or weapons", "Officers should not wear a uniform or carry a gun in school.", CHANGES[0:1]),
    ("Student voice", "Students should help decide how the program works.", CHANGES[1:2]),
    ("Training", "Anti-racism training, and training for working with students with disabilities.", CHANGES[2:3]),
    ("Counsellors and youth workers", "Spend on counsellors and youth workers instead.", CHANGES[3:4]),
    ("Clear role and accountability", "Explain the officer's role and report on police calls every year.",
     [CHANGES[4], CHANGES[7]]),
    ("Keep it, with relationships first", "Keep the program, with more time getting to know students.",
     CHANGES[5:6]),
    ("School choice", "Let each school decide whether it wants an officer.", CHANGES[6:7]),
]


def seed_demo_coding(consultation: Consultation) -> int:
    """Code the demo's comments with its codebook, as reviewers would have. Returns how many codes were added.

    The demo's sentences come from known lists, so each comment's themes are known exactly.
    """
    from engage.models import Code, Theme

    if db.session.scalar(select(Theme.id).where(Theme.consultation_id == consultation.id).limit(1)):
        return 0
    text_questions = [q for q in consultation.questions if q.kind == QuestionKind.TEXT.value]
    themes_by_sentence: dict = {}
    for position, (name, description, sentences) in enumerate(DEMO_THEMES + DEMO_CHANGE_THEMES):
        theme = Theme(consultation_id=consultation.id, name=name, description=description, position=position,
                      source="human", examples=sentences[:2])
        db.session.add(theme)
        db.session.flush()
        for sentence in sentences:
            themes_by_sentence.setdefault(sentence, set()).add(theme.id)
    added = 0
    answers = db.session.execute(
        select(Answer.id, Answer.text).join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation.id,
               Answer.question_id.in_([q.id for q in text_questions]), Answer.text.is_not(None)))
    for answer_id, text in answers:
        found = set().union(*(ids for sentence, ids in themes_by_sentence.items() if sentence in text))
        for theme_id in sorted(found):
            db.session.add(Code(answer_id=answer_id, theme_id=theme_id, origin="manual"))
            added += 1
    db.session.flush()
    return added


DEMO_COMMITMENTS = [
    ("Train every School Resource Officer on anti-racism and on working with students with disabilities",
     "Training designed with community partners, before the next school year.", "in_progress",
     "Police service and school board", ["Unfair treatment", "Training"]),
    ("Ask students, especially racialized and Indigenous students, to help shape the program",
     "A student advisory group meets each term and reports to the working group.", "planned",
     "School board", ["Fear and discomfort", "Student voice"]),
    ("Publish a yearly report on when police are called into schools, and for which students",
     "Counts by school and by reason, with small numbers hidden.", "planned",
     "Police service", ["Clear role and accountability", "Police and school discipline"]),
    ("Remove uniforms and weapons for officers in schools",
     "", "not_proceeding", "Police service", ["No uniform or weapons"]),
]
DEMO_NOT_PROCEEDING = ("Provincial rules require officers on duty to be in uniform. The working group will look "
                       "again at how officers dress for classroom visits, and report back.")


def seed_demo_report(consultation: Consultation):
    """Analyse, code, pin the headline findings, approve quotes and publish a What We Heard report for the demo.

    Everything here is what staff would do through the review workspace; it is done in code so that `seed-demo`
    shows a finished example. Returns the published version, or None when the demo already has one.
    """
    from engage.models import Commitment, CommitmentTheme, QuoteStatus, ReportQuote, ReportVersion, Theme
    from engage.services import analysis_runs, quotes, reports, segments
    from engage.models.user import utcnow

    report = reports.ensure_report(consultation=consultation, user=None)
    if db.session.scalar(select(ReportVersion.id).where(ReportVersion.report_id == report.id).limit(1)):
        return None
    seed_demo_coding(consultation)
    run = analysis_runs.start_analysis(consultation=consultation, user=None)
    db.session.commit()
    analysis_runs.execute_run(run_id=run.id)  # sentiment for the report, and machine themes to compare
    themes = {t.name: t for t in db.session.scalars(select(Theme).where(Theme.consultation_id == consultation.id))}
    _pin_demo_findings(consultation, themes, segments)
    for position, (title, description, status, owner, names) in enumerate(DEMO_COMMITMENTS):
        db.session.add(Commitment(
            consultation_id=consultation.id, title=title, description=description, status=status, owner=owner,
            reason=DEMO_NOT_PROCEEDING if status == "not_proceeding" else "", position=position,
            status_changed_on=dt.date.today(), target_on=dt.date.today() + dt.timedelta(days=240),
            theme_links=[CommitmentTheme(theme_id=themes[n].id) for n in names if n in themes]))
    # Two quotes per theme for the main themes: the first candidates with no re-identification warning.
    for name in [n for n, _, _ in DEMO_THEMES[:7]]:
        chosen = 0
        for candidate in quotes.candidate_quotes(consultation=consultation, theme_id=themes[name].id, limit=20):
            if chosen == 2:
                break
            answer = db.session.get(Answer, candidate.answer_id)
            quote = db.session.scalar(select(ReportQuote).where(ReportQuote.report_id == report.id,
                                                                ReportQuote.answer_id == answer.id))
            if quote is None:
                quote = ReportQuote(report_id=report.id, answer_id=answer.id, theme_id=themes[name].id,
                                    question_id=answer.question_id, text=candidate.text, position=chosen,
                                    warnings=quotes.reidentification_warnings(consultation=consultation,
                                                                              text=candidate.text))
                db.session.add(quote)
            if quote.warnings or quote.theme_id != themes[name].id:
                continue
            quote.status, quote.decided_at = QuoteStatus.APPROVED.value, utcnow()
            chosen += 1
    db.session.flush()
    report.title = "What We Heard (interim): School Resource Officer Program Review"
    draft = reports.build_draft(report=report, consultation=consultation)
    return reports.freeze_version(report=report, document=draft.document, user=None)


def _pin_demo_findings(consultation, themes, segments) -> None:
    """The review's headline: teachers broadly support the program while racialized students report fear."""
    dims = {d.label: d for d in segments.dimensions(consultation=consultation)}
    racialized = next(d for label, d in dims.items() if label.startswith("Racialized"))
    role = next(d for d in dims.values() if d.key.startswith("f") and "describes you" in d.label)
    wanted = [
        (racialized, segments.IN_GROUP, "Fear and discomfort",
         "Racialized respondents described fear and discomfort far more often than others."),
        (racialized, segments.IN_GROUP, "Unfair treatment", "Racialized respondents more often described being "
         "watched, searched or questioned unfairly."),
        (role, "Teacher", "Feeling safe", "Teachers more often said the officer helps people feel safe."),
    ]
    for dimension, value, name, note in wanted:
        if name not in themes:
            continue
        try:
            segments.pin_finding(consultation=consultation, user=None, dimension=dimension, value=value,
                                 feature=str(themes[name].id), question_id=None, source="codes", note=note)
        except segments.SegmentError:
            continue  # too small a group in a smaller demo: the finding cannot be shown safely
