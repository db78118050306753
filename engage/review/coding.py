"""Review workspace: coding comments, suggestions, the least-certain queue and blind double coding.

Routes are registered on engage.review.views.bp.
"""
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice
from sqlalchemy import select

from engage.extensions import db
from engage.models import Answer, Suggestion, Theme
from engage.review.coding_forms import ActionForm, BulkDecisionForm, CodeCommentForm, DecisionForm, SampleCodingForm
from engage.review.views import bp, consultation_or_404
from engage.services import coding as service
from engage.services import double_coding
from engage.services.coding import CodingError
from engage.services.double_coding import DoubleCodingError
from engage.services.themes import active_themes, shown_text

QUEUE_PAGE = 20


def _answer(consultation, answer_id: uuid.UUID) -> Answer:
    return service.consultation_answer(consultation=consultation, answer_id=answer_id) or abort(404)


def _theme_choices(consultation) -> list[SelectChoice]:
    return [SelectChoice(t.id, t.name) for t in active_themes(consultation_id=consultation.id)]


def _theme_names(consultation) -> dict[int, str]:
    return {t.id: t.name for t in active_themes(consultation_id=consultation.id)}


@bp.route("/<slug>/comments/<uuid:answer_id>/code", methods=["GET", "POST"])
def code_comment(slug: str, answer_id: uuid.UUID):
    consultation = consultation_or_404(slug)
    answer = _answer(consultation, answer_id)
    if answer.id in double_coding.blind_answer_ids(consultation=consultation, user=current_user):
        flash(_("You are double coding this comment, so code it blind first."), "warning")
        return redirect(url_for("review.list_coding_samples", slug=slug), code=303)
    state = service.comment_state(consultation=consultation, answer=answer)
    form = CodeCommentForm(**({} if request.method == "POST" else {"themes": sorted(state.coded_theme_ids)}))
    form.themes.choices = _theme_choices(consultation)
    from_queue = request.values.get("from") == "queue"
    if form.validate_on_submit():
        try:
            added, removed = service.code_comment(consultation=consultation, answer=answer, user=current_user,
                                                  theme_ids=set(form.themes.data or []))
        except CodingError as error:
            form.themes.errors.append(str(error))
        else:
            db.session.commit()
            flash(ngettext("Saved: %(num)d code added, %(removed)d removed.", "Saved: %(num)d codes added, %(removed)d removed.",
                           added, removed=removed), "info")
            if from_queue:
                return redirect(url_for("review.coding_queue", slug=slug, after="coding"), code=303)
            return redirect(url_for("review.code_comment", slug=slug, answer_id=answer.id), code=303)
    names = _theme_names(consultation)
    return render_template("review/coding_comment.html", consultation=consultation, answer=answer, state=state,
                           form=form, names=names, from_queue=from_queue, decision_form=DecisionForm(formdata=None)), \
        422 if form.errors else 200


@bp.route("/<slug>/suggestions/<int:suggestion_id>/decide", methods=["POST"])
def decide_suggestion(slug: str, suggestion_id: int):
    consultation = consultation_or_404(slug)
    suggestion = db.session.get(Suggestion, suggestion_id) or abort(404)
    theme = db.session.get(Theme, suggestion.theme_id)
    if theme.consultation_id != consultation.id:
        abort(404)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            service.decide_suggestions(consultation=consultation, user=current_user, suggestion_ids=[suggestion.id],
                                       accept=form.decision.data == "accept")
        except CodingError as error:
            flash(str(error), "warning")
        else:
            db.session.commit()
            flash(_("Accepted the suggestion.") if form.decision.data == "accept" else _("Rejected the suggestion."), "info")
    else:
        flash(_("Choose accept or reject."), "warning")
    return redirect(url_for("review.code_comment", slug=slug, answer_id=suggestion.answer_id), code=303)


@bp.route("/<slug>/suggestions", methods=["GET", "POST"])
def review_suggestions(slug: str):
    consultation = consultation_or_404(slug)
    themes = active_themes(consultation_id=consultation.id)
    theme = next((t for t in themes if t.id == request.values.get("theme", type=int)), themes[0] if themes else None)
    blind = double_coding.blind_answer_ids(consultation=consultation, user=current_user)
    rows = [(s, text) for s, text in service.pending_by_theme(consultation=consultation, theme_id=theme.id)
            if s.answer_id not in blind] if theme else []
    form = BulkDecisionForm()
    form.suggestions.choices = [SelectChoice(s.id, str(s.id)) for s, _ in rows]
    if theme and form.validate_on_submit():
        selected = form.suggestions.data or []
        if not selected and form.min_score.data is None:
            form.suggestions.errors.append(_("Tick some suggestions, or give a score for all of this theme's."))
        else:
            try:
                n = service.decide_suggestions(
                    consultation=consultation, user=current_user, accept=form.decision.data == "accept",
                    **({"suggestion_ids": selected} if selected else {"theme_id": theme.id, "min_score": form.min_score.data}))
            except CodingError as error:
                form.suggestions.errors.append(str(error))
            else:
                db.session.commit()
                flash(ngettext("Accepted %(num)d suggestion.", "Accepted %(num)d suggestions.", n) if form.decision.data == "accept"
                      else ngettext("Rejected %(num)d suggestion.", "Rejected %(num)d suggestions.", n), "info")
                return redirect(url_for("review.review_suggestions", slug=slug, theme=theme.id), code=303)
    return render_template("review/coding_suggestions.html", consultation=consultation, themes=themes, theme=theme,
                           rows=rows, form=form), 422 if form.errors else 200


@bp.route("/<slug>/queue")
def coding_queue(slug: str):
    consultation = consultation_or_404(slug)
    blind = double_coding.blind_answer_ids(consultation=consultation, user=current_user)
    # Straight after coding from the queue, retrain only every few codes so suggestions do not churn.
    min_changes = service.RETRAIN_EVERY if request.args.get("after") == "coding" else 1
    message, _queued = _queue_training(consultation, min_changes=min_changes)
    state = service.assisted_queue(consultation=consultation, exclude=blind)
    state.message = message or state.message
    return _queue_page(consultation, state)


@bp.route("/<slug>/queue/retrain", methods=["POST"])
def retrain_assisted_coding(slug: str):
    consultation = consultation_or_404(slug)
    if ActionForm().validate_on_submit():
        message, queued = _queue_training(consultation, force=True)
        if message:
            flash(message, "warning")
        elif queued:
            flash(_("Suggestions are being updated from the latest codes in the background. Reload the queue in a minute."), "info")
        elif service.training_in_flight(consultation=consultation):
            flash(_("Suggestions are already being updated. Reload the queue in a minute."), "info")
    return redirect(url_for("review.coding_queue", slug=slug), code=303)


def _queue_training(consultation, **when) -> tuple[str, bool]:
    """Queue a background training when one is due: (a message to show, whether one was queued)."""
    try:
        event = service.request_assisted_training(consultation=consultation, user=current_user, **when)
    except CodingError as error:
        return str(error), False
    if event is None:
        return "", False
    db.session.commit()  # before dispatching, so the training finds its queued event
    how = service.dispatch_assisted_training(consultation_id=consultation.id, user_id=current_user.id,
                                             queued_event_id=event.id)
    return "", how != "failed"  # a failed dispatch is recorded, and the queue page shows it


def _queue_page(consultation, state):
    ids = state.answer_ids[:QUEUE_PAGE]
    answers = {a.id: a for a in db.session.scalars(select(Answer).where(Answer.id.in_(ids)))} if ids else {}
    suggestions = {}
    if ids:
        for s in db.session.scalars(select(Suggestion).where(Suggestion.answer_id.in_(ids), Suggestion.status == "pending",
                                                             Suggestion.source == "assisted").order_by(Suggestion.score.desc())):
            suggestions.setdefault(s.answer_id, []).append(s)
    names = _theme_names(consultation)
    items = [(answers[i], shown_text(answers[i]), suggestions.get(i, [])) for i in ids if i in answers]
    return render_template("review/coding_queue.html", consultation=consultation, state=state, items=items,
                           names=names, remaining=len(state.answer_ids), action_form=ActionForm(),
                           changed=service.codes_changed_since_training(consultation=consultation))


# --- double coding (reviewers) -------------------------------------------------------------------------------

def _sample(consultation, sample_id: int):
    return double_coding.sample_in(consultation=consultation, sample_id=sample_id) or abort(404)


@bp.route("/<slug>/double-coding")
def list_coding_samples(slug: str):
    consultation = consultation_or_404(slug)
    samples = double_coding.samples_for(consultation=consultation)
    progress = {s.id: (len(double_coding.codings(s, s.coder_a_id)), len(double_coding.codings(s, s.coder_b_id)))
                for s in samples}
    return render_template("review/coding_samples.html", consultation=consultation, samples=samples, progress=progress)


@bp.route("/<slug>/double-coding/<int:sample_id>")
def show_coding_sample(slug: str, sample_id: int):
    consultation = consultation_or_404(slug)
    sample = _sample(consultation, sample_id)
    blind = double_coding.is_coder(sample, current_user) and not double_coding.finished(sample, current_user)
    mine = double_coding.codings(sample, current_user.id) if double_coding.is_coder(sample, current_user) else {}
    report = None if blind else double_coding.sample_report(sample=sample)
    return render_template("review/coding_sample.html", consultation=consultation, sample=sample, blind=blind,
                           order=double_coding.sample_answer_order(sample), mine=mine, report=report,
                           names=_theme_names(consultation), form=SampleCodingForm(formdata=None))


@bp.route("/<slug>/double-coding/<int:sample_id>/items/<uuid:answer_id>", methods=["GET", "POST"])
def code_sample_item(slug: str, sample_id: int, answer_id: uuid.UUID):
    consultation = consultation_or_404(slug)
    sample = _sample(consultation, sample_id)
    order = double_coding.sample_answer_order(sample)
    if answer_id not in order or not double_coding.is_coder(sample, current_user):
        abort(404)
    mine = double_coding.codings(sample, current_user.id)
    form = SampleCodingForm(**({} if request.method == "POST" else {"themes": sorted(mine.get(answer_id, []))}))
    form.themes.choices = _theme_choices(consultation)
    if form.validate_on_submit():
        try:
            double_coding.save_sample_coding(sample=sample, user=current_user, answer_id=answer_id,
                                             theme_ids=set(form.themes.data or []))
        except DoubleCodingError as error:
            form.themes.errors.append(str(error))
        else:
            db.session.commit()
            left = [a for a in order if a not in mine and a != answer_id]
            if left:
                return redirect(url_for("review.code_sample_item", slug=slug, sample_id=sample.id, answer_id=left[0]), code=303)
            flash(_("You have coded every comment in this sample."), "info")
            return redirect(url_for("review.show_coding_sample", slug=slug, sample_id=sample.id), code=303)
    answer = _answer(consultation, answer_id)
    return render_template("review/coding_sample_item.html", consultation=consultation, sample=sample, form=form,
                           text=shown_text(answer), number=order.index(answer_id) + 1, total=len(order)), \
        422 if form.errors else 200


@bp.route("/<slug>/double-coding/<int:sample_id>/items/<uuid:answer_id>/resolve", methods=["POST"])
def resolve_disagreement(slug: str, sample_id: int, answer_id: uuid.UUID):
    consultation = consultation_or_404(slug)
    sample = _sample(consultation, sample_id)
    if double_coding.is_coder(sample, current_user) and not double_coding.finished(sample, current_user):
        abort(404)  # resolving would reveal the other coder's codes
    form = SampleCodingForm()
    form.themes.choices = _theme_choices(consultation)
    if form.validate_on_submit():
        try:
            double_coding.resolve_disagreement(sample=sample, user=current_user, answer_id=answer_id,
                                               theme_ids=set(form.themes.data or []))
        except DoubleCodingError as error:
            flash(str(error), "warning")
        else:
            db.session.commit()
            flash(_("Resolved. The final codes are saved."), "info")
    else:
        flash(_("Choose themes from the codebook."), "warning")
    return redirect(url_for("review.show_coding_sample", slug=slug, sample_id=sample.id, _anchor="disagreements"), code=303)


@bp.route("/<slug>/machine-agreement")
def show_machine_agreement(slug: str):
    consultation = consultation_or_404(slug)
    threshold = min(1.0, max(0.0, request.args.get("threshold", 0.5, type=float)))
    result, themes = double_coding.machine_agreement(consultation=consultation, threshold=threshold)
    return render_template("review/coding_machine_agreement.html", consultation=consultation, result=result,
                           themes=themes, threshold=threshold)
