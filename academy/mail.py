"""Outgoing e-mail, off unless ACADEMY_SMTP_HOST is set. A failing mail server never fails the action
that sent the mail: the failure is logged and the caller is told, within a short timeout."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5


def mail_enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send one plain-text message; True when the server accepted it, False when mail is off or failed."""
    config = current_app.config
    if not mail_enabled():
        return False
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
        return True
    except (OSError, ValueError, smtplib.SMTPException) as error:
        log.warning("mail to %s not sent: %s", to, error)
        return False
