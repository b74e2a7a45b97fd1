"""Outgoing e-mail, off unless ACADEMY_SMTP_HOST is set.

A message is written to the outbox (`OutgoingMail`) in the transaction of the event it tells about; the
worker (academy/jobs) hands it to the mail server after the commit and retries until the server takes it.
A mail server that is down delays the message: it never fails the action, nor loses the message.
"""

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlmodel import Session

from .models import OutgoingMail

TIMEOUT_SECONDS = 5


class MailNotSent(Exception):
    """The mail server did not take the message; the text says why (kept as the outbox row's last error)."""


def mail_enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def queue_mail(session: Session, *, to: str, subject: str, body: str) -> OutgoingMail | None:
    """Put one plain-text message in the outbox, in the caller's transaction; None when mail is off.
    After the commit the worker is asked to send it at once (academy/jobs/queue.py)."""
    if not mail_enabled():
        return None
    row = OutgoingMail(to_address=to, subject=" ".join(subject.split())[:300], body=body)
    session.add(row)
    return row


def send_mail(to: str, subject: str, body: str) -> None:
    """Hand one message to the SMTP server now, within the timeout; raises MailNotSent. The worker calls this."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("SMTP_FROM", "SRE Academy <academy@localhost>")
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # one line, whatever a name in it holds
    message.set_content(body)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT", 25)), timeout=TIMEOUT_SECONDS) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, ValueError, smtplib.SMTPException) as error:
        raise MailNotSent(f"{error.__class__.__name__}: {error}"[:500]) from error
