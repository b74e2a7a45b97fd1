"""Every table of the academy. Curriculum content is not here: rows refer to modules and labs by id."""

from datetime import UTC, date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

ROLES = ("trainee", "mentor", "manager", "admin")
STAFF_ROLES = ("mentor", "manager")

# Named constraints, so that migrations can refer to them on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime stores it the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def user_fk(nullable: bool = False, ondelete: str = "RESTRICT") -> Column:
    return Column(Integer, ForeignKey("user.id", ondelete=ondelete), nullable=nullable, index=True)


class User(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("email = lower(trim(email))", name="email_normalised"),
        CheckConstraint("length(email) BETWEEN 3 AND 254", name="email_length"),
        CheckConstraint("length(display_name) BETWEEN 1 AND 120", name="display_name_length"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), unique=True, nullable=False))
    display_name: str = Field(sa_column=Column(String(120), nullable=False))
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = Field(default=True)
    session_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="known_role"),)

    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True))
    role: str = Field(sa_column=Column(String(16), primary_key=True))


class Cohort(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="ends_after_start"),
        CheckConstraint("length(name) BETWEEN 1 AND 120", name="name_length"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(120), unique=True, nullable=False))
    start_date: date
    end_date: date
    created_at: datetime = Field(default_factory=utcnow)


class CohortTrainee(SQLModel, table=True):
    """A trainee belongs to one cohort and has one assigned mentor."""

    __tablename__ = "cohort_trainee"

    trainee_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), primary_key=True))
    cohort_id: int = Field(
        sa_column=Column(Integer, ForeignKey("cohort.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    mentor_id: int | None = Field(default=None, sa_column=user_fk(nullable=True))


class CohortStaff(SQLModel, table=True):
    """Mentors serving a cohort and managers owning it."""

    __tablename__ = "cohort_staff"
    __table_args__ = (
        CheckConstraint(_in("role", STAFF_ROLES), name="staff_role"),
        Index("ix_cohort_staff_user", "user_id", "role"),
    )

    cohort_id: int = Field(sa_column=Column(Integer, ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True))
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), primary_key=True))
    role: str = Field(sa_column=Column(String(16), primary_key=True))


class CohortModule(SQLModel, table=True):
    """The cohort's plan: the modules it follows and by when each should be done."""

    __tablename__ = "cohort_module"

    cohort_id: int = Field(sa_column=Column(Integer, ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True))
    module_id: str = Field(sa_column=Column(String(80), primary_key=True))
    due_date: date


class ModuleProgress(SQLModel, table=True):
    """A trainee's reading of one module; `content_hash` is the version they completed."""

    __tablename__ = "module_progress"
    __table_args__ = (
        CheckConstraint("read_at IS NULL OR read_at >= opened_at", name="read_after_open"),
        CheckConstraint("completed_at IS NULL OR read_at IS NOT NULL", name="completed_means_read"),
    )

    trainee_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), primary_key=True))
    module_id: str = Field(sa_column=Column(String(80), primary_key=True))
    opened_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
    completed_at: datetime | None = None
    content_hash: str | None = Field(default=None, max_length=64)


class AuditEntry(SQLModel, table=True):
    """Append-only: written in the transaction of the change it records, never edited by the app."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "at"), Index("ix_audit_entry_action", "action"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, sa_column=user_fk(nullable=True))
    action: str = Field(max_length=64)
    target: str | None = Field(default=None, max_length=200)
    detail: str | None = None
    ip: str | None = Field(default=None, max_length=64)


class LoginAttempt(SQLModel, table=True):
    """Every sign-in attempt, so that throttling holds across processes and restarts."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_email_at", "email", "at"), Index("ix_login_attempt_ip_at", "ip", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    succeeded: bool = False
