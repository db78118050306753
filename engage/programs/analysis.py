"""Program reviews: the shared codebook and cross-stream analysis (staff pages on the programs blueprint)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from engage.extensions import db
from engage.models import Theme
from engage.programs.views import bp, review_or_404, staff_only
from engage.services import reviews

BY_LABELS = {"stream": _l("Stream"), "phase": _l("Phase"), "audience": _l("Audience")}


class ReviewThemeForm(FlaskForm):
    name = StringField(_l("Theme name"), validators=[InputRequired(message=_l("Give the theme a name.")),
                                                     Length(max=200)])
    description = TextAreaField(_l("What it means"), validators=[Length(max=5000)],
                                description=_l("The same words guide coders in every stream."))
    keywords = StringField(_l("Key words (optional)"), validators=[Length(max=1000)],
                           description=_l("Separate them with commas."))


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""


def _by() -> str:
    by = request.values.get("by", "stream")
    return by if by in reviews.BY_CHOICES else "stream"


@bp.route("/programs/<slug>/analysis")
@staff_only()
def analysis(slug: str):
    review = review_or_404(slug)
    cross = reviews.cross_stream(review, public=False)
    by = _by()
    return render_template("programs/analysis_index.html", review=review, cross=cross, by=by, by_labels=BY_LABELS,
                           view=cross["views"][by], themes=[t for t in cross["themes"]
                                                            if t["id"] in cross["views"][by]["theme_ids"]],
                           hidden_themes=[t for t in cross["themes"] if t["n"] is None],
                           participation=reviews.participation(review, public=False),
                           findings=reviews.findings(review))


@bp.route("/programs/<slug>/analysis/differences")
@staff_only()
def differences(slug: str):
    review = review_or_404(slug)
    by = _by()
    cross = reviews.cross_stream(review, public=False)
    return render_template("programs/analysis_differences.html", review=review, by=by, by_labels=BY_LABELS,
                           differences=reviews.differences(cross, by), minimum=cross["min"], form=ActionForm(),
                           sentiment=cross["sentiment"])


@bp.route("/programs/<slug>/analysis/differences", methods=["POST"])
@staff_only()
def pin_finding(slug: str):
    review = review_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    by = _by()
    try:
        reviews.pin_finding(review=review, user=current_user, by=by, group=request.form.get("group", ""),
                            feature=request.form.get("feature", ""), note=request.form.get("note", ""))
    except reviews.ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Finding pinned. It appears in the overall report where its figures are safe to publish."), "success")
    return redirect(url_for("programs.differences", slug=slug, by=by), code=303)


@bp.route("/programs/<slug>/analysis/findings/<int:finding_id>/unpin", methods=["POST"])
@staff_only()
def unpin_finding(slug: str, finding_id: int):
    review = review_or_404(slug)
    finding = next((f for f in reviews.findings(review) if f.id == finding_id), None) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    reviews.unpin_finding(review=review, user=current_user, finding=finding)
    db.session.commit()
    flash(_("Finding unpinned."), "success")
    return redirect(url_for("programs.analysis", slug=slug), code=303)


@bp.route("/programs/<slug>/codebook", methods=["GET", "POST"])
@staff_only()
def codebook(slug: str):
    review = review_or_404(slug)
    form = ReviewThemeForm()
    if request.method == "POST":
        action = request.form.get("action", "add")
        if action != "add" and not ActionForm().validate_on_submit():
            abort(400)
        try:
            message = _codebook_action(review, action, form)
        except reviews.ReviewError as error:
            db.session.rollback()
            form.name.errors = [str(error)]
        else:
            if message:
                db.session.commit()
                flash(message, "success")
                return redirect(url_for("programs.codebook", slug=slug), code=303)
    return render_template("programs/codebook_index.html", review=review, form=form, action_form=ActionForm(),
                           themes=reviews.review_themes(review), linked=reviews.codebook_summary(review),
                           streams=reviews.stream_themes(review)), 400 if form.errors else 200


def _codebook_action(review, action: str, form: ReviewThemeForm) -> str | None:
    """Carry out one codebook form; the flash message, or None when the form needs correcting."""
    if action == "add":
        if not form.validate_on_submit():
            return None
        theme = reviews.save_review_theme(review=review, user=current_user, theme=None, name=form.name.data,
                                          description=form.description.data or "", keywords=form.keywords.data or "")
        return _("Shared theme “%(name)s” added. Adopt it into the streams to code with it.", name=theme.name)
    if action == "adopt":
        count = reviews.adopt_into_streams(review=review, user=current_user)
        return _("The shared codebook is in every stream (%(count)s stream themes created or linked).", count=count)
    if action == "delete":
        theme = reviews.review_theme_or_none(review, request.form.get("theme_id", type=int) or 0) or abort(404)
        reviews.delete_review_theme(review=review, user=current_user, theme=theme)
        return _("Shared theme removed. The streams keep their own copies as themes of their own.")
    if action == "link":
        theme = db.session.get(Theme, request.form.get("stream_theme_id", type=int) or 0) or abort(404)
        target = request.form.get("review_theme_id", type=int)
        shared = reviews.review_theme_or_none(review, target) if target else None
        if target and shared is None:
            abort(404)
        reviews.link_theme(review=review, user=current_user, theme=theme, review_theme=shared)
        return _("Theme link saved.")
    abort(400)
