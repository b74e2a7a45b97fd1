"""Bulk import of a cohort's people from CSV: every row checked before anything is written, then all or nothing.

Columns (a header row is required): name, email, role, mentor email. Role is trainee, mentor or manager;
a trainee's mentor is an existing mentor of the cohort or a mentor in the same file. A row whose email is an
existing account changes that account (a role, a cohort): the preview says so, and the import needs the
admin's confirmation of exactly those changes.
"""

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field

from sqlmodel import Session

from ..accounts import services as accounts
from ..cohorts.services import MEMBER_ROLES, add_member
from ..inputs import is_email
from ..models import Cohort, CohortStaff, CohortTrainee, User, UserRole
from ..security import CONTROL

MAX_ROWS = 2000
MAX_BYTES = 1_000_000
HEADER = ("name", "email", "role", "mentor email")


@dataclass
class ImportRow:
    line: int
    name: str
    email: str
    role: str
    mentor_email: str
    problems: list[str] = field(default_factory=list)
    existing: User | None = None
    existing_roles: frozenset[str] = frozenset()
    changes: list[str] = field(default_factory=list)  # what importing the row does, in the admin's words


@dataclass
class ImportPlan:
    rows: list[ImportRow]
    problems: list[str]  # about the file as a whole

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows) and not any(r.problems for r in self.rows)

    @property
    def existing_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.existing is not None]

    @property
    def confirmation_key(self) -> str:
        """Names exactly the changes to existing accounts that the preview showed; empty when there are none."""
        shown = [(r.email, r.existing.display_name, sorted(r.existing_roles), r.changes) for r in self.existing_rows]
        return hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:16] if shown else ""


class ConfirmationNeeded(ValueError):
    """The plan changes existing accounts and the admin has not confirmed those changes."""


def read_rows(text: str) -> tuple[list[ImportRow], list[str]]:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return [], [f"The file is larger than {MAX_BYTES // 1_000_000} MB; split it into smaller files."]
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        lines = list(reader)
    except csv.Error as exc:
        return [], [f"This is not a readable CSV file: {exc}."]
    lines = [(n, row) for n, row in enumerate(lines, 1) if any(cell.strip() for cell in row)]
    if not lines:
        return [], ["The file is empty. Its first row names the columns: " + ", ".join(HEADER) + "."]
    header = tuple(cell.strip().lower() for cell in lines[0][1])
    if header[:4] != HEADER:
        return [], ["The first row must name the columns: " + ", ".join(HEADER) + "."]
    if len(lines) == 1:
        return [], ["There are no people after the header row."]
    if len(lines) - 1 > MAX_ROWS:
        return [], [f"At most {MAX_ROWS} people per import."]
    rows = []
    for n, cells in lines[1:]:
        cells = [c.strip() for c in cells] + [""] * 4
        rows.append(
            ImportRow(
                n,
                " ".join(cells[0].split()),
                User.normalise_email(cells[1]),
                cells[2].lower(),
                User.normalise_email(cells[3]),
            )
        )
    return rows, []


def plan_import(session: Session, cohort: Cohort, text: str) -> ImportPlan:
    rows, problems = read_rows(text)
    in_file = {r.email: r for r in rows}
    seen: set[str] = set()
    for row in rows:
        row.existing = accounts.user_by_email(session, row.email) if row.email else None
        row.existing_roles = accounts.roles_of(session, row.existing.id) if row.existing else frozenset()
        row.problems = _row_problems(session, cohort, row, in_file, seen)
        row.changes = [] if row.problems else _row_changes(cohort, row)
        seen.add(row.email)
    return ImportPlan(rows, problems)


def _row_changes(cohort: Cohort, row: ImportRow) -> list[str]:
    """For an existing account every item is a change to it; a new account is made with the file's name."""
    if row.role == "trainee":
        joins = f"joins {cohort.name} as a trainee" + (f", mentor {row.mentor_email}" if row.mentor_email else "")
    else:
        joins = f"becomes a {row.role} of {cohort.name}"
    if row.existing is None:
        return [f"new account with the role {row.role}", joins]
    return ([f"gains the role {row.role}"] if row.role not in row.existing_roles else []) + [joins]


def _row_problems(session: Session, cohort: Cohort, row: ImportRow, in_file: dict, seen: set) -> list[str]:
    problems = []
    if CONTROL.search(row.name + row.email + row.role + row.mentor_email):
        problems.append("the row contains control characters")
    if not row.name or len(row.name) > 120:
        problems.append("a name of 1 to 120 characters is needed")
    if not is_email(row.email):
        problems.append("the email address is not valid")
    elif row.email in seen:
        problems.append("this email appears on an earlier row")
    if row.role not in MEMBER_ROLES:
        problems.append("role must be trainee, mentor or manager")
    if row.existing and not row.existing.is_active:
        problems.append("this account is deactivated; reactivate it first")
    if row.role == "trainee" and row.existing:
        member = session.get(CohortTrainee, row.existing.id)
        if member is not None:
            problems.append("already a trainee in a cohort")
    if (
        row.role in ("mentor", "manager")
        and row.existing
        and session.get(CohortStaff, (cohort.id, row.existing.id, row.role))
    ):
        problems.append(f"already a {row.role} of this cohort")
    if row.mentor_email:
        if row.role != "trainee":
            problems.append("only trainees have a mentor")
        elif not _mentor_known(session, cohort, row.mentor_email, in_file):
            problems.append(f"{row.mentor_email} is not a mentor of this cohort nor a mentor in this file")
    return problems


def _mentor_known(session: Session, cohort: Cohort, email: str, in_file: dict) -> bool:
    if email in in_file and in_file[email].role == "mentor":
        return True
    mentor = accounts.user_by_email(session, email)
    return mentor is not None and session.get(CohortStaff, (cohort.id, mentor.id, "mentor")) is not None


def apply_import(
    session: Session, cohort: Cohort, plan: ImportPlan, *, confirmed: str = ""
) -> list[tuple[User, str | None]]:
    """Write every row (the caller commits once). New accounts get an invitation link, returned with them.
    `confirmed` is the plan's confirmation_key as the admin confirmed it; ConfirmationNeeded otherwise."""
    assert plan.ok, "apply only a plan without problems"
    if plan.confirmation_key and confirmed != plan.confirmation_key:
        n = len(plan.existing_rows)
        what = "1 row changes an existing account" if n == 1 else f"{n} rows change existing accounts"
        raise ConfirmationNeeded(
            f"Nothing was imported: {what} (highlighted below). Check the changes, tick “I confirm these changes"
            " to existing accounts” and import again."
        )
    people: dict[str, User] = {}
    invited: list[tuple[User, str | None]] = []
    for row in sorted(plan.rows, key=lambda r: r.role != "mentor"):  # mentors first: trainees refer to them
        user = row.existing
        if user is None:
            user = accounts.create_user(session=session, email=row.email, display_name=row.name, roles=[row.role])
            invited.append((user, accounts.password_link_token(session, user, purpose="invite")))
        elif session.get(UserRole, (user.id, row.role)) is None:
            accounts.set_roles(session, user, accounts.roles_of(session, user.id) | {row.role})
            session.flush()
        people[row.email] = user
        mentor = people.get(row.mentor_email) or (
            accounts.user_by_email(session, row.mentor_email) if row.mentor_email else None
        )
        add_member(session=session, cohort=cohort, user=user, role=row.role, mentor=mentor)
    return invited
