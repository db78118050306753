"""Assisted coding trains in the background: one training in flight per consultation, failures shown, RQ workers."""
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Consultation, User
from engage.models.user import utcnow
from engage.services import coding as service
from tests.helpers import hidden_inputs
from tests.review.test_coding import _code_many, comments, count, demo, themes, wait_for_training  # noqa: F401

QUEUE = "/review/sro-review/queue"
UPDATING = "Suggestions are being updated from the latest codes; reload in a minute."
ROOT = Path(__file__).resolve().parents[2]


def events(action):
    return count(AuditEvent, AuditEvent.action == action)


def first_in_queue(html: str) -> str:
    return html.split('<ol class="coding-queue">')[1].split('href="')[1].split('"')[0]


def test_too_few_codes_are_explained_at_once_and_nothing_is_queued(app, client, demo, themes, login_as):
    _code_many(app, demo, themes, 3)
    login_as("reviewer")
    html = client.get(QUEUE).get_data(as_text=True)
    assert "code at least 10 comments" in html and UPDATING not in html
    with app.app_context():
        assert events("queue_assisted_coding") == 0 and events("fail_assisted_coding") == 0


def test_one_training_in_flight_at_a_time_and_a_stale_one_is_replaced(app, client, demo, themes, login_as):
    _code_many(app, demo, themes, 24)
    user_id = login_as("reviewer")
    with app.app_context():
        # Another web process queued a training whose worker has not reported back yet.
        consultation = db.session.get(Consultation, demo)
        first = service.request_assisted_training(consultation=consultation, user=db.session.get(User, user_id))
        db.session.commit()
        first_id = first.id
    for _ in range(2):
        html = client.get(QUEUE).get_data(as_text=True)
        assert UPDATING in html
    csrf = hidden_inputs(html)["csrf_token"]
    again = client.post(f"{QUEUE}/retrain", data={"csrf_token": csrf}, follow_redirects=True)
    assert "Suggestions are already being updated." in again.get_data(as_text=True)
    with app.app_context():
        assert events("queue_assisted_coding") == 1 and events("train_assisted_coding") == 0
        # Its worker died: after TRAINING_STALE_AFTER the marker no longer holds the queue back.
        event = db.session.get(AuditEvent, first_id)
        event.at = utcnow() - service.TRAINING_STALE_AFTER - dt.timedelta(seconds=1)
        db.session.commit()
    with service._orders_lock:  # the new training cannot finish while this is held
        assert UPDATING in client.get(QUEUE).get_data(as_text=True)
    wait_for_training()
    with app.app_context():
        assert events("queue_assisted_coding") == 2 and events("train_assisted_coding") == 1
        # The lost job, should it ever run, sees it was replaced and does nothing.
        assert service.train_assisted_coding(consultation_id=demo, user_id=None, queued_event_id=first_id) is False
        assert events("train_assisted_coding") == 1
    assert UPDATING not in client.get(QUEUE).get_data(as_text=True)


@pytest.fixture
def held_training(monkeypatch):
    """Background trainings wait until the test calls the returned function (a failing fit is over in
    milliseconds, which could be before the page that queued it has looked whether one is in flight)."""
    release = threading.Event()
    retrain = service._retrain

    def held(**kwargs):
        assert release.wait(60), "the test never released the training"
        return retrain(**kwargs)

    monkeypatch.setattr(service, "_retrain", held)
    yield release.set
    release.set()


def test_a_failed_training_shows_its_message_next_time(app, client, demo, themes, login_as, held_training):
    coded = {a for a, _ in _code_many(app, demo, themes, 12)}
    with app.app_context():
        from engage.models import Answer

        for answer in db.session.scalars(select(Answer).where(Answer.id.in_(coded))):
            answer.redacted_text = ""  # everything redacted: nothing left to learn from
        db.session.commit()
    login_as("reviewer")
    assert UPDATING in client.get(QUEUE).get_data(as_text=True)
    held_training()
    wait_for_training()
    page = client.get(QUEUE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and UPDATING not in html
    assert "Assisted coding could not learn from the codes yet (the coded texts contain no words to learn from)." in html
    with app.app_context():
        failed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "fail_assisted_coding"))
        assert failed.details["reason"] == "fit" and failed.details["codes"] == 12
        assert events("queue_assisted_coding") == 1  # nothing changed since it failed, so it is not tried on every visit
    # The button tries again on request, and the failure comes back the same way.
    retry = client.post(f"{QUEUE}/retrain", data={"csrf_token": hidden_inputs(html)["csrf_token"]})
    assert retry.status_code == 303
    wait_for_training()
    follow = client.get(QUEUE).get_data(as_text=True)
    assert "could not learn from the codes yet" in follow
    with app.app_context():
        assert events("queue_assisted_coding") == 2 and events("fail_assisted_coding") == 2


def test_the_queue_follows_stored_scores_when_another_process_trained(app, client, demo, themes, login_as):
    _code_many(app, demo, themes, 24)
    with app.app_context():
        consultation = db.session.get(Consultation, demo)
        service.refresh_assisted_suggestions(consultation=consultation, user=None)
        db.session.commit()
        service._orders.clear()  # this process did not train: as on a web worker beside the RQ worker
        stored = service._order_from_stored(consultation)
    login_as("reviewer")
    html = client.get(QUEUE).get_data(as_text=True)
    assert UPDATING not in html and f"/comments/{stored[0]}/code" in first_in_queue(html)
    with app.app_context():
        assert events("queue_assisted_coding") == 0


def test_the_retrain_button_queues_and_says_so(app, client, demo, themes, login_as):
    _code_many(app, demo, themes, 24)
    login_as("reviewer")
    csrf = hidden_inputs(client.get(QUEUE).get_data(as_text=True))["csrf_token"]
    wait_for_training()
    with service._orders_lock:
        response = client.post(f"{QUEUE}/retrain", data={"csrf_token": csrf}, follow_redirects=True)
        html = response.get_data(as_text=True)
        assert "Suggestions are being updated from the latest codes in the background." in html and UPDATING in html
    wait_for_training()
    with app.app_context():
        assert events("queue_assisted_coding") == 2 and events("train_assisted_coding") == 2


# --- with Redis: a real RQ worker in its own process ---------------------------------------------------------

@pytest.fixture
def redis_url():
    """ENGAGE_TEST_REDIS_URL (CI starts one), else a private redis-server on a free loopback port, else skip."""
    url = os.environ.get("ENGAGE_TEST_REDIS_URL")
    from redis import Redis

    if url:
        Redis.from_url(url).flushdb()
        yield url
        return
    if not shutil.which("redis-server"):
        if os.environ.get("CI"):
            pytest.fail("neither ENGAGE_TEST_REDIS_URL nor redis-server is available")
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                Redis.from_url(url).ping()
                break
            except Exception:  # noqa: BLE001 (not listening yet)
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_with_redis_the_queue_page_queues_one_job_and_a_worker_trains(app, client, demo, themes, login_as, redis_url):
    from redis import Redis
    from rq import Queue

    from engage.jobs import QUEUE_NAME

    _code_many(app, demo, themes, 24)
    app.config["REDIS_URL"] = redis_url
    login_as("reviewer")
    for _ in range(2):  # the second visit finds one in flight and queues nothing
        html = client.get(QUEUE).get_data(as_text=True)
        assert UPDATING in html
    queue = Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))
    assert queue.count == 1
    env = {"PATH": os.environ["PATH"], "ENGAGE_CONFIG": "development", "REDIS_URL": redis_url,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "HOME": os.environ.get("HOME", "/tmp")}
    worker = subprocess.run([sys.executable, "-m", "flask", "--app", "engage", "worker", "--burst"], env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert queue.count == 0
    with app.app_context():
        trained = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "train_assisted_coding"))
        assert trained is not None and trained.actor_label == "reviewer@example.org" and trained.details["suggestions"] > 0
        stored = service._order_from_stored(db.session.get(Consultation, demo))
    html = client.get(QUEUE).get_data(as_text=True)
    assert UPDATING not in html
    assert f"/comments/{stored[0]}/code" in first_in_queue(html)  # this process never trained: the stored order
    assert queue.count == 0
