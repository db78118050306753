"""Admin views: list and invite staff, deactivate them, and read the audit log."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engage.access import require_roles
from engage.admin.forms import ROLE_LABELS, build_invite_form
from engage.extensions import db
from engage.models import AuditEvent, Consultation, Role, User
from engage.services import accounts
from engage.services.audit import ACTION_LABELS, action_label, record_event

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_roles(Role.ADMIN.value))


@bp.route("/users", methods=["GET", "POST"])
def list_users():
    consultations = db.session.scalars(select(Consultation).order_by(Consultation.title)).all()
    form = build_invite_form(consultations)
    invite_link = None
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                email=form.email.data, roles=form.roles.data, name=form.name.data or "",
                consultation_ids=[int(c) for c in form.consultations.data],
            )
        except accounts.AccountError as error:
            form.email.errors.append(str(error))
        else:
            token = accounts.invite_user(user=user)
            record_event(actor=current_user, action="invite_user", target_type="user", target_id=user.id,
                         details={"roles": sorted(form.roles.data), "consultations": sorted(form.consultations.data)})
            db.session.commit()
            invite_link = url_for("auth.accept_invite", token=token, _external=True)
            form = build_invite_form(consultations, formdata=None)
    users = db.session.scalars(select(User).order_by(User.email)).all()
    status = 422 if form.errors else 200
    return render_template("admin/list_users.html", users=users, form=form, invite_link=invite_link,
                           role_labels=ROLE_LABELS), status


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "warning")
    else:
        user.active = False
        record_event(actor=current_user, action="deactivate_user", target_type="user", target_id=user.id)
        db.session.commit()
        flash(_("%(email)s can no longer sign in.", email=user.email), "info")
    return redirect(url_for("admin.list_users"), code=303)


@bp.route("/audit")
def list_audit_events():
    """The audit log, newest first, 100 a page; ?action= and ?who= (an account id) narrow it."""
    page = min(max(1, request.args.get("page", 1, type=int)), 100_000)  # past it, an OFFSET SQLite cannot take
    action = request.args.get("action", "")
    action = action if action in ACTION_LABELS else ""
    people = db.session.scalars(select(User).order_by(User.email)).all()
    who = request.args.get("who", type=int)
    who = who if any(person.id == who for person in people) else None
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if who is not None:
        query = query.where(AuditEvent.actor_id == who)
    events = db.session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(100).offset((page - 1) * 100)
    ).all()
    actions = sorted(ACTION_LABELS, key=lambda name: action_label(name).casefold())
    return render_template("admin/list_audit_events.html", events=events, page=page, action_label=action_label,
                           actions=actions, action=action, people=people, who=who)

# Further admin areas register their routes on `bp` when imported.
from engage.admin import coding_samples as _coding_samples_views  # noqa: E402,F401
from engage.admin import consultations as _consultation_views  # noqa: E402,F401
from engage.admin import translations as _translation_views  # noqa: E402,F401
