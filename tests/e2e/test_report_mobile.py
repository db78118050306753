"""A published What We Heard report on a 320 px phone: nothing scrolls sideways and the charts stay readable."""
import pytest

pytestmark = pytest.mark.e2e

PHONE = {"width": 320, "height": 640}

# For every chart: its text's size in CSS px as drawn (the SVG scales with its column, so the font size in user units
# is multiplied by the drawing's scale), and any text that runs past the chart's right edge (it would be cut off).
CHART_TEXT = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect();
  const scale = svg.getScreenCTM().a;
  const texts = [...svg.querySelectorAll('text')];
  return {
    id: svg.id,
    width: box.width,
    smallest: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize) * scale)),
    tallest: Math.max(...texts.map(t => t.getBoundingClientRect().height)),
    cut: texts.filter(t => t.getBoundingClientRect().right > box.right + 1).map(t => t.textContent),
  };
})"""


@pytest.fixture
def published(live_app, tmp_path):
    live_app.instance_path = str(tmp_path / "instance")
    result = live_app.test_cli_runner().invoke(args=["seed-demo", "--without-review"])
    assert result.exit_code == 0, result.output
    return "/c/sro-review/report"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_published_report_fits_a_320px_phone_with_readable_charts(live_server, page, published, language):
    page.set_viewport_size(PHONE)
    response = page.goto(f"{live_server}{published}?lang={language}")
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("document.body.scrollWidth") <= PHONE["width"]

    charts = page.evaluate(CHART_TEXT)
    assert charts, "the demo report has charts"
    for chart in charts:
        assert chart["width"] <= PHONE["width"], chart
        assert chart["smallest"] >= 11, chart  # about 12.5 px at this width
        assert chart["tallest"] >= 11, chart
        assert chart["cut"] == [], chart

    # Each chart keeps its text alternative: a data table with a caption, right after it.
    tables = page.locator("figure.report-chart table.data-table caption")
    assert tables.count() == len(charts)


def test_charts_do_not_grow_past_body_size_text_on_a_wide_screen(live_server, page, published):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}{published}")
    for chart in page.evaluate(CHART_TEXT):
        assert 12 <= chart["smallest"] <= 18, chart
        assert chart["cut"] == [], chart
