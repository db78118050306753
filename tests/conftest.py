"""Shared fixtures: a real, migrated database per test (SQLite always, PostgreSQL too when configured)."""
import datetime as dt
import os
import shutil

import pytest

from config import database_url
from engage import create_app
from engage.extensions import db
from engage.models import (
    AccessCode,
    Consultation,
    Question,
    QuestionOption,
    SegmentField,
    SegmentOption,
)

def pytest_sessionstart(session):
    """Compile the message catalogues when a .po is newer than its .mo (`make` does the same)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).resolve().parent.parent.glob("translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as source:
                catalogue = read_po(source)
            with open(mo, "wb") as target:
                write_mo(target, catalogue)


POSTGRES_URL = database_url(os.environ.get("ENGAGE_TEST_POSTGRES_URL", "")) or None
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _migrate(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file migrated once per run; each test gets its own copy."""
    path = tmp_path_factory.mktemp("template") / "engage.db"
    _migrate(create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_migrated():
    """Reset the PostgreSQL test database's schema and migrate it once per run."""
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _migrate(create_app("testing", SQLALCHEMY_DATABASE_URI=POSTGRES_URL))
    return POSTGRES_URL


def _truncate_postgres(app) -> None:
    from sqlalchemy import text

    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        db.session.commit()


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path):
    """The app on a fresh, migrated database: a copied SQLite file, or a truncated PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "engage.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    else:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=request.getfixturevalue("postgres_migrated"))
        _truncate_postgres(app)
    app.config["DB_BACKEND"] = request.param
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def make_consultation(app):
    """Factory: a consultation with one question of each kind and two "about you" fields, committed."""

    def make(slug="school-safety", *, status="open", opens_on=None, closes_on=None, access_codes=(), **fields):
        today = dt.date.today()
        with app.app_context():
            consultation = Consultation(
                slug=slug,
                title=fields.pop("title", "School safety check-in"),
                description="Police officers work in some schools.",
                purpose="We want to know how it feels.",
                audience="A review team reads the answers.",
                status=status,
                opens_on=opens_on if opens_on is not None else today - dt.timedelta(days=1),
                closes_on=closes_on if closes_on is not None else today + dt.timedelta(days=30),
                requires_access_code=bool(access_codes),
                **fields,
            )
            consultation.questions = [
                Question(position=0, kind="text", prompt="What is it like?", required=True),
                Question(position=1, kind="scale", prompt="I feel safe at school.", required=True),
                Question(
                    position=2, kind="single", prompt="Who would you tell?", required=False,
                    options=[QuestionOption(position=0, label="A teacher"), QuestionOption(position=1, label="A friend")],
                ),
                Question(
                    position=3, kind="multiple", prompt="What should the officer do?", required=False,
                    options=[QuestionOption(position=i, label=l) for i, l in enumerate(["Talk", "Teach", "Leave"])],
                ),
                Question(position=4, kind="text", prompt="Anything else?", required=False, max_length=200),
            ]
            consultation.segment_fields = [
                SegmentField(key="role", position=0, label="Which describes you?", options=[
                    SegmentOption(position=0, label="Student"), SegmentOption(position=1, label="Teacher")]),
                SegmentField(key="groups", position=1, label="Your groups", multiple=True, is_identity=True, options=[
                    SegmentOption(position=0, label="Racialized"), SegmentOption(position=1, label="2SLGBTQ+")]),
            ]
            consultation.access_codes = [AccessCode(code=c, label=f"Code {c}") for c in access_codes]
            db.session.add(consultation)
            db.session.commit()
            return consultation.id

    return make


STAFF_PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(app):
    """Factory: a staff user with a password and the given roles; returns the user's id."""
    from engage.services.accounts import create_user

    def make(email="staff@example.org", roles=("reviewer",), consultation_ids=(), password=STAFF_PASSWORD):
        with app.app_context():
            user = create_user(email=email, roles=list(roles), password=password, consultation_ids=list(consultation_ids))
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def login_as(client, make_user):
    """Sign a staff user in through the real login form; returns the user's id."""

    def login(*roles, email=None, **kwargs):
        email = email or f"{'-'.join(roles) or 'none'}@example.org"
        user_id = make_user(email=email, roles=roles, **kwargs)
        from tests.helpers import hidden_inputs

        hidden = hidden_inputs(client.get("/auth/login").get_data(as_text=True))  # the CSRF token, when enabled
        response = client.post("/auth/login", data=hidden | {"email": email, "password": STAFF_PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)
        return user_id

    return login
