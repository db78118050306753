"""Checks after a benchmark run: every acknowledged submission stored once and whole, and a consistent database."""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from _loadgen import REF
from _servers import engine_for


@dataclass
class StoreCheck:
    """What the database holds for a tagged run, against what the clients were told."""

    acknowledged: int = 0
    attempted: int = 0
    responses: int = 0
    receipts: int = 0
    stored_once: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged, not stored
    duplicated: list[str] = field(default_factory=list)  # stored more than once (acknowledged or not)
    missing_receipts: list[str] = field(default_factory=list)  # acknowledged, stored, but no receipt
    unacknowledged_stored: int = 0  # sent, no 303 seen (worker killed), stored once and whole: allowed
    partial: int = 0  # a response without all its answers / segment answers
    untraced: int = 0  # a response with no ref tag at all
    unknown: int = 0  # a ref that no client ever sent

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.missing_receipts or self.partial or self.untraced
                    or self.unknown or self.receipts != self.responses)


def check_store(database_url: str, secret_key: str, slug: str, acknowledged: set[str], attempted: set[str],
                expected: tuple[int, int]) -> StoreCheck:
    """Every acknowledged key is stored exactly once, whole, with its receipt; nothing else is stored half."""
    from sqlalchemy import text

    from engage.services.intake import receipt_code_for

    check = StoreCheck(acknowledged=len(acknowledged), attempted=len(attempted))
    with engine_for(database_url).connect() as connection:
        cid = connection.execute(text("SELECT id FROM consultations WHERE slug = :slug"), {"slug": slug}).scalar()
        where = {"cid": cid}
        responses = {str(r) for (r,) in connection.execute(
            text("SELECT id FROM responses WHERE consultation_id = :cid"), where)}
        answers = connection.execute(text(
            "SELECT a.response_id, a.text FROM answers a JOIN responses r ON r.id = a.response_id "
            "WHERE r.consultation_id = :cid"), where).all()
        segments = Counter(str(r) for (r,) in connection.execute(text(
            "SELECT s.response_id FROM segment_answers s JOIN responses r ON r.id = s.response_id "
            "WHERE r.consultation_id = :cid"), where))
        receipts = {h for (h,) in connection.execute(
            text("SELECT code_hash FROM receipts WHERE consultation_id = :cid"), where)}
    check.responses, check.receipts = len(responses), len(receipts)
    answer_counts = Counter(str(r) for r, _ in answers)
    responses_by_key: dict[str, set[str]] = {}
    traced = set()
    for response_id, comment in answers:
        for key in REF.findall(comment or ""):
            responses_by_key.setdefault(key, set()).add(str(response_id))
            traced.add(str(response_id))
    check.untraced = len(responses - traced)
    check.partial = sum(1 for r in responses if (answer_counts[r], segments[r]) != expected)
    check.unknown = len(set(responses_by_key) - attempted)
    check.duplicated = sorted(k for k, ids in responses_by_key.items() if len(ids) > 1)
    for key in acknowledged:
        stored = len(responses_by_key.get(key, ()))
        if stored == 0:
            check.lost.append(key)
        elif stored == 1:
            check.stored_once += 1
        code = receipt_code_for(submission_key=key, secret_key=secret_key)
        if hashlib.sha256(code.encode()).hexdigest() not in receipts:  # as engage.services.intake stores it
            check.missing_receipts.append(key)
    check.unacknowledged_stored = sum(1 for k, ids in responses_by_key.items()
                                      if k not in acknowledged and len(ids) == 1)
    return check


def _pg(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql"))


def check_consistency(database_url: str) -> list[tuple[str, str]]:
    """(check, problem or 'ok') for the database's own integrity checks and cross-table consistency."""
    results = []
    orphans = {
        "answers without a response": "SELECT count(*) FROM answers a LEFT JOIN responses r ON r.id = a.response_id "
                                      "WHERE r.id IS NULL",
        "segment answers without a response": "SELECT count(*) FROM segment_answers s LEFT JOIN responses r "
                                              "ON r.id = s.response_id WHERE r.id IS NULL",
        "responses without a consultation": "SELECT count(*) FROM responses r LEFT JOIN consultations c "
                                            "ON c.id = r.consultation_id WHERE c.id IS NULL",
        "receipts without a consultation": "SELECT count(*) FROM receipts x LEFT JOIN consultations c "
                                           "ON c.id = x.consultation_id WHERE c.id IS NULL",
    }
    with engine_for(database_url).connect() as connection:
        if _pg(database_url):
            results += _postgres_checks(connection)
        else:
            rows = [r[0] for r in connection.exec_driver_sql("PRAGMA integrity_check")]
            results.append(("PRAGMA integrity_check", "ok" if rows == ["ok"] else "; ".join(map(str, rows[:5]))))
            rows = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            results.append(("PRAGMA foreign_key_check", "ok" if not rows else f"{len(rows)} rows break a foreign key"))
            # Every comment is in the search index or noted for it: the note is written in the comment's transaction.
            orphans["comments neither indexed nor noted for the search index"] = (
                "SELECT count(*) FROM answers a WHERE a.text IS NOT NULL "
                "AND a.id NOT IN (SELECT answer_id FROM answers_fts_rows) "
                "AND a.id NOT IN (SELECT answer_id FROM answers_fts_pending)")
        for name, sql in orphans.items():
            count = connection.exec_driver_sql(sql).scalar()
            results.append((name, "ok" if count == 0 else f"{count} rows"))
    return results


def _postgres_checks(connection) -> list[tuple[str, str]]:
    """amcheck: every B-tree index against its table (heapallindexed), and every table's heap pages."""
    try:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
        connection.commit()
    except Exception as error:  # noqa: BLE001 (no superuser or no contrib: say so, run the rest)
        connection.rollback()
        return [("amcheck", f"not available ({type(error).__name__}); only the consistency queries ran")]
    indexes = [r[0] for r in connection.exec_driver_sql(
        "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE a.amname = 'btree' AND n.nspname = 'public' ORDER BY 1")]
    bad = []
    for index in indexes:
        try:
            connection.exec_driver_sql(f"SELECT bt_index_check('{index}'::regclass, true)")
        except Exception as error:  # noqa: BLE001
            connection.rollback()
            bad.append(f"{index}: {str(error).splitlines()[0]}")
    results = [(f"amcheck bt_index_check(heapallindexed) on {len(indexes)} indexes", "ok" if not bad else "; ".join(bad))]
    tables = [r[0] for r in connection.exec_driver_sql(
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1")]
    problems = []
    for table in tables:
        rows = connection.exec_driver_sql(f"SELECT blkno, msg FROM verify_heapam('{table}'::regclass)").all()
        problems += [f"{table} block {b}: {m}" for b, m in rows]
    results.append((f"amcheck verify_heapam on {len(tables)} tables", "ok" if not problems else "; ".join(problems[:5])))
    return results
