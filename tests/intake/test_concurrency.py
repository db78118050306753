"""Concurrent submissions on SQLite queue for the write lock instead of failing with "database is locked"."""
import threading

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import Response
from tests.helpers import fresh_form, valid_answers


def test_parallel_submissions_are_all_stored_once(app, make_consultation):
    make_consultation()
    forms = []
    for _ in range(24):
        client = app.test_client()
        forms.append((client, fresh_form(client, "school-safety") | valid_answers(app, "school-safety")))
    statuses, errors = [], []
    start = threading.Barrier(len(forms))

    def post(client, data):
        try:
            start.wait()
            # Every form is sent twice, as by a double click.
            for _ in range(2):
                statuses.append(client.post("/c/school-safety/respond", data=data).status_code)
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)

    threads = [threading.Thread(target=post, args=pair) for pair in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert statuses == [303] * 48
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 24
