"""The demo academy: people, three cohorts, progress and practice at varied stages, pain-point surveys and a year of
the Reliability Meetup; loaded only on request."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from .accounts.services import create_user, hash_password, user_by_email
from .curriculum.loader import Catalogue, learning_order
from .demo_meetups import load_meetups
from .demo_surveys import load_surveys
from .learning.services import made_up_answers
from .models import (
    Cohort,
    CohortModule,
    CohortStaff,
    CohortTrainee,
    Decision,
    LabAttempt,
    ModuleProgress,
    PracticeDecision,
    PracticeEntry,
    QuizAttempt,
)
from .readiness.services import decide_review, request_review

PASSWORD = "academy-demo"  # noqa: S105 - the documented demo password


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    roles: tuple[str, ...]


STAFF = (
    DemoPerson("admin@example.com", "Ada Admin", ("admin",)),
    DemoPerson("manager@example.com", "Mina Manager", ("manager",)),
    DemoPerson("mentor@example.com", "Marco Mentor", ("mentor",)),
    DemoPerson("mentor2@example.com", "Priya Mentor", ("mentor", "manager")),
    DemoPerson("organizer@example.com", "Oskar Organizer", ("organizer",)),
)
TRAINEE_NAMES = (
    "Tariq Trainee",
    "Jo Okafor",
    "Sam Lindqvist",
    "Lena Fischer",
    "Ravi Menon",
    "Chloé Martin",
    "Diego Alvarez",
    "Hana Sato",
    "Ola Nowak",
    "Nadia Haddad",
    "Tom Brennan",
    "Aiko Tanaka",
)
# cohort name, start, end, trainee numbers (1 is trainee@example.com), mentor of each trainee; nine months each,
# the programme's 45 modules (about 125 hours of study) at three to four hours a week
COHORTS = (
    (
        "Berlin autumn 2026",
        date(2026, 8, 31),
        date(2027, 5, 28),
        (1, 2, 3, 4, 5),
        ("mentor", "mentor", "mentor", "mentor2", "mentor2"),
    ),
    (
        "Lisbon winter 2026",
        date(2026, 10, 12),
        date(2027, 7, 9),
        (6, 7, 8, 9),
        ("mentor2", "mentor2", "mentor", "mentor"),
    ),
    (
        "Dublin spring 2026",
        date(2026, 3, 2),
        date(2026, 11, 27),
        (10, 11, 12),
        ("mentor", "mentor", "mentor2"),
    ),
)
ALL = 10_000  # every module of the plan
# how many modules in learning order each trainee has finished, by trainee number
FINISHED = {1: 6, 2: 18, 3: 2, 4: 13, 5: 0, 6: 12, 7: 0, 8: 10, 9: 3, 10: ALL, 11: ALL, 12: ALL}
# what each trainee has on their next module's lab: submitted that many hours ago, or sent back
WAITING_HOURS = {2: 70, 4: 20, 6: 5, 8: 30}
SENT_BACK = {3}
COMMENTS = (
    "Clear evidence and the output matches the criteria. Nice touch explaining *why* the exit code mattered.",
    "Good work. Next time, trim the output to the lines that prove each criterion.",
    "Approved. Your write-up would make a fine runbook entry; consider adding it to the team wiki.",
)


def trainee_email(n: int) -> str:
    return "trainee@example.com" if n == 1 else f"trainee{n}@example.com"


def accounts() -> list[DemoPerson]:
    trainees = [DemoPerson(trainee_email(n), name, ("trainee",)) for n, name in enumerate(TRAINEE_NAMES, 1)]
    return [*STAFF, *trainees]


def load_demo(*, session: Session, catalogue: Catalogue, today: date) -> bool:
    """Load the demo academy; False (and nothing written) when it is there already."""
    if user_by_email(session, STAFF[0].email):
        return False
    password_hash = hash_password(PASSWORD)
    users = {
        p.email: create_user(
            session=session, email=p.email, display_name=p.name, roles=p.roles, password_hash=password_hash
        )
        for p in accounts()
    }
    order = learning_order(catalogue)
    cohorts = {}
    for name, start, end, numbers, mentors in COHORTS:
        cohort = cohorts[name] = Cohort(name=name, start_date=start, end_date=end)
        session.add(cohort)
        session.flush()
        session.add_all(plan(cohort, order))
        staff = {
            ("manager", "manager@example.com"),
            ("mentor", "mentor@example.com"),
            ("mentor", "mentor2@example.com"),
        }
        if cohort.name.startswith("Lisbon"):
            staff.add(("manager", "mentor2@example.com"))
        session.add_all(CohortStaff(cohort_id=cohort.id, user_id=users[email].id, role=role) for role, email in staff)
        for n, mentor in zip(numbers, mentors, strict=True):
            trainee = users[trainee_email(n)]
            session.add(
                CohortTrainee(trainee_id=trainee.id, cohort_id=cohort.id, mentor_id=users[f"{mentor}@example.com"].id)
            )
            session.add_all(progress(trainee.id, order[: FINISHED[n]], start, today))
            session.flush()
            history(session, trainee.id, users[f"{mentor}@example.com"].id, order, n, start, today)
    practicum_history(session, catalogue, users, today)
    load_surveys(session=session, catalogue=catalogue, users=users, cohorts=cohorts, today=today)
    load_meetups(session=session, catalogue=catalogue, users=users, password_hash=password_hash, today=today)
    return True


def decided(session: Session, attempt: LabAttempt, **decision) -> None:
    """Store a lab attempt with its mentor's decision."""
    session.add(attempt)
    session.flush()
    session.add(Decision(attempt_id=attempt.id, **decision))


def history(session: Session, trainee_id: int, mentor_id: int, order, n: int, start: date, today: date) -> None:
    """Passed knowledge checks and approved labs for finished modules; something pending on the next one."""
    days = max((today - start).days, 1)
    done = order[: FINISHED[n]]
    for i, module in enumerate(done):
        finished = datetime.combine(start + timedelta(days=days * (i + 1) // (len(done) + 1)), time(15, 30, tzinfo=UTC))
        if module.quiz:
            total = len(module.quiz.questions)
            session.add(
                QuizAttempt(
                    trainee_id=trainee_id,
                    module_id=module.id,
                    content_hash=module.content_hash,
                    answers=made_up_answers(module, total),
                    correct=total,
                    total=total,
                    passed=True,
                    request_key=f"demo-quiz-{module.id}",
                    created_at=finished - timedelta(hours=5),
                )
            )
        for lab in module.labs:
            attempt = LabAttempt(
                trainee_id=trainee_id,
                module_id=module.id,
                lab_id=lab.id,
                number=1,
                status="approved",
                evidence=f"Followed every step of *{lab.title}*; output and notes below.\n\n"
                "```console\n$ echo $?\n0\n```",
                request_key=f"demo-lab-{lab.id}",
                submitted_at=finished - timedelta(days=1),
            )
            decided(
                session,
                attempt,
                mentor_id=mentor_id,
                outcome="approved",
                comment=COMMENTS[(i + n) % len(COMMENTS)],
                decided_at=finished,
                criteria=json.dumps(list(range(len(lab.spec.acceptance_criteria)))),
            )
    upcoming = next((m for m in order[len(done) :] if m.labs), None)
    if upcoming is None or (n not in WAITING_HOURS and n not in SENT_BACK):
        return
    lab = upcoming.labs[0]
    now = datetime.now(UTC)
    if session.get(ModuleProgress, (trainee_id, upcoming.id)) is None:  # opened and read, lab not yet approved
        session.add(
            ModuleProgress(
                trainee_id=trainee_id,
                module_id=upcoming.id,
                opened_at=now - timedelta(days=4),
                read_at=now - timedelta(days=3),
            )
        )
    if n in SENT_BACK:
        attempt = LabAttempt(
            trainee_id=trainee_id,
            module_id=upcoming.id,
            lab_id=lab.id,
            number=1,
            status="changes_requested",
            evidence="I ran the commands; it worked.",
            request_key=f"demo-lab-{lab.id}",
            submitted_at=now - timedelta(days=2),
        )
        decided(
            session,
            attempt,
            mentor_id=mentor_id,
            outcome="changes_requested",
            comment="Please paste the actual output of each step, so that I can check the "
            "acceptance criteria one by one.",
            decided_at=now - timedelta(days=1),
        )
        return
    session.add(
        LabAttempt(
            trainee_id=trainee_id,
            module_id=upcoming.id,
            lab_id=lab.id,
            number=1,
            evidence=f"My evidence for *{lab.title}*: every step done, output attached below.",
            request_key=f"demo-lab-{lab.id}",
            submitted_at=now - timedelta(hours=WAITING_HOURS[n]),
        )
    )


def plan(cohort: Cohort, order) -> list[CohortModule]:
    """Due dates spread evenly from the cohort's start to its end."""
    span = (cohort.end_date - cohort.start_date).days
    return [
        CohortModule(
            cohort_id=cohort.id,
            module_id=m.id,
            due_date=cohort.start_date + timedelta(days=span * (i + 1) // len(order)),
        )
        for i, m in enumerate(order)
    ]


def progress(trainee_id: int, done, start: date, today: date) -> list[ModuleProgress]:
    """Finished modules at a steady pace from the cohort's start up to today."""
    rows = []
    days = max((today - start).days, 1)
    for i, module in enumerate(done):
        finished = datetime.combine(start + timedelta(days=days * (i + 1) // (len(done) + 1)), time(15, 30, tzinfo=UTC))
        rows.append(
            ModuleProgress(
                trainee_id=trainee_id,
                module_id=module.id,
                opened_at=finished - timedelta(days=2),
                read_at=finished - timedelta(hours=3),
                completed_at=finished,
                content_hash=module.content_hash,
            )
        )
    return rows


# ------------------------------------------------------------------ the practicum and readiness reviews

# the Dublin cohort has finished its modules: 12 is practising, 11 waits for a readiness review, 10 graduated
PRACTISING, REVIEW_PENDING, GRADUATE = 12, 11, 10


def practicum_history(session: Session, catalogue: Catalogue, users: dict, today: date) -> None:
    mentor, mentor2 = users["mentor@example.com"], users["mentor2@example.com"]
    practising = users[trainee_email(PRACTISING)]
    now = datetime.now(UTC)
    for i in range(2):
        confirmed_entry(session, practising, mentor2, "shadow-shifts", now - timedelta(days=20 - 7 * i), i)
    session.add(
        PracticeEntry(
            trainee_id=practising.id,
            requirement_id="shadow-shifts",
            started_at=now - timedelta(days=2, hours=9),
            minutes=480,
            service="Checkout API, primary rotation",
            account="Shadowed Marco for a full day shift. One page at 14:10: checkout latency SLO burn rate "
            "above 6 for 5 minutes. Watched him check the deploy log first (nothing new), then the database "
            "dashboard: connection pool saturated by a batch job. He paused the job; the burn rate fell "
            "within ten minutes. I wrote the timeline in the incident channel.",
            present="Marco Mentor (primary)",
            present_mentor_id=mentor.id,
            request_key="demo-practice-waiting",
            submitted_at=now - timedelta(hours=20),
        )
    )
    for n in (REVIEW_PENDING, GRADUATE):
        complete_practicum(session, catalogue, users[trainee_email(n)], mentor, now - timedelta(days=60))
    session.flush()
    pending = users[trainee_email(REVIEW_PENDING)]
    request_review(session, catalogue, trainee=pending, requested_by=mentor, note="Steady on every shift.")
    graduate = users[trainee_email(GRADUATE)]
    asked = request_review(session, catalogue, trainee=graduate, requested_by=graduate, note="")
    decide_review(
        session,
        catalogue,
        request=asked,
        decider=users["manager@example.com"],
        outcome="ready",
        rationale="Two calm reverse-shadow shifts, a clear incident-commander drill and a postmortem the "
        "payments team adopted as written. Ready for the primary rotation.",
    )


def confirmed_entry(session: Session, trainee, mentor, requirement_id: str, started: datetime, i: int, role=None):
    entry = PracticeEntry(
        trainee_id=trainee.id,
        requirement_id=requirement_id,
        started_at=started,
        minutes=240,
        service="Checkout API, primary rotation",
        role=role,
        account="Followed the primary through the shift's pages; notes on each, and what I would do next time.",
        status="confirmed",
        request_key=f"demo-practice-{trainee.id}-{requirement_id}-{i}",
        submitted_at=started + timedelta(hours=6),
    )
    session.add(entry)
    session.flush()
    session.add(
        PracticeDecision(
            entry_id=entry.id,
            mentor_id=mentor.id,
            outcome="confirmed",
            comment="Good notes: the handover and the timeline are both there.",
            decided_at=started + timedelta(days=1),
        )
    )


def complete_practicum(session: Session, catalogue: Catalogue, trainee, mentor, start: datetime) -> None:
    roles = ("incident-commander", "communications", "operations", "scribe")
    day = 0
    for requirement in catalogue.practicum.requirements:
        for i in range(requirement.count):
            role = roles[i % len(roles)] if requirement.needs_role else None
            confirmed_entry(session, trainee, mentor, requirement.id, start + timedelta(days=day), i, role)
            day += 3
