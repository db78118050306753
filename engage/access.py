"""Who may see staff pages: a guard applied to each staff blueprint as a whole."""
import datetime as dt

from flask import abort, current_app
from flask_login import current_user

from engage.errors import signed_out_page
from engage.extensions import db, login_manager


def require_roles(*roles: str):
    """A before_request guard: anonymous visitors go to the login page, wrong roles get 403."""

    def guard():
        if not current_user.is_authenticated:
            # Signed out while writing (idle too long): show what was typed instead of losing it.
            return signed_out_page() or login_manager.unauthorized()
        if roles and not current_user.has_role(*roles):
            abort(403)
        return None

    return guard


def require_consultation(consultation_id: int) -> None:
    """Abort with 404 (not 403, which would confirm it exists) when the user's scope excludes it."""
    if not current_user.can_access_consultation(consultation_id):
        abort(404)


@login_manager.user_loader
def load_user(token: str):
    from engage.services.accounts import load_session_user

    config = current_app.config
    user = load_session_user(
        token=token,
        idle=dt.timedelta(minutes=config["STAFF_IDLE_MINUTES"]),
        lifetime=dt.timedelta(hours=config["STAFF_SESSION_HOURS"]),
    )
    if db.session.new or db.session.dirty:
        db.session.commit()  # the session's last-seen time or its ending, saved before the view runs
    return user
