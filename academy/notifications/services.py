"""Notifications are written in the transaction of the event they tell about; e-mail copies are sent after
the commit, and a failing mail server loses only the copy."""

from flask import g
from sqlmodel import Session, select, update

from ..mail import mail_enabled, send_mail
from ..models import Notification, User, utcnow


def notify(session: Session, *, user_id: int, message: str, link: str) -> None:
    session.add(Notification(user_id=user_id, message=message[:300], link=link[:300]))
    if mail_enabled():
        g.setdefault("mail_after_commit", []).append((user_id, message, link))


def send_pending_mail(session: Session, base_url: str) -> int:
    """E-mail copies of this request's notifications; call after the commit. Returns how many were sent."""
    pending = g.pop("mail_after_commit", [])
    sent = 0
    for user_id, message, link in pending:
        user = session.get(User, user_id)
        if user and user.is_active:
            sent += send_mail(
                user.email, f"SRE Academy: {message[:80]}", f"{message}\n\n{base_url.rstrip('/')}{link}\n"
            )
    return sent


def unread_count(session: Session, user_id: int) -> int:
    from sqlalchemy import func

    rows = select(func.count()).select_from(Notification)
    return session.exec(rows.where(Notification.user_id == user_id, Notification.read_at.is_(None))).one()


def mark_read(session: Session, *, user_id: int, notification_id: int | None = None) -> int:
    """Mark one of this user's notifications (or all of them) read; another user's ids change nothing."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return session.exec(query.values(read_at=utcnow())).rowcount
