"""Facilitator views: spreadsheets (upload, map, preview, import), session notes (split, adjust, save), email."""
import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import format_number, ngettext
from flask_login import current_user
from sqlalchemy import select

from engage.access import require_consultation, require_roles
from engage.errors import too_big_page
from engage.extensions import db
from engage.facilitate.forms import LANGUAGES, EmailUploadForm, SessionForm, SpreadsheetUploadForm
from engage.i18n import source_language
from engage.facilitate.uploads import discard_upload, load_upload, save_upload
from engage.imports import ImportFileError
from engage.imports.notes import adjust_comments, read_notes, split_comments
from engage.imports.spreadsheet import read_table
from engage.models import Consultation, EngagementSession, ImportBatch, Role
from engage.security import whole_number
from engage.services import email_imports, engagement_sessions, imports

bp = Blueprint("facilitate", __name__, url_prefix="/facilitate")


@bp.url_value_preprocessor
def allow_large_uploads(_endpoint, _values) -> None:
    # Runs before every before_request (CSRF, form checks), which read the body: only a signed-in facilitator
    # gets the import limit instead of the global MAX_CONTENT_LENGTH.
    if request.method == "POST" and current_user.is_authenticated and current_user.has_role(Role.FACILITATOR.value):
        limit = imports.import_max_bytes()
        request.max_content_length = limit + 256 * 1024
        request.max_form_memory_size = limit


bp.before_request(require_roles(Role.FACILITATOR.value))


@bp.errorhandler(413)
def file_too_big(_error):
    return too_big_page(_("The file is too big: the largest file Engage takes is %(size)s MiB. Split it into smaller "
                          "files, or save it as CSV, and try again.",
                          size=f"{round(imports.import_max_bytes() / 2**20, 1):g}"))


def consultation_or_404(slug: str) -> Consultation:
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug)) or abort(404)
    require_consultation(consultation.id)
    return consultation


@bp.route("/")
def list_consultations():
    consultations = [c for c in db.session.scalars(select(Consultation).order_by(Consultation.title))
                     if current_user.can_access_consultation(c.id)]
    return render_template("facilitate/list_consultations.html", consultations=consultations)


@bp.route("/<slug>")
def show_consultation(slug: str):
    consultation = consultation_or_404(slug)
    batches = db.session.scalars(select(ImportBatch).where(ImportBatch.consultation_id == consultation.id)
                                 .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(50)).all()
    sessions = db.session.scalars(select(EngagementSession).where(EngagementSession.consultation_id == consultation.id)
                                  .order_by(EngagementSession.held_on.desc(), EngagementSession.id.desc())).all()
    return render_template("facilitate/show_consultation.html", consultation=consultation, batches=batches,
                           sessions=sessions, summary=engagement_sessions.session_summary(consultation))


@bp.route("/<slug>/spreadsheet", methods=["GET", "POST"])
def upload_spreadsheet(slug: str):
    consultation = consultation_or_404(slug)
    form = SpreadsheetUploadForm()
    if request.method == "GET":
        form.language.data = source_language(consultation)  # most comments are in the consultation's own
    if form.validate_on_submit():
        data, filename = form.file.data.read(), form.file.data.filename or "upload.csv"
        try:
            imports.check_size(data, limit=imports.import_max_bytes())
            read_table(data, filename)
        except ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            token = save_upload(data, filename)
            return redirect(url_for("facilitate.map_spreadsheet", slug=slug, token=token, channel=form.channel.data,
                                    language=form.language.data), code=303)
    return render_template("facilitate/upload_spreadsheet.html", consultation=consultation, form=form), 422 if form.errors else 200


@bp.route("/<slug>/spreadsheet/<token>", methods=["GET", "POST"])
def map_spreadsheet(slug: str, token: str):
    consultation = consultation_or_404(slug)
    data, filename = load_upload(token)
    header = _readable(lambda: read_table(data, filename)).header
    targets = imports.mapping_targets(consultation)
    source = request.form if request.method == "POST" else {}
    channel = source.get("channel") or request.args.get("channel", "paper")
    language = source.get("language") or request.args.get("language") or source_language(consultation)
    if channel not in imports.SPREADSHEET_CHANNELS or language not in {choice.value for choice in LANGUAGES}:
        abort(400)
    lowered = {h.lower(): h for h in header if h}
    mapping = {key: source.get(f"map-{key}", "") if source else lowered.get(key, "") for key in targets}
    mapping = {key: column for key, column in mapping.items() if column}
    preview, unreadable = None, False
    if request.method == "POST":
        try:
            preview = imports.preview_spreadsheet(consultation=consultation, data=data, filename=filename,
                                                  mapping=mapping, max_rows=current_app.config["IMPORT_WEB_MAX_ROWS"])
        except ImportFileError as error:  # found only when the rows are read, e.g. a cell too long
            flash(str(error), "error")
            unreadable = True
        if preview is not None and request.form.get("action") == "import" and not preview.problems:
            try:
                result = imports.import_spreadsheet(consultation=consultation, data=data, filename=filename, channel=channel,
                                                    mapping=mapping, user=current_user, today=dt.date.today(),
                                                    language=language)
            except (ImportFileError, imports.ImportRejected) as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                db.session.commit()
                discard_upload(token)
                flash(_imported_message(result, "responses"), "info")
                return redirect(url_for("facilitate.show_consultation", slug=slug), code=303)
    status = 422 if unreadable or (preview and preview.problems) else 200
    return render_template("facilitate/map_spreadsheet.html", consultation=consultation, header=header, targets=targets,
                           mapping=mapping, preview=preview, channel=channel, language=language, filename=filename,
                           token=token), status


def _readable(read):
    """Read a kept upload; 404 when the token names a file of the other kind (an email on the spreadsheet page)."""
    try:
        return read()
    except ImportFileError:
        abort(404)


def _imported_message(result: imports.ImportResult, kind: str = "comments") -> str:
    """What was added, counted as the facilitator sees it: a spreadsheet row is one person's response (with any
    number of comments, or none), an email is one email, and a session's notes are comments."""
    count = format_number(result.added)
    if kind == "responses":
        imported = ngettext("Imported %(count)s response.", "Imported %(count)s responses.", result.added, count=count)
    elif kind == "emails":
        imported = ngettext("Imported %(count)s email.", "Imported %(count)s emails.", result.added, count=count)
    else:
        imported = ngettext("Imported %(count)s comment.", "Imported %(count)s comments.", result.added, count=count)
    if not result.skipped:
        return imported
    return imported + " " + ngettext("%(count)s already imported was skipped.", "%(count)s already imported were skipped.",
                                     result.skipped, count=format_number(result.skipped))


@bp.route("/<slug>/sessions/new", methods=["GET", "POST"])
def new_session(slug: str):
    consultation = consultation_or_404(slug)
    form = SessionForm()
    if form.validate_on_submit():
        upload = form.notes_file.data
        try:
            text = read_notes(upload.read(), upload.filename or "notes.txt") if upload else form.notes.data
        except ImportFileError as error:
            form.notes_file.errors = [str(error)]
        else:
            comments = split_comments(text)
            return render_template("facilitate/adjust_session.html", consultation=consultation, form=form,
                                   comments=comments, problems=engagement_sessions.check_comments(comments),
                                   filename=upload.filename if upload else "")
    return render_template("facilitate/new_session.html", consultation=consultation, form=form), 422 if form.errors else 200


@bp.route("/<slug>/sessions/save", methods=["POST"])
def save_session(slug: str):
    consultation = consultation_or_404(slug)
    form = SessionForm()
    form.notes.data = form.notes.data or "(adjusted below)"  # the notes were already split into the comments below
    if not form.validate_on_submit():
        return render_template("facilitate/new_session.html", consultation=consultation, form=form), 422
    comments = adjust_comments(request.form.getlist("comment"), leave_out=_indexes("leave"), join_next=_indexes("join"))
    problems = engagement_sessions.check_comments(comments)
    filename = request.form.get("filename", "")[:255]
    if request.form.get("action") == "save" and not problems:
        details = engagement_sessions.SessionDetails(
            channel=form.channel.data, held_on=form.held_on.data, organisation=form.organisation.data or "",
            attendees=form.attendees.data, language=form.language.data, segment_description=form.segment_description.data or "")
        session, result = engagement_sessions.save_session(consultation=consultation, details=details, comments=comments,
                                                           user=current_user, today=dt.date.today(), filename=filename)
        db.session.commit()
        flash(_imported_message(result), "info")
        target = url_for("facilitate.show_session", slug=slug, session_id=session.id) if session else url_for("facilitate.show_consultation", slug=slug)
        return redirect(target, code=303)
    return render_template("facilitate/adjust_session.html", consultation=consultation, form=form, comments=comments,
                           problems=problems, filename=filename), 422 if problems else 200


def _indexes(name: str) -> set[int]:
    return {i for i in map(whole_number, request.form.getlist(name)) if i is not None}


@bp.route("/<slug>/sessions/<int:session_id>")
def show_session(slug: str, session_id: int):
    consultation = consultation_or_404(slug)
    session = db.session.get(EngagementSession, session_id)
    if session is None or session.consultation_id != consultation.id:
        abort(404)
    return render_template("facilitate/show_session.html", consultation=consultation, session=session,
                           comments=engagement_sessions.session_comments(session))


@bp.route("/<slug>/email", methods=["GET", "POST"])
def upload_email(slug: str):
    consultation = consultation_or_404(slug)
    form = EmailUploadForm()
    if form.validate_on_submit():
        data, filename = form.file.data.read(), form.file.data.filename or "message.eml"
        try:
            email_imports.prepare_emails(data=data, filename=filename)
        except ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            return redirect(url_for("facilitate.preview_email", slug=slug, token=save_upload(data, filename)), code=303)
    return render_template("facilitate/upload_email.html", consultation=consultation, form=form), 422 if form.errors else 200


@bp.route("/<slug>/email/<token>", methods=["GET", "POST"])
def preview_email(slug: str, token: str):
    consultation = consultation_or_404(slug)
    data, filename = load_upload(token)
    _kept, preview = _readable(lambda: email_imports.prepare_emails(data=data, filename=filename))
    if request.method == "POST" and not preview.problems:
        result = email_imports.import_emails(consultation=consultation, data=data, filename=filename,
                                             user=current_user, today=dt.date.today())
        db.session.commit()
        discard_upload(token)
        flash(_imported_message(result, "emails"), "info")
        return redirect(url_for("facilitate.show_consultation", slug=slug), code=303)
    return render_template("facilitate/preview_email.html", consultation=consultation, preview=preview,
                           filename=filename, token=token), 422 if preview.problems else 200
