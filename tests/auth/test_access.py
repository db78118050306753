"""Every staff page needs a signed-in user with the right role; the public area needs nothing."""
import re

import pytest

PUBLIC = {"static", "auth.login", "auth.logout", "auth.accept_invite", "ops.healthz", "ops.readyz"}
# Which roles each staff blueprint admits; None means any signed-in staff member.
BLUEPRINT_ROLES = {"staff": None, "admin": {"admin"}, "review": {"reviewer", "admin"}, "facilitate": {"facilitator"},
                   "programs": {"admin", "reviewer", "publisher"}}
# Program-review pages guarded per view (engage.programs.staff_only): a few are for admins only, and the
# advisory board's pages (and the list of reviews) also admit advisors.
ENDPOINT_ROLES = {
    "programs.advisors": {"admin"}, "programs.new_review": {"admin"}, "programs.edit_review": {"admin"},
    "programs.streams": {"admin"}, "programs.index": {"admin", "reviewer", "publisher", "advisor"},
    "programs.advisor_home": {"admin", "reviewer", "publisher", "advisor"},
    "programs.advisor_report": {"admin", "reviewer", "publisher", "advisor"},
}
# The programs blueprint's public pages: a review's introduction, its tracker and its published report.
PUBLIC_PREFIXES = ("/reviews/",)
# Publishers approve quotes and publish reports: they reach those review pages and no others.
REPORT_PAGES = (("review.report", "review.quote"), {"reviewer", "admin", "publisher"})


def allowed_roles(endpoint: str):
    if endpoint in ENDPOINT_ROLES:
        return ENDPOINT_ROLES[endpoint]
    if endpoint.startswith(REPORT_PAGES[0]):
        return REPORT_PAGES[1]
    return BLUEPRINT_ROLES[endpoint.split(".")[0]]


def _sample_value(match) -> str:
    """A value the URL converter accepts, so the request reaches the guard rather than failing to route."""
    spec = match.group(1)
    if spec.startswith("int:"):
        return "1"
    if spec.startswith("uuid:"):
        return "00000000-0000-4000-8000-000000000001"
    if spec.startswith("any("):
        return spec[4:].split(")")[0].split(",")[0].strip()
    return "x"


def _staff_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint.startswith("intake.") or rule.rule.startswith(PUBLIC_PREFIXES):
            continue
        url = re.sub(r"<([^>]+)>", _sample_value, rule.rule)
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule.endpoint, url, method


def test_every_staff_endpoint_belongs_to_a_guarded_blueprint(app):
    for endpoint, _, _ in _staff_rules(app):
        assert endpoint.split(".")[0] in BLUEPRINT_ROLES, f"{endpoint} is not in a known staff blueprint"


def test_anonymous_visitors_are_sent_to_the_login_page(app, client):
    app.config["WTF_CSRF_ENABLED"] = False  # reach the guard itself, not the CSRF check in front of it
    checked = 0
    for endpoint, url, method in _staff_rules(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, f"{endpoint} answered {response.status_code}"
        assert "/auth/login" in response.headers["Location"], endpoint
        checked += 1
    assert checked >= 4


@pytest.mark.parametrize("role", ["reviewer", "facilitator", "publisher", "advisor"])
def test_wrong_role_gets_no_staff_page(app, client, login_as, role):
    app.config["WTF_CSRF_ENABLED"] = False
    login_as(role)
    for endpoint, url, method in _staff_rules(app):
        allowed = allowed_roles(endpoint)
        response = client.open(url, method=method)
        if allowed is not None and role not in allowed:
            assert response.status_code == 403, f"{role} reached {endpoint}"
        else:
            assert response.status_code in (200, 303, 404), f"{role} could not reach {endpoint}"


def test_public_pages_need_no_login(client, make_consultation):
    make_consultation()
    for url in ("/", "/c/school-safety", "/c/school-safety/respond", "/privacy", "/receipt", "/auth/login"):
        assert client.get(url).status_code == 200, url
