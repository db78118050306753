"""With REDIS_URL set, analysis runs go through a real Redis queue and an RQ worker (CI starts redis-server)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import AnalysisRun, Consultation
from engage.services import analysis_runs
from engage.services.demo import seed_demo

REDIS_URL = os.environ.get("ENGAGE_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url():
    if not REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("ENGAGE_TEST_REDIS_URL is not set; .ci/run starts redis-server and sets it")
        pytest.skip("set ENGAGE_TEST_REDIS_URL to run the Redis-backed tests")
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


def test_a_run_is_queued_in_redis_and_done_by_the_worker(app, redis_url):
    from redis import Redis
    from rq import Queue

    from engage.jobs import QUEUE_NAME

    app.config["REDIS_URL"] = redis_url
    with app.app_context():
        consultation, _ = seed_demo(responses=40)
        run = analysis_runs.start_analysis(consultation=consultation, user=None)
        db.session.commit()
        assert analysis_runs.dispatch_run(run_id=run.id) == "rq"
        run_id = run.id
        assert db.session.get(AnalysisRun, run_id).status == "queued"
    queue = Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))
    assert queue.count == 1
    # The real worker command, in its own process, configured only by its environment.
    env = {"PATH": os.environ["PATH"], "ENGAGE_CONFIG": "development", "REDIS_URL": redis_url,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "HOME": os.environ.get("HOME", "/tmp")}
    worker = subprocess.run([sys.executable, "-m", "flask", "--app", "engage", "worker", "--burst"], env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert queue.count == 0
    with app.app_context():
        db.session.expire_all()
        finished = db.session.get(AnalysisRun, run_id)
        assert finished.status == "done", finished.error
        assert finished.themes


def test_worker_command_needs_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "Set REDIS_URL" in result.output
