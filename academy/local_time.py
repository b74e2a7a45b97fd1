"""Times as the reader reads them: in their own time zone (their account's, else the installation's
ACADEMY_TIME_ZONE, else UTC), and recent ones as "5 minutes ago". The one Jinja filter, `when`, for every page."""

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, has_request_context
from flask_login import current_user
from markupsafe import Markup


@cache
def time_zones() -> tuple[str, ...]:
    """The names a person may choose: the IANA database's, sorted."""
    return tuple(sorted(available_timezones()))


def valid_time_zone(name: str | None) -> bool:
    return bool(name) and name in time_zones()


def reader_zone() -> ZoneInfo:
    name = None
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        name = getattr(current_user, "time_zone", None)
    name = name or current_app.config.get("TIME_ZONE") or "UTC"
    return ZoneInfo(name if valid_time_zone(name) else "UTC")


def reader_today() -> date:
    """Today's date where the reader is: a due date has passed for them when their own calendar says so."""
    return datetime.now(reader_zone()).date()


def ago(seconds: float) -> str:
    """ "just now", "5 minutes ago", "3 hours ago", "2 days ago"; in the future "in 5 minutes"."""
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            words = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {words}" if future else f"{words} ago"
    return "just now"  # pragma: no cover


def when(value: datetime | date | None, style: str = "datetime", now: datetime | None = None) -> Markup | str:
    """A `<time>` element: style "date" (3 Dec 2026), "datetime" (3 Dec 2026 17:05 CET), "time" (17:05 CET, for
    a time later today) or "ago" (5 minutes ago), the full local time in its title. Stored times are UTC; a naive
    one is taken as UTC. A `date` is a calendar date (a due date, a cohort's start): shown as is, no zone."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), value.strftime("%d %b %Y"))
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    local = value.astimezone(reader_zone())
    full = local.strftime("%d %b %Y %H:%M ") + (local.tzname() or "")
    if style == "date":
        text = local.strftime("%d %b %Y")
    elif style == "time":
        text = local.strftime("%H:%M ") + (local.tzname() or "")
    elif style == "ago":
        text = ago(((now or datetime.now(UTC)) - value).total_seconds())
    else:
        text = full
    return Markup('<time datetime="{}" title="{}">{}</time>').format(value.isoformat(timespec="seconds"), full, text)


def init_app(app) -> None:
    app.jinja_env.filters["when"] = when
    app.jinja_env.globals["time_zones"] = time_zones


def installation_today(now: datetime | None = None) -> date:
    """Today (or `now`'s day) on the installation's calendar (ACADEMY_TIME_ZONE): one date for everyone, such as
    the day a survey closes."""
    name = current_app.config.get("TIME_ZONE") or "UTC"
    zone = ZoneInfo(name if valid_time_zone(name) else "UTC")
    return (now or datetime.now(UTC)).astimezone(zone).date()
