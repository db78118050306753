"""Scratch: score theme discovery variants on the NHS data (seeds 0 and 42) without the baselines."""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.nhs_data import quality_split  # noqa: E402
from bench.quality import _nmi_and_purity  # noqa: E402
from engage.analysis import themes  # noqa: E402


def load():
    split = quality_split()
    comments = [*split.train, *split.test]
    return [c.text for c in comments], [c.labels for c in comments], len(split.labels)


def score(make, seeds=(0, 42), data=None):
    texts, labels, k = data or load()
    out = []
    for seed in seeds:
        start = time.perf_counter()
        d = make(k, seed).fit(texts)
        secs = time.perf_counter() - start
        clusters = [m[0][0] if m else "other" for m in d.result_.memberships]
        nmi, purity = _nmi_and_purity(clusters, labels)
        other = clusters.count("other") / len(clusters)
        out.append((seed, nmi, purity, other, secs))
        print(f"seed {seed}: NMI {nmi:.3f} purity {purity:.3f} other {other:.1%} {secs:.1f}s", flush=True)
    return out


if __name__ == "__main__":
    score(lambda k, seed: themes.ThemeDiscoverer(k, random_state=seed))
