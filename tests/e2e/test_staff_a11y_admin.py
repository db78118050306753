"""The admin, sign-in and facilitator pages pass axe in a real browser, signed in through the real login page."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engage.extensions import db
from engage.services.accounts import create_user
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.e2e

EMAIL = "admin@example.org"


@pytest.fixture
def world(live_app, tmp_path):
    """The demo consultation offered in French, one answered question reworded, an admin-facilitator, an invitation."""
    from engage.models import Consultation
    from engage.services import accounts, consultations
    from engage.services.demo import seed_demo

    live_app.instance_path = str(tmp_path / "instance")  # uploads are kept there between steps
    with live_app.app_context():
        consultation, _ = seed_demo(responses=20)
        me = create_user(email=EMAIL, roles=["admin", "facilitator"], password=STAFF_PASSWORD)
        invited = create_user(email="new@example.org", roles=["advisor"])
        token = accounts.invite_user(user=invited)
        db.session.commit()
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "sro-review"))
        consultation.languages = ["en", "fr"]
        db.session.commit()
        question = consultation.questions[0]
        consultations.update_question(actor=me, question=question, prompt=question.prompt + " (reworded)",
                                      help_text=question.help_text, required=question.required,
                                      max_length=question.max_length)
        consultations.save_translations(actor=me, consultation=consultation, language="fr",
                                        wording={("consultation", consultation.id): {"title": "Examen du programme"}})
        db.session.commit()
        return {"consultation": consultation.id, "question": question.id, "token": token,
                "field": consultation.segment_fields[0].id}


def sign_in(page, base):
    page.goto(base + "/auth/login")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Staff home")).to_be_visible()


def test_admin_and_facilitator_pages_pass_axe(world, live_server, page, assert_accessible, tmp_path):
    page.goto(f"{live_server}/auth/invite/{world['token']}")
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    assert_accessible(page, "invitation")
    page.get_by_role("button", name="Save password").click()  # empty: the error summary and field errors
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "invitation with errors")

    page.goto(f"{live_server}/auth/login")
    assert_accessible(page, "login")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "login with errors")
    sign_in(page, live_server)
    assert_accessible(page, "staff home")

    consultation = f"/admin/consultations/{world['consultation']}"
    pages = {
        "consultations": "/admin/consultations",
        "new consultation": "/admin/consultations/new",
        "consultation": consultation,
        "translations": consultation + "/translations/fr",
        "question": f"/admin/questions/{world['question']}",
        "about you question": f"/admin/segment-fields/{world['field']}",
        "users": "/admin/users",
        "audit log": "/admin/audit",
        "double-coding samples": "/admin/coding-samples",
        "facilitator's consultations": "/facilitate/",
        "facilitator's consultation": "/facilitate/sro-review",
        "new session": "/facilitate/sro-review/sessions/new",
        "upload spreadsheet": "/facilitate/sro-review/spreadsheet",
        "upload email": "/facilitate/sro-review/email",
    }
    for label, path in pages.items():
        response = page.goto(live_server + path)
        assert response.status == 200, f"{label}: {response.status}"
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page, label)

    # The same pages in French keep their structure (lang attribute, labels) and pass too.
    for label, path in (("consultation (fr)", consultation), ("users (fr)", "/admin/users")):
        assert page.goto(f"{live_server}{path}?lang=fr").status == 200
        assert page.locator("html").get_attribute("lang") == "fr"
        assert_accessible(page, label)
    page.goto(f"{live_server}/staff/?lang=en")

    # Forms with errors: the settings, a question, an invitation and a session.
    page.goto(live_server + consultation)
    page.locator("#title").fill("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "consultation settings with errors")
    page.goto(live_server + "/admin/users")
    page.get_by_role("button", name="Create invitation").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "invitation form with errors")
    page.goto(live_server + "/facilitate/sro-review/sessions/new")
    page.get_by_role("button", name="Split into comments").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "new session with errors")

    # The spreadsheet journey: upload, map the columns, check the file (its preview table and any problems).
    sheet = tmp_path / "paper.csv"
    sheet.write_text("comment,date\nMore counsellors please,2024-05-01\nThe officer is kind,not a date\n")
    page.goto(live_server + "/facilitate/sro-review/spreadsheet")
    page.get_by_label("Spreadsheet (.csv or .xlsx)").set_input_files(str(sheet))
    page.get_by_role("button", name="Upload and choose columns").click()
    expect(page.get_by_role("heading", name="Choose columns")).to_be_visible()
    assert_accessible(page, "map spreadsheet")
    page.get_by_label("A comment not tied to a question").select_option("comment")
    page.get_by_label("The day it was written (YYYY-MM-DD)").select_option("date")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("not a date")
    assert_accessible(page, "map spreadsheet with problems")
    page.get_by_label("The day it was written (YYYY-MM-DD)").select_option("")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("button", name="Import 2 rows")).to_be_visible()
    assert_accessible(page, "map spreadsheet preview")


def test_admin_writes_french_wording_in_the_browser(world, live_server, page):
    sign_in(page, live_server)
    page.goto(f"{live_server}/admin/consultations/{world['consultation']}#translations")
    page.get_by_role("link", name="Edit the French wording").click()
    expect(page.get_by_role("heading", name="French wording")).to_be_visible()
    status = page.locator("#translation-status")
    expect(status).to_contain_text("1 of ")
    intro = page.get_by_role("group", name="Introduction")
    intro.get_by_label("Why are we asking?").fill("Nous voulons savoir ce que vous en pensez.")
    page.get_by_role("button", name="Save the French wording").click()
    expect(page.get_by_role("status")).to_contain_text("Wording saved for French")
    expect(status).to_contain_text("2 of ")
    page.goto(f"{live_server}/c/sro-review?lang=fr")
    expect(page.locator("main")).to_contain_text("Nous voulons savoir ce que vous en pensez.")
    expect(page.locator("h1")).to_contain_text("Examen du programme")
