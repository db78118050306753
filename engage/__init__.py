"""Engage: anonymous public consultations with offline text analysis and safe publishing."""
import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | type | None = None, **overrides):
    """Build the Flask app. `config` is a name from config.CONFIGS or a config class; overrides win.

    Flask and the database layer are imported here, not at module level, so that `engage.analysis` can be
    imported by workers and command-line users without pulling in the web stack.
    """
    from flask import Flask

    from config import CONFIGS
    from engage import commands, errors, i18n, logging_setup, security
    from engage.database import configure_engine, end_session, engine_options
    from engage.extensions import csrf, db, limiter, login_manager, migrate

    app = Flask(
        __name__,
        template_folder=str(_ROOT / "templates"),
        static_folder=str(_ROOT / "static"),
        instance_path=str(_ROOT / "instance"),
    )
    app.url_map.converters["int"] = security.IdConverter  # before any route is added
    if config is None:
        config = os.environ.get("ENGAGE_CONFIG", "development")
    config_class = CONFIGS[config] if isinstance(config, str) else config
    app.config.from_object(config_class)
    app.config.update(overrides)
    if hasattr(config_class, "check"):
        config_class.check(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"],
                                                            app.config["SQLALCHEMY_ENGINE_OPTIONS"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.session_protection = None  # staff sessions are checked on the server instead
    with app.app_context():
        configure_engine(db.engine, busy_timeout=app.config["SQLITE_BUSY_TIMEOUT"],
                         wal_autocheckpoint=app.config["SQLITE_WAL_AUTOCHECKPOINT"])
    app.teardown_appcontext(end_session)  # runs before Flask-SQLAlchemy's own (teardowns run in reverse)

    from engage import access, models  # noqa: F401  (tables for Flask-Migrate; the user loader)
    from engage.admin.views import bp as admin_bp
    from engage.auth.views import bp as auth_bp
    from engage.facilitate.views import bp as facilitate_bp
    from engage.intake.views import bp as intake_bp
    from engage.ops.views import bp as ops_bp
    from engage.programs.views import bp as programs_bp
    from engage.review.views import bp as review_bp
    from engage.staff.views import bp as staff_bp

    for blueprint in (intake_bp, auth_bp, staff_bp, admin_bp, review_bp, facilitate_bp, ops_bp, programs_bp):
        app.register_blueprint(blueprint)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    from wtforms import RadioField, SelectMultipleField

    # Templates ask what a field is, not what its class is called, so subclasses render correctly.
    app.jinja_env.tests["multiple_choice"] = lambda field: isinstance(field, SelectMultipleField)
    app.jinja_env.tests["choice_group"] = lambda field: isinstance(field, (SelectMultipleField, RadioField))
    app.jinja_env.globals["document_html"] = _document_html
    i18n.init_app(app)
    logging_setup.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    commands.init_app(app)
    return app


def _document_html(document):
    """A What We Heard document's body, for pages that show it inside the site's layout."""
    from markupsafe import Markup

    from engage.reporting.document import render_document

    return Markup(render_document(document, standalone=False))
