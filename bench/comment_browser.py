"""Time the comment browser at scale: builds N comments in a temporary SQLite database, prints ms per page.

    .venv/bin/python bench/comment_browser.py [--comments 100000] [--repeat 5] [--database-url URL]

Every figure is the median of --repeat calls of engage.services.comments.browse_comments (count, page of 25
and the per-question, per-channel and per-sentiment counts), the same call the browser view makes.
"""
import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ("officer school student safe feel police teacher hallway lunch counsellor trust talk friends scared "
         "program uniform gun help report bullying fight lockdown class parent community fair search watch "
         "black brown indigenous ticket record law vaping online threat calm nervous welcome training hire "
         "youth worker explain choose yearly data kids disability families services drills basketball").split()


def build(app, n_comments: int, seed: int = 7) -> int:
    """Bulk-insert a consultation with n_comments comments (two per response) and what the browser filters on."""
    from sqlalchemy import insert

    from engage.extensions import db
    from engage.models import (
        AnalysisRun, Answer, Code, CommentAnalysis, CommentFlag, Consultation, Question, Response, SegmentAnswer,
        SegmentField, SegmentOption, Theme,
    )

    rng = random.Random(seed)
    with app.app_context():
        consultation = Consultation(slug="bench", title="Bench", status="open", min_group_size=10)
        consultation.questions = [Question(position=0, kind="text", prompt="What is it like?"),
                                  Question(position=1, kind="text", prompt="What should change?")]
        consultation.segment_fields = [SegmentField(key="role", label="Role", options=[
            SegmentOption(position=i, label=label) for i, label in enumerate(["Student", "Parent", "Teacher", "Other"])])]
        db.session.add(consultation)
        db.session.flush()
        themes = [Theme(consultation_id=consultation.id, name=f"Theme {i}", position=i) for i in range(8)]
        run = AnalysisRun(consultation_id=consultation.id, version=1, status="done", progress=1.0)
        db.session.add_all(themes + [run])
        db.session.flush()
        question_ids = [q.id for q in consultation.questions]
        option_ids = [o.id for o in consultation.segment_fields[0].options]
        field_id = consultation.segment_fields[0].id
        channels = ["online"] * 8 + ["paper", "focus_group"]
        today = dt.date.today()
        batch = 10_000
        for start in range(0, n_comments // 2, batch // 2):
            responses, answers, segs, codes, analyses, flags = [], [], [], [], [], []
            for _ in range(start, min(start + batch // 2, n_comments // 2)):
                rid = uuid.uuid4()
                responses.append({"id": rid, "consultation_id": consultation.id, "channel": rng.choice(channels),
                                  "submitted_on": today, "language": "en", "is_demo": False})
                segs.append({"id": uuid.uuid4(), "response_id": rid, "field_id": field_id,
                             "option_id": rng.choices(option_ids, weights=[60, 20, 15, 5])[0]})
                for qid in question_ids:
                    aid = uuid.uuid4()
                    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))).capitalize() + "."
                    answers.append({"id": aid, "response_id": rid, "question_id": qid, "text": text})
                    if rng.random() < 0.3:
                        codes.append({"answer_id": aid, "theme_id": rng.choice(themes).id, "origin": "manual"})
                    analyses.append({"run_id": run.id, "answer_id": aid, "theme_scores": [], "sentiment": rng.uniform(-1, 1),
                                     "non_answer": False, "pii": [], "safeguarding": []})
                    if rng.random() < 0.01:
                        flags.append({"answer_id": aid, "kind": "pii", "source": "machine", "details": ["name"],
                                      "status": "open", "reason": ""})
            for model, rows in ((Response, responses), (Answer, answers), (SegmentAnswer, segs), (Code, codes),
                                (CommentAnalysis, analyses), (CommentFlag, flags)):
                if rows:
                    db.session.execute(insert(model), rows)
        db.session.commit()
        db.session.execute(__import__("sqlalchemy").text("ANALYZE")) if db.engine.dialect.name == "sqlite" else None
        db.session.commit()
        return consultation.id


def time_filters(app, consultation_id: int, repeat: int) -> list[tuple[str, float, int]]:
    from engage.extensions import db
    from engage.models import Consultation, Theme
    from engage.services import comments

    results = []
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        theme = db.session.query(Theme).filter_by(consultation_id=consultation_id).first()
        question = consultation.questions[0]
        student = consultation.segment_fields[0].options[0]
        cases = [
            ("no filter, page 1", comments.CommentFilters()),
            ("no filter, page 2000 (deep)", comments.CommentFilters(page=2000)),
            ("question", comments.CommentFilters(question_id=question.id)),
            ("theme (human code)", comments.CommentFilters(theme=f"c{theme.id}")),
            ("segment value", comments.CommentFilters(segment_option_id=student.id)),
            ("sentiment negative", comments.CommentFilters(sentiment="negative")),
            ("channel paper", comments.CommentFilters(channel="paper")),
            ("open pii flag", comments.CommentFilters(flag="pii")),
            ("search 'counsellor'", comments.CommentFilters(search="counsellor")),
            ("search 'counsellor trust' + question + sentiment",
             comments.CommentFilters(search="counsellor trust", question_id=question.id, sentiment="negative")),
            ("segment + question", comments.CommentFilters(segment_option_id=student.id, question_id=question.id)),
        ]
        for name, filters in cases:
            times, total = [], 0
            for _ in range(repeat):
                started = time.perf_counter()
                page = comments.browse_comments(consultation=consultation, filters=filters, is_admin=False,
                                                sees_safeguarding=True)
                times.append((time.perf_counter() - started) * 1000)
                total = page.total
                db.session.rollback()
            results.append((name, statistics.median(times), total))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="defaults to a SQLite file in a temporary directory")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from engage import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{os.path.join(tmp, 'bench.db')}"
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade()
        started = time.perf_counter()
        consultation_id = build(app, args.comments)
        print(f"built {args.comments:,} comments in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
        print(f"{'filters':52} {'ms/page':>8} {'matching':>9}")
        for name, ms, total in time_filters(app, consultation_id, args.repeat):
            print(f"{name:52} {ms:8.1f} {total:9,}")


if __name__ == "__main__":
    main()
