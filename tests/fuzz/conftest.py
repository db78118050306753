"""Fixtures for the fuzz suite: the seeded world, what its pages offer, and a fuzzer that sends and checks.

Each test still gets its own database through the shared ``app`` fixture. On SQLite the world is built once
per run and copied into each test's database file (with the upload folder), so that every test starts from
the same rows and the crawl of the first copy holds for the others. On PostgreSQL it is built again per test.
"""
import shutil
from pathlib import Path

import pytest

from engage.extensions import db
from tests.fuzz.engine import Fuzzer
from tests.fuzz.routes import crawl
from tests.fuzz.world import build_world, id_pools, sign_in



@pytest.fixture(scope="session")
def world_cache(tmp_path_factory):
    return {"dir": tmp_path_factory.mktemp("fuzz-world")}


def _sqlite_file(app) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def _close(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def world(app, make_consultation, make_user, tmp_path, world_cache):
    app.instance_path = str(tmp_path / "instance")  # uploads and report files stay out of the project's folder
    cached = world_cache.get("world")
    if app.config["DB_BACKEND"] == "sqlite" and cached:
        _close(app)
        path = _sqlite_file(app)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(world_cache["dir"] / "world.db", path)
        shutil.copytree(world_cache["dir"] / "instance", app.instance_path)
        return cached
    built = build_world(app, make_consultation, make_user)
    if app.config["DB_BACKEND"] == "sqlite":
        with app.app_context():
            db.session.connection().exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        _close(app)
        shutil.copyfile(_sqlite_file(app), world_cache["dir"] / "world.db")
        shutil.copytree(app.instance_path, world_cache["dir"] / "instance")
        world_cache["world"] = built
    return built


@pytest.fixture
def site_map(app, world, world_cache):
    """The crawl of the seeded pages: reused while the world is the same copy."""
    key = ("crawl", world.invite_token)
    if key not in world_cache:
        client, _ = sign_in(app)
        world_cache[key] = crawl(app, client, id_pools(app, world), extra=world.seed_urls)
    return world_cache[key]


@pytest.fixture
def fuzzer(app, world, site_map, request):
    fuzzer = Fuzzer(app, world, site_map)
    yield fuzzer
    # Shown with -s: how many requests went where, and what came back.
    print(f"\n{request.node.name}: {fuzzer.requests} requests")
    for key, count in sorted(fuzzer.stats.items()):
        print(f"  {count:5d}  {key}")
