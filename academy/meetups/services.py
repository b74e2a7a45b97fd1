"""Writes for the Reliability Meetup: planning a meetup, the call for talks and the organizers' decisions, saying
one will come, checking in with the meetup's code or being recorded by an organizer, and the personal calendar
feed's secret. Each raises MeetupError, in the person's words, for what they can fix; the caller commits."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, delete, select

from .. import audit
from ..curriculum.loader import Catalogue
from ..inputs import InputError, is_email, web_links
from ..local_time import valid_time_zone
from ..models import CalendarFeed, Meetup, MeetupAttendee, Talk, TalkModule, TalkSpeaker, User, UserRole, utcnow
from ..notifications.services import notify

MAX_SPEAKERS = 3
MAX_MODULES = 5
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on a projected slide
CODE_LENGTH = 6
DECISIONS = {"accept": "accepted", "changes": "changes_requested", "decline": "declined"}
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)  # calendars and time zones hold no surprises between


class MeetupError(InputError):
    """Why a meetup action was refused; `field` names the form field when one is to blame."""


class MeetupOver(MeetupError):
    """The meetup has ended: a conflict with its state, not a mistake in what was sent."""


@dataclass(frozen=True)
class MeetupDraft:
    title: str
    day: date | None
    starts: time | None
    ends: time | None
    time_zone: str
    place: str = ""
    video_url: str = ""
    recording_url: str = ""


@dataclass(frozen=True)
class SpeakerDraft:
    """A speaker as typed: an account's e-mail, or a guest's name and team."""

    email: str = ""
    guest_name: str = ""
    guest_team: str = ""
    is_sre: bool = False

    @property
    def empty(self) -> bool:
        return not (self.email.strip() or self.guest_name.strip() or self.guest_team.strip())


@dataclass(frozen=True)
class TalkDraft:
    title: str
    abstract: str = ""
    speakers: list[SpeakerDraft] = field(default_factory=list)
    module_ids: list[str] = field(default_factory=list)
    slides_url: str = ""


def meetup_link(meetup_id: int) -> str:
    return f"/meetups/{meetup_id}"


def talk_link(talk_id: int) -> str:
    return f"/meetups/talks/{talk_id}"


# ------------------------------------------------------------------ meetups


def local_moment(day: date, clock: time, zone_name: str, what: str) -> datetime:
    """`day` at `clock` in the zone, as UTC. A time that the clocks skip (the spring change) is refused; one they
    pass twice (the autumn change) is the first of the two."""
    zone = ZoneInfo(zone_name)
    local = datetime.combine(day, clock, tzinfo=zone)
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise MeetupError(f"{clock:%H:%M} does not exist on {day:%d %b %Y} in {zone_name}: the clocks skip it.", what)
    return moment


def _optional_link(raw: str, what: str, name: str) -> str | None:
    try:
        links = web_links(raw, limit=1)
    except InputError as error:
        raise MeetupError(f"{what}: {error}", name) from None
    if links and len(links[0]) > 500:
        raise MeetupError(f"{what}: keep the address under 500 characters.", name)
    return links[0] if links else None


def _checked(draft: MeetupDraft) -> dict:
    title = " ".join(draft.title.split())
    if not title or len(title) > 120:
        raise MeetupError("Give the meetup a title of at most 120 characters.", "title")
    if draft.day is None:
        raise MeetupError("Give the meetup's date.", "day")
    if not FIRST_DAY <= draft.day <= LAST_DAY:
        raise MeetupError(f"Choose a date between {FIRST_DAY.year} and {LAST_DAY.year}.", "day")
    if draft.starts is None or draft.ends is None:
        raise MeetupError("Give the times it starts and ends, such as 17:00 and 18:30.", "starts")
    if not valid_time_zone(draft.time_zone):
        raise MeetupError("Choose a time zone from the list, such as Europe/Berlin.", "time_zone")
    if draft.ends <= draft.starts:
        raise MeetupError("A meetup ends after it starts, on the same day.", "ends")
    place = " ".join(draft.place.split())
    video = _optional_link(draft.video_url, "Video link", "video_url")
    if not place and not video:
        raise MeetupError("Say where it is: a place, a video link, or both.", "place")
    if len(place) > 200:
        raise MeetupError("Keep the place under 200 characters.", "place")
    return {
        "title": title,
        "starts_at": local_moment(draft.day, draft.starts, draft.time_zone, "starts"),
        "ends_at": local_moment(draft.day, draft.ends, draft.time_zone, "ends"),
        "time_zone": draft.time_zone,
        "place": place,
        "video_url": video,
        "recording_url": _optional_link(draft.recording_url, "Recording", "recording_url"),
    }


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_meetup(session: Session, *, by: User, draft: MeetupDraft) -> Meetup:
    meetup = Meetup(**_checked(draft), check_in_code=new_code(), created_by=by.id)
    session.add(meetup)
    session.flush()
    audit.record(session, "meetup.created", f"meetup {meetup.id}", actor=by.id, title=meetup.title)
    return meetup


def edit_meetup(session: Session, *, meetup: Meetup, by: User, draft: MeetupDraft) -> None:
    """Change a meetup; calendar apps see the new version (its sequence grows), and whoever said they will come
    is told when its time or place moved."""
    values = _checked(draft)
    moved = any(getattr(meetup, k) != values[k] for k in ("starts_at", "ends_at", "place", "video_url"))
    for key, value in values.items():
        setattr(meetup, key, value)
    meetup.sequence += 1
    session.add(meetup)
    if moved:
        for user_id in going_ids(session, meetup.id):
            notify(
                session,
                user_id=user_id,
                message=f"“{meetup.title}” has a new time or place.",
                link=meetup_link(meetup.id),
            )
    audit.record(session, "meetup.edited", f"meetup {meetup.id}", actor=by.id, title=meetup.title)


def is_over(meetup: Meetup, now: datetime) -> bool:
    return meetup.ends_at <= now


def meetup_day(meetup: Meetup) -> date:
    """The meetup's calendar day where it is held: the only day its check-in code works."""
    return meetup.starts_at.astimezone(ZoneInfo(meetup.time_zone)).date()


def is_check_in_day(meetup: Meetup, now: datetime) -> bool:
    return now.astimezone(ZoneInfo(meetup.time_zone)).date() == meetup_day(meetup)


# ------------------------------------------------------------------ talks


def _speaker_rows(session: Session, drafts: list[SpeakerDraft]) -> list[TalkSpeaker]:
    rows = []
    for n, draft in enumerate((d for d in drafts if not d.empty), start=1):
        email, name, team = User.normalise_email(draft.email), " ".join(draft.guest_name.split()), draft.guest_team
        team = " ".join(team.split())
        if email and name:
            raise MeetupError(f"Speaker {n}: give an account's e-mail or a guest's name, not both.", "speakers")
        if email:
            if not is_email(email):
                raise MeetupError(f"Speaker {n}: “{email[:80]}” is not an e-mail address.", "speakers")
            user = session.exec(select(User).where(User.email == email, User.is_active)).first()
            if user is None:
                raise MeetupError(
                    f"Speaker {n}: no active account has the address {email}; name them as a guest.", "speakers"
                )
            rows.append(TalkSpeaker(position=n, user_id=user.id, is_sre=draft.is_sre))
            continue
        if not name:
            raise MeetupError(f"Speaker {n}: a guest needs a name (their team alone is not enough).", "speakers")
        if len(name) > 120 or len(team) > 120:
            raise MeetupError(f"Speaker {n}: keep a name and a team under 120 characters each.", "speakers")
        rows.append(TalkSpeaker(position=n, guest_name=name, guest_team=team or None, is_sre=draft.is_sre))
    if not rows:
        raise MeetupError("Name at least one speaker.", "speakers")
    if len(rows) > MAX_SPEAKERS:
        raise MeetupError(f"A talk has at most {MAX_SPEAKERS} speakers.", "speakers")
    accounts = [r.user_id for r in rows if r.user_id]
    guests = [(r.guest_name.casefold(), (r.guest_team or "").casefold()) for r in rows if not r.user_id]
    if len(set(accounts)) != len(accounts) or len(set(guests)) != len(guests):
        raise MeetupError("The same person is named twice as a speaker.", "speakers")
    return rows


def _checked_talk(session: Session, catalogue: Catalogue, draft: TalkDraft) -> tuple[dict, list, list[str]]:
    title = " ".join(draft.title.split())
    if not title or len(title) > 160:
        raise MeetupError("Give the talk a title of at most 160 characters.", "title")
    abstract = draft.abstract.strip()
    if len(abstract) > 5000:
        raise MeetupError("Keep the abstract under 5,000 characters.", "abstract")
    modules = list(dict.fromkeys(m for m in draft.module_ids if m))
    if len(modules) > MAX_MODULES:
        raise MeetupError(f"Link at most {MAX_MODULES} modules.", "module_ids")
    if unknown := [m for m in modules if catalogue.get(m) is None]:
        raise MeetupError(f"“{unknown[0][:80]}” is not a module of the curriculum.", "module_ids")
    speakers = _speaker_rows(session, draft.speakers)
    slides = _optional_link(draft.slides_url, "Slides", "slides_url")
    return {"title": title, "abstract": abstract, "slides_url": slides}, speakers, modules


def _save_parts(session: Session, talk: Talk, speakers: list[TalkSpeaker], modules: list[str]) -> None:
    session.exec(delete(TalkSpeaker).where(TalkSpeaker.talk_id == talk.id))
    session.exec(delete(TalkModule).where(TalkModule.talk_id == talk.id))
    for row in speakers:
        row.talk_id = talk.id
        session.add(row)
    session.add_all(TalkModule(talk_id=talk.id, module_id=m) for m in modules)


def organizer_ids(session: Session) -> list[int]:
    rows = select(UserRole.user_id).join(User, User.id == UserRole.user_id)
    return list(session.exec(rows.where(UserRole.role == "organizer", User.is_active)).all())


def propose_talk(session: Session, catalogue: Catalogue, *, by: User, draft: TalkDraft) -> Talk:
    """A talk for the call for talks; every organizer is told."""
    values, speakers, modules = _checked_talk(session, catalogue, draft)
    talk = Talk(**values, proposed_by=by.id)
    session.add(talk)
    session.flush()
    _save_parts(session, talk, speakers, modules)
    for user_id in organizer_ids(session):
        if user_id != by.id:
            notify(session, user_id=user_id, message=f"A talk was proposed: “{talk.title}”.", link=talk_link(talk.id))
    audit.record(session, "talk.proposed", f"talk {talk.id}", actor=by.id, title=talk.title)
    return talk


def add_talk(session: Session, catalogue: Catalogue, *, meetup: Meetup, by: User, draft: TalkDraft) -> Talk:
    """An organizer puts a talk straight on a meetup's agenda (an invited speaker, a talk already agreed, or one
    given at a meetup held before the academy kept them: the archive is filled this way)."""
    values, speakers, modules = _checked_talk(session, catalogue, draft)
    now = utcnow()
    talk = Talk(
        **values,
        proposed_by=by.id,
        state="accepted",
        meetup_id=meetup.id,
        decided_by=by.id,
        decided_at=now,
        position=next_position(session, meetup.id),
    )
    session.add(talk)
    session.flush()
    _save_parts(session, talk, speakers, modules)
    audit.record(session, "talk.added", f"talk {talk.id}", actor=by.id, title=talk.title, meetup=meetup.id)
    return talk


def edit_talk(session: Session, catalogue: Catalogue, *, talk: Talk, by: User, draft: TalkDraft) -> None:
    """The proposer's edit of a talk sent back for changes puts it before the organizers again."""
    values, speakers, modules = _checked_talk(session, catalogue, draft)
    for key, value in values.items():
        setattr(talk, key, value)
    if talk.state == "changes_requested" and by.id == talk.proposed_by:
        talk.state = "proposed"
        for user_id in organizer_ids(session):
            if user_id != by.id:
                notify(
                    session,
                    user_id=user_id,
                    message=f"“{talk.title}” was changed as you asked.",
                    link=talk_link(talk.id),
                )
    session.add(talk)
    _save_parts(session, talk, speakers, modules)
    audit.record(session, "talk.edited", f"talk {talk.id}", actor=by.id, title=talk.title)


def next_position(session: Session, meetup_id: int) -> int:
    positions = session.exec(select(Talk.position).where(Talk.meetup_id == meetup_id)).all()
    return max(positions, default=0) + 1


def decide_talk(
    session: Session, *, talk: Talk, by: User, decision: str, meetup: Meetup | None, comment: str, now: datetime
) -> None:
    """Accept a proposal into a meetup that has not ended, ask for changes, or decline it; the last two need a
    comment that says why. The proposer is told."""
    if decision not in DECISIONS:
        raise MeetupError("Choose to accept the talk, ask for changes, or decline it.", "decision")
    given = session.get(Meetup, talk.meetup_id) if talk.state == "accepted" and talk.meetup_id else None
    if given is not None and is_over(given, now):
        raise MeetupOver(f"This talk was given at “{given.title}”: it stays in the archive as it is.")
    comment = comment.strip()
    if len(comment) > 1000:
        raise MeetupError("Keep the comment under 1,000 characters.", "comment")
    if decision != "accept" and not comment:
        raise MeetupError("Say in the comment what to change, or why the talk is declined.", "comment")
    if decision == "accept":
        if meetup is None:
            raise MeetupError("Choose the meetup the talk goes into.", "meetup")
        if is_over(meetup, now):
            raise MeetupOver("That meetup is over; choose one still to come.", "meetup")
        if talk.meetup_id != meetup.id:
            talk.meetup_id, talk.position = meetup.id, next_position(session, meetup.id)
    else:
        talk.meetup_id = None
    talk.state, talk.decided_by, talk.decided_at, talk.decision_comment = DECISIONS[decision], by.id, now, comment
    session.add(talk)
    words = {
        "accept": f"is on the agenda of “{meetup.title}”" if meetup else "",
        "changes": "needs changes",
        "decline": "was declined",
    }[decision]
    notify(session, user_id=talk.proposed_by, message=f"Your talk “{talk.title}” {words}.", link=talk_link(talk.id))
    audit.record(
        session,
        "talk.decided",
        f"talk {talk.id}",
        actor=by.id,
        title=talk.title,
        outcome=talk.state,
        meetup=talk.meetup_id,
    )


# ------------------------------------------------------------------ coming, and having come


def going_ids(session: Session, meetup_id: int) -> list[int]:
    rows = select(MeetupAttendee.user_id).where(MeetupAttendee.meetup_id == meetup_id)
    return list(session.exec(rows.where(MeetupAttendee.going_at.is_not(None))).all())


def _attendee(session: Session, meetup_id: int, user_id: int) -> MeetupAttendee:
    return session.get(MeetupAttendee, (meetup_id, user_id)) or MeetupAttendee(meetup_id=meetup_id, user_id=user_id)


def rsvp(session: Session, *, meetup: Meetup, user: User, going: bool, now: datetime) -> None:
    """Say one will come, or take it back; a meetup that has ended takes neither."""
    if is_over(meetup, now):
        raise MeetupOver("This meetup is over: it takes no more replies.")
    row = _attendee(session, meetup.id, user.id)
    row.going_at = now if going else None
    session.add(row)


def check_in(session: Session, *, meetup: Meetup, user: User, code: str, now: datetime) -> None:
    """Record one's own attendance with the code shown at the meetup; it works on the meetup's day only."""
    if not is_check_in_day(meetup, now):
        raise MeetupError(f"The check-in code works only on the meetup's day, {meetup_day(meetup):%d %b %Y}.", "code")
    typed = "".join(code.split()).upper()
    if not hmac.compare_digest(typed.encode(), meetup.check_in_code.encode()):
        raise MeetupError("That is not this meetup's code; check the code on the screen and type it again.", "code")
    row = _attendee(session, meetup.id, user.id)
    if row.attended_at is None:
        row.attended_at, row.checked_in_by = now, "code"
        session.add(row)


def record_attendance(
    session: Session, *, meetup: Meetup, by: User, present: set[int], emails: list[str], now: datetime
) -> int:
    """An organizer's list of who came: those ticked and those named by e-mail came; anyone else recorded before
    did not. Only once the meetup has started. Returns how many came."""
    if meetup.starts_at > now:
        raise MeetupError("Attendance is recorded once the meetup has started.")
    wanted = list(dict.fromkeys(User.normalise_email(e) for e in emails if e.strip()))
    if bad := [e for e in wanted if not is_email(e)]:
        raise MeetupError(f"“{bad[0][:80]}” is not an e-mail address.", "emails")
    found = dict(session.exec(select(User.email, User.id).where(User.email.in_(wanted))).all()) if wanted else {}
    if missing := [e for e in wanted if e not in found]:
        raise MeetupError(f"No account has the address {missing[0]}.", "emails")
    known = set(session.exec(select(User.id).where(User.id.in_(present))).all()) if present else set()
    if known != present:
        raise MeetupError("Someone ticked is not a person of this academy any more; reload the page.")
    came = known | set(found.values())
    rows = session.exec(select(MeetupAttendee).where(MeetupAttendee.meetup_id == meetup.id)).all()
    seen = {r.user_id: r for r in rows}
    for user_id in came | set(seen):
        row = seen.get(user_id) or MeetupAttendee(meetup_id=meetup.id, user_id=user_id)
        if user_id in came and row.attended_at is None:
            row.attended_at, row.checked_in_by = now, "organizer"
        elif user_id not in came:
            row.attended_at, row.checked_in_by = None, None
        session.add(row)
    audit.record(
        session, "meetup.attendance", f"meetup {meetup.id}", actor=by.id, title=meetup.title, attended=len(came)
    )
    return len(came)


# ------------------------------------------------------------------ the personal calendar feed


def feed_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_feed(session: Session, *, user: User) -> str:
    """A new secret for the person's feed, returned once; the address with the old one stops working."""
    secret = secrets.token_urlsafe(24)
    row = session.get(CalendarFeed, user.id) or CalendarFeed(user_id=user.id, token_hash="")
    row.token_hash, row.created_at = feed_hash(secret), utcnow()
    session.add(row)
    audit.record(session, "calendar_feed.created", f"user {user.id}", actor=user.id)
    return secret


def revoke_feed(session: Session, *, user: User) -> bool:
    row = session.get(CalendarFeed, user.id)
    if row is None:
        return False
    session.delete(row)
    audit.record(session, "calendar_feed.revoked", f"user {user.id}", actor=user.id)
    return True


def feed_owner(session: Session, secret: str) -> User | None:
    """The active person whose feed this secret opens, or None."""
    if not secret or len(secret) > 64:
        return None
    row = session.exec(select(CalendarFeed).where(CalendarFeed.token_hash == feed_hash(secret))).first()
    user = session.get(User, row.user_id) if row else None
    return user if user is not None and user.is_active else None
