"""Every route is fuzzed: URLs filled with valid ids and junk, query strings full of junk, never a server error."""
from hypothesis import strategies as st

from tests.fuzz.payloads import NOTORIOUS
from tests.fuzz.routes import all_routes, coverage_gaps


def test_every_route_is_covered_by_the_fuzzer(app, fuzzer):
    """A new route fails here until the fuzzer can fill its URL, reach its page and, for a form, knows its fields."""
    assert coverage_gaps(all_routes(app), fuzzer.crawl, fuzzer.pools) == []


def test_a_route_the_fuzzer_cannot_reach_is_reported(fuzzer):
    from engage import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    app.add_url_rule("/review/<slug>/widgets/<int:widget_id>", "review.widget", lambda **_: "", methods=["GET", "POST"])
    gaps = set(coverage_gaps(all_routes(app), fuzzer.crawl, fuzzer.pools))
    assert {"/review/<slug>/widgets/<int:widget_id>: no valid values for its URL arguments (add a pool in "
            "tests/fuzz/world.py)", "review.widget: no seeded page shows its form (seed one, or list it in "
            "HAND_FIELDS)"} <= gaps


def test_get_routes_take_any_url_and_query(fuzzer):
    def one_request(route, data):
        browser = fuzzer.staff if data.draw(st.integers(0, 3), label="browser") < 3 else fuzzer.anonymous
        fuzzer.send(browser, fuzzer.draw_get(data, route), endpoint=route.endpoint)

    fuzzer.each_route(fuzzer.get_routes(), one_request)
    fuzzer.check_database()


def test_notorious_values_in_every_query_and_url(fuzzer):
    for route in fuzzer.get_routes():
        for value in NOTORIOUS:
            for where in ("query", "url") if route.converters else ("query",):
                fuzzer.send(fuzzer.staff, fuzzer.notorious(route, value, where=where), endpoint=route.endpoint)
    fuzzer.check_database()
