"""A synthetic academy at company scale, for benchmarks: many cohorts over two years, with the history a
real installation would have. Written with bulk inserts (executemany), in one transaction per table."""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select, text
from sqlmodel import Session

from .accounts.services import hash_password, new_session_token
from .curriculum.loader import Catalogue, learning_order
from .learning.services import made_up_answers
from .models import (
    AuditEntry,
    Cohort,
    CohortModule,
    CohortStaff,
    CohortTrainee,
    Decision,
    LabAttempt,
    ModuleProgress,
    Notification,
    QuizAttempt,
    User,
    UserRole,
)

PASSWORD = "academy-synth"  # noqa: S105 - documented password of the synthetic accounts
MENTORS_PER_COHORT = 4
COHORT_WEEKS = 26
COMMENTS = (
    "Clear and complete.",
    "Good; trim the output to what proves each criterion next time.",
    "Approved: this would make a fine runbook entry.",
)
RETURNS = ("Please paste the output of each step.", "The alert rule has no `for:`; add one and explain it.")


@dataclass
class Rows:
    """Rows per table, with ids assigned here so that later tables can refer to them."""

    tables: dict[type, list[dict]] = field(default_factory=dict)
    next_id: dict[type, int] = field(default_factory=dict)

    def add(self, model: type, **values) -> int | None:
        if model in self.next_id:
            values["id"] = self.next_id[model]
            self.next_id[model] += 1
        self.tables.setdefault(model, []).append(values)
        return values.get("id")


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour % 24, 0, tzinfo=UTC))


def build(
    *,
    session: Session,
    catalogue: Catalogue,
    cohorts: int,
    trainees: int,
    today: date,
    seed: int = 7,
    progress: Callable[[int], None] = lambda n: None,
) -> Rows:
    """The rows of `cohorts` cohorts of `trainees` trainees each, started over the last two years."""
    rng = random.Random(seed)  # noqa: S311 - made-up data, not secrets
    rows = Rows(next_id={m: next_id(session, m) for m in (User, Cohort, LabAttempt)})
    order = learning_order(catalogue)
    password_hash = hash_password(PASSWORD)
    run = rows.next_id[User]
    admin = people(rows, [f"synth-admin-{run}@example.com"], "Synth Admin", "admin", password_hash)[0]
    managers = people(
        rows,
        [f"synth-manager{run}-{i}@example.com" for i in range(max(1, cohorts // 5))],
        "Manager",
        "manager",
        password_hash,
    )
    for c in range(cohorts):
        start = today - timedelta(days=int(730 * (cohorts - c) / cohorts))
        cohort = rows.add(
            Cohort,
            name=f"Synthetic cohort {run}-{c + 1}",
            start_date=start,
            end_date=start + timedelta(weeks=COHORT_WEEKS),
            created_at=at(start),
        )
        mentors = people(
            rows,
            [f"synth-mentor{run}-{c}-{i}@example.com" for i in range(MENTORS_PER_COHORT)],
            "Mentor",
            "mentor",
            password_hash,
        )
        rows.add(CohortStaff, cohort_id=cohort, user_id=managers[c % len(managers)], role="manager")
        for mentor in mentors:
            rows.add(CohortStaff, cohort_id=cohort, user_id=mentor, role="mentor")
        span = COHORT_WEEKS * 7
        due = {m.id: start + timedelta(days=span * (i + 1) // len(order)) for i, m in enumerate(order)}
        for module_id, day in due.items():
            rows.add(CohortModule, cohort_id=cohort, module_id=module_id, due_date=day)
        emails = [f"synth-trainee{run}-{c}-{t}@example.com" for t in range(trainees)]
        for t, trainee in enumerate(people(rows, emails, "Trainee", "trainee", password_hash)):
            mentor = mentors[t % len(mentors)]
            rows.add(CohortTrainee, trainee_id=trainee, cohort_id=cohort, mentor_id=mentor)
            history(rows, rng, catalogue, order, due, trainee=trainee, mentor=mentor, start=start, today=today)
        progress(1)
    rows.add(
        AuditEntry,
        actor_id=admin,
        action="cohort.imported",
        target="synthetic",
        detail=json.dumps({"cohorts": cohorts, "trainees": cohorts * trainees}),
        at=datetime.now(UTC),
    )
    return rows


def next_id(session: Session, model) -> int:
    return (session.execute(select(func.max(model.id))).scalar() or 0) + 1


def people(rows: Rows, emails: list[str], title: str, role: str, password_hash: str) -> list[int]:
    ids = []
    for email in emails:
        user = rows.add(
            User,
            email=email,
            display_name=f"{title} {email.split('@')[0].split('-', 1)[-1]}",
            password_hash=password_hash,
            is_active=True,
            session_token=new_session_token(),
            created_at=datetime.now(UTC),
        )
        rows.add(UserRole, user_id=user, role=role)
        ids.append(user)
    return ids


def history(
    rows: Rows,
    rng: random.Random,
    catalogue: Catalogue,
    order,
    due: dict[str, date],
    *,
    trainee: int,
    mentor: int,
    start: date,
    today: date,
) -> None:
    """A trainee's past: modules finished at their own pace, with knowledge checks, labs and decisions."""
    pace = rng.uniform(0.55, 1.25)
    elapsed = (today - start).days
    for i, module in enumerate(order):
        finished_day = start + timedelta(days=int((due[module.id] - start).days / pace))
        opened = start + timedelta(days=max(0, int((finished_day - start).days * 0.9) - 3))
        if opened > today:
            break
        done = finished_day <= today and (finished_day - start).days <= elapsed
        rows.add(
            ModuleProgress,
            trainee_id=trainee,
            module_id=module.id,
            opened_at=at(opened, 9),
            read_at=at(opened + timedelta(days=1), 11) if done or rng.random() < 0.6 else None,
            completed_at=at(finished_day, 17) if done else None,
            content_hash=module.content_hash if done else None,
        )
        if module.quiz and (done or rng.random() < 0.5):
            total = len(module.quiz.questions)
            answered = at(opened + timedelta(days=1), 14)
            if rng.random() < 0.25:  # a first try that did not pass
                quiz_attempt(rows, trainee, module, i, correct=max(0, total - 2), created_at=answered)
            quiz_attempt(rows, trainee, module, i, correct=total, created_at=answered + timedelta(hours=1))
        for lab in module.labs:
            lab_history(
                rows,
                rng,
                module,
                lab,
                trainee=trainee,
                mentor=mentor,
                opened=opened,
                finished=finished_day if done else None,
                today=today,
            )
        if not done:
            break


def quiz_attempt(rows: Rows, trainee: int, module, i: int, *, correct: int, created_at: datetime) -> None:
    total = len(module.quiz.questions)
    rows.add(
        QuizAttempt,
        trainee_id=trainee,
        module_id=module.id,
        content_hash=module.content_hash,
        answers=made_up_answers(module, correct),
        correct=correct,
        total=total,
        passed=correct == total,
        request_key=f"s{trainee}-{i}-q{int(correct == total)}",
        created_at=created_at,
    )


def lab_history(rows: Rows, rng, module, lab, *, trainee, mentor, opened, finished, today) -> None:
    def attempt(number: int, status: str, evidence: str, submitted_at: datetime) -> int:
        return rows.add(
            LabAttempt,
            trainee_id=trainee,
            module_id=module.id,
            lab_id=lab.id,
            number=number,
            evidence=evidence,
            links="[]",
            status=status,
            request_key=f"s{trainee}-{lab.id}-{number}",
            submitted_at=submitted_at,
        )

    number = 1
    submitted = opened + timedelta(days=2)
    if finished and rng.random() < 0.2:  # sent back once before approval
        first = attempt(number, "changes_requested", "First try: commands run, output below.", at(submitted, 10))
        decide(rows, first, trainee, mentor, lab, "changes_requested", at(submitted, 10 + rng.randint(2, 70)))
        number += 1
    if finished:
        evidence = f"Evidence for {lab.title}: every step done, output attached."
        approved = attempt(number, "approved", evidence, at(finished, 9) - timedelta(hours=rng.randint(2, 60)))
        decide(rows, approved, trainee, mentor, lab, "approved", at(finished, 16))
    elif submitted <= today and rng.random() < 0.5:  # waiting in a mentor's queue now
        attempt(number, "submitted", "Done; output below.", datetime.now(UTC) - timedelta(hours=rng.randint(1, 90)))


def decide(rows: Rows, attempt: int, trainee: int, mentor: int, lab, outcome: str, when: datetime) -> None:
    comment = (COMMENTS if outcome == "approved" else RETURNS)[attempt % 2]
    rows.add(
        Decision,
        attempt_id=attempt,
        mentor_id=mentor,
        outcome=outcome,
        comment=comment,
        criteria=json.dumps(list(range(len(lab.spec.acceptance_criteria)))),
        decided_at=when,
    )
    rows.add(
        Notification,
        user_id=trainee,
        message=f"Your mentor decided on {lab.title}: {outcome}.",
        link=f"/modules/{lab.module_id}#lab-{lab.id}",
        created_at=when,
        read_at=when + timedelta(hours=3),
    )
    rows.add(
        AuditEntry,
        at=when,
        actor_id=mentor,
        action="lab.decided",
        target=f"attempt {attempt}",
        detail=json.dumps({"outcome": outcome, "lab": lab.id}),
    )


BATCH = 5000


def write(session: Session, rows: Rows, progress: Callable[[int], None] = lambda n: None) -> dict[str, int]:
    """Insert every row, table by table, in batches; the caller commits."""
    for model in (
        User,
        UserRole,
        Cohort,
        CohortStaff,
        CohortModule,
        CohortTrainee,
        ModuleProgress,
        QuizAttempt,
        LabAttempt,
        Decision,
        Notification,
        AuditEntry,
    ):
        values = rows.tables.get(model, [])
        for i in range(0, len(values), BATCH):
            session.execute(insert(model), values[i : i + BATCH])
            progress(min(BATCH, len(values) - i))
    if session.get_bind().dialect.name == "postgresql":  # ids were given here: move the sequences past them
        for model in rows.next_id:
            quoted = f'"{model.__tablename__}"'  # our own table names, not input
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{quoted}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {quoted}))"
                )
            )
    return {model.__tablename__: len(values) for model, values in rows.tables.items()}
