"""Notifications are written in the transaction of the event they tell about, and so is their e-mail copy
(to the outbox, when mail is on): the worker sends it after the commit, retrying while the server is down."""

from sqlmodel import Session, select, update

from ..links import external_path
from ..mail import mail_enabled, queue_mail
from ..models import Notification, User, utcnow


def notify(session: Session, *, user_id: int, message: str, link: str) -> None:
    session.add(Notification(user_id=user_id, message=message[:300], link=link[:300]))
    if not mail_enabled():
        return
    user = session.get(User, user_id)
    if user is not None and user.is_active:
        body = f"{message}\n\n{external_path(link)}\n"
        queue_mail(session, to=user.email, subject=f"SRE Academy: {message[:80]}", body=body)


def unread_count(user_id):
    """The number beside "Notifications", as a subquery for the navigation's statement (academy/navigation.py)."""
    from sqlalchemy import func

    rows = select(func.count()).select_from(Notification)
    return rows.where(Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery()


def mark_read(session: Session, *, user_id: int, notification_id: int | None = None) -> int:
    """Mark one of this user's notifications (or all of them) read; another user's ids change nothing."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return session.exec(query.values(read_at=utcnow())).rowcount


def mark_read_about(session: Session, *, link: str) -> int:
    """Everyone's unread notifications pointing at `link`, read: the thing they asked someone to act on (a
    submission to review) has been acted on, by whoever did it."""
    query = update(Notification).where(Notification.link == link, Notification.read_at.is_(None))
    return session.exec(query.values(read_at=utcnow())).rowcount


def review_link(attempt_id: int) -> str:
    """Where a notification about a submission to review points."""
    return f"/reviews/{attempt_id}"
