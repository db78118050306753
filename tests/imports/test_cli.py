"""flask --app engage import: reports what it imported and exits non-zero with one line on bad input."""
from tests.imports.conftest import count_rows


def _invoke(runner, *args):
    return runner.invoke(args=["import", *map(str, args)])


def test_csv_with_text_column_then_reimport(runner, app, consultation, tmp_path):
    path = tmp_path / "paper.csv"
    path.write_text("comment\nFirst\nSecond\n", encoding="utf-8")
    result = _invoke(runner, path, "--consultation", "school-safety", "--channel", "paper", "--text-column", "comment")
    assert result.exit_code == 0 and result.output.strip() == "Imported 2 comments."
    again = _invoke(runner, path, "--consultation", "school-safety", "--channel", "paper", "--text-column", "comment")
    assert again.output.strip() == "Imported 0 comments (2 rows already imported were skipped)."


def test_map_questions_and_bad_values_change_nothing(runner, app, consultation, tmp_path):
    path = tmp_path / "typed.csv"
    path.write_text("feel,who\n4,Student\n7,Nobody\n", encoding="utf-8")
    result = _invoke(runner, path, "--consultation", "school-safety", "--channel", "paper", "--map", "q2=feel", "--map", "role=who")
    assert result.exit_code == 1
    assert "Error: typed.csv: Nothing was imported: Row 3, column 1 (feel)" in result.output
    assert count_rows(app)["responses"] == 0 and count_rows(app)["import_batches"] == 0
    path.write_text("feel,who\n4,Student\n", encoding="utf-8")
    assert _invoke(runner, path, "--consultation", "school-safety", "--channel", "paper", "--map", "q2=feel",
                   "--map", "role=who").output.strip() == "Imported 1 comment."


def test_focus_group_notes_with_session_flags(runner, app, consultation, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("- One\n- Two\n- Three\n", encoding="utf-8")
    result = _invoke(runner, path, "--consultation", "school-safety", "--channel", "focus_group", "--date", "2024-04-09",
                     "--organisation", "Youth Centre", "--attendees", "12", "--description", "grade 9 students")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Imported 3 comments."
    assert count_rows(app)["engagement_sessions"] == 1 and count_rows(app)["responses"] == 3


def test_email_file(runner, app, consultation, tmp_path):
    path = tmp_path / "view.eml"
    path.write_bytes(b"From: A Person <a@example.org>\nSubject: hi\n\nPlease keep the program.\n")
    result = _invoke(runner, path, "--consultation", "school-safety", "--channel", "email")
    assert result.exit_code == 0 and result.output.strip() == "Imported 1 comment."


def test_bad_input_exits_non_zero_with_one_line(runner, app, consultation, tmp_path):
    picture = tmp_path / "photo.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = _invoke(runner, picture, "--consultation", "school-safety", "--channel", "paper")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1 and "not a text file" in result.output
    unknown = _invoke(runner, picture, "--consultation", "nope", "--channel", "paper")
    assert unknown.exit_code == 1 and "no consultation with the slug 'nope'" in unknown.output
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty" in _invoke(runner, empty, "--consultation", "school-safety", "--channel", "paper").output
    assert _invoke(runner, empty, "--consultation", "school-safety", "--channel", "paper", "--map", "q1").exit_code == 2
    assert count_rows(app)["responses"] == 0


def test_a_paper_survey_that_is_not_a_spreadsheet_is_named_as_such(runner, app, consultation, tmp_path):
    path = tmp_path / "paper.txt"
    path.write_text("Some words\n", encoding="utf-8")
    result = _invoke(runner, path, "--consultation", "school-safety", "--channel", "paper")
    assert result.exit_code == 1 and "Paper surveys are imported from a spreadsheet" in result.output
    assert "Traceback" not in result.output and count_rows(app)["responses"] == 0
