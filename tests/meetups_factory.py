"""Meetups for tests, written straight to the table at a time relative to now (the services plan them by local
date and time, which a test of "today" cannot choose)."""

from datetime import datetime, timedelta

from academy.models import Meetup, utcnow

CODE = "K7Q2XW"


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now, so that "today" there is the same day an hour either side."""
    k = 12 - now.hour
    return "Etc/GMT" if k == 0 else f"Etc/GMT{'-' if k > 0 else '+'}{abs(k)}"


def meetup_at(people, organizer, *, starts_in: timedelta, length=timedelta(hours=1), zone=None, title="March meetup"):
    """A meetup starting `starts_in` from now (negative: already started), in `zone` (default: where it is midday),
    at Auditorium 2, with the check-in code CODE."""
    starts = utcnow().replace(microsecond=0) + starts_in
    with people.session() as s:
        made = Meetup(
            title=title,
            starts_at=starts,
            ends_at=starts + length,
            time_zone=zone or midday_zone(utcnow()),
            place="Auditorium 2",
            check_in_code=CODE,
            created_by=organizer.id,
        )
        s.add(made)
        s.commit()
        return made
