"""Meetups as iCalendar: one meetup's .ics file, and a person's feed. Times are written in each meetup's own zone
(TZID) with the VTIMEZONE it needs, so that 18:00 in Berlin stays 18:00 in Berlin across a daylight-saving change
whatever the zone of the calendar app that shows it."""

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import has_request_context, request
from icalendar import Calendar, Event, vDuration
from sqlmodel import Session

from ..links import base_url, external_path
from ..models import Meetup, User
from . import queries
from .services import meetup_link

PRODID = "-//SRE Academy//Reliability Meetup//EN"
FEED_NAME = "SRE Academy meetups"
FEED_HISTORY = timedelta(days=365)  # a feed holds the meetups of the past twelve months and every one to come
REFRESH = timedelta(hours=1)  # what a feed asks calendar apps for; most poll less often whatever it says
GOING = "You said you will come."


def installation_host() -> str:
    """The host named in every UID: ACADEMY_BASE_URL's, else the request's; the same UID in every file and feed
    is what lets a calendar app update a meetup rather than add it twice."""
    for url in (base_url(), request.host_url if has_request_context() else None):
        if url and (host := urlsplit(url).hostname):
            return host
    return "sre-academy.invalid"


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event_time(moment: datetime, zone_name: str) -> datetime:
    """`moment` on the meetup's own clock. A local time the clocks pass twice reads as the first of the two
    (RFC 5545, 3.3.5), as services.local_moment chose it; were it the second, it is written in UTC instead."""
    local = aware(moment).astimezone(ZoneInfo(zone_name))
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return aware(moment).astimezone(UTC)
    return local


def speakers_text(view: queries.TalkView) -> str:
    return ", ".join(f"{s.name} ({s.team})" if s.team else s.name for s in view.speakers)


def description(meetup: Meetup, agenda: list[queries.TalkView], *, going: bool) -> str:
    """The agenda as plain text, with the links a calendar app makes clickable."""
    lines = [GOING, ""] if going else []
    if agenda:
        lines.append("Agenda:")
        for n, view in enumerate(agenda, start=1):
            speakers = speakers_text(view)
            lines.append(f"{n}. {view.talk.title}" + (f" – {speakers}" if speakers else ""))
    else:
        lines.append("The agenda is still open: talks appear here as they are accepted.")
    lines.append("")
    if meetup.place:
        lines.append(f"Place: {meetup.place}")
    if meetup.video_url:
        lines.append(f"Video: {meetup.video_url}")
    if meetup.recording_url:
        lines.append(f"Recording: {meetup.recording_url}")
    lines.append(f"Meetup page: {external_path(meetup_link(meetup.id))}")
    return "\n".join(lines)


def meetup_event(meetup: Meetup, agenda: list[queries.TalkView], *, going: bool, host: str, now: datetime) -> Event:
    event = Event.new(
        uid=f"meetup-{meetup.id}@{host}",
        stamp=now.astimezone(UTC),
        start=event_time(meetup.starts_at, meetup.time_zone),
        end=event_time(meetup.ends_at, meetup.time_zone),
        sequence=meetup.sequence,
        summary=meetup.title,
        description=description(meetup, agenda, going=going),
        url=external_path(meetup_link(meetup.id)),
    )
    if location := meetup.place or meetup.video_url:
        event.add("location", location)
    return event


def calendar_of(
    meetups: Iterable[Meetup],
    agendas: dict[int, list[queries.TalkView]],
    *,
    name: str,
    going: Collection[int] = (),
    now: datetime,
    feed: bool = False,
) -> bytes:
    """An iCalendar file of the meetups, the VTIMEZONE of each zone they use covering their years."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if feed:
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))  # Outlook's older name for it
    host, years = installation_host(), set()
    for meetup in meetups:
        agenda = agendas.get(meetup.id, [])
        calendar.add_component(meetup_event(meetup, agenda, going=meetup.id in going, host=host, now=now))
        years |= {aware(meetup.starts_at).year, aware(meetup.ends_at).year}
    if years:  # only the transitions of those years: a zone's whole history would swell every file
        calendar.add_missing_timezones(date(min(years) - 1, 1, 1), date(max(years) + 2, 1, 1))
    return calendar.to_ical()


def meetup_calendar(session: Session, meetup: Meetup, *, user_id: int, now: datetime) -> bytes:
    """One meetup, to add to a calendar once; it says so when the person said they will come."""
    reply = queries.reply_of(session, meetup.id, user_id)
    going = {meetup.id} if reply is not None and reply.going_at is not None else set()
    agendas = queries.agendas(session, [meetup.id])
    return calendar_of([meetup], agendas, name=FEED_NAME, going=going, now=now)


def personal_feed(session: Session, user: User, *, now: datetime) -> bytes:
    """The person's feed: the meetups of the past twelve months and all to come, those they will come to marked.
    Four statements, however many meetups."""
    meetups = queries.upcoming(session, now - FEED_HISTORY)  # not ended by a year ago: the past year and the future
    ids = [m.id for m in meetups]
    replies = queries.my_replies(session, user.id, ids)
    going = {meetup_id for meetup_id, reply in replies.items() if reply.going_at is not None}
    return calendar_of(meetups, queries.agendas(session, ids), name=FEED_NAME, going=going, now=now, feed=True)
