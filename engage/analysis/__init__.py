"""Engage's text-analysis library: pure Python, NLTK and scikit-learn, with no Flask or database imports."""

from __future__ import annotations

import importlib

# Public names, imported on first use so that `import engage.analysis` stays cheap
# (NLTK and scikit-learn take seconds to import) and never pulls in the web app.
_EXPORTS = {
    "analyse_comments": "pipeline",
    "AnalysisResult": "pipeline",
    "DocumentResult": "pipeline",
    "discover_themes": "themes",
    "Theme": "themes",
    "ThemeResult": "themes",
    "AssistedCoder": "coding",
    "Suggestions": "coding",
    "score_sentiment": "sentiment",
    "summarise_sentiment": "sentiment",
    "SentimentSummary": "sentiment",
    "sentiment_available": "sentiment",
    "language_name": "resources",
    "find_pii": "pii",
    "scrub_pii": "pii",
    "pii_kinds": "pii",
    "find_safeguarding": "pii",
    "PIIMatch": "pii",
    "SafeguardingFlag": "pii",
    "tabulate_segment": "segments",
    "tabulate_intersection": "segments",
    "where_groups_differ": "segments",
    "SegmentTable": "segments",
    "GroupDifference": "segments",
    "ensure_nltk_data": "resources",
    "stopwords": "resources",
    "sent_tokenize": "resources",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engage.analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(f"engage.analysis.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
