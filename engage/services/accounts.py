"""Staff accounts: passwords, roles, login with back-off, server-side sessions and invitations."""
import datetime as dt
import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from flask import current_app
from flask_babel import gettext as _
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from engage.database import begin_write
from engage.extensions import db
from engage.models import ROLE_VALUES, ConsultationAccess, Invitation, StaffSession, User, UserRole
from engage.models.user import utcnow

MIN_PASSWORD_LENGTH = 12
# Failed logins allowed before back-off starts, and the longest wait it grows to.
FREE_FAILURES = 5
MAX_LOCK = dt.timedelta(minutes=15)


class AccountError(Exception):
    """A request about an account that cannot be done; the message is safe to show."""


@functools.lru_cache(maxsize=4)
def _make_hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)  # argon2id is the default type


def _hasher() -> PasswordHasher:
    config = current_app.config
    return _make_hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"])


@functools.lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why a password is not acceptable, or None. Length and guessability only: no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(count)s characters. A few words together work well.", count=MIN_PASSWORD_LENGTH)
    if len(password) > 512:
        return _("Use at most 512 characters.")
    if password.lower() in _common_passwords():
        return _("That password is on a list of common passwords. Please choose another.")
    from zxcvbn import zxcvbn

    if zxcvbn(password[:100], user_inputs=[email, email.split("@")[0]])["score"] < 2:
        return _("That password would be easy to guess. Try a few unrelated words together.")
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def create_user(
    *, email: str, roles: list[str], password: str | None = None, name: str = "", consultation_ids: list[int] = (),
) -> User:
    """Add a staff user. Without a password, the user can only get in through an invitation."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(_("Please give a valid email address."))
    unknown = set(roles) - set(ROLE_VALUES)
    if unknown or not roles:
        raise AccountError(_("Roles must be some of: %(roles)s.", roles=", ".join(ROLE_VALUES)))
    password_hash = None
    if password is not None:
        problem = password_problem(password, email=email)
        if problem:
            raise AccountError(problem)
        password_hash = hash_password(password)  # before the write lock: hashing takes tens of ms
    begin_write()
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError(_("There is already a user with that email address."))
    user = User(email=email, name=name.strip(), password_hash=password_hash)
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    user.scope_rows = [ConsultationAccess(consultation_id=c) for c in consultation_ids]
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(*, email: str, password: str, now: dt.datetime | None = None) -> tuple[User | None, dt.datetime | None]:
    """Check a login. Returns (user, None) on success, or (None, wait_until) when locked out by back-off.

    Each failure past FREE_FAILURES doubles the wait before the next try, up to MAX_LOCK.
    """
    now = now or utcnow()
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active or not user.password_hash:
        # Spend the same time as a real check, so timing does not reveal which emails have accounts.
        _hasher().hash(password or "x")
        return None, None
    if user.locked_until and user.locked_until > now:
        return None, user.locked_until
    hasher = _hasher()
    # The slow check happens before the write lock is taken, so a login never holds up other writers.
    try:
        hasher.verify(user.password_hash, password)
        verified = True
    except (VerificationError, InvalidHashError):
        verified = False
    new_hash = hasher.hash(password) if verified and hasher.check_needs_rehash(user.password_hash) else None
    user_id = user.id
    begin_write()
    user = db.session.get(User, user_id)
    if not verified:
        user.failed_logins += 1
        extra = user.failed_logins - FREE_FAILURES
        if extra > 0:
            user.locked_until = now + min(dt.timedelta(seconds=2 ** min(extra, 12)), MAX_LOCK)
        return None, user.locked_until if extra > 0 else None
    user.failed_logins = 0
    user.locked_until = None
    if new_hash:
        user.password_hash = new_hash
    return user, None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(*, user: User) -> str:
    """Open a server-side session and return its token (kept only in the staff member's signed cookie)."""
    token = secrets.token_urlsafe(32)
    begin_write()
    db.session.add(StaffSession(token_hash=_hash_token(token), user_id=user.id))
    user.session_token = token
    return token


def load_session_user(*, token: str, idle: dt.timedelta, lifetime: dt.timedelta, now: dt.datetime | None = None) -> User | None:
    """The user of a live session, or None when it ended, idled out or outlived its absolute lifetime."""
    now = now or utcnow()
    token_hash = _hash_token(token)
    session = db.session.get(StaffSession, token_hash)
    if session is None or session.ended_at is not None:
        return None
    expired = now - session.last_seen_at > idle or now - session.created_at > lifetime or not session.user.active
    # Touch at most once a minute, so browsing does not write on every request.
    if expired or now - session.last_seen_at > dt.timedelta(minutes=1):
        begin_write()  # a write inside a read transaction can fail with "database is locked" on SQLite
        session = db.session.get(StaffSession, token_hash)
        if expired:
            session.ended_at = now
            return None
        session.last_seen_at = now
    session.user.session_token = token
    return session.user


def end_session(*, token: str) -> None:
    begin_write()
    session = db.session.get(StaffSession, _hash_token(token))
    if session is not None and session.ended_at is None:
        session.ended_at = utcnow()


def invite_user(*, user: User, valid_for: dt.timedelta = dt.timedelta(days=7)) -> str:
    """Make a one-time invitation token for a user to choose a password."""
    token = secrets.token_urlsafe(32)
    begin_write()
    db.session.add(Invitation(token_hash=_hash_token(token), user_id=user.id, expires_at=utcnow() + valid_for))
    return token


def find_invitation(*, token: str) -> Invitation | None:
    invitation = db.session.get(Invitation, _hash_token(token))
    if invitation is None or invitation.used_at is not None or invitation.expires_at < utcnow():
        return None
    return invitation


def accept_invitation(*, invitation: Invitation, password: str) -> User:
    problem = password_problem(password, email=invitation.user.email)
    if problem:
        raise AccountError(problem)
    password_hash = hash_password(password)  # before the write lock: hashing takes tens of ms
    token_hash = invitation.token_hash
    begin_write()
    invitation = db.session.get(Invitation, token_hash)
    if invitation.used_at is not None:
        raise AccountError(_("This invitation has been used already. Please sign in."))
    invitation.used_at = utcnow()
    invitation.user.password_hash = password_hash
    return invitation.user
