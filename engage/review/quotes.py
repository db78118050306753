"""Quotes for the What We Heard report: proposing, the re-identification check, approval.

Routes are registered on engage.review.views.bp. Their endpoints start with "review.quote", which the blueprint's
guard also admits publishers to; who may do what is then checked here and in the service.
"""
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import format_number, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length

from engage.extensions import db
from engage.models import Theme
from engage.review.views import bp, consultation_or_404
from engage.security import whole_number
from engage.services import quotes as service
from engage.services.reports import ensure_report, is_drafter, is_publisher
from engage.services.themes import active_themes, theme_or_none

MAX_SHOWN = 200  # quotes listed per status; the rest are counted


class ActionForm(FlaskForm):
    """A button and its CSRF token."""


class ProposeForm(FlaskForm):
    answer_id = HiddenField(validators=[InputRequired(message=_l("Choose a comment to propose."))])
    theme = HiddenField()


class ApproveForm(FlaskForm):
    show_label = BooleanField(_l("Show the writer's group with the quote"))
    checked_warnings = BooleanField(_l("I have checked the warnings"))


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for rejecting"), validators=[
        InputRequired(message=_l("Give a reason for rejecting the quote.")),
        Length(max=service.MAX_REASON, message=_l("Keep the reason under %(max)d characters.", max=service.MAX_REASON))])


def _setup(slug: str):
    consultation = consultation_or_404(slug)
    report = ensure_report(consultation=consultation, user=current_user)
    db.session.commit()  # the report, if this was its first use
    return consultation, report


def _quote(report, quote_id: int):
    return service.quote_in_report(report=report, quote_id=quote_id) or abort(404)


def _list_page(consultation, report, *, status: str, error: str | None = None, code: int = 200):
    quotes = service.list_quotes(report=report, status=status)
    theme_names = dict(db.session.execute(select(Theme.id, Theme.name).where(Theme.consultation_id == consultation.id)).all())
    return render_template(
        "review/quotes.html", consultation=consultation, status=status, quotes=quotes[:MAX_SHOWN],
        hidden=max(0, len(quotes) - MAX_SHOWN), counts=service.count_quotes(report=report), theme_names=theme_names,
        showable=service.showable_labels(consultation=consultation), error=error, kind_labels=service.KIND_LABELS,
        warning_message=service.warning_message,
        drafter=is_drafter(current_user), publisher=is_publisher(current_user), action_form=ActionForm(),
        approve_form=ApproveForm(formdata=None), reject_form=RejectForm(formdata=None),
    ), code


@bp.route("/<slug>/report/quotes")
def quotes(slug: str):
    consultation, report = _setup(slug)
    status = request.args.get("status", service.PROPOSED)
    if status not in service.QUOTE_STATUSES:
        return _list_page(consultation, report, status=service.PROPOSED, code=400,
                          error=_("That list is not available. Showing the quotes waiting for a decision."))
    lapsed = service.refresh_quotes(report=report, user=current_user)
    db.session.commit()
    if lapsed:
        flash(ngettext("%(num)d approved quote was redacted since approval and must be approved again.",
                       "%(num)d approved quotes were redacted since approval and must be approved again.", lapsed),
              "warning")
    return _list_page(consultation, report, status=status)


def _candidates_page(consultation, report, theme, *, error: str | None = None, code: int = 200):
    candidates = service.candidate_quotes(consultation=consultation, theme_id=theme.id if theme else None, report=report)
    return render_template(
        "review/quote_candidates.html", consultation=consultation, theme=theme, candidates=candidates, error=error,
        themes=active_themes(consultation_id=consultation.id), drafter=is_drafter(current_user),
        propose_form=ProposeForm(formdata=None),
    ), code


BAD_THEME = _l("Choose a theme from the list.")


def _theme_arg(consultation, value: str | None):
    """The theme named by a query or form value: None when empty or not a number (say so); 404 when unknown."""
    theme_id = whole_number(value)
    if theme_id is None:
        return None
    return theme_or_none(consultation_id=consultation.id, theme_id=theme_id) or abort(404)


@bp.route("/<slug>/report/quotes/candidates")
def quote_candidates(slug: str):
    consultation, report = _setup(slug)
    value = request.args.get("theme", "")
    theme = _theme_arg(consultation, value)
    if value and theme is None:
        return _candidates_page(consultation, report, None, error=BAD_THEME, code=400)
    return _candidates_page(consultation, report, theme)


@bp.post("/<slug>/report/quotes/propose")
def quote_propose(slug: str):
    consultation, report = _setup(slug)
    if not is_drafter(current_user):
        abort(403)
    form = ProposeForm()
    theme = _theme_arg(consultation, form.theme.data)
    try:
        answer_id = uuid.UUID(form.answer_id.data or "")
    except ValueError:
        answer_id = None
    if not form.validate_on_submit() or answer_id is None or (form.theme.data and theme is None):
        error = BAD_THEME if form.theme.data and theme is None else _("Choose a comment from the list.")
        return _candidates_page(consultation, report, theme, error=error, code=400)
    from engage.services.flags import answer_in_consultation

    answer = answer_in_consultation(consultation=consultation, answer_id=answer_id) or abort(404)
    try:
        quote = service.propose_quote(report=report, answer=answer, theme_id=theme.id if theme else None,
                                      user=current_user)
    except service.QuoteError as error:
        db.session.rollback()
        return _candidates_page(consultation, report, theme, error=str(error), code=400)
    db.session.commit()
    flash(_("Proposed. A publisher will now decide on it.") if quote.status == service.PROPOSED
          else _("That comment is a quote already."))
    return redirect(url_for("review.quote_candidates", slug=slug, theme=theme.id if theme else None), code=303)


def _decide(slug: str, quote_id: int, form_class, action, *, role_check, done):
    """Shared shape of the decision routes: check the role and the form, call the service, commit, redirect."""
    consultation, report = _setup(slug)
    quote = _quote(report, quote_id)
    if not role_check(current_user):
        abort(403)
    status = quote.status
    form = form_class()
    if not form.validate_on_submit():
        problem = next(iter(form.errors.values()))[0] if form.errors else _("Check the form.")
        return _list_page(consultation, report, status=status, error=problem, code=400)
    try:
        action(quote, form)
    except service.QuoteChanged as changed:
        db.session.commit()  # keep the refreshed text; nothing was approved
        return _list_page(consultation, report, status=service.PROPOSED, error=str(changed), code=409)
    except service.QuoteError as error:
        db.session.rollback()
        return _list_page(consultation, report, status=status, error=str(error), code=400)
    db.session.commit()
    flash(str(done))
    return redirect(url_for("review.quotes", slug=slug, status=status), code=303)


@bp.post("/<slug>/report/quotes/<int:quote_id>/approve")
def quote_approve(slug: str, quote_id: int):
    return _decide(slug, quote_id, ApproveForm, lambda quote, form: service.approve_quote(
        quote=quote, user=current_user, show_label=form.show_label.data, checked_warnings=form.checked_warnings.data),
        role_check=is_publisher, done=_l("Approved. The quote can now appear in the report."))


@bp.post("/<slug>/report/quotes/<int:quote_id>/reject")
def quote_reject(slug: str, quote_id: int):
    return _decide(slug, quote_id, RejectForm, lambda quote, form: service.reject_quote(
        quote=quote, user=current_user, reason=form.reason.data),
        role_check=is_publisher, done=_l("Rejected. The quote will not appear in the report."))


@bp.post("/<slug>/report/quotes/<int:quote_id>/withdraw")
def quote_withdraw(slug: str, quote_id: int):
    return _decide(slug, quote_id, ActionForm, lambda quote, form: service.withdraw_quote(quote=quote, user=current_user),
                   role_check=is_drafter, done=_l("Withdrawn."))


def _bulk(slug: str, action, *, role_check, message, status: str):
    consultation, report = _setup(slug)
    if not role_check(current_user):
        abort(403)
    if not ActionForm().validate_on_submit():
        return _list_page(consultation, report, status=status, error=_("The form had expired. Try again."), code=400)
    try:
        count = action(report=report, user=current_user)
    except service.QuoteError as error:
        db.session.rollback()
        return _list_page(consultation, report, status=status, error=str(error), code=400)
    db.session.commit()
    flash(message(count))
    return redirect(url_for("review.quotes", slug=slug, status=status), code=303)


@bp.post("/<slug>/report/quotes/appendix/propose")
def quotes_propose_appendix(slug: str):
    return _bulk(slug, service.propose_all_for_appendix, role_check=is_drafter, status=service.PROPOSED,
                 message=lambda n: ngettext("Proposed %(count)s more comment for the appendix.",
                                            "Proposed %(count)s more comments for the appendix.", n,
                                            count=format_number(n)))


@bp.post("/<slug>/report/quotes/appendix/approve")
def quotes_approve_appendix(slug: str):
    return _bulk(slug, service.approve_all_without_warnings, role_check=is_publisher, status=service.APPROVED,
                 message=lambda n: ngettext("Approved %(count)s appendix comment with no warnings, without group labels.",
                                            "Approved %(count)s appendix comments with no warnings, without group "
                                            "labels.", n, count=format_number(n)))
