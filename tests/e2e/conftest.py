"""Browser fixtures: the app served by a real HTTP server on loopback, driven by Debian's Chromium."""
import functools
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


AXE_SOURCE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")
# WCAG 2.1 A and AA rules plus axe's best practices; a violation of impact "serious" or "critical" fails.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING_IMPACTS = ("serious", "critical")


@functools.cache
def _axe_source() -> str:
    with open(AXE_SOURCE, encoding="utf-8") as f:
        return f.read() + "\n;void 0"


def axe_violations(page, *, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """Run axe-core (vendored from npm) in `page` and return its violations of the given impacts."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the page's Content-Security-Policy does not block it.
        page.evaluate(_axe_source())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [v for v in result["violations"] if v.get("impact") in impacts]


def describe_violations(violations: list[dict]) -> str:
    """A readable failure message: rule, impact, help and the first few offending elements."""
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                            for node in v["nodes"][:5])
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -> {targets}")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible():
    """`assert_accessible(page)` fails the test with a readable list of serious or critical axe violations."""

    def check(page, label: str = ""):
        violations = axe_violations(page)
        assert not violations, f"axe found serious/critical problems on {label or page.url}:\n" + \
            describe_violations(violations)

    return check
