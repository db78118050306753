"""Export and import a consultation's codebook as CSV or JSON (name, description, keywords, examples)."""
import csv
import io
import json

from flask_babel import gettext as _

from engage.database import begin_write
from engage.extensions import db
from engage.imports.spreadsheet import FORMULA_PREFIXES, neutralise_csv_cell
from engage.models import Consultation, Theme, User
from engage.services.audit import record_event
from engage.services.themes import ThemeError, _next_position, active_themes

MAX_CODEBOOK_BYTES = 100_000
MAX_THEMES = 200
FIELDS = ("name", "description", "keywords", "examples")


def _restore_cell(value: str) -> str:
    """Undo neutralise_csv_cell on a codebook that Engage exported, so a round trip keeps the text."""
    _refuse_nul(value)
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES) else value


def _refuse_nul(value: str) -> None:
    if "\x00" in value:  # raw, or "\u0000" in JSON: not text, and PostgreSQL cannot store it
        raise ThemeError(_("The file holds a NUL character, which is not text. Save it again as CSV UTF-8 or JSON."))


def export_codebook(*, consultation: Consultation, fmt: str) -> tuple[str, str]:
    """The active codebook as (text, mimetype). Keywords are joined by "; " and examples by new lines in CSV."""
    themes = active_themes(consultation_id=consultation.id)
    rows = [{"name": t.name, "description": t.description or "", "keywords": list(t.keywords or []),
             "examples": list(t.examples or [])} for t in themes]
    if fmt == "json":
        return json.dumps({"consultation": consultation.slug, "themes": rows}, ensure_ascii=False, indent=2), "application/json"
    if fmt != "csv":
        raise ThemeError(_("Choose CSV or JSON."))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([neutralise_csv_cell(row["name"]), neutralise_csv_cell(row["description"]),
                         neutralise_csv_cell("; ".join(row["keywords"])), neutralise_csv_cell("\n".join(row["examples"]))])
    return out.getvalue(), "text/csv"


def parse_codebook(*, filename: str, data: bytes) -> list[dict]:
    """Read and validate an uploaded codebook; raises ThemeError with a message that says what to fix."""
    if not data:
        raise ThemeError(_("The file is empty."))
    if len(data) > MAX_CODEBOOK_BYTES:
        raise ThemeError(_("The file is larger than %(size)s kB.", size=MAX_CODEBOOK_BYTES // 1000))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ThemeError(_("The file is not UTF-8 text. Save it as “CSV UTF-8” or JSON and try again.")) from None
    is_json = filename.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{")
    rows = _parse_json(text) if is_json else _parse_csv(text)
    if not rows:
        raise ThemeError(_("The file has no themes in it."))
    if len(rows) > MAX_THEMES:
        raise ThemeError(_("A codebook can hold at most %(limit)s themes.", limit=MAX_THEMES))
    seen = set()
    themes = []
    for number, row in enumerate(rows, start=1):
        name = " ".join(_restore_cell(str(row.get("name") or "")).split())
        if not name:
            raise ThemeError(_("Theme %(number)s has no name; every theme needs one.", number=number))
        if len(name) > 200:
            raise ThemeError(_("Theme %(number)s's name is longer than 200 characters.", number=number))
        if name.casefold() in seen:
            raise ThemeError(_("“%(name)s” appears more than once in the file.", name=name))
        seen.add(name.casefold())
        description = _restore_cell(str(row.get("description") or "")).strip()
        if len(description) > 2000:
            raise ThemeError(_("Theme %(number)s's description is longer than 2,000 characters.", number=number))
        themes.append({
            "name": name,
            "description": description,
            "keywords": _as_list(row.get("keywords"), separator=";"),
            "examples": _as_list(row.get("examples"), separator="\n"),
        })
    try:  # a JSON escape such as \udfff gives half a character, which no page or file can show
        json.dumps(themes, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ThemeError(_("The file contains a broken character (an unpaired “\\u” escape). Fix it and try "
                           "again; nothing was imported.")) from None
    return themes


def import_codebook(*, consultation: Consultation, user: User | None, themes: list[dict]) -> list[Theme]:
    """Add parsed themes to the codebook; refuses (changing nothing) when a name is already on the board."""
    existing = {t.name.casefold() for t in active_themes(consultation_id=consultation.id)}
    clashes = [t["name"] for t in themes if t["name"].casefold() in existing]
    if clashes:
        raise ThemeError(_("These themes are already in the codebook: %(names)s. Rename or remove them in the "
                           "file; nothing was imported.", names=", ".join(clashes[:5])))
    begin_write()
    position = _next_position(consultation.id)
    created = []
    for offset, item in enumerate(themes):
        created.append(Theme(consultation_id=consultation.id, name=item["name"], description=item["description"],
                             keywords=item["keywords"], examples=item["examples"], position=position + offset,
                             source="imported", created_by_id=user.id if user else None))
    db.session.add_all(created)
    db.session.flush()
    record_event(actor=user, action="import_codebook", target_type="consultation", target_id=consultation.id,
                 details={"themes": len(created)})
    db.session.flush()
    return created


def _parse_json(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ThemeError(_("The JSON could not be read (line %(line)s).", line=error.lineno)) from None
    except RecursionError:
        raise ThemeError(_("The JSON is nested too deeply to be a codebook.")) from None
    if isinstance(data, dict):
        data = data.get("themes")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ThemeError(_("The JSON must be a list of themes, or an object with a “themes” list."))
    return data


def _parse_csv(text: str) -> list[dict]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        headers = [h.strip().lower() for h in (reader.fieldnames or [])]
        if "name" not in headers:
            raise ThemeError(_("The CSV needs a header row with a “name” column (and optionally description, "
                               "keywords, examples)."))
        repeated = next((h for i, h in enumerate(headers) if h and h in headers[:i]), None)
        if repeated:
            raise ThemeError(_("Two columns are both called “%(heading)s”; rename or remove one.", heading=repeated))
        reader.fieldnames = headers
        return [row for row in reader if any((v or "").strip() for v in row.values() if isinstance(v, str))]
    except csv.Error as error:
        raise ThemeError(_("The CSV could not be read: %(error)s.", error=error)) from None


def _as_list(value, *, separator: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = _restore_cell(value).split(separator)
    if not isinstance(value, list):
        raise ThemeError(_("Keywords and examples must be text or lists of text."))
    out = []
    for item in value:
        item = str(item).strip()
        _refuse_nul(item)
        if item and item not in out:
            out.append(item[:2000])
    return out
