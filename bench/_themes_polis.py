"""Scratch: Polis English comments: theme labels to eyeball, and NMI against each comment's conversation
(a coarse, independent check that a change is not tuned to the NHS codes)."""
from __future__ import annotations

import ast
import csv
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.metrics import normalized_mutual_info_score  # noqa: E402

from engage.analysis.themes import ThemeDiscoverer  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polis-opendata" / "comments.csv"


def load():
    with DATA.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["language"] == "en" and r["text"].strip()]
    return [r["text"] for r in rows], [r["conversation"] for r in rows]


def run(make, k=12, seeds=(0, 42), show=True):
    texts, conv = load()
    out = []
    for seed in seeds:
        model = make(k, seed).fit(texts)
        top = [m[0][0] if m else "other" for m in model.result_.memberships]
        nmi = normalized_mutual_info_score(conv, [str(t) for t in top])
        other = top.count("other") / len(texts)
        out.append(nmi)
        print(f"seed={seed} K={k} NMI-vs-conversation {nmi:.3f} other={other:.1%}")
        if show:
            print("   ", "; ".join(f"{t.label} ({t.size})" for t in model.result_.themes))
    return out


if __name__ == "__main__":
    texts, conv = load()
    print(len(texts), "comments;", len(set(conv)), "conversations:", Counter(conv).most_common())
    for arg in sys.argv[1:] or ["{}"]:
        kw = ast.literal_eval(arg)
        print(kw)
        run(lambda k, seed: ThemeDiscoverer(k, random_state=seed, **kw))
