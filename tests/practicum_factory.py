"""Rows that put a trainee somewhere on the way to on-call, written directly: modules finished with their labs
approved, practice entries confirmed by a mentor, a whole checklist complete."""

import uuid
from datetime import timedelta

from sqlmodel import select

from academy.models import LabAttempt, ModuleProgress, PracticeDecision, PracticeEntry, utcnow


def catalogue_of(app):
    return app.extensions["academy.catalogue"].catalogue


def finish_modules(people, trainee, module_ids, catalogue) -> None:
    """Each module read, passed and complete, each of its labs approved (a lab tried already is left as it is)."""
    now = utcnow()
    with people.session() as s:
        tried = set(s.exec(select(LabAttempt.lab_id).where(LabAttempt.trainee_id == trainee.id)).all())
        for mid in module_ids:
            s.merge(ModuleProgress(trainee_id=trainee.id, module_id=mid, opened_at=now, read_at=now, completed_at=now))
            for lab in (lab for lab in catalogue.get(mid).labs if lab.id not in tried):
                s.add(
                    LabAttempt(
                        trainee_id=trainee.id,
                        module_id=mid,
                        lab_id=lab.id,
                        number=1,
                        status="approved",
                        evidence="Done.",
                        request_key=uuid.uuid4().hex,
                    )
                )
        s.commit()


def confirm_practice(people, trainee, mentor, requirement_id: str, count: int, roles=()) -> list[int]:
    """`count` entries of a requirement, confirmed by `mentor`; `roles` gives each one's role in turn."""
    ids = []
    with people.session() as s:
        for i in range(count):
            entry = PracticeEntry(
                trainee_id=trainee.id,
                requirement_id=requirement_id,
                started_at=utcnow() - timedelta(days=30 - i, hours=3),
                minutes=120,
                service="payments primary",
                role=roles[i] if roles else None,
                account="Followed the primary through two pages.",
                status="confirmed",
                request_key=uuid.uuid4().hex,
            )
            s.add(entry)
            s.flush()
            s.add(PracticeDecision(entry_id=entry.id, mentor_id=mentor.id, outcome="confirmed"))
            ids.append(entry.id)
        s.commit()
    return ids


def complete_practicum(people, trainee, mentor, catalogue) -> None:
    roles = ("incident-commander", "communications", "operations", "scribe")
    for requirement in catalogue.practicum.requirements:
        confirm_practice(
            people,
            trainee,
            mentor,
            requirement.id,
            requirement.count,
            roles if requirement.spec.different_roles else (),
        )


def complete_checklist(people, trainee, mentor, catalogue) -> None:
    """Every module of the catalogue (the test cohorts plan them all) and the whole practicum."""
    finish_modules(people, trainee, list(catalogue.modules), catalogue)
    complete_practicum(people, trainee, mentor, catalogue)
