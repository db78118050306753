"""Scratch: mean NMI over seeds 0-7 for a few word-vector variants (to see past k-means noise)."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench._themes_eval import load, score  # noqa: E402
from bench._themes_exp2 import make  # noqa: E402

if __name__ == "__main__":
    data = load()
    for arg in sys.argv[1:]:
        kw = ast.literal_eval(arg)
        r = score(make(**kw), seeds=range(8), data=data)
        print(kw, "mean NMI %.4f sd %.4f mean purity %.4f" % (np.mean([x[1] for x in r]), np.std([x[1] for x in r]),
                                                              np.mean([x[2] for x in r])), flush=True)
