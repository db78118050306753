"""Spreadsheet imports: encodings, mapping, every problem with its place, all or nothing, re-import."""
import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from engage.extensions import db
from engage.imports import ImportFileError, decode_text
from engage.imports.spreadsheet import neutralise_csv_cell, read_table
from engage.models import Answer, Consultation, ImportBatch, Response, SegmentAnswer
from engage.services import imports
from tests.imports.conftest import count_rows

TODAY = dt.date(2024, 5, 14)


def _run(app, data: bytes, filename="paper.csv", mapping=None, preview=False, channel="paper"):
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "school-safety"))
        mapping = mapping if mapping is not None else {"text": "text"}
        if preview:
            return imports.preview_spreadsheet(consultation=consultation, data=data, filename=filename, mapping=mapping)
        try:
            result = imports.import_spreadsheet(consultation=consultation, data=data, filename=filename, channel=channel,
                                                mapping=mapping, user=None, today=TODAY)
        except Exception:
            db.session.rollback()
            raise
        db.session.commit()
        return result


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("cp1252", b"")])
def test_encodings_are_detected(app, consultation, encoding, bom):
    data = bom + "text\nL'agent était très gentil — merci\nÇa va\n".encode(encoding)
    assert _run(app, data).added == 2
    with app.app_context():
        texts = set(db.session.scalars(select(Answer.text)))
    assert texts == {"L'agent était très gentil — merci", "Ça va"}


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"), (b"   \n", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    (b"text\nhello\x00world\n", "not a text file"), (b"text\n\x81\x8d\x90 broken\n", "cannot be read"),
])
def test_broken_files_are_refused(app, consultation, data, reason):
    with pytest.raises(ImportFileError, match=reason):
        _run(app, data)
    assert count_rows(app)["responses"] == 0


def test_oversize_file_is_refused(app, consultation):
    app.config["IMPORT_MAX_BYTES"] = 100
    with pytest.raises(ImportFileError, match="largest file"):
        _run(app, b"text\n" + b"word " * 40)
    assert count_rows(app)["import_batches"] == 0


def test_mapping_questions_and_segments_round_trip(app, consultation):
    data = ("when,grade,feel,tell,do,comment\n"
            "2024-03-02,student,4,A TEACHER,talk; teach,It is fine\n"
            ",Prefer not to say,Strongly agree,,,\n").encode()
    mapping = {"date": "when", "role": "grade", "q2": "feel", "q3": "tell", "q4": "do", "q1": "comment"}
    result = _run(app, data, mapping=mapping)
    assert (result.added, result.skipped) == (2, 0)
    with app.app_context():
        responses = db.session.scalars(select(Response).order_by(Response.submitted_on)).all()
        assert [r.submitted_on for r in responses] == [dt.date(2024, 3, 2), TODAY]
        assert {r.channel for r in responses} == {"paper"} and all(r.import_batch_id == result.batch_id for r in responses)
        first = responses[0]
        assert sorted(a.scale_value or 0 for a in first.answers) == [0, 0, 0, 0, 4]
        assert sum(1 for a in first.answers if a.option_id) == 3
        assert [a.text for a in first.answers if a.text] == ["It is fine"]
        second = responses[1]
        assert [a.scale_value for a in second.answers] == [5]
        assert [(s.option_id) for s in second.segment_answers] == [None]  # prefer not to say
        assert db.session.scalar(select(ImportBatch.rows_added)) == 2


def test_text_column_only_makes_comments_tied_to_no_question(app, consultation):
    _run(app, b"text,other\nMore counsellors please,x\n")
    with app.app_context():
        answer = db.session.scalars(select(Answer)).one()
        assert answer.question_id is None and answer.text == "More counsellors please"


def test_every_problem_is_reported_with_row_and_column_and_nothing_is_imported(app, consultation):
    data = ("comment,feel,grade,extra\n"
            "fine,4,Student,\n"
            f"{'x' * 201},9,Principal,\n"
            "ok,three,teacher,\n").encode()
    mapping = {"q5": "comment", "q2": "feel", "role": "grade"}
    preview = _run(app, data, mapping=mapping, preview=True)
    found = {(p.row, p.column) for p in preview.problems}
    assert found == {(3, 1), (3, 2), (3, 3), (4, 2)}
    assert "limit is 200" in str(next(p for p in preview.problems if p.column == 1))
    assert str(next(p for p in preview.problems if p.column == 3)).startswith("Row 3, column 3 (grade): 'Principal'")
    assert preview.rows[0] == ["fine", "4", "Student"]
    with pytest.raises(imports.ImportRejected) as error:
        _run(app, data, mapping=mapping)
    assert len(error.value.problems) == 4
    assert count_rows(app) == {"responses": 0, "answers": 0, "segment_answers": 0, "import_batches": 0,
                               "imported_rows": 0, "engagement_sessions": 0}


def test_a_bad_row_after_thousands_of_good_ones_leaves_the_database_unchanged(app, consultation):
    rows = "".join(f"comment {i}\n" for i in range(4500))  # more than two write chunks before the bad row
    data = ("text\n" + rows + "y" * 6000 + "\n").encode()
    with pytest.raises(imports.ImportRejected, match="Row 4502"):
        _run(app, data)
    assert count_rows(app)["responses"] == 0 and count_rows(app)["answers"] == 0


def test_unknown_columns_and_targets_are_problems(app, consultation):
    with pytest.raises(imports.ImportRejected) as error:
        _run(app, b"text\nhi\n", mapping={"q1": "nope", "q99": "text"})
    messages = [str(p) for p in error.value.problems]
    assert any("no column called 'nope'" in m for m in messages)
    assert any("'q99' is not a question" in m for m in messages)


def test_reimporting_the_same_file_adds_nothing_but_duplicates_inside_a_file_count(app, consultation):
    data = b"text\nSame words\nSame words\nOther\n"
    assert (_run(app, data).added, _run(app, data).added) == (3, 0)
    again = _run(app, data + b"A new row\n")
    assert (again.added, again.skipped) == (1, 3)
    assert count_rows(app)["responses"] == 4


def test_formulas_are_stored_as_text_and_neutralised_for_export(app, consultation, tmp_path):
    data = b'text\n"=HYPERLINK(""http://evil.example"",""click"")"\n+1+1\n-2\n@SUM(A1)\n'
    assert _run(app, data).added == 4
    with app.app_context():
        texts = set(db.session.scalars(select(Answer.text)))
    assert '=HYPERLINK("http://evil.example","click")' in texts
    assert {neutralise_csv_cell(t)[0] for t in texts} == {"'"}
    assert neutralise_csv_cell("fine") == "fine" and neutralise_csv_cell(3) == 3


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_round_trip_keeps_formula_text_and_takes_only_the_day(app, consultation):
    data = _xlsx([["text", "when", "feel"], ["From paper", dt.datetime(2024, 2, 3, 14, 30), 5.0], ["=1+2", None, 2]])
    result = _run(app, data, filename="typed.xlsx", mapping={"text": "text", "date": "when", "q2": "feel"})
    assert result.added == 2
    with app.app_context():
        assert set(db.session.scalars(select(Response.submitted_on))) == {dt.date(2024, 2, 3), TODAY}
        assert "=1+2" in set(db.session.scalars(select(Answer.text)))
        assert sorted(v for v in db.session.scalars(select(Answer.scale_value)) if v) == [2, 5]


def test_a_picture_named_xlsx_is_refused(app, consultation):
    with pytest.raises(ImportFileError, match="not an Excel workbook"):
        _run(app, b"\x89PNG\r\n\x1a\n", filename="x.xlsx")
    with pytest.raises(ImportFileError, match="cannot be read"):
        _run(app, b"PK\x03\x04garbage", filename="x.xlsx")


def test_header_checks_and_decoding_helpers():
    with pytest.raises(ImportFileError, match="both called"):
        read_table(b"text,Text\na,b\n", "a.csv")
    assert decode_text("\ufefftext\n".encode("utf-16-le").join([b"\xff\xfe", b""])) .startswith("text")
    assert read_table("a;b\n1;2\n".encode(), "a.csv").header == ["a", "b"]


def _rezipped(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same .xlsx (a zip) with some of its parts replaced."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, replace.get(item.filename, source.read(item.filename)))
    return out.getvalue()


@pytest.mark.parametrize("part, content", [
    ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row><c"),  # cut off mid-cell
    ("xl/workbook.xml", b"<workbook><sheets"),  # cut off
    ("xl/workbook.xml", b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>'),
])
def test_a_damaged_workbook_is_refused_with_a_way_forward(app, consultation, part, content):
    damaged = _rezipped(_xlsx([["text"], ["A comment"]]), {part: content})
    with pytest.raises(ImportFileError, match="may be damaged"):
        _run(app, damaged, filename="damaged.xlsx", mapping={"text": "text"})
    assert count_rows(app)["responses"] == 0


def test_a_workbook_that_unpacks_to_hundreds_of_megabytes_is_refused_before_it_is_read(app, consultation, monkeypatch):
    from engage.imports import spreadsheet

    monkeypatch.setattr(spreadsheet, "MAX_XLSX_EXPANDED_BYTES", 20_000)  # a real bomb would take a minute to build
    bomb = _xlsx([["text"], ["x" * 30_000]])
    with pytest.raises(ImportFileError, match="unpacks to"):
        _run(app, bomb, filename="bomb.xlsx", mapping={"text": "text"})
    assert count_rows(app)["responses"] == 0


def test_text_past_the_last_named_column_stops_the_import_instead_of_being_dropped(app, consultation):
    # "I like it, but not the car" typed without quotes: the words after the comma used to vanish.
    data = b"text,role\nKeep the program,Student\nI like it, but not the car,Teacher\n"
    preview = _run(app, data, mapping={"text": "text"}, preview=True)
    assert [(p.row, p.column) for p in preview.problems] == [(3, 3)]
    assert "past the last named column" in str(preview.problems[0]) and "Teacher" in str(preview.problems[0])
    with pytest.raises(imports.ImportRejected):
        _run(app, data, mapping={"text": "text"})
    assert count_rows(app)["responses"] == 0
    # Empty trailing cells (a spreadsheet's stray commas) are not a problem.
    assert _run(app, b"text\nOne,,\nTwo,\n", mapping={"text": "text"}).added == 2
