"""A seeded public world shared by the public-page tests: the demo consultation with its published report, a
closed and a not-yet-open consultation, and French wording for part of the demo (the rest falls back)."""
import datetime as dt
import shutil

import pytest
from sqlalchemy import select

from engage import create_app
from engage.extensions import db
from engage.models import Consultation
from engage.services.demo import DEMO_SLUG
from engage.services.snapshots import clear_consultation_views

CLOSED_SLUG = "bus-safety"
SOON_SLUG = "lunch-time"
# Part of the demo in French: the title and the introduction. The questions stay in English, so French pages
# show them with lang="en" and say once that some of the page is only in English.
DEMO_FRENCH = {
    "title": "Examen du programme des agents de police dans les écoles",
    "summary": "Dis-nous ce que tu penses des agents de police qui travaillent dans les écoles.",
    "description": "Certaines écoles ont un agent de police qui travaille avec l'école. On l'appelle un agent "
                   "de police en milieu scolaire.",
}

# Every public page a participant can reach, by name: (path, expected status).
PUBLIC_PAGES = {
    "home": ("/", 200),
    "consultation": (f"/c/{DEMO_SLUG}", 200),
    "form": (f"/c/{DEMO_SLUG}/respond", 200),
    "privacy": ("/privacy", 200),
    "find_receipt": ("/receipt", 200),
    "outcome": (f"/c/{DEMO_SLUG}/outcome", 200),
    "report": (f"/c/{DEMO_SLUG}/report", 200),
    "closed": (f"/c/{CLOSED_SLUG}", 200),
    "closed_form": (f"/c/{CLOSED_SLUG}/respond", 200),
    "not_open_yet": (f"/c/{SOON_SLUG}", 200),
    "not_found": ("/c/no-such-thing", 404),
}


def seed_public_world(app) -> None:
    """Seed the demo (with its published report) and two more consultations into `app`'s database."""
    result = app.test_cli_runner().invoke(args=["seed-demo", "--responses", "120"])
    assert result.exit_code == 0, result.output
    today = dt.date.today()
    with app.app_context():
        demo = db.session.scalar(select(Consultation).where(Consultation.slug == DEMO_SLUG))
        demo.languages = ["en", "fr"]
        demo.translations = {"fr": DEMO_FRENCH}
        for slug, title, status, opens_on in (
            (CLOSED_SLUG, "Bus safety check-in", "closed", today - dt.timedelta(days=40)),
            (SOON_SLUG, "Lunch time check-in", "open", today + dt.timedelta(days=10)),
        ):
            db.session.add(Consultation(
                slug=slug, title=title, status=status, opens_on=opens_on, closes_on=opens_on + dt.timedelta(days=30),
                summary="Tell us how it feels.", description="We want to hear from students.",
                purpose="Your answers help us make it better.", audience="A small team reads the answers.",
            ))
        db.session.commit()
    clear_consultation_views()


@pytest.fixture(scope="session")
def public_template(sqlite_template, tmp_path_factory):
    """A SQLite file with the public world, seeded once per run; each test copies it."""
    path = tmp_path_factory.mktemp("public") / "engage.db"
    shutil.copyfile(sqlite_template, path)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    app.instance_path = str(tmp_path_factory.mktemp("public-instance"))
    seed_public_world(app)
    with app.app_context():
        db.engine.dispose()
    return path


def public_app(template, tmp_path):
    """An app on a private copy of the seeded public world."""
    path = tmp_path / "engage.db"
    shutil.copyfile(template, path)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    app.config["DB_BACKEND"] = "sqlite"
    app.instance_path = str(tmp_path / "instance")
    clear_consultation_views()
    return app
