"""Error pages that say what happened and what to do next, in plain words (and in the page's language)."""
from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

_MESSAGES = {
    400: (_l("We could not read that"), _l("We could not read something that was sent. Please go back and try again.")),
    403: (_l("You cannot open this page"),
          _l("Your account does not have the role this page needs. Ask an administrator if you need it.")),
    404: (_l("Page not found"), _l("We could not find that page. Check the address, or start again from the home page.")),
    405: (_l("That did not work"), _l("This page cannot be used that way. Please start again from the home page.")),
    413: (
        _l("That was too much to send"),
        _l("What you sent was too big for us. Use your browser's Back button. Your answers are most likely still "
           "there. Make your longest answer shorter, and send again."),
    ),
    429: (_l("Please slow down"), _l("Too many tries in a short time. Please wait a minute and try again.")),
    500: (_l("Something went wrong on our side"), _l("Sorry. Nothing was saved. Please try again in a few minutes.")),
}
_UNDECODABLE = _l("Part of what was sent was not readable text. Please go back, check your answers and send again.")


# Form fields never shown back: secrets, and the form's own machinery.
_NOT_KEPT = ("password", "csrf", "token", "secret", "totp", "otp")
_NOT_KEPT_NAMES = {"action", "submit", "next", "website", "started_at", "submission_key"}


def kept_text() -> list[tuple[str, str]]:
    """What was typed into the form this POST carried, to show back when it could not be saved.

    (field name, text) for every field that holds words; secrets and the form's own fields are left out.
    """
    from flask import request

    if request.method != "POST":
        return []
    try:
        items = list(request.form.items(multi=True))
    except Exception:  # noqa: BLE001 - a body that cannot be read has nothing to give back
        return []
    return [(_field_label(name), value) for name, value in items
            if name and value.strip() and any(c.isalpha() for c in value)
            and name not in _NOT_KEPT_NAMES and not any(word in name.lower() for word in _NOT_KEPT)]


def _field_label(name: str) -> str:
    """A readable caption from a field's name ("edit-description" -> "Description"); forms are not known here."""
    return name.rsplit("-", 1)[-1].replace("_", " ").strip().capitalize() or name


def _render(code: int, description: str | None = None):
    title, message = _MESSAGES.get(code, _MESSAGES[400 if code < 500 else 500])
    if description == "undecodable":
        message = _UNDECODABLE
    return render_template("errors/error.html", code=code, title=title, message=message), code


def _typed_text_page(code: int, title, message, *, link_back: bool = True, **extra):
    """An error page that gives back the text the POST carried, with a link to the form when it opens again."""
    return render_template("errors/error.html", code=code, title=title, message=message, kept=kept_text(),
                           back=_way_back() if link_back else None, **extra), code


def handle_http_error(error: HTTPException):
    return _render(error.code or 500, error.description)


def too_big_page(message: str):
    """The 413 page with a message of a blueprint's own (a facilitator's file is not a participant's answer)."""
    return render_template("errors/error.html", code=413, title=_MESSAGES[413][0], message=message), 413


def _way_back() -> str | None:
    """The page the form was posted from, when it can be opened again (an editor posts to its own address)."""
    from flask import current_app, request

    try:
        current_app.url_map.bind_to_environ(request.environ).match(request.path, method="GET")
    except HTTPException:  # a POST-only address (405), or one that redirects
        return None
    return request.path


def signed_out_page():
    """For a staff POST after the staff session ended: what was typed, a way to sign in and come back; or None
    when nothing was typed (the usual redirect to the login page then does)."""
    from flask import url_for

    if not kept_text():
        return None
    back = _way_back()
    # "Sign in again" returns to the form: a second link to it would only meet the sign-in page first.
    return _typed_text_page(
        401, _l("You were signed out"),
        _l("You were signed out after a while without activity, so nothing was saved. Copy what you typed "
           "below, sign in again and paste it back."),
        link_back=False, sign_in=url_for("auth.login", next=back) if back else url_for("auth.login"))


def handle_csrf_error(error: CSRFError):
    return _typed_text_page(400, _l("This page timed out"),
                            _l("This page was open for a long time. Please go back, reload the page and try again."))


RETRY_AFTER_SECONDS = 30


def unavailable_page():
    """503 when the database does not answer: what was typed, and when to try again."""
    page, code = _typed_text_page(
        503, _l("We cannot take answers just now"),
        _l("Something on our side is not answering, so nothing was saved. Please wait a minute and try again."))
    return page, code, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def handle_unexpected_error(error: Exception):
    """A bug or an outage nobody handled: say so plainly, and give back whatever the form carried."""
    from flask import current_app

    current_app.logger.exception("Unhandled error")
    return _typed_text_page(500, *_MESSAGES[500])


def init_app(app) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected_error)
