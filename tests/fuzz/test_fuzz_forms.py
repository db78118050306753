"""Hostile input posted to every form: never a server error, refused input changes nothing, the database holds.

ENGAGE_FUZZ_EXAMPLES sets the examples per route (4 by default, which keeps CI quick).
"""
from hypothesis import strategies as st

from tests.fuzz.checks import row_counts
from tests.fuzz.engine import Sent, base_values
from tests.fuzz.payloads import NOTORIOUS, urlencode
from tests.fuzz.routes import seed_paths

STAFF_AREAS = ("admin.", "review.", "facilitate.", "staff.")
PUBLIC_AREAS = ("intake.", "auth.")


def test_public_forms_take_anything(fuzzer):
    def one_request(route, data):
        browser = fuzzer.staff if data.draw(st.integers(0, 4), label="browser") == 4 else fuzzer.anonymous
        fuzzer.send(browser, fuzzer.draw_post(data, route), endpoint=route.endpoint)
        fuzzer.check_database()

    fuzzer.each_route(fuzzer.post_routes(*PUBLIC_AREAS), one_request, examples=fuzzer.examples * 3)
    fuzzer.check_pages_still_render(prefix="intake.")


def test_staff_forms_take_anything_from_a_user_with_every_role(fuzzer):
    def one_request(route, data):
        fuzzer.send(fuzzer.staff, fuzzer.draw_post(data, route), endpoint=route.endpoint)
        fuzzer.check_database()

    fuzzer.each_route(fuzzer.post_routes(*STAFF_AREAS), one_request)
    fuzzer.check_pages_still_render(pdf=True)  # whatever the fuzzer stored still shows, printed report included


def test_staff_forms_posted_anonymously_change_nothing(fuzzer):
    """Without a session, a staff form's input reaches no view: a redirect to sign in, or a refusal."""

    def one_request(route, data):
        before = row_counts(fuzzer.app)
        response = fuzzer.send(fuzzer.anonymous, fuzzer.draw_post(data, route), endpoint=route.endpoint)
        assert response.status_code >= 300, response.status_code
        if response.status_code in (302, 303):
            assert response.headers["Location"].startswith("/auth/login")
        assert row_counts(fuzzer.app) == before

    fuzzer.each_route(fuzzer.post_routes(*STAFF_AREAS), one_request, examples=1)


def test_every_form_as_shown_gets_past_the_csrf_check(fuzzer):
    """The fuzzer's forms reach the views: each POST endpoint, sent as its page shows it, passes the CSRF check."""
    for route in fuzzer.post_routes(""):
        for path in sorted(fuzzer.crawl.forms.get(route.endpoint, {}))[:1] or seed_paths(route, fuzzer.pools)[:1]:
            fields = fuzzer.crawl.fields_for(route.endpoint, path)
            pairs = [(name, fuzzer.csrf_of(path) if name.endswith("csrf_token") else value)
                     for name, spec in fields.items() if spec.kind != "file"
                     for value in base_values(route.endpoint, name, spec)]
            if not any(name.endswith("csrf_token") for name, _ in pairs):
                pairs.append(("csrf_token", fuzzer.csrf_of(path)))
            browser = fuzzer.staff if fuzzer.is_staff(path) else fuzzer.anonymous
            sent = Sent("POST", path, body=urlencode(pairs), content_type="application/x-www-form-urlencoded")
            response = fuzzer.send(browser, sent, endpoint=route.endpoint)
            assert b"This page timed out" not in response.get_data(), sent.describe()
    fuzzer.check_database()


def test_notorious_values_in_every_field(fuzzer):
    """Each field of each form at once set to a value that often breaks hand-written parsing (str.isdigit, int())."""
    for route in fuzzer.post_routes(""):
        for value in NOTORIOUS:
            sent = fuzzer.notorious(route, value, where="fields")
            fuzzer.send(fuzzer.staff if fuzzer.is_staff(sent.path) else fuzzer.anonymous, sent, endpoint=route.endpoint)
    fuzzer.check_database()
