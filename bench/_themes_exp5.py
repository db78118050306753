"""Scratch: leave negations (and other function-like words) out of answer vectors."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench._themes_eval import load, score  # noqa: E402
from engage.analysis import resources, themes  # noqa: E402


class Variant(themes.ThemeDiscoverer):
    def _word_vectors(self, features, weights, vocabulary):
        v = super()._word_vectors(features, weights, vocabulary).copy()
        stems = {self.preparer_._stemmer.stem(w) for w in resources._NEGATIONS}
        for s in stems:
            if s in vocabulary:
                v[vocabulary[s]] = 0
        self.dropped_ = sorted(s for s in stems if s in vocabulary)
        return v


if __name__ == "__main__":
    data = load()
    r = score(lambda k, seed: Variant(k, random_state=seed), data=data)
