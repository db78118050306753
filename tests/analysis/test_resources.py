"""Offline resources: staged from installed packages, idempotent, concurrent-safe, never downloaded."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import nltk
import pytest

from engage.analysis import resources


@pytest.fixture
def no_download(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("nltk.download was called")

    monkeypatch.setattr(nltk, "download", refuse)
    monkeypatch.setattr(nltk.downloader, "download", refuse, raising=False)


@pytest.fixture
def fresh_dir(tmp_path, monkeypatch):
    target = tmp_path / "nltk_data"
    monkeypatch.setenv("ENGAGE_NLTK_DATA", str(target))
    monkeypatch.setattr(nltk.data, "path", list(nltk.data.path))
    return target


def test_stages_vader_zip_and_punkt_tables(fresh_dir, no_download):
    root = resources.ensure_nltk_data()
    assert root == fresh_dir.resolve()
    with zipfile.ZipFile(root / "sentiment" / "vader_lexicon.zip") as archive:
        assert archive.namelist() == ["vader_lexicon/vader_lexicon.txt"]
        assert b"good\t1.9" in archive.read("vader_lexicon/vader_lexicon.txt")
    for name in ("abbrev_types.txt", "collocations.tab", "ortho_context.tab", "sent_starters.txt"):
        assert (root / "tokenizers" / "punkt_tab" / "english" / name).stat().st_size > 0
    assert str(root) == nltk.data.path[0]


def test_staging_is_idempotent(fresh_dir):
    root = resources.ensure_nltk_data()
    lexicon = root / "sentiment" / "vader_lexicon.zip"
    before = (lexicon.read_bytes(), lexicon.stat().st_mtime_ns)
    resources._staged.cache_clear()
    resources.ensure_nltk_data()
    assert (lexicon.read_bytes(), lexicon.stat().st_mtime_ns) == before  # same bytes: not rewritten


def test_concurrent_processes_stage_the_same_folder(tmp_path):
    target = tmp_path / "shared"
    code = "from engage.analysis.resources import ensure_nltk_data; ensure_nltk_data()"
    env = {"ENGAGE_NLTK_DATA": str(target), "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE) for _ in range(3)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert not [p for p in target.rglob("*.tmp")]  # no temporary file left behind


def test_sentences_stopwords_and_sentiment_work_offline(fresh_dir, no_download):
    from engage.analysis.sentiment import score_sentiment

    assert resources.sent_tokenize("Mr. Smith came. He left!") == ["Mr. Smith came.", "He left!"]
    assert resources.sent_tokenize("M. Dupont est venu. Il est parti.", "french") == ["M. Dupont est venu.", "Il est parti."]
    assert nltk.sent_tokenize("Dr. No is here. Bye.") == ["Dr. No is here.", "Bye."]
    english = resources.stopwords("english")
    assert "the" in english and not {"not", "no", "never", "nor", "cannot", "n't"} & english
    assert "le" in resources.stopwords("french") and "pas" not in resources.stopwords("french")
    assert score_sentiment(["I love it", "I hate it"])[0] > 0.5


def test_pipeline_runs_offline(fresh_dir, no_download):
    from engage.analysis.pipeline import analyse_comments

    result = analyse_comments(["The staff were kind.", "Parking was awful.", "Nothing"] * 5, n_themes=2)
    assert len(result.documents) == 15


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError):
        resources.sent_tokenize("x", "klingon")
    with pytest.raises(ValueError):
        resources.stopwords("klingon")
