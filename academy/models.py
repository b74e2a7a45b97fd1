"""Every table of the academy. Curriculum content is not here: rows refer to modules and labs by id."""

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

ROLES = ("trainee", "mentor", "manager", "admin", "organizer")  # organizers run the Reliability Meetup
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
    reminders_enabled: bool = Field(default=True)  # the weekly "you are behind the plan" e-mail
    reminded_at: datetime | None = None  # when that e-mail last went out: at most one a week
    time_zone: str | None = Field(default=None, max_length=64)  # IANA name; None: the installation's
    team: str | None = Field(default=None, max_length=120)  # where they work, as they say it: the meetup's reach
    external_id: str | None = Field(default=None, max_length=255)  # the identity provider's id of them (SCIM)
    deprovisioned_at: datetime | None = None  # deleted by the identity provider (SCIM): deactivated, history kept

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
    target: str | None = Field(default=None, max_length=254)  # an e-mail address at most
    detail: str | None = None
    ip: str | None = Field(default=None, max_length=64)
    repeats: int = Field(default=1)  # refused sign-ins coalesce into one row: how many, until `last_at`
    last_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """Every sign-in attempt, so that throttling holds across processes and restarts."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_email_at", "email", "at"), Index("ix_login_attempt_ip_at", "ip", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    succeeded: bool = False


ATTEMPT_STATES = ("submitted", "withdrawn", "changes_requested", "approved")
OUTCOMES = ("approved", "changes_requested")


class QuizAttempt(SQLModel, table=True):
    """One submitted knowledge check, graded on the server; every attempt is kept."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        UniqueConstraint("trainee_id", "request_key", name="uq_quiz_attempt_request"),
        CheckConstraint("correct >= 0 AND correct <= total AND total > 0", name="score_in_range"),
        Index("ix_quiz_attempt_trainee_module", "trainee_id", "module_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trainee_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), nullable=False))
    module_id: str = Field(max_length=80)
    content_hash: str = Field(max_length=64)
    answers: str  # JSON: question id -> chosen keys
    correct: int
    total: int
    passed: bool
    request_key: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class LabAttempt(SQLModel, table=True):
    """One submission of lab evidence. After "changes requested" the trainee submits a new attempt."""

    __tablename__ = "lab_attempt"
    __table_args__ = (
        UniqueConstraint("trainee_id", "lab_id", "number", name="uq_lab_attempt_number"),
        UniqueConstraint("trainee_id", "request_key", name="uq_lab_attempt_request"),
        CheckConstraint(_in("status", ATTEMPT_STATES), name="known_status"),
        CheckConstraint("number >= 1", name="number_positive"),
        # by trainee: lab and number come with uq_lab_attempt_number; submission time serves the review
        # service level of a few cohorts, which would otherwise scan the whole academy's last 30 days
        Index("ix_lab_attempt_trainee_submitted", "trainee_id", "submitted_at"),
        Index("ix_lab_attempt_status_submitted", "status", "submitted_at"),
        Index("ix_lab_attempt_submitted_at", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trainee_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), nullable=False))
    module_id: str = Field(max_length=80)
    lab_id: str = Field(max_length=80)
    number: int
    evidence: str
    links: str = "[]"  # JSON list of URLs
    status: str = Field(default="submitted", max_length=20)
    request_key: str = Field(max_length=64)
    submitted_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None
    claimed_by: int | None = Field(default=None, sa_column=user_fk(nullable=True))
    claimed_at: datetime | None = None
    files_removed_at: datetime | None = None  # a withdrawn attempt's files are removed after a grace period
    # lab checks run by `academy-lab` on the trainee's machine and sent with the attempt (none from the web form)
    checks_passed: int | None = None
    checks_total: int | None = None
    checks_run_at: datetime | None = None
    checks_host: str | None = Field(default=None, max_length=80)


class Attachment(SQLModel, table=True):
    """A file of lab evidence, stored with its attempt in the same transaction (and the same backup)."""

    __table_args__ = (CheckConstraint("size >= 0", name="size_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(
        sa_column=Column(Integer, ForeignKey("lab_attempt.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    original_name: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CheckResult(SQLModel, table=True):
    """One lab check's result as the trainee's machine reported it: it speeds a review, it does not replace it."""

    __tablename__ = "check_result"
    __table_args__ = (UniqueConstraint("attempt_id", "check_id", name="uq_check_result_check"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(
        sa_column=Column(Integer, ForeignKey("lab_attempt.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    position: int
    check_id: str = Field(max_length=80)
    name: str = Field(max_length=120)
    passed: bool
    timed_out: bool = False
    exit_status: int | None = None
    seconds: float
    output: str = ""  # at most MAX_CHECK_OUTPUT characters, shown as text, never as HTML


class Decision(SQLModel, table=True):
    """A mentor's decision on one attempt: exactly one per attempt, enforced by the database."""

    __table_args__ = (CheckConstraint(_in("outcome", OUTCOMES), name="known_outcome"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(sa_column=Column(Integer, ForeignKey("lab_attempt.id"), nullable=False, unique=True))
    mentor_id: int = Field(sa_column=user_fk())
    outcome: str = Field(max_length=20)
    comment: str = ""
    criteria: str = "[]"  # JSON list of the acceptance criteria (by index) the mentor ticked
    decided_at: datetime = Field(default_factory=utcnow)


class Notification(SQLModel, table=True):
    """An in-app message to one person: a decision on their lab, a new submission to review."""

    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), nullable=False))
    message: str = Field(max_length=300)
    link: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


TOKEN_SCOPES = ("read", "write", "lab")  # lab: what `academy-lab` needs, nothing else


class ApiToken(SQLModel, table=True):
    """A personal access token for the REST API. Only its SHA-256 is kept; the token is shown once."""

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint(_in("scope", TOKEN_SCOPES), name="known_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), nullable=False, index=True))
    name: str = Field(max_length=80)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None
    # tokens made before scopes existed keep the read-and-write access they had
    scope: str = Field(default="read", sa_column=Column(String(16), nullable=False, server_default="write"))


class OutgoingMail(SQLModel, table=True):
    """The outbox: an e-mail is written in the transaction of the event it tells about, and the worker sends
    it, retrying with backoff, until the server takes it or a day has passed (`gave_up_at`)."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_due", "sent_at", "gave_up_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    claimed_until: datetime | None = None  # a worker sending it now; another worker leaves it alone
    sent_at: datetime | None = None
    gave_up_at: datetime | None = None


# ------------------------------------------------------------------ the practicum, readiness and credentials

PRACTICE_STATES = ("submitted", "confirmed", "changes_requested", "withdrawn")
DRILL_ROLES = ("incident-commander", "operations", "communications", "scribe")


class PracticeEntry(SQLModel, table=True):
    """One piece of practice a trainee logs against a requirement of the practicum (a shadow shift, a drill...).
    Decided once, like lab evidence; after a decision it is never edited: the trainee logs a new entry."""

    __tablename__ = "practice_entry"
    __table_args__ = (
        UniqueConstraint("trainee_id", "request_key", name="uq_practice_entry_request"),
        CheckConstraint(_in("status", PRACTICE_STATES), name="known_status"),
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes_in_a_day"),
        Index("ix_practice_entry_trainee_requirement", "trainee_id", "requirement_id"),
        Index("ix_practice_entry_status_submitted", "status", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trainee_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), nullable=False))
    requirement_id: str = Field(max_length=80)
    started_at: datetime
    minutes: int
    service: str = Field(max_length=120)  # the rotation or service
    role: str | None = Field(default=None, max_length=30)  # a drill's or an incident's role, one of DRILL_ROLES
    scenario_id: str | None = Field(default=None, max_length=80)  # a drill's scenario from the curriculum
    account: str  # Markdown: pages seen, actions taken, what they learned
    links: str = "[]"  # JSON list of URLs
    present: str = Field(default="", max_length=300)  # who else was there, as the trainee wrote it
    present_mentor_id: int | None = Field(default=None, sa_column=user_fk(nullable=True))  # may confirm it too
    status: str = Field(default="submitted", max_length=20)
    request_key: str = Field(max_length=64)
    submitted_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None


class PracticeDecision(SQLModel, table=True):
    """A mentor's one decision on a practice entry: confirmed, or sent back with a comment."""

    __tablename__ = "practice_decision"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(sa_column=Column(Integer, ForeignKey("practice_entry.id"), nullable=False, unique=True))
    mentor_id: int = Field(sa_column=user_fk())
    outcome: str = Field(max_length=20)  # "confirmed" or "changes_requested"
    comment: str = ""
    criteria: str = "[]"  # JSON list of the rubric's items (by index) the mentor ticked
    decided_at: datetime = Field(default_factory=utcnow)


READINESS_STATES = ("pending", "withdrawn", "decided")


class ReadinessRequest(SQLModel, table=True):
    """A request for a readiness review, by the trainee or their mentor, with the panel that decides it."""

    __tablename__ = "readiness_request"
    __table_args__ = (
        CheckConstraint(_in("status", READINESS_STATES), name="known_status"),
        Index("ix_readiness_request_trainee", "trainee_id", "requested_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trainee_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), nullable=False))
    requested_by: int = Field(sa_column=user_fk())
    requested_at: datetime = Field(default_factory=utcnow)
    note: str = ""
    status: str = Field(default="pending", max_length=20)
    withdrawn_at: datetime | None = None


class ReadinessPanelist(SQLModel, table=True):
    __tablename__ = "readiness_panelist"

    request_id: int = Field(
        sa_column=Column(Integer, ForeignKey("readiness_request.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), primary_key=True))


class ReadinessDecision(SQLModel, table=True):
    """The panel's one decision on a request: ready (the trainee graduates) or not yet, with what is missing.
    `override_reason` is an admin's reason for graduating someone whose checklist was not complete."""

    __tablename__ = "readiness_decision"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(sa_column=Column(Integer, ForeignKey("readiness_request.id"), nullable=False, unique=True))
    decided_by: int = Field(sa_column=user_fk())
    outcome: str = Field(max_length=20)  # "ready" or "not_yet"
    rationale: str
    missing: str = ""  # for "not yet": what is missing
    override_reason: str | None = None
    decided_at: datetime = Field(default_factory=utcnow)


class Credential(SQLModel, table=True):
    """A graduate's credential: a public page at an unguessable address and an Open Badges 3.0 credential
    signed as a VC-JWT. What it says is frozen at issue; revoking it is the only change."""

    __tablename__ = "credential"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    trainee_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), nullable=False, index=True))
    decision_id: int = Field(
        sa_column=Column(Integer, ForeignKey("readiness_decision.id"), nullable=False, unique=True)
    )
    subject_name: str = Field(max_length=120)
    cohort_name: str = Field(max_length=120)
    summary: str  # JSON: what was completed and who decided, as the page and the credential show it
    jwt: str  # the signed VC-JWT
    issued_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    revoked_by: int | None = Field(default=None, sa_column=user_fk(nullable=True))
    revoke_reason: str | None = None


# ------------------------------------------------------------------ pain-point surveys

ADDRESSED_BY = ("team", "initiative", "track", "module")  # what struck a pain point off the team's list


class SurveyRound(SQLModel, table=True):
    """A round of a pain-point survey: the people asked score each pain point 0-100 until it closes at the end of
    `closes_on` (the installation's calendar), or earlier when someone who runs it closes it."""

    __tablename__ = "survey_round"
    __table_args__ = (CheckConstraint("length(title) BETWEEN 1 AND 120", name="title_length"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=Column(String(120), nullable=False))
    closes_on: date
    anonymous: bool = True
    asks_effort: bool = True
    created_by: int = Field(sa_column=user_fk())
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None  # closed before its date
    reminded_at: datetime | None = None  # the one reminder, three days before it closes


class SurveyCohort(SQLModel, table=True):
    """A cohort the round was opened for: its managers follow the round as its opener does."""

    __tablename__ = "survey_cohort"

    round_id: int = Field(
        sa_column=Column(Integer, ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True)
    )
    cohort_id: int = Field(sa_column=Column(Integer, ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True))


class SurveyRespondent(SQLModel, table=True):
    """A person asked to answer a round; `answered_at` is when they last saved their answers."""

    __tablename__ = "survey_respondent"
    __table_args__ = (Index("ix_survey_respondent_user", "user_id", "answered_at"),)

    round_id: int = Field(
        sa_column=Column(Integer, ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), primary_key=True))
    answered_at: datetime | None = None


class PainPoint(SQLModel, table=True):
    """One row of a round. `key` (the title, normalised) ties the same pain point across rounds for its trend;
    `addresses` names the curriculum track or module that addresses it ("track:alerting", "module:..."). A struck
    pain point is off the team's list, with what addressed it."""

    __tablename__ = "pain_point"
    __table_args__ = (
        UniqueConstraint("round_id", "key", name="uq_pain_point_key"),
        CheckConstraint("length(title) BETWEEN 1 AND 120", name="title_length"),
        CheckConstraint("struck_with IS NULL OR " + _in("struck_with", ADDRESSED_BY), name="known_addressed_by"),
        Index("ix_pain_point_addresses", "addresses"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(sa_column=Column(Integer, ForeignKey("survey_round.id", ondelete="CASCADE"), nullable=False))
    position: int
    title: str = Field(sa_column=Column(String(120), nullable=False))
    description: str = Field(default="", max_length=1000)
    key: str = Field(max_length=120)
    addresses: str | None = Field(default=None, max_length=120)
    struck_at: datetime | None = None
    struck_by: int | None = Field(default=None, sa_column=user_fk(nullable=True))
    struck_with: str | None = Field(default=None, max_length=20)
    struck_note: str | None = Field(default=None, max_length=200)


class PainScore(SQLModel, table=True):
    """One respondent's cell for one pain point: a whole score 0-100, "don't know", or blank (both empty)."""

    __tablename__ = "pain_score"
    __table_args__ = (
        CheckConstraint("pain IS NULL OR (pain BETWEEN 0 AND 100)", name="pain_range"),
        CheckConstraint("effort IS NULL OR (effort BETWEEN 0 AND 100)", name="effort_range"),
        CheckConstraint("NOT (pain_unknown AND pain IS NOT NULL)", name="pain_one_answer"),
        CheckConstraint("NOT (effort_unknown AND effort IS NOT NULL)", name="effort_one_answer"),
        Index("ix_pain_score_respondent", "respondent_id"),
    )

    pain_point_id: int = Field(
        sa_column=Column(Integer, ForeignKey("pain_point.id", ondelete="CASCADE"), primary_key=True)
    )
    respondent_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), primary_key=True))
    pain: int | None = None
    pain_unknown: bool = False
    effort: int | None = None
    effort_unknown: bool = False


# ------------------------------------------------------------------ the Reliability Meetup

TALK_STATES = ("proposed", "changes_requested", "accepted", "declined")
CHECK_INS = ("code", "organizer")  # how an attendance was recorded: the attendee typed the code, or an organizer


class Meetup(SQLModel, table=True):
    """One meetup: held from `starts_at` to `ends_at` (UTC) in `time_zone`, whose calendar day is the check-in's day.
    `sequence` counts the changes calendar apps must pick up."""

    __tablename__ = "meetup"
    __table_args__ = (
        CheckConstraint("length(title) BETWEEN 1 AND 120", name="title_length"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_meetup_starts_at", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=Column(String(120), nullable=False))
    starts_at: datetime
    ends_at: datetime
    time_zone: str = Field(max_length=64)
    place: str = Field(default="", max_length=200)
    video_url: str | None = Field(default=None, max_length=500)
    recording_url: str | None = Field(default=None, max_length=500)
    check_in_code: str = Field(max_length=12)
    sequence: int = 0
    created_by: int = Field(sa_column=user_fk())
    created_at: datetime = Field(default_factory=utcnow)


class Talk(SQLModel, table=True):
    """A talk: proposed in the call for talks (no meetup yet), then accepted into a meetup, sent back for changes
    or declined by an organizer, with a comment."""

    __tablename__ = "talk"
    __table_args__ = (
        CheckConstraint("length(title) BETWEEN 1 AND 160", name="title_length"),
        CheckConstraint(_in("state", TALK_STATES), name="known_state"),
        CheckConstraint("state <> 'accepted' OR meetup_id IS NOT NULL", name="accepted_into_a_meetup"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("meetup.id", ondelete="SET NULL"), index=True)
    )
    position: int = 0  # its place in the meetup's agenda
    title: str = Field(sa_column=Column(String(160), nullable=False))
    abstract: str = Field(default="", max_length=5000)  # Markdown
    state: str = Field(default="proposed", max_length=20)
    slides_url: str | None = Field(default=None, max_length=500)
    proposed_by: int = Field(sa_column=user_fk())
    proposed_at: datetime = Field(default_factory=utcnow)
    decided_by: int | None = Field(default=None, sa_column=user_fk(nullable=True))
    decided_at: datetime | None = None
    decision_comment: str = Field(default="", max_length=1000)


class TalkSpeaker(SQLModel, table=True):
    """A speaker of a talk: a person with an account, or a guest named with their team; an SRE or not."""

    __tablename__ = "talk_speaker"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (guest_name IS NULL)", name="account_or_guest"),
        Index("ix_talk_speaker_talk", "talk_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    talk_id: int = Field(sa_column=Column(Integer, ForeignKey("talk.id", ondelete="CASCADE"), nullable=False))
    position: int = 0
    user_id: int | None = Field(default=None, sa_column=user_fk(nullable=True))
    guest_name: str | None = Field(default=None, max_length=120)
    guest_team: str | None = Field(default=None, max_length=120)
    is_sre: bool = False


class TalkModule(SQLModel, table=True):
    """A module of the curriculum a talk is about: its page lists the talk under "Talks on this topic"."""

    __tablename__ = "talk_module"

    talk_id: int = Field(sa_column=Column(Integer, ForeignKey("talk.id", ondelete="CASCADE"), primary_key=True))
    module_id: str = Field(sa_column=Column(String(120), primary_key=True, index=True))


class MeetupAttendee(SQLModel, table=True):
    """A person and a meetup: `going_at` when they said they will come (None: they did not, or took it back),
    `attended_at` when they came, recorded by the check-in code or by an organizer."""

    __tablename__ = "meetup_attendee"
    __table_args__ = (
        CheckConstraint("checked_in_by IS NULL OR " + _in("checked_in_by", CHECK_INS), name="known_check_in"),
        Index("ix_meetup_attendee_user", "user_id"),
    )

    meetup_id: int = Field(sa_column=Column(Integer, ForeignKey("meetup.id", ondelete="CASCADE"), primary_key=True))
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id"), primary_key=True))
    going_at: datetime | None = None
    attended_at: datetime | None = None
    checked_in_by: str | None = Field(default=None, max_length=12)


class CalendarFeed(SQLModel, table=True):
    """A person's calendar feed: the URL holds a secret, kept here only as its SHA-256; a new one revokes the old."""

    __tablename__ = "calendar_feed"

    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True))
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class ExternalIdentity(SQLModel, table=True):
    """A person's account at the company's identity provider (OpenID Connect). Matched by the provider's stable
    subject, never by e-mail alone: an address can be given to someone else."""

    __tablename__ = "external_identity"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_external_identity_subject"),
        UniqueConstraint("issuer", "user_id", name="uq_external_identity_user"),
    )

    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    last_sign_in_at: datetime | None = None


class ProvisioningToken(SQLModel, table=True):
    """A bearer token for SCIM provisioning only, made by an admin for the identity provider; only its SHA-256
    is kept. It belongs to no person: what it changes is audited with the provider, by the token's name."""

    __tablename__ = "provisioning_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    prefix: str = Field(max_length=12)
    created_by: int | None = Field(default=None, sa_column=user_fk(nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ScimGroup(SQLModel, table=True):
    """A group the identity provider pushes (SCIM). Its name maps to a role through ACADEMY_OIDC_ROLE_MAP."""

    __tablename__ = "scim_group"

    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(sa_column=Column(String(200), unique=True, nullable=False))
    external_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ScimGroupMember(SQLModel, table=True):
    __tablename__ = "scim_group_member"
    __table_args__ = (Index("ix_scim_group_member_user", "user_id"),)

    group_id: int = Field(sa_column=Column(Integer, ForeignKey("scim_group.id", ondelete="CASCADE"), primary_key=True))
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True))


class DataVersion(SQLModel, table=True):
    """How often what a scope's pages show has changed: moved by triggers in the database on every write (see
    academy/data_versions.py), read by academy/page_cache.py to know whether a kept page is still the page."""

    __tablename__ = "data_version"

    scope: str = Field(sa_column=Column(String(8), primary_key=True))
    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    n: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))  # PostgreSQL: a transaction id
