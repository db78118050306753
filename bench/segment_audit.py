"""Can anyone work out a hidden count from the staff Segments pages? An audit of the seeded demo.

For every pair of "about you" fields (and the channel), the pages show the one-way table of each field and
the table of their intersection. This seeds the demo consultation into a throwaway SQLite file, builds those
three tables exactly as the pages do (reviewers' codes and the latest run's machine themes), and asks an
independent linear-programming check (``_cross_audit`` in tests/analysis/test_segments.py) for every hidden
figure's smallest and largest possible value. A figure whose range is one whole number is given away.

    .venv/bin/python bench/segment_audit.py            # every pair, both theme sources
    .venv/bin/python bench/segment_audit.py --pairs f1:f2

It prints, per pair, the hidden figures, how many are given away (should be 0) and the time the three
tables took to build. Exit status 1 if anything is given away.
"""
import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default="", help="comma-separated a:b dimension keys (default: every pair)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="engage-segment-audit-"))
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{workdir / 'engage.db'}", FLASK_APP="engage")
    for command in (["db", "upgrade"], ["seed-demo", "--without-review"]):
        subprocess.run([str(BIN / "flask"), *command], env=env, cwd=ROOT, check=True, capture_output=True)
    os.environ["DATABASE_URL"] = env["DATABASE_URL"]
    sys.path.insert(0, str(ROOT))
    from engage import create_app
    from engage.extensions import db
    from engage.models import Consultation
    from engage.services import segments
    from tests.analysis.test_segments import _cross_audit

    app = create_app()
    given_away = 0
    with app.app_context(), app.test_request_context():
        consultation = db.session.scalar(db.select(Consultation).where(Consultation.slug == "sro-review"))
        dims = {d.key: d for d in segments.dimensions(consultation=consultation)}
        pairs = ([tuple(p.split(":")) for p in args.pairs.split(",")] if args.pairs
                 else list(itertools.combinations(dims, 2)))
        print(f"{'source':8} {'pair':12} {'themes':>6} {'hidden':>6} {'given away':>10} {'tables s':>8}")
        for source in ("codes", "machine"):
            units, names = segments.load_units(consultation=consultation, question_id=None, source=source)
            for a, b in pairs:
                kwargs = {"consultation": consultation, "units": units, "theme_ids": list(names)}
                started = time.perf_counter()
                one_a = segments.theme_table(first=dims[a], **kwargs)
                one_b = segments.theme_table(first=dims[b], **kwargs)
                both = segments.theme_table(first=dims[a], second=dims[b], **kwargs)
                seconds = time.perf_counter() - started
                hidden = sum(1 for t in (one_a, one_b, both) for r in t.rows
                             for v in (r.n, *r.themes.values(), *r.sentiment.values()) if v is None)
                pinned = _cross_audit(one_a, one_b, both, with_sentiment=any(r.sentiment for r in both.rows))
                given_away += len(pinned)
                print(f"{source:8} {a + ' × ' + b:12} {len(names):6d} {hidden:6d} {len(pinned):10d} {seconds:8.2f}",
                      flush=True)
    print(f"given away in all: {given_away}")
    return 1 if given_away else 0


if __name__ == "__main__":
    raise SystemExit(main())
