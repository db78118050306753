"""Staff accounts, their roles and consultation scope, server-side login sessions, and invitations."""
import datetime as dt
import enum

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.models.base import Base


class Role(str, enum.Enum):
    ADMIN = "admin"              # users and consultations
    FACILITATOR = "facilitator"  # brings in other channels
    REVIEWER = "reviewer"        # analysis and coding
    PUBLISHER = "publisher"      # approves and publishes
    ADVISOR = "advisor"          # advisory board: approved drafts and suppressed figures of its reviews only


ROLE_VALUES = tuple(r.value for r in Role)
_ROLE_CHECK = "role IN (" + ", ".join(f"'{r}'" for r in ROLE_VALUES) + ")"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class User(Base):
    """A staff member. Participants never have accounts."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)

    role_rows: Mapped[list["UserRole"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    scope_rows: Mapped[list["ConsultationAccess"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    # Flask-Login's interface. get_id() is the server-side session token, set when the session is loaded.
    session_token = None  # not a column: the token of the session this object was loaded through
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return self.active

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def can_access_consultation(self, consultation_id: int) -> bool:
        """Admins and unscoped users reach every consultation; scoped users only theirs."""
        if self.has_role(Role.ADMIN.value) or not self.scope_rows:
            return True
        return any(s.consultation_id == consultation_id for s in self.scope_rows)


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class ConsultationAccess(Base):
    """Limits a user to particular consultations. A user with no rows here is not limited."""

    __tablename__ = "consultation_access"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True)


class StaffSession(Base):
    """A login, held on the server so that logout and timeouts really end it. Only the token's hash is kept."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class Invitation(Base):
    """A one-time link an admin gives a new staff member to choose their password. Only its hash is kept."""

    __tablename__ = "invitations"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()
