"""Program reviews for staff: the list, a review's details and streams, and its recommendations.

Admins create and edit reviews and their streams; reviewers and publishers read them. Admins and publishers
write recommendations; reviewers read them.
"""
import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engage.extensions import db
from engage.models import Consultation, Role
from engage.programs.manage_forms import ActionForm, RecommendationForm, ReviewForm, StreamForm
from engage.programs.views import STAFF_ROLES, bp, can_read_review, is_advisor_only, review_or_404, staff_only
from engage.services import recommendations as recs
from engage.services import review_admin
from engage.services.reviews import findings as review_findings, review_themes

ADMIN, PUBLISHER = Role.ADMIN.value, Role.PUBLISHER.value


def _lines(text: str | None) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


@bp.route("/programs/")
@staff_only(*STAFF_ROLES, Role.ADVISOR.value)
def index():
    if is_advisor_only(current_user):
        return render_template("programs/advisor_index.html", reviews=review_admin.advisor_reviews(current_user))
    reviews = [r for r in review_admin.list_reviews() if can_read_review(current_user, r)]
    return render_template("programs/manage_index.html", reviews=reviews)


@bp.route("/programs/new", methods=["GET", "POST"])
@staff_only(ADMIN)
def new_review():
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            review = review_admin.save_review(user=current_user, review=None, **_review_fields(form))
        except review_admin.ReviewAdminError as error:
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Review created."), "success")
            return redirect(url_for("programs.show_review", slug=review.slug), code=303)
    return render_template("programs/manage_edit.html", form=form, review=None), 422 if form.errors else 200


def _review_fields(form: ReviewForm) -> dict:
    return {"slug": form.slug.data, "title": form.title.data, "description": form.description.data or "",
            "status": form.status.data, "starts_on": form.starts_on.data, "ends_on": form.ends_on.data,
            "lead_organisation": form.lead_organisation.data or "", "partners": _lines(form.partners.data),
            "phases": _lines(form.phases.data)}


@bp.route("/programs/<slug>/edit", methods=["GET", "POST"])
@staff_only(ADMIN)
def edit_review(slug: str):
    review = review_or_404(slug)
    form = ReviewForm(obj=review if request.method == "GET" else None)
    if request.method == "GET":
        form.partners.data, form.phases.data = "\n".join(review.partners or []), "\n".join(review.phases or [])
    if form.validate_on_submit():
        try:
            review_admin.save_review(user=current_user, review=review, **_review_fields(form))
        except review_admin.ReviewAdminError as error:
            db.session.rollback()
            form.title.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Review saved."), "success")
            return redirect(url_for("programs.show_review", slug=review.slug), code=303)
    return render_template("programs/manage_edit.html", form=form, review=review), 422 if form.errors else 200


def stream_form(review, consultation: Consultation | None = None, formdata=None) -> StreamForm:
    """The attach form (no consultation) or the tag form of one attached stream."""
    form = StreamForm(formdata=formdata, obj=None, prefix=f"s{consultation.id}" if consultation else "new")
    if consultation is not None:
        form.consultation_id.choices = [(consultation.id, consultation.title)]
        if formdata is None:
            form.consultation_id.data, form.phase.data = consultation.id, consultation.stream_phase
            form.audience.data, form.format.data = consultation.stream_audience, consultation.stream_format
            form.partner.data = consultation.stream_partner
    else:
        form.consultation_id.choices = [(c.id, c.title) for c in review_admin.attachable(review)]
    form.phase.choices = [(p, p) for p in review.phases or []] or [("", _("No phases yet"))]
    organisations = [o for o in [review.lead_organisation, *(review.partners or [])] if o]
    form.partner.choices = [("", _("None"))] + [(o, o) for o in organisations]
    return form


@bp.route("/programs/<slug>")
@staff_only()
def show_review(slug: str):
    review = review_or_404(slug)
    streams = review_admin.streams_of(review)
    reports = [(c, r, review_admin.comments_on(r)) for c, r in review_admin.review_reports(review)]
    return render_template(
        "programs/manage_show.html", review=review, streams=streams, new_stream=stream_form(review),
        stream_forms={c.id: stream_form(review, c) for c in streams}, action_form=ActionForm(),
        recommendations=recs.recommendations(review), status_labels=recs.STATUS_LABELS,
        advisors=review_admin.named_advisors(review), reports=reports, is_admin=current_user.has_role(ADMIN),
    )


@bp.route("/programs/<slug>/streams", methods=["POST"])
@staff_only(ADMIN)
def streams(slug: str):
    review = review_or_404(slug)
    action = request.form.get("action", "")
    consultation_id = next((v for k, v in request.form.items() if k.endswith("consultation_id")), "")
    consultation = db.session.get(Consultation, int(consultation_id)) if consultation_id.isdigit() else None
    if consultation is None:
        flash(_("Choose a consultation."), "error")
        return redirect(url_for("programs.show_review", slug=slug), code=303)
    try:
        if action == "detach":
            review_admin.detach_stream(user=current_user, review=review, consultation=consultation)
            message = _("The consultation now stands alone.")
        else:
            form = stream_form(review, consultation if consultation.review_id == review.id else None,
                               formdata=request.form)
            if not form.validate():
                flash(_("Check the stream's details: %(problem)s", problem=next(iter(form.errors.values()))[0]),
                      "error")
                return redirect(url_for("programs.show_review", slug=slug), code=303)
            review_admin.tag_stream(user=current_user, review=review, consultation=consultation,
                                    phase=form.phase.data or "", audience=form.audience.data or "",
                                    format=form.format.data or "", partner=form.partner.data or "")
            message = _("Stream saved.")
    except review_admin.ReviewAdminError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("programs.show_review", slug=slug) + "#streams", code=303)


# --- Recommendations ---------------------------------------------------------------------------------------------

def _link_choices(form: RecommendationForm, review) -> None:
    form.themes.choices = [(t.id, t.name) for t in review_themes(review)]
    form.findings.choices = [(f.id, f.title) for f in review_findings(review)]


def _can_edit() -> bool:
    return current_user.has_role(ADMIN, PUBLISHER)


def _changed_on(form: RecommendationForm) -> dt.date | None:
    day = form.changed_on.data
    if day and day > dt.date.today():
        form.changed_on.errors = list(form.changed_on.errors) + [_("A change cannot be dated in the future.")]
        return None
    return day or dt.date.today()


@bp.route("/programs/<slug>/recommendations", methods=["GET", "POST"])
@staff_only()
def recommendations(slug: str):
    review = review_or_404(slug)
    form = RecommendationForm()
    _link_choices(form, review)
    if request.method == "GET":
        form.number.data = recs.next_number(review)
    if request.method == "POST":
        if not _can_edit():
            abort(403)
        on = _changed_on(form) if form.validate_on_submit() else None
        if on is not None:
            try:
                rec = recs.create(review, number=form.number.data, title=form.title.data,
                                  description=form.description.data or "", owner=form.owner.data or "",
                                  target_on=form.target_on.data, status=form.status.data,
                                  reason=form.reason.data or "", theme_ids=form.themes.data or [],
                                  finding_ids=form.findings.data or [], publish=form.publish.data,
                                  user=current_user, on=on)
            except recs.RecommendationError as error:
                db.session.rollback()
                form.title.errors = list(form.title.errors) + [str(error)]
            else:
                db.session.commit()
                flash(_("Recommendation %(number)s added.", number=rec.number), "success")
                return redirect(url_for("programs.recommendations", slug=slug), code=303)
    return render_template("programs/manage_recommendations.html", review=review, form=form,
                           items=recs.recommendations(review), status_labels=recs.STATUS_LABELS,
                           counts=recs.status_counts(recs.recommendations(review)), can_edit=_can_edit()), \
        422 if form.errors else 200


@bp.route("/programs/<slug>/recommendations/<int:rec_id>", methods=["GET", "POST"])
@staff_only()
def edit_recommendation(slug: str, rec_id: int):
    review = review_or_404(slug)
    rec = recs.recommendation_or_none(review, rec_id) or abort(404)
    form = RecommendationForm(obj=rec if request.method == "GET" else None)
    del form.number, form.publish
    _link_choices(form, review)
    if request.method == "GET":
        form.themes.data = [link.review_theme_id for link in rec.theme_links]
        form.findings.data = [link.review_finding_id for link in rec.finding_links]
    if request.method == "POST":
        if not _can_edit():
            abort(403)
        if request.form.get("action") == "publish":
            if ActionForm().validate_on_submit() and recs.publish(rec, user=current_user) is not None:
                db.session.commit()
                flash(_("Recommendation %(number)s is now on the public tracker.", number=rec.number), "success")
            return redirect(url_for("programs.edit_recommendation", slug=slug, rec_id=rec.id), code=303)
        on = _changed_on(form) if form.validate_on_submit() else None
        if on is not None:
            try:
                rows = recs.change(rec, user=current_user, on=on, note=form.note.data or "",
                                   title=form.title.data, description=form.description.data or "",
                                   owner=form.owner.data or "", target_on=form.target_on.data,
                                   status=form.status.data, reason=form.reason.data or "")
                linked = recs.set_links(rec, theme_ids=form.themes.data or [], finding_ids=form.findings.data or [],
                                        user=current_user)
            except recs.RecommendationError as error:
                db.session.rollback()
                form.reason.errors = list(form.reason.errors) + [str(error)]
            else:
                db.session.commit()
                flash(_("Saved.") if rows or linked else _("Nothing changed."), "success")
                return redirect(url_for("programs.edit_recommendation", slug=slug, rec_id=rec.id), code=303)
    return render_template("programs/manage_recommendation.html", review=review, rec=rec, form=form,
                           action_form=ActionForm(), history=recs.staff_history(rec), field_labels=recs.FIELD_LABELS,
                           status_labels=recs.STATUS_LABELS, can_edit=_can_edit()), 422 if form.errors else 200
