"""Reads for the trainee's pages: one query per kind of row, never one per module."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from ..curriculum.loader import Catalogue, Module, RenderedLab
from ..models import (
    Attachment,
    Cohort,
    CohortModule,
    CohortTrainee,
    Decision,
    LabAttempt,
    ModuleProgress,
    QuizAttempt,
    User,
    utcnow,
)
from .services import lab_status, missing_prerequisites

# A trainee's state of one module, the same words on every page, export and API answer.
MODULE_STATES = ("locked", "not started", "in progress", "submitted", "changes requested", "done")


def module_state(*, completed: bool, locked: bool, opened: bool, lab_states: Iterable[str] = ()) -> str:
    """The one reading of where a trainee stands in a module. `locked`: a prerequisite is not done; a locked
    module is never "in progress", whatever was opened. `lab_states`: the latest attempt's status per lab."""
    if completed:
        return "done"
    if locked:
        return "locked"
    lab_states = set(lab_states)
    if "changes_requested" in lab_states:
        return "changes requested"
    if "submitted" in lab_states:
        return "submitted"
    return "in progress" if opened or lab_states else "not started"


def state_label(state: str) -> str:
    """The state as a trainee's page and the API's progress say it: "In progress", "Changes requested"."""
    return state.capitalize()


@dataclass(frozen=True)
class PathItem:
    module: Module
    due: date | None
    progress: ModuleProgress | None
    missing: tuple[Module, ...]  # prerequisites not yet completed
    lab_states: frozenset[str] = frozenset()  # the latest attempt's status of each lab tried
    work_left: bool = True  # something the trainee can do now (read, pass the check, submit a lab), not only wait

    @property
    def done(self) -> bool:
        return bool(self.progress and self.progress.completed_at)

    @property
    def updated_since_done(self) -> bool:
        return self.done and self.progress.content_hash != self.module.content_hash

    @property
    def state(self) -> str:
        return module_state(
            completed=self.done, locked=bool(self.missing), opened=self.progress is not None, lab_states=self.lab_states
        )

    @property
    def status(self) -> str:
        return state_label(self.state)

    @property
    def to_do_now(self) -> bool:
        """Neither done, nor locked, nor only waiting for a mentor's decision."""
        return not self.done and not self.missing and self.work_left


@dataclass(frozen=True)
class TrackProgress:
    title: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass(frozen=True)
class LabNote:
    lab_title: str
    module: Module
    attempt: LabAttempt
    decision: Decision | None = None
    mentor_name: str | None = None
    criteria_total: int = 0  # the lab's acceptance criteria

    @property
    def criteria_met(self) -> int:
        """How many of the lab's acceptance criteria the mentor ticked with the decision."""
        return len(json.loads(self.decision.criteria or "[]")) if self.decision else 0


@dataclass(frozen=True)
class LearningPath:
    cohort: Cohort | None
    items: list[PathItem]
    tracks: list[TrackProgress]
    waiting: list[LabNote]
    returned: list[LabNote]
    feedback: LabNote | None
    today: date

    @property
    def done_count(self) -> int:
        return sum(item.done for item in self.items)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / len(self.items)) if self.items else 0

    @property
    def next_item(self) -> PathItem | None:
        return next((i for i in self.items if i.to_do_now), None)

    @property
    def overdue(self) -> bool:
        return bool(self.next_due and self.next_due < self.today)

    @property
    def behind(self) -> int:
        """Modules whose due date has passed and that are not done."""
        return sum(1 for i in self.items if i.due and i.due < self.today and not i.done)

    @property
    def next_due(self) -> date | None:
        return min((i.due for i in self.items if i.due and not i.done), default=None)


def learning_path(session: Session, catalogue: Catalogue, trainee_id: int, today: date | None = None) -> LearningPath:
    """Everything the learning path shows, in a fixed number of queries whatever the size of the academy."""
    today = today or utcnow().date()
    member = session.get(CohortTrainee, trainee_id)
    cohort = session.get(Cohort, member.cohort_id) if member else None
    plan = {}
    if cohort:
        plan = dict(
            session.exec(
                select(CohortModule.module_id, CohortModule.due_date).where(CohortModule.cohort_id == cohort.id)
            ).all()
        )
    modules = [m for m in catalogue.ordered_modules() if not plan or m.id in plan]
    items, (waiting, returned, feedback) = path_items(session, catalogue, trainee_id, modules, plan)
    items.sort(key=lambda i: (i.due or date.max, i.module.track, i.module.order))
    per_track: dict[str, list[int]] = {}  # track id -> [done, total]
    for i in items:
        counts = per_track.setdefault(i.module.track, [0, 0])
        counts[0] += i.done
        counts[1] += 1
    tracks = [TrackProgress(t.title, *per_track[t.id]) for t in catalogue.tracks if t.id in per_track]
    return LearningPath(cohort, items, tracks, waiting, returned, feedback, today)


def path_items(session: Session, catalogue: Catalogue, trainee_id: int, modules: list[Module], plan: dict):
    """The trainee's PathItem of each module (due dates from `plan`), and lab_notes' waiting, returned and
    feedback: the one reading of their modules' states, for the learning path and the catalogue alike."""
    progress = {
        p.module_id: p
        for p in session.exec(select(ModuleProgress).where(ModuleProgress.trainee_id == trainee_id)).all()
    }
    passed = set(
        session.exec(
            select(QuizAttempt.module_id).where(QuizAttempt.trainee_id == trainee_id, QuizAttempt.passed).distinct()
        ).all()
    )
    done = {mid for mid, p in progress.items() if p.completed_at}
    waiting, returned, feedback, latest = lab_notes(session, catalogue, trainee_id)
    lab_states: dict[str, set[str]] = {}
    for note in (*waiting, *returned):
        lab_states.setdefault(note.module.id, set()).add(note.attempt.status)

    def work_left(m: Module) -> bool:
        read = m.id in progress and progress[m.id].read_at is not None
        unsubmitted = any(latest.get(lab.id) not in ("submitted", "approved") for lab in m.labs)
        return not read or (m.quiz is not None and m.id not in passed) or unsubmitted

    items = [
        PathItem(
            m,
            plan.get(m.id),
            progress.get(m.id),
            tuple(catalogue.get(p) for p in m.prerequisites if p not in done and catalogue.get(p)),
            frozenset(lab_states.get(m.id, ())),
            work_left(m),
        )
        for m in modules
    ]
    return items, (waiting, returned, feedback)


def module_states(session: Session, catalogue: Catalogue, trainee_id: int) -> dict[str, str]:
    """The trainee's state (MODULE_STATES) of every module of the catalogue, as their learning path says it."""
    items, _notes = path_items(session, catalogue, trainee_id, catalogue.ordered_modules(), {})
    return {item.module.id: item.state for item in items}


def lab_notes(session: Session, catalogue: Catalogue, trainee_id: int):
    """Submissions waiting for a mentor, labs sent back, the latest mentor feedback, and the status of each
    lab's latest attempt (withdrawn ones aside), by lab id."""
    attempts = list(
        session.exec(select(LabAttempt).where(LabAttempt.trainee_id == trainee_id).order_by(LabAttempt.number)).all()
    )
    latest: dict[str, LabAttempt] = {}
    for attempt in attempts:
        if attempt.status != "withdrawn":
            latest[attempt.lab_id] = attempt
    decisions = {
        d.attempt_id: (d, name)
        for d, name in session.exec(
            select(Decision, User.display_name)
            .join(User, User.id == Decision.mentor_id)
            .join(LabAttempt, LabAttempt.id == Decision.attempt_id)
            .where(LabAttempt.trainee_id == trainee_id)
        )
    }

    def note(attempt: LabAttempt) -> LabNote | None:
        lab, module = catalogue.lab(attempt.lab_id), catalogue.get(attempt.module_id)
        if lab is None or module is None:
            return None
        decision = decisions.get(attempt.id, (None, None))
        return LabNote(lab.title, module, attempt, *decision, criteria_total=len(lab.spec.acceptance_criteria))

    waiting = [n for a in latest.values() if a.status == "submitted" and (n := note(a))]
    returned = [n for a in latest.values() if a.status == "changes_requested" and (n := note(a))]
    decided = sorted((a for a in attempts if a.id in decisions), key=lambda a: decisions[a.id][0].decided_at)
    feedback = note(decided[-1]) if decided else None
    return waiting, returned, feedback, {lab_id: a.status for lab_id, a in latest.items()}


# ------------------------------------------------------------------ one module, as a trainee sees it


@dataclass(frozen=True)
class AttemptView:
    attempt: LabAttempt
    links: list[str]
    attachments: list[Attachment]
    decision: Decision | None
    mentor_name: str | None

    @property
    def criteria_met(self) -> set[int]:
        """The indexes of the lab's acceptance criteria the mentor ticked with the decision."""
        return set(json.loads(self.decision.criteria or "[]")) if self.decision else set()


@dataclass(frozen=True)
class LabView:
    lab: RenderedLab
    attempts: list[AttemptView]

    @property
    def status(self) -> str:
        return lab_status([a.attempt for a in self.attempts])

    @property
    def open_attempt(self) -> LabAttempt | None:
        return next((a.attempt for a in reversed(self.attempts) if a.attempt.status == "submitted"), None)

    @property
    def can_submit(self) -> bool:
        return self.status in ("Not started", "Changes requested")


@dataclass(frozen=True)
class ModuleJourney:
    progress: ModuleProgress | None
    missing: list[Module]
    quiz_attempts: list[QuizAttempt]
    labs: list[LabView]
    due: date | None = None  # the trainee's cohort plan's due date for the module
    today: date | None = None

    @property
    def quiz_passed(self) -> bool:
        return any(a.passed for a in self.quiz_attempts)

    @property
    def state(self) -> str:
        latest = [[a.attempt.status for a in lab.attempts if a.attempt.status != "withdrawn"][-1:] for lab in self.labs]
        return module_state(
            completed=bool(self.progress and self.progress.completed_at),
            locked=bool(self.missing),
            opened=self.progress is not None,
            lab_states=[s for states in latest for s in states],
        )

    @property
    def status(self) -> str:
        return state_label(self.state)

    @property
    def signed_off(self) -> bool:
        """Completed with a mentor's approval of its labs: no click of the trainee's undoes that."""
        return bool(self.progress and self.progress.completed_at and self.labs)


def attempt_views(session: Session, attempts: list[LabAttempt]) -> list[AttemptView]:
    """Attempts with their files (without the bytes), decisions and deciding mentors, in three queries."""
    ids = [a.id for a in attempts]
    files: dict[int, list[Attachment]] = {i: [] for i in ids}
    if ids:
        rows = (
            select(
                Attachment.id, Attachment.attempt_id, Attachment.original_name, Attachment.content_type, Attachment.size
            )
            .where(Attachment.attempt_id.in_(ids))
            .order_by(Attachment.id)
        )
        for row in session.exec(rows):
            files[row.attempt_id].append(
                Attachment(
                    id=row.id,
                    attempt_id=row.attempt_id,
                    original_name=row.original_name,
                    content_type=row.content_type,
                    size=row.size,
                    sha256="",
                    data=b"",
                )
            )
    decisions = {}
    if ids:
        for decision, name in session.exec(
            select(Decision, User.display_name)
            .join(User, User.id == Decision.mentor_id)
            .where(Decision.attempt_id.in_(ids))
        ):
            decisions[decision.attempt_id] = (decision, name)
    return [AttemptView(a, json.loads(a.links), files[a.id], *decisions.get(a.id, (None, None))) for a in attempts]


def module_journey(
    session: Session, catalogue: Catalogue, trainee_id: int, module: Module, today: date | None = None
) -> ModuleJourney:
    quiz = list(
        session.exec(
            select(QuizAttempt)
            .where(QuizAttempt.trainee_id == trainee_id, QuizAttempt.module_id == module.id)
            .order_by(QuizAttempt.created_at.desc(), QuizAttempt.id.desc())
        ).all()
    )
    lab_ids = [lab.id for lab in module.labs]
    attempts = list(
        session.exec(
            select(LabAttempt)
            .where(LabAttempt.trainee_id == trainee_id, LabAttempt.lab_id.in_(lab_ids))
            .order_by(LabAttempt.number)
        ).all()
    )
    views = attempt_views(session, attempts)
    labs = [LabView(lab, [v for v in views if v.attempt.lab_id == lab.id]) for lab in module.labs]
    progress = session.get(ModuleProgress, (trainee_id, module.id))
    due = session.exec(
        select(CohortModule.due_date)
        .join(CohortTrainee, CohortTrainee.cohort_id == CohortModule.cohort_id)
        .where(CohortTrainee.trainee_id == trainee_id, CohortModule.module_id == module.id)
    ).first()
    missing = missing_prerequisites(session, catalogue, trainee_id, module)
    return ModuleJourney(progress, missing, quiz, labs, due, today or utcnow().date())


# ------------------------------------------------------------------ a trainee's record, for mentors and managers


@dataclass(frozen=True)
class Event:
    at: object  # datetime
    text: str
    module: Module | None


def timeline(session: Session, catalogue: Catalogue, trainee_id: int, limit: int = 200) -> list[Event]:
    """What the trainee did and what happened to their work, newest first, in four queries."""
    events = []
    for p in session.exec(select(ModuleProgress).where(ModuleProgress.trainee_id == trainee_id)):
        module = catalogue.get(p.module_id)
        title = module.title if module else p.module_id
        events.append(Event(p.opened_at, f"Opened “{title}”", module))
        if p.read_at:
            events.append(Event(p.read_at, f"Read “{title}”", module))
        if p.completed_at:
            events.append(Event(p.completed_at, f"Completed “{title}”", module))
    for q in session.exec(select(QuizAttempt).where(QuizAttempt.trainee_id == trainee_id)):
        module = catalogue.get(q.module_id)
        verdict = "passed" if q.passed else "did not pass"
        events.append(Event(q.created_at, f"Knowledge check {verdict} ({q.correct}/{q.total})", module))
    attempts = list(session.exec(select(LabAttempt).where(LabAttempt.trainee_id == trainee_id)))
    for a in attempts:
        lab = catalogue.lab(a.lab_id)
        events.append(
            Event(
                a.submitted_at,
                f"Submitted “{lab.title if lab else a.lab_id}”, attempt {a.number}",
                catalogue.get(a.module_id),
            )
        )
    for view in attempt_views(session, attempts):
        if view.decision:
            lab = catalogue.lab(view.attempt.lab_id)
            words = "approved" if view.decision.outcome == "approved" else "asked for changes on"
            events.append(
                Event(
                    view.decision.decided_at,
                    f"{view.mentor_name} {words} “{lab.title if lab else ''}”",
                    catalogue.get(view.attempt.module_id),
                )
            )
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]


def ready_forecast(path: LearningPath) -> date | None:
    """When this trainee finishes the plan at their pace since the cohort started."""
    from ..cohorts.queries import forecast_finish

    if path.cohort is None:
        return None
    return forecast_finish(path.cohort.start_date, path.today, path.done_count, len(path.items))
