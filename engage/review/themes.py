"""Review workspace: the theme board and codebook curation (routes are registered on engage.review.views.bp)."""
from flask import Response as HttpResponse
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice
from sqlalchemy import select

from engage.extensions import db
from engage.models import Answer, Code
from engage.review.coding_forms import ActionForm, ImportForm, MergeForm, MoveForm, ReclusterForm, SplitForm, ThemeForm
from engage.review.views import _run, bp, consultation_or_404
from engage.services import codebook_files
from engage.services import themes as service
from engage.services.themes import ThemeError


def _theme(consultation, theme_id: int):
    return service.theme_or_none(consultation_id=consultation.id, theme_id=theme_id) or abort(404)


def _split_list(text: str | None, separator: str) -> list[str]:
    return [part.strip() for part in (text or "").split(separator) if part.strip()]


def _board(consultation, *, add_form=None, import_form=None, status=200):
    rows, total = service.theme_board(consultation=consultation)
    return render_template(
        "review/themes_board.html", consultation=consultation, rows=rows, total=total,
        add_form=add_form or ThemeForm(formdata=None, prefix="add"), import_form=import_form or ImportForm(formdata=None),
        action_form=ActionForm(), move_form=MoveForm(formdata=None),
        deleted=service.deleted_themes(consultation_id=consultation.id),
        merged=service.merged_themes(consultation_id=consultation.id),
    ), status


@bp.route("/<slug>/themes")
def show_theme_board(slug: str):
    return _board(consultation_or_404(slug))


@bp.route("/<slug>/runs/<int:version>/adopt", methods=["POST"])
def adopt_run_themes(slug: str, version: int):
    consultation = consultation_or_404(slug)
    run = _run(consultation, version)
    if ActionForm().validate_on_submit():
        try:
            created = service.adopt_run_themes(run=run, user=current_user)
        except ThemeError as error:
            flash(str(error), "warning")
            return redirect(url_for("review.show_run", slug=slug, version=version), code=303)
        db.session.commit()
        flash(ngettext("Added %(num)d theme from run %(version)d to the codebook.",
                       "Added %(num)d themes from run %(version)d to the codebook.", len(created), version=version)
              if created else _("The themes of run %(version)d are already in the codebook.", version=version), "info")
    return redirect(url_for("review.show_theme_board", slug=slug), code=303)


@bp.route("/<slug>/themes/add", methods=["POST"])
def add_theme(slug: str):
    consultation = consultation_or_404(slug)
    form = ThemeForm(prefix="add")
    if form.validate_on_submit():
        try:
            theme = service.add_theme(consultation=consultation, user=current_user, name=form.name.data,
                                      description=form.description.data or "",
                                      keywords=_split_list(form.keywords.data, ","),
                                      examples=_split_list(form.examples.data, "\n"))
        except ThemeError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Added the theme “%(name)s”.", name=theme.name), "info")
            return redirect(url_for("review.show_theme_board", slug=slug), code=303)
    return _board(consultation, add_form=form, status=422)


def _edit_page(consultation, theme, status=200, **forms):
    others = [t for t in service.active_themes(consultation_id=consultation.id) if t.id != theme.id]
    merge = forms.get("merge_form") or MergeForm(formdata=None)
    merge.target.choices = [SelectChoice(t.id, t.name) for t in others]
    split = forms.get("split_form") or SplitForm(formdata=None)
    coded = db.session.scalars(
        select(Answer).join(Code, Code.answer_id == Answer.id).where(Code.theme_id == theme.id).limit(500)
    ).all()
    split.answers.choices = [SelectChoice(str(a.id), service.shown_text(a)) for a in sorted(coded, key=lambda a: str(a.id))]
    edit = forms.get("edit_form") or ThemeForm(formdata=None, prefix="edit", obj=theme, keywords=", ".join(theme.keywords or []))
    return render_template(
        "review/themes_edit.html", consultation=consultation, theme=theme, edit_form=edit, merge_form=merge,
        split_form=split, recluster_form=forms.get("recluster_form") or ReclusterForm(formdata=None),
        action_form=ActionForm(),
    ), status


@bp.route("/<slug>/themes/<int:theme_id>", methods=["GET", "POST"])
def edit_theme(slug: str, theme_id: int):
    consultation = consultation_or_404(slug)
    theme = _theme(consultation, theme_id)
    form = ThemeForm(prefix="edit")
    if form.validate_on_submit():
        try:
            service.update_theme(theme=theme, user=current_user, name=form.name.data,
                                 description=form.description.data or "", keywords=_split_list(form.keywords.data, ","))
        except ThemeError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Saved the theme."), "info")
            return redirect(url_for("review.show_theme_board", slug=slug), code=303)
        return _edit_page(consultation, theme, 422, edit_form=form)
    return _edit_page(consultation, theme, 422 if form.errors else 200, **({"edit_form": form} if form.errors else {}))


@bp.route("/<slug>/themes/<int:theme_id>/merge", methods=["POST"])
def merge_themes(slug: str, theme_id: int):
    consultation = consultation_or_404(slug)
    source = _theme(consultation, theme_id)
    form = MergeForm()
    form.target.choices = [SelectChoice(t.id, t.name) for t in service.active_themes(consultation_id=consultation.id) if t.id != source.id]
    if form.validate_on_submit():
        target = _theme(consultation, form.target.data)
        try:
            service.merge_themes(source=source, target=target, user=current_user)
        except ThemeError as error:
            form.target.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Merged “%(source)s” into “%(target)s”. “Merged themes” below can separate them again.",
                    source=source.name, target=target.name), "info")
            return redirect(url_for("review.show_theme_board", slug=slug), code=303)
    return _edit_page(consultation, source, 422, merge_form=form)


@bp.route("/<slug>/themes/<int:theme_id>/split", methods=["POST"])
def split_theme(slug: str, theme_id: int):
    consultation = consultation_or_404(slug)
    theme = _theme(consultation, theme_id)
    form = SplitForm()
    coded = db.session.scalars(select(Code.answer_id).where(Code.theme_id == theme.id)).all()
    form.answers.choices = [SelectChoice(str(a), str(a)) for a in coded]
    if form.validate_on_submit():
        try:
            new = service.split_theme_by_comments(theme=theme, user=current_user, name=form.name.data,
                                                  description=form.description.data or "",
                                                  answer_ids=[a for a in coded if str(a) in set(form.answers.data)])
        except ThemeError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Moved the chosen comments to the new theme “%(name)s”.", name=new.name), "info")
            return redirect(url_for("review.show_theme_board", slug=slug), code=303)
    return _edit_page(consultation, theme, 422, split_form=form)


@bp.route("/<slug>/themes/<int:theme_id>/recluster", methods=["POST"])
def recluster_theme(slug: str, theme_id: int):
    consultation = consultation_or_404(slug)
    theme = _theme(consultation, theme_id)
    form = ReclusterForm()
    if form.validate_on_submit():
        try:
            created = service.recluster_theme(theme=theme, user=current_user, n_themes=form.n_themes.data,
                                              seed=form.seed.data or 0)
        except ThemeError as error:
            form.n_themes.errors.append(str(error))
        else:
            db.session.commit()
            flash(ngettext("Found %(num)d theme in “%(name)s”. Its comments wait as suggestions.",
                           "Found %(num)d themes in “%(name)s”. Their comments wait as suggestions.", len(created),
                           name=theme.name), "info")
            return redirect(url_for("review.show_theme_board", slug=slug), code=303)
    return _edit_page(consultation, theme, 422, recluster_form=form)


@bp.route("/<slug>/themes/<int:theme_id>/delete", methods=["POST"])
def delete_theme(slug: str, theme_id: int):
    consultation = consultation_or_404(slug)
    theme = _theme(consultation, theme_id)
    if ActionForm().validate_on_submit():
        service.archive_theme(theme=theme, user=current_user)
        db.session.commit()
        flash(_("Deleted “%(name)s”. Its codes are kept with it, and “Deleted themes” below can bring it back.",
                name=theme.name), "info")
    return redirect(url_for("review.show_theme_board", slug=slug), code=303)


@bp.route("/<slug>/themes/<int:theme_id>/restore", methods=["POST"])
def restore_theme(slug: str, theme_id: int):
    consultation = consultation_or_404(slug)
    try:
        theme = service.restore_theme(consultation_id=consultation.id, theme_id=theme_id, user=current_user)
    except ThemeError as error:
        db.session.rollback()
        flash(str(error) + " " + _("Rename that theme first, then restore this one."), "warning")
        return redirect(url_for("review.show_theme_board", slug=slug, _anchor="deleted"), code=303)
    if theme is None:
        abort(404)
    db.session.commit()
    flash(_("Restored “%(name)s” with its codes, at the end of the board.", name=theme.name), "info")
    return redirect(url_for("review.show_theme_board", slug=slug, _anchor=f"theme-{theme.id}"), code=303)


@bp.route("/<slug>/themes/<int:theme_id>/unmerge", methods=["POST"])
def unmerge_theme(slug: str, theme_id: int):
    consultation = consultation_or_404(slug)
    back = url_for("review.show_theme_board", slug=slug, _anchor="merged")
    try:
        theme = service.unmerge_theme(consultation_id=consultation.id, theme_id=theme_id, user=current_user)
    except ThemeError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(back, code=303)
    if theme is None:
        abort(404)
    db.session.commit()
    flash(_("Separated “%(name)s” again, with the codes and suggestions the merge had moved, at the end of the "
            "board.", name=theme.name), "info")
    return redirect(url_for("review.show_theme_board", slug=slug, _anchor=f"theme-{theme.id}"), code=303)


@bp.route("/<slug>/themes/<int:theme_id>/move", methods=["POST"])
def move_theme(slug: str, theme_id: int):
    consultation = consultation_or_404(slug)
    theme = _theme(consultation, theme_id)
    form = MoveForm()
    if form.validate_on_submit():
        service.move_theme(theme=theme, user=current_user, direction=form.direction.data)
        db.session.commit()
    else:
        flash(_("Choose to move the theme up or down."), "warning")
    return redirect(url_for("review.show_theme_board", slug=slug, _anchor=f"theme-{theme.id}"), code=303)


@bp.route("/<slug>/themes/codebook.<any(csv, json):fmt>")
def export_codebook(slug: str, fmt: str):
    consultation = consultation_or_404(slug)
    text, mimetype = codebook_files.export_codebook(consultation=consultation, fmt=fmt)
    return HttpResponse(text, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{consultation.slug}-codebook.{fmt}"'})


@bp.route("/<slug>/themes/import", methods=["POST"])
def import_codebook(slug: str):
    consultation = consultation_or_404(slug)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            parsed = codebook_files.parse_codebook(filename=upload.filename or "", data=upload.read())
            created = codebook_files.import_codebook(consultation=consultation, user=current_user, themes=parsed)
        except ThemeError as error:
            form.file.errors.append(str(error))
        else:
            db.session.commit()
            flash(ngettext("Imported %(num)d theme.", "Imported %(num)d themes.", len(created)), "info")
            return redirect(url_for("review.show_theme_board", slug=slug), code=303)
    return _board(consultation, import_form=form, status=422)
