"""Import speed: the Polis English comments as one CSV, then resampled to 100k rows, on a fresh SQLite database.

Each size runs in a child process so its peak memory (ru_maxrss) is its own. Prints rows per second and peak
memory; the target is 100k rows in 60 s or less. Data is read from ../shared/data and written only to a temp dir.

    .venv/bin/python bench/import_speed.py [--sizes all,100000] [--data PATH]
"""
import argparse
import csv
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "polis-opendata" / "comments.csv"


def english_comments(path: Path) -> list[str]:
    csv.field_size_limit(10**7)
    with path.open(newline="", encoding="utf-8") as file:
        return [row["text"] for row in csv.DictReader(file) if row["language"] == "en"]


def write_csv(comments: list[str], rows: int | None, path: Path) -> int:
    chosen = comments if rows is None else random.Random(2024).choices(comments, k=rows)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["text"])
        writer.writerows([c] for c in chosen)
    return len(chosen)


def child(csv_path: str, db_path: str) -> None:
    """Migrate a fresh database, create a consultation and time one import of the CSV."""
    sys.path.insert(0, str(ROOT))
    import logging

    logging.disable(logging.WARNING)
    from flask_migrate import upgrade
    from sqlalchemy import event

    from engage import create_app
    from engage.extensions import db
    from engage.models import Consultation
    from engage.services.imports import import_spreadsheet

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}", IMPORT_MAX_BYTES=200 * 1024 * 1024)
    with app.app_context():
        upgrade()
        consultation = Consultation(slug="bench", title="Bench", status="open")
        db.session.add(consultation)
        db.session.commit()
        data = Path(csv_path).read_bytes()
        began = []  # when each transaction began; the import's write transaction is the last before its commit
        event.listen(db.engine, "begin", lambda connection: began.append(time.perf_counter()))
        start, cpu = time.perf_counter(), time.process_time()
        result = import_spreadsheet(consultation=consultation, data=data, filename="bench.csv", channel="paper",
                                    mapping={"text": "text"}, user=None, today=dt.date.today())
        db.session.commit()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        held = start + seconds - began[-1]  # SQLite's write lock, which stops participants' submissions
        again = time.perf_counter()
        repeat = import_spreadsheet(consultation=consultation, data=data, filename="bench.csv", channel="paper",
                                    mapping={"text": "text"}, user=None, today=dt.date.today())
        db.session.commit()
        reimport = time.perf_counter() - again
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{result.added:>8,} rows  {seconds:6.1f} s (cpu {cpu:5.1f} s, write lock {held:5.1f} s)  "
          f"{result.added / seconds:8,.0f} rows/s  "
          f"peak {peak_mib:5.0f} MiB  file {len(data) / 1048576:5.1f} MiB  re-import {reimport:5.1f} s "
          f"(added {repeat.added}, skipped {repeat.skipped:,})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="all,100000", help="'all' (every English comment) and/or row counts")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    comments = english_comments(args.data)
    print(f"{len(comments):,} English comments from {args.data.name}; SQLite, one transaction per import")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            rows = None if size == "all" else int(size)
            csv_path, db_path = Path(tmp) / f"comments-{size}.csv", Path(tmp) / f"engage-{size}.db"
            write_csv(comments, rows, csv_path)
            env = os.environ | {"ENGAGE_CONFIG": "testing"}
            subprocess.run([sys.executable, __file__, "--child", str(csv_path), str(db_path)], check=True, env=env)


if __name__ == "__main__":
    main()
