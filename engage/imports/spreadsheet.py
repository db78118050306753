"""Reading CSV and XLSX files as a header and rows of strings, and neutralising cells for CSV export.

Formulas are never evaluated: XLSX files are opened with ``data_only=False`` so a formula cell reads as its
formula text ("=SUM(A1:A3)"), which is stored as plain text like anything else typed. The value a spreadsheet
program last cached for it is ignored, because it may be stale or differ from what the person wrote.
"""
import csv
import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _

from engage.imports import ImportFileError, clean_text, decode_text

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_csv_cell(value):
    """Make a cell safe to open in a spreadsheet program: text starting like a formula gets a leading '.

    Numbers and other non-text values are returned unchanged. Exports call this on every cell (CSV injection).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class Table:
    """A spreadsheet's header and a way to stream its data rows (read again on each call, never held whole)."""

    header: list[str]
    kind: str
    _data: bytes
    _text: str | None

    def rows(self) -> Iterator[list[str]]:
        """Data rows as lists of cleaned strings, padded to the header's width."""
        width = len(self.header)
        source = _csv_rows(self._text) if self.kind == "csv" else _xlsx_rows(self._data)
        next(source, None)  # the header
        for row in source:
            if len(row) < width:
                row = row + [""] * (width - len(row))
            yield row


def read_table(data: bytes, filename: str) -> Table:
    """Open a CSV or XLSX file (chosen by its name, checked by its content). Raises ImportFileError."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        if not data.startswith(b"PK\x03\x04"):
            raise ImportFileError(_("This file is named .xlsx but is not an Excel workbook."))
        table = Table(header=[], kind="xlsx", _data=data, _text=None)
    elif name.endswith((".csv", ".txt", ".tsv")) or "." not in name:
        table = Table(header=[], kind="csv", _data=b"", _text=decode_text(data))
    else:
        raise ImportFileError(_("Engage reads spreadsheets saved as CSV (.csv) or Excel (.xlsx)."))
    source = _csv_rows(table._text) if table.kind == "csv" else _xlsx_rows(data)
    header = next(source, None)
    if not header or not any(header):
        raise ImportFileError(_("The file is empty: its first row should name the columns."))
    header = [h.strip() for h in header]
    seen = set()
    for number, heading in enumerate(header, start=1):
        if heading and heading.lower() in seen:
            raise ImportFileError(_("Two columns are both called '%(heading)s' (column %(number)s); rename one.", heading=heading, number=number))
        seen.add(heading.lower())
    return Table(header=header, kind=table.kind, _data=table._data, _text=table._text)


def _csv_rows(text: str) -> Iterator[list[str]]:
    sample = text[:8192]
    delimiter = "\t" if sample.count("\t") > sample.count(",") and sample.count("\t") > sample.count(";") else (
        ";" if sample.split("\n", 1)[0].count(";") > sample.split("\n", 1)[0].count(",") else ","
    )
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [clean_text(cell) for cell in row]
    except csv.Error as error:
        raise ImportFileError(_("The CSV file is malformed: %(error)s.", error=error)) from None


# A workbook is a zip of XML files. Real ones expand about ten times; a "zip bomb" of 1 MB held a 1 GB cell and
# took 12 s and 1.2 GB of memory just to read its header row.
MAX_XLSX_EXPANDED_BYTES = 256 * 1024 * 1024


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        expanded = 0  # openpyxl says what is wrong below
    if expanded > MAX_XLSX_EXPANDED_BYTES:
        raise ImportFileError(_("This workbook unpacks to %(size)s MiB, more than the %(limit)s MiB Engage reads. "
                                "Save it as CSV UTF-8 and try again.", size=f"{expanded // 2**20:,}",
                                limit=MAX_XLSX_EXPANDED_BYTES // 2**20))
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it skips (data validation, styles); they do not matter here.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                yield [_cell_text(value) for value in row]
            workbook.close()
    except Exception:  # noqa: BLE001 - a damaged workbook fails inside openpyxl in many ways (zip, XML, no sheet)
        raise ImportFileError(_("The Excel workbook cannot be read: it may be damaged. Open it in Excel or "
                                "LibreOffice, save it again (or as CSV UTF-8) and try again.")) from None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()  # only the day is ever kept
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean_text(str(value))
