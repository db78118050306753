"""Scratch: CPU seconds of discover_themes on the speed bench's 10k/100k samples (CPU time, since the
machine is shared and wall time swings with other people's load)."""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from bench.analysis_speed import _comments  # noqa: E402
from engage.analysis.themes import discover_themes  # noqa: E402

if __name__ == "__main__":
    size = int(sys.argv[1])
    pool = _comments()
    rng = random.Random(0)
    texts = [rng.choice(pool) for _ in range(size)]
    best = []
    for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 3):
        cpu, wall = time.process_time(), time.perf_counter()
        discover_themes(texts, n_themes=12)
        best.append((time.process_time() - cpu, time.perf_counter() - wall))
    print(f"{size}: CPU s {min(c for c, _ in best):.2f} (min of {len(best)}), wall s {min(w for _, w in best):.2f}")
