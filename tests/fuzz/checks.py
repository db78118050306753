"""What must hold after every fuzzed request: no server error, a page with a body, and a consistent database."""
import re
import threading

from sqlalchemy import text

from engage.extensions import db

# Each query counts rows that break a rule; every count must be 0. Plain SQL that SQLite and PostgreSQL share.
INVARIANTS = {
    "answers without their response":
        "SELECT count(*) FROM answers a LEFT JOIN responses r ON r.id = a.response_id WHERE r.id IS NULL",
    "segment answers without their response":
        "SELECT count(*) FROM segment_answers s LEFT JOIN responses r ON r.id = s.response_id WHERE r.id IS NULL",
    "codes without their answer":
        "SELECT count(*) FROM codes c LEFT JOIN answers a ON a.id = c.answer_id WHERE a.id IS NULL",
    "codes without their theme":
        "SELECT count(*) FROM codes c LEFT JOIN themes t ON t.id = c.theme_id WHERE t.id IS NULL",
    "answers holding more than one kind of value":
        "SELECT count(*) FROM answers WHERE (text IS NOT NULL AND option_id IS NOT NULL)"
        " OR (text IS NOT NULL AND scale_value IS NOT NULL) OR (option_id IS NOT NULL AND scale_value IS NOT NULL)",
    "scale answers outside 1-5": "SELECT count(*) FROM answers WHERE scale_value < 1 OR scale_value > 5",
    "answers to another consultation's question":
        "SELECT count(*) FROM answers a JOIN responses r ON r.id = a.response_id"
        " JOIN questions q ON q.id = a.question_id WHERE q.consultation_id <> r.consultation_id",
    "answers choosing another question's option":
        "SELECT count(*) FROM answers a JOIN question_options o ON o.id = a.option_id"
        " WHERE a.question_id IS NULL OR o.question_id <> a.question_id",
    "segment answers to another consultation's field":
        "SELECT count(*) FROM segment_answers s JOIN responses r ON r.id = s.response_id"
        " JOIN segment_fields f ON f.id = s.field_id WHERE f.consultation_id <> r.consultation_id",
    "segment answers choosing another field's option":
        "SELECT count(*) FROM segment_answers s JOIN segment_options o ON o.id = s.option_id"
        " WHERE o.field_id <> s.field_id",
    "codes to a theme of another consultation":
        "SELECT count(*) FROM codes c JOIN answers a ON a.id = c.answer_id JOIN responses r ON r.id = a.response_id"
        " JOIN themes t ON t.id = c.theme_id WHERE t.consultation_id <> r.consultation_id",
    "quotes of an answer from another consultation":
        "SELECT count(*) FROM report_quotes q JOIN reports p ON p.id = q.report_id JOIN answers a ON a.id = q.answer_id"
        " JOIN responses r ON r.id = a.response_id WHERE r.consultation_id <> p.consultation_id",
    "flags on answers that are gone":
        "SELECT count(*) FROM comment_flags f LEFT JOIN answers a ON a.id = f.answer_id WHERE a.id IS NULL",
    "receipts without a consultation":
        "SELECT count(*) FROM receipts x LEFT JOIN consultations c ON c.id = x.consultation_id WHERE c.id IS NULL",
    "users without a role": "SELECT count(*) FROM users u WHERE NOT EXISTS"
                            " (SELECT 1 FROM user_roles r WHERE r.user_id = u.id)",
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def database_problems(app) -> list[str]:
    """Every broken rule, named; an empty list means the database is consistent."""
    problems = []
    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            result = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
            if result != ["ok"]:
                problems.append(f"integrity_check: {result[:5]}")
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                problems.append(f"foreign_key_check: {broken[:5]}")
            problems += _nul_problems(connection)
        for name, query in INVARIANTS.items():
            count = connection.execute(text(query)).scalar()
            if count:
                problems.append(f"{count} {name}")
        # Only the day of a response is kept, never a time of day (anonymity).
        for (day,) in connection.execute(text("SELECT DISTINCT submitted_on FROM responses")):
            shown = day if isinstance(day, str) else day.isoformat()
            if not _DAY.fullmatch(shown) or hasattr(day, "hour"):
                problems.append(f"a response's submitted_on holds more than a day: {day!r}")
        db.session.rollback()
    return problems


def _nul_problems(connection) -> list[str]:
    """Text holding a NUL character: SQLite keeps it, PostgreSQL refuses it, so the same input would fail there."""
    from sqlalchemy import String, Text

    problems = []
    for table in db.metadata.sorted_tables:
        columns = [c.name for c in table.columns if isinstance(c.type, (String, Text))]
        if columns:
            where = " OR ".join(f"instr({name}, char(0)) > 0" for name in columns)
            count = connection.exec_driver_sql(f"SELECT count(*) FROM {table.name} WHERE {where}").scalar()
            if count:
                problems.append(f"{count} rows of {table.name} hold a NUL character")
    return problems


def row_counts(app) -> dict[str, int]:
    """Rows per table, in one query."""
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        query = "SELECT " + ", ".join(f"(SELECT count(*) FROM {name})" for name in tables)
        counts = dict(zip(tables, db.session.execute(text(query)).one()))
        db.session.rollback()
        return counts


def response_problems(response, *, method: str) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"server error {response.status_code}")
    if 300 <= response.status_code < 400 and response.status_code != 304 and not response.headers.get("Location"):
        problems.append("a redirect without a Location")
    if response.mimetype == "text/html" and method != "HEAD" and response.status_code not in (204, 304) \
            and not 300 <= response.status_code < 400 and not response.get_data().strip():
        problems.append("an empty HTML page")
    return problems


def wait_for_background_runs(timeout: float = 120) -> None:
    """Analysis runs started by a fuzzed form run on threads; let them finish before the database is checked."""
    for thread in threading.enumerate():
        if thread.name.startswith("analysis-run-"):
            thread.join(timeout)
