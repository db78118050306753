"""The public pages at a phone's 320 px and a laptop's 1280 px: screenshots to look at, and checks that nothing
makes the page scroll sideways and that no two things you can press or type into sit on top of each other.

Screenshots go to $ENGAGE_SCREENSHOT_DIR (default: the test's temporary folder).
"""
import os
import pathlib

import pytest

from engage.services.demo import DEMO_SLUG
from tests.public_pages import public_app, public_template  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

WIDTHS = (320, 1280)
# Every visible thing a person can press or type into, as one box per line it sits on (a link that wraps
# has two boxes, and the empty corner between them is not part of it).
_BOXES = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), textarea, select, summary, [tabindex]:not([tabindex="-1"])';
  const out = [];
  document.querySelectorAll(selector).forEach((el, index) => {
    if (el.closest('[aria-hidden="true"], .skip-link')) return;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return;
    for (const r of el.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      out.push({index, name: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' +
                (el.innerText || el.value || '').trim().slice(0, 30) + '"',
                left: r.left + scrollX, top: r.top + scrollY, right: r.right + scrollX, bottom: r.bottom + scrollY});
    }
  });
  const nested = (a, b) => { const all = document.querySelectorAll(selector); return all[a].contains(all[b]) || all[b].contains(all[a]); };
  const overlaps = [];
  for (let i = 0; i < out.length; i++) for (let j = i + 1; j < out.length; j++) {
    const a = out[i], b = out[j];
    if (a.index === b.index || nested(a.index, b.index)) continue;
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 1 && h > 1) overlaps.push(a.name + ' overlaps ' + b.name);
  }
  return {count: out.length, overlaps};
}"""


@pytest.fixture
def live_app(public_template, tmp_path):
    return public_app(public_template, tmp_path)


@pytest.fixture
def shots(tmp_path) -> pathlib.Path:
    folder = pathlib.Path(os.environ.get("ENGAGE_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_layout(page, label):
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert scroll_width <= width, f"{label}: the page is {scroll_width}px wide in a {width}px window"
    boxes = page.evaluate(_BOXES)
    assert boxes["count"] >= 3, f"{label}: too few controls found ({boxes['count']})"
    assert not boxes["overlaps"], f"{label}: " + "; ".join(boxes["overlaps"][:10])


def snap(page, folder, name, width, language):
    path = folder / f"{name}-{language}-{width}px.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    return path


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_public_pages_fit_the_screen_without_overlaps(browser, live_server, shots, width, language):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server}/?lang={language}")
        check_layout(page, f"home {width}")
        snap(page, shots, "home", width, language)

        page.goto(f"{live_server}/c/{DEMO_SLUG}/respond")
        check_layout(page, f"form {width}")
        snap(page, shots, "form", width, language)
        page.locator("form button[type=submit]").click()  # with errors: the summary and messages take room too
        page.wait_for_selector("#error-summary")
        check_layout(page, f"form with errors {width}")
        snap(page, shots, "form-errors", width, language)

        page.locator("fieldset", has=page.locator("input[value='4']")).first.locator("input[value='4']").check()
        page.locator("fieldset").nth(1).locator("input[value='5']").check()
        page.locator("textarea").first.fill("The officer says hi to us at lunch.")
        page.locator("form button[type=submit]").click()
        page.wait_for_selector(".receipt-code")
        check_layout(page, f"thanks {width}")
        snap(page, shots, "thanks", width, language)

        page.goto(f"{live_server}/c/{DEMO_SLUG}/report")
        check_layout(page, f"report {width}")
        snap(page, shots, "report", width, language)
    finally:
        context.close()
