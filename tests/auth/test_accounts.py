"""Staff accounts: argon2id passwords, back-off, server-side sessions, invitations, the CLI and the audit log."""
import datetime as dt

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import ROLE_VALUES, AuditEvent, StaffSession, User
from engage.services import accounts
from tests.conftest import STAFF_PASSWORD
from tests.helpers import hidden_inputs


def _csrf(client, url="/auth/login"):
    return hidden_inputs(client.get(url).get_data(as_text=True))["csrf_token"]


def _login(client, email, password=STAFF_PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": _csrf(client)})


@pytest.mark.parametrize("password, problem", [
    ("short pass", "at least 12"),
    ("password1234", "common"),
    ("aaaaaaaaaaaaaaaa", "easy to guess"),
    ("correct horse battery staple", None),
    ("Ω≈ç√ long unicode passphrase", None),
])
def test_password_rules_are_length_and_guessability(app, password, problem):
    with app.app_context():
        result = accounts.password_problem(password, email="ana@example.org")
    assert (result is None) if problem is None else (problem in result)


def test_passwords_are_stored_as_argon2id(app, make_user):
    user_id = make_user()
    with app.app_context():
        assert db.session.get(User, user_id).password_hash.startswith("$argon2id$")


def test_login_and_logout_end_the_session_on_the_server(app, client, make_user):
    make_user(email="ana@example.org")
    assert _login(client, "ANA@example.org ").status_code == 303
    assert client.get("/staff/").status_code == 200
    stolen_cookie = client.get_cookie("session").value
    client.post("/auth/logout", data={"csrf_token": _csrf(client, "/staff/")})
    assert client.get("/staff/").status_code == 302
    # Replaying the old cookie does not bring the session back: it ended on the server.
    client.set_cookie("session", stolen_cookie)
    assert client.get("/staff/").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(StaffSession)).one().ended_at is not None


def test_wrong_password_is_refused_without_saying_which_part(client, make_user):
    make_user(email="ana@example.org")
    for email, password in (("ana@example.org", "wrong password here"), ("nobody@example.org", STAFF_PASSWORD)):
        response = _login(client, email, password)
        assert response.status_code == 401
        assert "do not match an active account" in response.get_data(as_text=True)


def test_repeated_failures_back_off(app, client, make_user):
    make_user(email="ana@example.org")
    for _ in range(accounts.FREE_FAILURES + 1):
        _login(client, "ana@example.org", "wrong password here")
    response = _login(client, "ana@example.org")  # even the right password waits now
    assert response.status_code == 401 and "Too many failed tries" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
        user.locked_until = dt.datetime(2000, 1, 1)
        db.session.commit()
    assert _login(client, "ana@example.org").status_code == 303


def test_login_is_rate_limited_per_account(client, make_user):
    make_user(email="ana@example.org")
    statuses = [_login(client, "ana@example.org", "wrong password here").status_code for _ in range(12)]
    assert statuses[-1] == 429


@pytest.mark.parametrize("field, age", [("last_seen_at", dt.timedelta(minutes=31)), ("created_at", dt.timedelta(hours=13))])
def test_idle_and_absolute_timeouts(app, client, login_as, field, age):
    login_as("reviewer")
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        session = db.session.scalars(select(StaffSession)).one()
        setattr(session, field, getattr(session, field) - age)
        db.session.commit()
    assert client.get("/staff/").status_code == 302


def test_signed_out_while_writing_shows_what_was_typed_and_saves_nothing(app, client, login_as):
    login_as("reviewer")
    page = client.get("/staff/")
    token = hidden_inputs(page.get_data(as_text=True)).get("csrf_token", "")
    with app.app_context():
        session = db.session.scalars(select(StaffSession)).one()
        session.last_seen_at -= dt.timedelta(minutes=45)
        db.session.commit()
    response = client.post("/review/any-consultation/report/sections/about",
                           data={"csrf_token": token, "title": "About", "body": "Two hours of careful words."})
    html = response.get_data(as_text=True)
    assert response.status_code == 401 and "You were signed out" in html
    assert "Two hours of careful words.</textarea>" in html
    assert "/auth/login?next=/review/any-consultation/report/sections/about" in html  # back to the editor
    assert "Open the page again" not in html  # one way back: through the sign-in page
    assert client.get("/staff/").status_code == 302


def test_session_cookie_flags(app, client, make_user):
    make_user(email="ana@example.org")
    response = _login(client, "ana@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_admin_invites_a_user_who_sets_a_password(app, client, login_as):
    login_as("admin")
    response = client.post("/admin/users", data={
        "email": "new@example.org", "roles": ["reviewer", "publisher"], "csrf_token": _csrf(client, "/admin/users"),
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Invitation created" in page
    link = page.split("/auth/invite/")[1].split("<")[0].strip()
    client.post("/auth/logout", data={"csrf_token": _csrf(client, "/staff/")})
    weak = client.post(f"/auth/invite/{link}", data={"password": "password1234", "confirm": "password1234",
                                                      "csrf_token": _csrf(client, f"/auth/invite/{link}")})
    assert weak.status_code == 422 and "common passwords" in weak.get_data(as_text=True)
    token = _csrf(client, f"/auth/invite/{link}")
    done = client.post(f"/auth/invite/{link}", data={"password": STAFF_PASSWORD, "confirm": STAFF_PASSWORD, "csrf_token": token})
    assert done.status_code == 303
    assert client.get(f"/auth/invite/{link}").status_code == 404  # used once only
    assert _login(client, "new@example.org").status_code == 303
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["login", "invite_user", "logout", "accept_invitation", "login"]


def test_scoped_user_sees_only_their_consultations(app, client, login_as, make_consultation):
    mine = make_consultation("mine", title="Mine to review")
    make_consultation("theirs", title="Not for me")
    login_as("reviewer", consultation_ids=[mine])
    page = client.get("/staff/").get_data(as_text=True)
    assert "Mine to review" in page and "Not for me" not in page


def test_create_user_cli(app, runner):
    result = runner.invoke(args=["create-user", "ana@example.org", "--role", "reviewer", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "admin, reviewer" in result.output and "/auth/invite/" in result.output
    bad = runner.invoke(args=["create-user", "bo@example.org", "--role", "wizard"])
    assert bad.exit_code != 0 and "Roles must be some of" in bad.output
    weak = runner.invoke(args=["create-user", "cy@example.org", "--role", "reviewer", "--password", "short"])
    assert weak.exit_code != 0 and "at least 12" in weak.output
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action)).all() == ["create_user"]


def test_invite_form_offers_roles_as_checkboxes_so_several_can_be_given(client, login_as):
    login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert page.count('type="checkbox" id="roles-') == len(ROLE_VALUES) and 'type="radio" id="roles-' not in page


def test_user_pages_name_each_role_plainly_with_what_it_can_do(client, login_as):
    login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Advisory board member" in page
    assert "reads approved drafts and protected figures for the reviews they are named on; never sees comments" \
        in page.lower()
    assert 'value="advisor"' in page
    french = client.get("/admin/users?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in french
