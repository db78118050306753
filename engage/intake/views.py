"""Views for participants: no account, no cookie beyond the CSRF session, nothing about them stored."""
import datetime as dt
import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from engage import errors
from engage.database import UNAVAILABLE_ERRORS, rollback_quietly
from engage.extensions import csrf, db, limiter
from engage.i18n import current_language
from engage.intake.forms import (
    PREFER_NOT,
    build_response_form,
    question_field_name,
    read_valid_answers,
    segment_field_name,
)
from engage.models import QuestionKind
from engage.services import intake as intake_service
from engage.services.snapshots import get_consultation_view
from engage.security import whole_number
from engage.services.throttle import check_submission_limits

bp = Blueprint("intake", __name__)


@limiter.request_filter
def _counts_its_own_submissions() -> bool:
    """The response form has no Flask-Limiter limit: it counts submissions itself (engage.services.throttle),
    so it can give the answers back. Skipping the extension's per-request bookkeeping saves the busiest route
    about a tenth of its CPU."""
    return request.endpoint == "intake.respond"

_INTAKE_MESSAGES = {
    "access_code": _l("That access code did not work. Please check it with the person who gave it to you."),
    "csrf": _l("This page was open for a long time, so we could not check that it was sent from here. "
               "Your answers are still below. Please check them and press Send again."),
    "too_fast": _l("Please take a moment to check your answers, then press Send again."),
    "unavailable": _l("We could not save your answers just now because of a problem on our side. Nothing was "
                      "saved, and your answers are still below. Please wait a minute, then press Send again."),
}


def _rate_limit_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return ngettext("Lots of answers were sent from here in a short time. Your answers are still below. "
                    "Please wait a minute, then press Send again.",
                    "Lots of answers were sent from here in a short time. Your answers are still below. "
                    "Please wait %(num)d minutes, then press Send again.", minutes)


def _today() -> dt.date:
    return dt.date.today()


@bp.route("/")
def index():
    consultations = intake_service.list_open_consultations(today=_today())
    return render_template("intake/index.html", consultations=consultations)


@bp.route("/privacy")
def privacy():
    return render_template("intake/privacy.html")


@bp.route("/c/<slug>")
def show_consultation(slug: str):
    consultation = _consultation_or_404(slug)
    return render_template(
        "intake/show_consultation.html", consultation=consultation, availability=consultation.availability(_today())
    )


# The form checks its own CSRF token so that an expired token can re-show the answers instead of an error page.
@bp.route("/c/<slug>/respond", methods=["GET", "POST"])
@csrf.exempt
def respond(slug: str):
    consultation = _consultation_or_404(slug)
    availability = consultation.availability(_today())
    reading = request.method in ("GET", "HEAD")  # HEAD (link checkers, previews) is a GET without the body
    if availability == "open" and reading and not session.get("_flashes"):
        return _empty_form_page(consultation)  # the busiest page: no form object is built for it
    if availability == "open" and request.method == "POST":
        fast = _fast_submission(consultation)  # the usual answers: stored without building the form
        if fast is not None:
            return _store(slug, consultation, *fast, form_for_page=lambda: _checked_form(consultation))
    form = build_response_form(
        consultation,
        text_limit=current_app.config["TEXT_ANSWER_LIMIT"],
        formdata=request.form if request.method == "POST" else None,
    )
    if availability != "open":
        status = 409 if request.method == "POST" else 200
        return render_template("intake/not_open.html", consultation=consultation, availability=availability, form=form), status
    if reading:  # a message to show: render this page for this request only
        form.submission_key.data = intake_service.new_submission_key()
        return render_template("intake/respond.html", consultation=consultation, form=form)

    if form.website.data:
        # Honeypot filled in: a bot. Answer as if all went well, store nothing.
        return render_template("intake/thanks.html", consultation=consultation, receipt=None)
    problem = _form_problem(form)
    if problem is None:
        return _store(slug, consultation, _submission_from(form, consultation), form.submission_key.data,
                      form_for_page=lambda: form)
    return _problem_page(consultation, form, problem)


def _store(slug: str, consultation, submission, submission_key: str, *, form_for_page):
    """Count the attempt, store the answers and send to the thanks page; or show the form again, and why."""
    wait = _submission_wait()
    if wait:
        return _send_again_later(consultation, form_for_page(), _rate_limit_message(wait), 429, wait)
    try:
        receipt, _created = intake_service.submit_response(
            consultation=consultation,
            submission=submission,
            submission_key=submission_key,
            secret_key=current_app.config["SECRET_KEY"],
            today=_today(),
        )
        db.session.commit()
    except intake_service.IntakeError as error:
        db.session.rollback()
        form = form_for_page()
        if error.reason == "access_code":
            form.access_code.errors.append(_INTAKE_MESSAGES["access_code"])
        return _problem_page(consultation, form, error.reason)
    except UNAVAILABLE_ERRORS as error:
        # The database did not answer. The form comes back whole; its one-time key makes sending it again safe
        # even if the commit landed before the connection broke.
        _forget_failed_transaction(error)
        return _send_again_later(consultation, form_for_page(), str(_INTAKE_MESSAGES["unavailable"]), 503,
                                 errors.RETRY_AFTER_SECONDS)
    session["receipt"] = {"slug": slug, "code": receipt}
    return redirect(url_for("intake.thanks", slug=slug), code=303)


def _send_again_later(consultation, form, message: str, status: int, seconds: int):
    """The form again with every answer, why it was not stored, and when to send it again (Retry-After)."""
    flash(message, "warning")
    page = render_template("intake/respond.html", consultation=consultation, form=form)
    return current_app.make_response((page, status, {"Retry-After": str(seconds)}))


def _forget_failed_transaction(error: Exception) -> None:
    rollback_quietly()
    # The driver's own message ("the database system is shutting down", "no such table: ..."), never the
    # statement or its parameters, which hold the participant's answers; nor their address.
    reason = (str(getattr(error, "orig", None) or error).splitlines() or [""])[0][:200]
    current_app.logger.warning("A participant's request failed, the database did not answer: %s: %s",
                               type(error).__name__, reason)


def _database_unavailable(error: Exception):
    """The database failed before the form could be built (a new worker with nothing cached yet)."""
    _forget_failed_transaction(error)
    return errors.unavailable_page()


for _error_class in UNAVAILABLE_ERRORS:
    bp.register_error_handler(_error_class, _database_unavailable)


def _problem_page(consultation, form, problem: str):
    if problem == "not_open":
        return render_template("intake/not_open.html", consultation=consultation, availability="closed", form=form), 409
    if problem in _INTAKE_MESSAGES and problem != "access_code":
        flash(str(_INTAKE_MESSAGES[problem]), "warning")
    return render_template("intake/respond.html", consultation=consultation, form=form), 422


@bp.route("/c/<slug>/thanks")
def thanks(slug: str):
    consultation = _consultation_or_404(slug)
    # Shown once, then forgotten: on a shared school computer the next person must not find it here.
    shown = session.pop("receipt", None) or {}
    receipt = shown.get("code") if shown.get("slug") == slug else None
    return render_template("intake/thanks.html", consultation=consultation, receipt=receipt)


@bp.route("/receipt", methods=["GET", "POST"])
@csrf.exempt  # checked here, so that a page left open too long shows the code again instead of an error page
def find_receipt():
    # Codes come only in a POST body: in a query string they would sit in access logs and browser history.
    code = request.form.get("code", "").strip()[:40] if request.method == "POST" else ""
    if code and not _csrf_token_valid():
        return render_template("intake/find_receipt.html", code=code, not_found=False, timed_out=True), 400
    if code:
        consultation = intake_service.find_receipt_consultation(code=code)
        if consultation is not None:
            return redirect(url_for("intake.show_outcome", slug=consultation.slug), code=303)
        return render_template("intake/find_receipt.html", code=code, not_found=True), 404
    return render_template("intake/find_receipt.html", code="", not_found=False)


# A fresh form is the same page for everyone but for three values, so it is rendered once per snapshot
# and those values are filled in per request. This is the busiest page; rendering it costs several ms.
_PLACEHOLDERS = ("csrf-placeholder-0d6c", "key-placeholder-0d6c", "started-placeholder-0d6c")
_empty_forms: dict = {}


def _empty_form_page(consultation) -> str:
    text_limit = current_app.config["TEXT_ANSWER_LIMIT"]
    cache_key = (current_app.name, id(current_app), consultation, text_limit, current_language())
    page = _empty_forms.get(cache_key)
    if page is None:
        form = build_response_form(consultation, text_limit=text_limit)
        form.csrf_token.current_token, form.submission_key.data, form.started_at.data = _PLACEHOLDERS
        page = render_template("intake/respond.html", consultation=consultation, form=form)
        if len(_empty_forms) > 64:
            _empty_forms.clear()
        _empty_forms[cache_key] = page
    csrf_value, key_value, started_value = _PLACEHOLDERS
    return (page.replace(csrf_value, generate_csrf())
            .replace(key_value, intake_service.new_submission_key())
            .replace(started_value, str(int(time.time()))))


def _consultation_or_404(slug: str):
    consultation = get_consultation_view(slug=slug, max_age=current_app.config["CONSULTATION_CACHE_SECONDS"])
    if consultation is None:
        abort(404)
    return consultation


def _submission_wait() -> int | None:
    config = current_app.config
    return check_submission_limits(
        session_value=session.get("csrf_token", ""),  # Flask-WTF's random per-session value
        address=request.remote_addr or "",
        secret=config["SECRET_KEY"],
        per_session=config["INTAKE_SESSION_LIMIT"],
        per_address=config["INTAKE_ADDRESS_LIMIT"],
    )


def _csrf_token_valid() -> bool:
    """What Flask-WTF's CSRF check says of this POST, for views that are exempt so they can keep typed text."""
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(request.form.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token")))
    except ValidationError:
        return False
    return True


def _fast_submission(consultation) -> tuple[intake_service.Submission, str] | None:
    """(answers, submission key) when the posted form would pass every check of `_form_problem` as it is.

    None sends the request down the full form's path, which finds what is wrong and shows it with the text.
    """
    config = current_app.config
    answers = read_valid_answers(consultation, request.form, text_limit=config["TEXT_ANSWER_LIMIT"])
    if answers is None:
        return None
    if not _csrf_token_valid():
        return None
    min_seconds = config["MIN_FILL_SECONDS"]
    if min_seconds:
        try:
            started = int(answers.started_at or int(time.time()))
        except ValueError:
            started = 0
        if time.time() - started < min_seconds:
            return None
    submission = intake_service.Submission(
        texts=answers.texts, scales=answers.scales, choices=answers.choices, segments=answers.segments,
        access_code=answers.access_code, language=current_language(),
    )
    return submission, answers.submission_key


def _checked_form(consultation):
    """The posted form, built and checked as the full path does: for a page that shows the answers again."""
    form = build_response_form(
        consultation, text_limit=current_app.config["TEXT_ANSWER_LIMIT"], formdata=request.form
    )
    _form_problem(form)
    return form


def _form_problem(form) -> str | None:
    """None when the form can be stored, else why not. A fresh token and key are set for the next try."""
    valid = form.validate()
    csrf_failed = bool(form.csrf_token.errors)
    if csrf_failed:
        form.csrf_token.errors = []
    if not form.submission_key.data or len(form.submission_key.data) > 64:
        form.submission_key.data = intake_service.new_submission_key()
    if csrf_failed:
        return "csrf"
    if not valid:
        return "invalid"
    min_seconds = current_app.config["MIN_FILL_SECONDS"]
    try:
        started = int(form.started_at.data or 0)
    except ValueError:
        started = 0
    if min_seconds and time.time() - started < min_seconds:
        form.started_at.data = str(int(time.time()) - min_seconds)
        return "too_fast"
    return None


def _submission_from(form, consultation) -> intake_service.Submission:
    texts, scales, choices, segments = {}, {}, {}, {}
    for question in consultation.questions:
        data = form[question_field_name(question.id)].data
        if question.kind == QuestionKind.TEXT.value:
            texts[question.id] = data or ""
        elif question.kind == QuestionKind.SCALE.value:
            if _numbers([data]):
                scales[question.id] = _numbers([data])[0]
        elif question.kind == QuestionKind.MULTIPLE.value:
            choices[question.id] = _numbers(data or [])
        elif _numbers([data]):
            choices[question.id] = _numbers([data])
    for seg in consultation.segment_fields:
        data = form[segment_field_name(seg.id)].data
        values = data if isinstance(data, list) else ([data] if data else [])
        if PREFER_NOT in values:
            segments[seg.id] = None
        elif _numbers(values):
            segments[seg.id] = _numbers(values)
    access_code = form.access_code.data if "access_code" in form else ""
    return intake_service.Submission(
        texts=texts, scales=scales, choices=choices, segments=segments, access_code=access_code or "",
        language=current_language(),  # the language of the page the answers were written on
    )


def _numbers(values) -> list[int]:
    """Option ids among the values. An optional choice sent blank (" ") passes the form's Optional() check
    with its value, and int(" ") raised a server error; such a value is simply no answer."""
    return [number for value in values if (number := whole_number(value)) is not None]


# The published report and "You said, we did" register their routes on `bp` (they import it from here).
from engage.intake import reports  # noqa: E402,F401
