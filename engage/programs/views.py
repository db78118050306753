"""The programs blueprint: staff pages under /programs and public pages under /reviews.

Shared helpers live here; each area registers its routes on `bp` from a sibling module imported at the end:
`manage` (reviews, streams, recommendations, advisors), `analysis` (cross-stream tables and findings),
`reports` (the overall What We Heard report), `tracker` (public pages) and `advisors` (the advisory board).
"""
import functools

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import select

from engage.extensions import db, login_manager
from engage.models import Review, ReviewAccess, Role

bp = Blueprint("programs", __name__)

STAFF_ROLES = (Role.ADMIN.value, Role.REVIEWER.value, Role.PUBLISHER.value)


def staff_only(*roles: str):
    """A view decorator: sign-in required, and one of `roles` (default: any staff role but advisor)."""
    allowed = roles or STAFF_ROLES

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*allowed):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def is_advisor_only(user) -> bool:
    """An advisory-board member with no staff role: reads approved drafts and suppressed figures only."""
    return user.is_authenticated and user.has_role(Role.ADVISOR.value) and not user.has_role(*STAFF_ROLES,
                                                                                             Role.FACILITATOR.value)


def can_read_review(user, review: Review) -> bool:
    """Admins and unscoped staff read every review; scoped staff a review with one of their consultations;
    advisors only the reviews they are named on."""
    if not user.is_authenticated:
        return False
    if user.has_role(Role.ADMIN.value):
        return True
    if user.has_role(Role.ADVISOR.value) and db.session.get(ReviewAccess, (user.id, review.id)):
        return True
    if user.has_role(*STAFF_ROLES):
        from engage.models import Consultation

        ids = db.session.scalars(select(Consultation.id).where(Consultation.review_id == review.id)).all()
        return not user.scope_rows or any(user.can_access_consultation(i) for i in ids)
    return False


def review_or_404(slug: str, *, staff: bool = True) -> Review:
    """The review for a URL; 404 when unknown, or (for staff pages) outside the signed-in user's reach."""
    review = db.session.scalar(select(Review).where(Review.slug == slug)) or abort(404)
    if staff and not can_read_review(current_user, review):
        abort(404)
    return review


# Each area registers its routes on `bp`.
from engage.programs import advisors, analysis, manage, reports, tracker  # noqa: E402,F401
