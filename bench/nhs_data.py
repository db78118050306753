"""Load the shared NHS FFT multi-label data and build the quality split the issue defines."""
from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import train_test_split

# The data lives outside the repository on purpose (see /work/shared/data/README.md): never copy it in.
DEFAULT_PATH = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "nhs-fft-patient-feedback"
    / "phase2_multilabel_compact.csv"
)
DATA_ENV = "ENGAGE_NHS_DATA"
DROPPED_LABELS = frozenset({"Labelling not possible", "Not assigned"})
MIN_WORDS = 3
MIN_LABEL_COUNT = 10
TEST_SIZE = 0.25
SPLIT_SEED = 42


@dataclass(frozen=True)
class CodedComment:
    text: str
    labels: tuple[str, ...]
    sentiment: int | None  # coder sentiment, 1 very positive ... 5 very negative
    question: str = ""  # the survey question it answers ("What was good?", "How could we improve?", ...)


@dataclass(frozen=True)
class QualitySplit:
    train: tuple[CodedComment, ...]
    test: tuple[CodedComment, ...]
    labels: tuple[str, ...]  # kept labels, most frequent first


def data_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The CSV to read: an explicit path, else $ENGAGE_NHS_DATA, else the shared default."""
    return Path(path or os.environ.get(DATA_ENV) or DEFAULT_PATH)


def read_rows(path: str | os.PathLike[str] | None = None) -> list[dict[str, str]]:
    with data_path(path).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _sentiment(raw: str) -> int | None:
    try:
        return int(float(raw))
    except ValueError:
        return None


def load_coded(path: str | os.PathLike[str] | None = None) -> tuple[list[CodedComment], tuple[str, ...]]:
    """Comments with the issue's filters applied, and the kept labels (most frequent first)."""
    comments = []
    for row in read_rows(path):
        text = " ".join(row["text"].split())
        labels = tuple(lab for lab in row["labels"].split("|") if lab and lab not in DROPPED_LABELS)
        if labels and len(text.split()) >= MIN_WORDS:
            comments.append(CodedComment(text, labels, _sentiment(row["sentiment_1pos_5neg"]), row["question"]))
    counts = Counter(lab for c in comments for lab in c.labels)
    kept = tuple(lab for lab, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= MIN_LABEL_COUNT)
    keep = set(kept)
    filtered = []
    for c in comments:
        labels = tuple(lab for lab in c.labels if lab in keep)
        if labels:  # a comment whose only codes were rare has nothing left to learn or score
            filtered.append(CodedComment(c.text, labels, c.sentiment, c.question))
    return filtered, kept


def quality_split(path: str | os.PathLike[str] | None = None) -> QualitySplit:
    comments, kept = load_coded(path)
    train, test = train_test_split(comments, test_size=TEST_SIZE, random_state=SPLIT_SEED)
    return QualitySplit(tuple(train), tuple(test), kept)
