"""The public command line, run for real in a subprocess: JSON shape and bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

SAFE = ["The officer makes me feel safe at school", "I feel safe with the officer around"]
FOOD = ["The cafeteria food is cold", "Lunch food in the cafeteria is bad"]


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "engage.analysis", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def _write(path, header, rows, *, bom=False):
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_themes_writes_the_documented_shape(tmp_path):
    rows = [[i, text, grade] for i, (text, grade) in enumerate(zip((SAFE + FOOD) * 6 + ["Nothing"], ["9", "9", "10", "10"] * 6 + [""]))]
    source = _write(tmp_path / "in.csv", ["id", "comment", "grade"], rows, bom=True)
    out = tmp_path / "out.json"
    done = _run("themes", source, "--text-column", "comment", "--segment-column", "grade", "--themes", "2", "--min-cell", "3", "--out", out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert set(result) == {"language", "sentiment_available", "themes", "documents", "segments"}
    assert result["language"] == "english" and result["sentiment_available"] is True
    for theme in result["themes"]:
        assert set(theme) == {"id", "label", "keywords", "size", "quotes"}
        assert all(isinstance(q, int) and 0 <= q < len(rows) for q in theme["quotes"])
    assert [d["row"] for d in result["documents"]] == list(range(len(rows)))
    for doc in result["documents"]:
        assert set(doc) == {"row", "themes", "sentiment", "pii", "non_answer"}
    assert result["documents"][-1]["non_answer"] is True
    grade = result["segments"]["grade"]
    assert set(grade) == {"9", "10", "(not stated)"}
    assert set(grade["9"]) == {"n", "themes"} and grade["9"]["n"] == 12
    assert set(grade["9"]["themes"]) == {str(t["id"]) for t in result["themes"]}
    assert grade["(not stated)"]["n"] is None


def test_code_writes_labels_and_scores(tmp_path):
    pytest.importorskip("engage.analysis.coding")
    train = _write(tmp_path / "train.csv", ["text", "codes"], [[t, "safety"] for t in SAFE * 6] + [[t, "food|lunch"] for t in FOOD * 6])
    target = _write(tmp_path / "in.csv", ["text"], [["The officer keeps us safe"], ["Cold cafeteria food"]])
    out = tmp_path / "out.json"
    done = _run("code", train, target, "--text-column", "text", "--labels-column", "codes", "--out", out)
    assert done.returncode == 0, done.stderr
    documents = json.loads(out.read_text(encoding="utf-8"))["documents"]
    assert [d["row"] for d in documents] == [0, 1]
    for doc in documents:
        assert set(doc) == {"row", "labels", "scores"}
        assert set(doc["scores"]) == {"safety", "food", "lunch"}
        assert all(0.0 <= p <= 1.0 for p in doc["scores"].values())


def test_code_reads_the_question_from_a_context_column(tmp_path):
    pytest.importorskip("engage.analysis.coding")
    works, worries = "What works well?", "What worries you?"
    officer = ["The officer at the gate", "Police in the hallway", "Having an officer in school",
               "Officers walking the corridors", "A police presence at lunch"]
    rows = ([[t, works, "praise"] for t in officer * 3] + [[t, worries, "concern"] for t in officer * 3]
            + [[t, works, "food"] for t in FOOD * 6])
    train = _write(tmp_path / "train.csv", ["text", "question", "codes"], rows)
    target = _write(tmp_path / "in.csv", ["text", "question"],
                    [["An officer in the hallway", works], ["An officer in the hallway", worries]])
    out = tmp_path / "out.json"
    done = _run("code", train, target, "--text-column", "text", "--labels-column", "codes",
                "--context-column", "question", "--out", out)
    assert done.returncode == 0, done.stderr
    documents = json.loads(out.read_text(encoding="utf-8"))["documents"]
    assert [d["labels"][0] for d in documents] == ["praise", "concern"]

    _write(target, ["text"], [["An officer in the hallway"]])
    done = _run("code", train, target, "--text-column", "text", "--labels-column", "codes",
                "--context-column", "question", "--out", tmp_path / "none.json")
    assert done.returncode == 1 and "no column 'question'" in done.stderr
    assert not (tmp_path / "none.json").exists()


@pytest.mark.parametrize(
    ("make", "args", "needle"),
    [
        (None, ["--text-column", "comment"], "no such file"),
        ("header", ["--text-column", "missing"], "no column 'missing'"),
        ("empty", ["--text-column", "comment"], "empty"),
        ("latin1", ["--text-column", "comment"], "not valid UTF-8"),
        ("binary", ["--text-column", "comment"], "not a CSV"),
        ("header_only", ["--text-column", "comment"], "no data rows"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(tmp_path, make, args, needle):
    path = tmp_path / "in.csv"
    if make == "header":
        _write(path, ["comment"], [["hello"]])
    elif make == "empty":
        path.write_bytes(b"")
    elif make == "latin1":
        path.write_bytes("comment\ncaf\u00e9 tr\u00e8s bien\n".encode("latin-1"))
    elif make == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    elif make == "header_only":
        path.write_text("comment\n", encoding="utf-8")
    done = _run("themes", path, *args, "--out", tmp_path / "out.json")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.json").exists()


def test_missing_argument_is_one_line(tmp_path):
    done = _run("themes", tmp_path / "x.csv", "--out", tmp_path / "o.json")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


def test_embeddings_without_the_optional_tier_is_one_clear_line(tmp_path):
    from engage.analysis.embeddings import embeddings_available

    if embeddings_available():
        pytest.skip("the optional tier is installed here")
    source = _write(tmp_path / "in.csv", ["comment"], [[t] for t in (SAFE + FOOD) * 3])
    done = _run("themes", source, "--text-column", "comment", "--embeddings", "--out", tmp_path / "out.json")
    assert done.returncode == 1 and not (tmp_path / "out.json").exists()
    assert done.stderr.strip() == "error: --embeddings needs the optional tier: pip install -r requirements-embeddings.txt"
