"""Request guards and response headers shared by every blueprint."""
from urllib.parse import parse_qsl

from flask import abort, request

_FORM_TYPE = "application/x-www-form-urlencoded"


def reject_undecodable_form() -> None:
    """Refuse a form body that is not valid UTF-8 instead of letting it arrive empty or garbled."""
    if request.method != "POST" or request.mimetype != _FORM_TYPE:
        return
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH; the form parser reuses the cache
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
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


def init_app(app) -> None:
    app.before_request(reject_undecodable_form)
    app.after_request(add_headers)
