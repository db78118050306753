"""Request guards and response headers shared by every blueprint."""
import functools
import zlib
from urllib.parse import parse_qsl

from flask import abort, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Serializer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from werkzeug.routing import IntegerConverter

_FORM_TYPE = "application/x-www-form-urlencoded"
# Ids and numbers in URLs name rows in INTEGER columns (32-bit on PostgreSQL).
MAX_URL_INT = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` with an upper bound: a larger number is a 404, not a value the database cannot take.

    Unbounded, /admin/consultations/9223372036854775808 reached SQLite, which raises OverflowError (a 500).
    """

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_URL_INT,
                 signed: bool = False):
        super().__init__(map, fixed_digits, min, max, signed)


def whole_number(text: str | None) -> int | None:
    """An id or count typed into a form or query string, or None when it is not one the database can hold.

    ``str.isdigit()`` alone is not enough: it accepts "²", which int() refuses, and 5,000 nines, which int() also
    refuses (and the database could not store).
    """
    if not (text and text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 10 and int(digits) <= MAX_URL_INT else None


def reject_undecodable_form() -> None:
    """Refuse a form body that is not valid UTF-8 instead of letting it arrive empty or garbled."""
    if request.method != "POST" or request.mimetype != _FORM_TYPE:
        return
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH; the form parser reuses the cache
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        abort(400, description="undecodable")


# Forms that drop control characters from what people typed, so that a participant keeps their answers.
CLEANS_ITS_OWN_TEXT = {"intake.respond"}


def reject_nul() -> None:
    """Refuse a NUL character in the address, the query string or a form field.

    Nobody types one, and PostgreSQL can neither store nor compare text holding one: it reached queries as a
    server error (a slug in the address, an email address at sign-in). File contents are not form fields.
    """
    if "\x00" in request.path:
        abort(404)
    fields = [request.args]
    if request.method == "POST" and request.mimetype in (_FORM_TYPE, "multipart/form-data") \
            and request.endpoint not in CLEANS_ITS_OWN_TEXT:
        fields.append(request.form)
    # A malformed multipart part can arrive with no name at all (None).
    if any("\x00" in (key or "") or "\x00" in value for multi in fields for key, value in multi.items(multi=True)):
        abort(400, description="undecodable")


def add_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    # Forms, confirmations and every staff page: nothing is kept in a shared computer's cache.
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


class _SessionSigner(TimestampSigner):
    """A timestamp signer that derives its HMAC key once per secret key instead of on every signature."""

    @functools.cache  # noqa: B019 (a handful of keys, for the life of the app)
    def derive_key(self, secret_key=None) -> bytes:
        return super().derive_key(secret_key)


class _SessionSerializer(URLSafeTimedSerializer):
    """itsdangerous's serializer for Flask's session cookie, trying zlib only on payloads worth shrinking.

    A participant's session holds a CSRF token and a few small values, which zlib does not shorten, yet every
    save set up a compressor (about 5% of a gunicorn worker's time on the participant's form). Larger sessions
    (queued flash messages repeat themselves) are still compressed, so they stay under the 4 KB cookie limit.
    Loading is unchanged, so cookies in either form are read. The signer, whose key derivation is an HMAC, is
    made once per salt instead of on every signature.
    """

    default_signer = _SessionSigner
    COMPRESS_ABOVE = 512  # bytes of JSON

    def dump_payload(self, obj) -> bytes:
        # The same format as itsdangerous's URL-safe mixin (a leading "." marks zlib), serialized once.
        json = Serializer.dump_payload(self, obj)
        if len(json) > self.COMPRESS_ABOVE:
            compressed = zlib.compress(json)
            if len(compressed) < len(json) - 1:
                return b"." + base64_encode(compressed)
        return base64_encode(json)

    @functools.cache  # noqa: B019 (one serializer per secret key lives as long as the app)
    def make_signer(self, salt=None):
        return super().make_signer(salt)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with its signing serializer made once per key, not twice per request
    (opening and saving each built a new one: a few percent of a participant's form submission)."""

    _made: tuple | None = None

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        fallbacks = tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys = (*fallbacks, app.secret_key)  # itsdangerous signs with the last key and accepts every one
        made = self._made
        if made is None or made[0] != keys:
            serializer = _SessionSerializer(
                list(keys), salt=self.salt, serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
            made = self._made = (keys, serializer)
        return made[1]


# Staff write long texts: a report section holds up to 50,000 characters, and a form sends an accented letter as
# 6 bytes ("%C3%A9"), so the participants' 128 KiB limit cut a French section off at about 21,000 letters.
STAFF_BLUEPRINTS = frozenset({"review", "programs", "admin", "staff"})
STAFF_FORM_BYTES = 1024 * 1024


def allow_longer_staff_forms(_endpoint, _values) -> None:
    # A URL value preprocessor runs before every before_request (CSRF, the form checks), which read the body.
    if request.method == "POST" and request.blueprint in STAFF_BLUEPRINTS:
        from flask_login import current_user

        if current_user.is_authenticated:
            request.max_content_length = max(request.max_content_length or 0, STAFF_FORM_BYTES)
            request.max_form_memory_size = STAFF_FORM_BYTES


def init_app(app) -> None:
    app.session_interface = SessionInterface()
    app.url_value_preprocessor(allow_longer_staff_forms)
    app.before_request(reject_undecodable_form)
    app.before_request(reject_nul)
    app.after_request(add_headers)
