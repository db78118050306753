"""Configuration classes; every setting comes from an environment variable with a safe default."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (postgres:// or postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


DEV_SECRET_KEY = "dev-only-not-secret"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'engage.db'}")
    )
    # hide_parameters keeps participants' words out of database error messages and so out of the logs.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    # Seconds SQLite waits for the write lock before giving up; writers queue rather than fail.
    SQLITE_BUSY_TIMEOUT = _env_int("SQLITE_BUSY_TIMEOUT", 30)
    # Pages of write-ahead log (4 KiB each) after which a commit folds it back into the database file.
    SQLITE_WAL_AUTOCHECKPOINT = _env_int("SQLITE_WAL_AUTOCHECKPOINT", 10000)
    REDIS_URL = os.environ.get("REDIS_URL") or None

    # Whole-request cap. Four 5,000-character answers in accented French, URL-encoded, stay well under it.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 128 * 1024)
    TEXT_ANSWER_LIMIT = _env_int("TEXT_ANSWER_LIMIT", 5000)
    # Submissions faster than this are treated as bots and shown the form again, text kept.
    MIN_FILL_SECONDS = _env_int("MIN_FILL_SECONDS", 3)
    # A form's CSRF token lasts this long; after it, the answers are shown again with a fresh token.
    WTF_CSRF_TIME_LIMIT = _env_int("WTF_CSRF_TIME_LIMIT", 4 * 3600)
    DEFAULT_MIN_GROUP_SIZE = _env_int("DEFAULT_MIN_GROUP_SIZE", 10)
    # Largest file a signed-in facilitator may upload for import (everyone else keeps MAX_CONTENT_LENGTH).
    IMPORT_MAX_BYTES = _env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
    # Rows the facilitator's web pages import at once: about 10 s even on a busy 2-core machine, inside
    # gunicorn's 30 s timeout. Larger files go through `flask --app engage import`.
    IMPORT_WEB_MAX_ROWS = _env_int("IMPORT_WEB_MAX_ROWS", 20_000)
    # 1 lets analysis runs (English comments) and assisted coding use the optional sentence-embedding tier
    # when requirements-embeddings.txt is installed; without the packages it quietly changes nothing.
    ANALYSIS_EMBEDDINGS = _env_int("ANALYSIS_EMBEDDINGS", 0) == 1
    # Seconds a worker reuses a consultation's form snapshot (0 = always read it fresh).
    CONSULTATION_CACHE_SECONDS = _env_int("CONSULTATION_CACHE_SECONDS", 5)

    # argon2id cost for staff passwords (OWASP's baseline: 3 passes over 64 MiB).
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 65536)
    STAFF_IDLE_MINUTES = _env_int("STAFF_IDLE_MINUTES", 30)
    STAFF_SESSION_HOURS = _env_int("STAFF_SESSION_HOURS", 12)
    # Flask-Limiter storage: memory:// in one process; REDIS_URL makes limits hold across workers and hosts.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Anonymous submissions: per browser session, and very loosely per address because a school shares one.
    INTAKE_SESSION_LIMIT = os.environ.get("INTAKE_SESSION_LIMIT", "5 per minute;30 per hour")
    INTAKE_ADDRESS_LIMIT = os.environ.get("INTAKE_ADDRESS_LIMIT", "600 per minute")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    MIN_FILL_SECONDS = 0
    CONSULTATION_CACHE_SECONDS = 0
    INTAKE_SESSION_LIMIT = "1000 per minute"  # tests that check limits set their own
    ARGON2_TIME_COST = 1  # fast hashing keeps the suite quick; production uses the real cost
    ARGON2_MEMORY_COST = 1024
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls, app_config: dict) -> None:
        """Refuse to start with the development key or a short one: sessions and receipts are signed with it."""
        key = app_config.get("SECRET_KEY") or ""
        if key == DEV_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
