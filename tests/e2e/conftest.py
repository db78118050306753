"""Browser fixtures: the app served by a real HTTP server on loopback, driven by Debian's Chromium."""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from engage import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


@pytest.fixture
def live_app(sqlite_template, tmp_path):
    path = tmp_path / "engage.db"
    shutil.copyfile(sqlite_template, path)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    app.config["DB_BACKEND"] = "sqlite"
    return app


@pytest.fixture
def live_server(live_app):
    """Serve the app on a free loopback port for the length of one test."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("ENGAGE_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
