"""Sign in with back-off and rate limits, sign out (ending the session on the server), accept an invitation."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from engage.auth.forms import ChoosePasswordForm, LoginForm
from engage.extensions import db, limiter
from engage.services import accounts
from engage.services.audit import record_event

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_account_key() -> str:
    return "login-account:" + request.form.get("email", "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=_login_account_key)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user, wait_until = accounts.authenticate(email=form.email.data, password=form.password.data)
        if user is None:
            db.session.commit()  # keep the failure count
            message = _("That email and password do not match an active account.")
            if wait_until:
                message = _("Too many failed tries. Please wait a few minutes and try again.")
            form.password.errors.append(message)
            return render_template("auth/login.html", form=form), 401
        session.clear()  # a new session id after login, against session fixation
        accounts.start_session(user=user)
        record_event(actor=user, action="login", target_type="user", target_id=user.id)
        db.session.commit()
        login_user(user)
        return redirect(_safe_next() or url_for("staff.dashboard"), code=303)
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        accounts.end_session(token=current_user.get_id())
        record_event(actor=current_user, action="logout", target_type="user", target_id=current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def accept_invite(token: str):
    invitation = accounts.find_invitation(token=token)
    if invitation is None:
        return render_template("auth/invite_invalid.html"), 404
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(invitation=invitation, password=form.password.data)
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        else:
            record_event(actor=user, action="accept_invitation", target_type="user", target_id=user.id)
            db.session.commit()
            flash(_("Your password is set. Please sign in."), "info")
            return redirect(url_for("auth.login"), code=303)
    return render_template("auth/accept_invite.html", form=form, email=invitation.user.email), 422 if form.errors else 200


def _safe_next() -> str | None:
    target = request.args.get("next", "")
    # Only paths on this site: no scheme, no host, no protocol-relative //evil.example.
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


