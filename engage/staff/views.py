"""The staff home: the consultations this person can work on, and what their roles let them do."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from engage.access import require_roles
from engage.extensions import db
from engage.models import Consultation, Response

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(require_roles())


@bp.route("/")
def dashboard():
    counts = dict(db.session.execute(select(Response.consultation_id, func.count()).group_by(Response.consultation_id)).all())
    consultations = [
        c for c in db.session.scalars(select(Consultation).order_by(Consultation.title))
        if current_user.can_access_consultation(c.id)
    ]
    return render_template("staff/dashboard.html", consultations=consultations, counts=counts)
