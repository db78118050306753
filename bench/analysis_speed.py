"""Wall time and peak memory of the full `themes` pipeline at 1k, 10k and 100k comments, against TF-IDF + NMF.

Run: .venv/bin/python bench/analysis_speed.py [--sizes 1000 10000 100000] [--themes 12]
Comments are resampled (with replacement, seed 0) from the shared NHS and Polis English data,
read from ../shared/data and never copied. Each measurement runs in a fresh subprocess so
peak RSS (ru_maxrss of the child) belongs to that run alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ENGAGE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _comments() -> list[str]:
    texts = []
    with open(DATA / "nhs-fft-patient-feedback" / "phase2_multilabel_compact.csv", encoding="utf-8-sig", newline="") as f:
        texts += [row["text"] for row in csv.DictReader(f) if row["text"].strip()]
    with open(DATA / "polis-opendata" / "comments.csv", encoding="utf-8-sig", newline="") as f:
        texts += [row["text"] for row in csv.DictReader(f) if row["language"] == "en" and row["text"].strip()]
    return texts


def _write_sample(path: Path, size: int, pool: list[str]) -> None:
    rng = random.Random(0)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["comment", "grade", "role"])
        for _ in range(size):
            writer.writerow([rng.choice(pool), rng.choice(["9", "10", "11", "12", ""]), rng.choice(["student", "parent", "staff"])])


_BASELINE = """
import csv, sys, time
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    texts = [row["comment"] for row in csv.DictReader(f)]
start = time.perf_counter()
matrix = TfidfVectorizer(stop_words="english", min_df=2, max_df=0.5).fit_transform(texts)
NMF(n_components=int(sys.argv[2]), init="nndsvd", random_state=0, max_iter=200).fit(matrix)
print(time.perf_counter() - start)
"""


_IN_PROCESS = """
import csv, sys, time
from engage.analysis.pipeline import analyse_comments
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    rows = list(csv.DictReader(f))
start = time.perf_counter()
analyse_comments([r["comment"] for r in rows], segments={"grade": [r["grade"] for r in rows],
                 "role": [r["role"] for r in rows]}, n_themes=int(sys.argv[2]))
print(time.perf_counter() - start)
"""


def _run(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr}")
    # ru_maxrss of children is the largest so far; each size grows, so a later, larger run
    # reports its own peak unless an earlier one was larger (then the figure is an upper bound).
    return wall, max(peak, before) / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--themes", type=int, default=12)
    args = parser.parse_args()
    pool = _comments()
    print(f"pool: {len(pool):,} real comments (NHS FFT + Polis English); cores: {os.cpu_count()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            sample = Path(tmp) / f"sample_{size}.csv"
            _write_sample(sample, size, pool)
            out = Path(tmp) / f"out_{size}.json"
            command = [sys.executable, "-m", "engage.analysis", "themes", str(sample), "--text-column", "comment",
                       "--segment-column", "grade", "--segment-column", "role", "--themes", str(args.themes),
                       "--out", str(out)]
            wall, peak, _ = _run(command)
            result = json.loads(out.read_text(encoding="utf-8"))
            _, _, inner = _run([sys.executable, "-c", _IN_PROCESS, str(sample), str(args.themes)])
            base_wall, base_peak, base_stdout = _run([sys.executable, "-c", _BASELINE, str(sample), str(args.themes)])
            rows.append((size, wall, peak, float(inner.strip()), base_wall, float(base_stdout.strip()), len(result["themes"])))
    print()
    print(f"{'comments':>9} {'CLI s':>7} {'peak MB':>8} {'analysis s':>11} {'NMF proc s':>11} {'NMF fit s':>10} "
          f"{'ratio CLI':>9} {'ratio fit':>9} {'themes':>6}")
    for size, wall, peak, inner, base_wall, base_fit, n_themes in rows:
        print(f"{size:>9,} {wall:>7.2f} {peak:>8.0f} {inner:>11.2f} {base_wall:>11.2f} {base_fit:>10.2f} "
              f"{wall / base_wall:>9.1f} {inner / base_fit:>9.1f} {n_themes:>6}")
    print("\nCLI = `python -m engage.analysis themes` end to end in a fresh process (imports ~3-4 s, CSV, sentiment,"
          " PII, safeguarding, themes, quotes, 2 segment tables, JSON);\nanalysis = analyse_comments() alone, in"
          " process; NMF = TF-IDF + NMF(K): whole process, and fit alone. Peak MB = max RSS of the CLI runs so far.\n"
          "Targets: 10k <= 5 s, 100k <= 30 s within 2 GB.")


if __name__ == "__main__":
    main()
