"""What the scheduled jobs write to people: the mentors' weekly digest of their review queue, and the reminder
to trainees who fall behind their cohort's plan. Both go through the outbox, written in the job's transaction."""

from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, select, update

from .. import audit
from ..cohorts.queries import CohortData, MatrixRow, cohort_data
from ..curriculum.loader import Catalogue
from ..links import external_url
from ..mail import queue_mail
from ..models import Cohort, User, UserRole
from ..reviews.queries import QueueItem, review_queue

REMIND_EVERY = timedelta(days=7)
LISTED = 20  # submissions named in one digest; the queue has the rest


def waited(hours: float) -> str:
    days, rest = divmod(int(hours), 24)
    return f"{days} d {rest} h" if days else f"{rest} h"


def digest_body(mentor: User, items: list[QueueItem], target_hours: float) -> str:
    late = [i for i in items if i.late]
    lines = [
        f"Hello {mentor.display_name},",
        "",
        f"{len(items)} lab submission(s) wait for a review in the cohorts you serve; {len(late)} of them "
        f"waited longer than the {target_hours:g}-hour review target.",
    ]
    for title, chosen in (("Late", late), ("Waiting", [i for i in items if not i.late])):
        if chosen:
            lines += ["", f"{title}:"]
            for item in chosen[:LISTED]:
                mine = ", your trainee" if item.mine else ""
                lines.append(
                    f"- {item.trainee_name}{mine}: {item.lab_title} (attempt {item.attempt.number}), "
                    f"waiting {waited(item.hours)}: {external_url('reviews.review', attempt_id=item.attempt.id)}"
                )
            if len(chosen) > LISTED:
                lines.append(f"- and {len(chosen) - LISTED} more")
    lines += ["", f"Your review queue: {external_url('reviews.index')}", ""]
    return "\n".join(lines)


def mentor_digests(session: Session, catalogue: Catalogue, *, target_hours: float) -> int:
    """One e-mail to each active mentor whose queue holds anything; returns how many were written."""
    mentors = session.exec(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "mentor", User.is_active)
        .order_by(User.id)
    ).all()
    written = 0
    for mentor in mentors:
        items = review_queue(session, catalogue, mentor.id, target_hours=target_hours)
        if not items:
            continue
        late = sum(i.late for i in items)
        subject = f"SRE Academy: {len(items)} submission(s) wait for your review" + (f", {late} late" if late else "")
        queue_mail(session, to=mentor.email, subject=subject, body=digest_body(mentor, items, target_hours))
        written += 1
    return written


def overdue_titles(data: CohortData, row: MatrixRow, catalogue: Catalogue) -> list[str]:
    """The plan's modules past their due date that this trainee has not done, as the reminder names them."""
    return [
        f"{module.title if (module := catalogue.get(mid)) else mid} (due {due:%d %b %Y})"
        for mid, due in data.plan
        if due < data.today and row.cells.get(mid) != "done"
    ]


def reminder_body(user: User, cohort: Cohort, overdue: list[str]) -> str:
    return "\n".join(
        [
            f"Hello {user.display_name},",
            "",
            f"{len(overdue)} module(s) of {cohort.name}'s plan are past their due date and not done yet:",
            "",
            *(f"- {title}" for title in overdue),
            "",
            f"Your learning path: {external_url('learning.path')}",
            "",
            "This reminder comes at most once a week while you are behind the plan. You can turn it off on "
            f"your account page: {external_url('accounts.account', _anchor='reminders')}",
            "",
        ]
    )


def take_turn(session: Session, user_id: int, now: datetime) -> bool:
    """Mark the trainee reminded now, unless they were within the week (by another worker, say)."""
    return bool(
        session.exec(
            update(User)
            .where(User.id == user_id, or_(User.reminded_at.is_(None), User.reminded_at <= now - REMIND_EVERY))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def behind_reminders(session: Session, catalogue: Catalogue, *, now: datetime) -> int:
    """Remind each trainee of a running cohort who is behind its plan, at most once a week, unless they turned
    reminders off; returns how many were reminded (one audit entry says so)."""
    today = now.date()
    cohorts = session.exec(select(Cohort).where(Cohort.start_date <= today, Cohort.end_date >= today)).all()
    reminded = 0
    for cohort in cohorts:
        data = cohort_data(session, catalogue, cohort, today)  # the cohort page's own reading of who is behind
        behind = {row.trainee_id: row for row in data.rows if data.behind(row)}
        if not behind:
            continue
        eligible = session.exec(
            select(User).where(
                User.id.in_(behind),
                User.is_active,
                User.reminders_enabled,
                or_(User.reminded_at.is_(None), User.reminded_at <= now - REMIND_EVERY),
            )
        ).all()
        for user in eligible:
            if take_turn(session, user.id, now):
                overdue = overdue_titles(data, behind[user.id], catalogue)
                subject = f"SRE Academy: {len(overdue)} module(s) past their due date"
                queue_mail(session, to=user.email, subject=subject, body=reminder_body(user, cohort, overdue))
                reminded += 1
    if reminded:
        audit.record(session, "reminders.sent", None, trainees=reminded)
    return reminded
