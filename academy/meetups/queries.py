"""Reads for the Reliability Meetup: meetups to come and past, each with its agenda (talks and speakers in a few
statements, not one per row), replies and attendance, proposals to decide, the talks on a module, a person's
attendance, and the archive of past talks."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..models import Meetup, MeetupAttendee, Talk, TalkModule, TalkSpeaker, User


@dataclass(frozen=True)
class Speaker:
    name: str
    team: str | None
    is_sre: bool
    user_id: int | None = None


@dataclass(frozen=True)
class TalkView:
    talk: Talk
    speakers: list[Speaker]
    module_ids: list[str]
    meetup: Meetup | None = None


def meetup_or_404(session: Session, meetup_id: int) -> Meetup:
    return session.get(Meetup, meetup_id) or abort(404, description="There is no such meetup.")


def talk_or_404(session: Session, talk_id: int) -> Talk:
    return session.get(Talk, talk_id) or abort(404, description="There is no such talk.")


def talk_views(session: Session, talks: list[Talk]) -> list[TalkView]:
    """Talks with their speakers, modules and meetup: three statements however many talks there are."""
    ids = [t.id for t in talks]
    speakers, modules = defaultdict(list), defaultdict(list)
    if ids:
        rows = session.exec(
            select(TalkSpeaker, User.display_name, User.team)
            .join(User, User.id == TalkSpeaker.user_id, isouter=True)
            .where(TalkSpeaker.talk_id.in_(ids))
            .order_by(TalkSpeaker.talk_id, TalkSpeaker.position)
        ).all()
        for row, name, team in rows:
            speakers[row.talk_id].append(
                Speaker(name or row.guest_name or "", team if row.user_id else row.guest_team, row.is_sre, row.user_id)
            )
        for talk_id, module_id in session.exec(
            select(TalkModule.talk_id, TalkModule.module_id).where(TalkModule.talk_id.in_(ids))
        ).all():
            modules[talk_id].append(module_id)
    meetup_ids = {t.meetup_id for t in talks if t.meetup_id}
    meetups = (
        {m.id: m for m in session.exec(select(Meetup).where(Meetup.id.in_(meetup_ids))).all()} if meetup_ids else {}
    )
    return [TalkView(t, speakers[t.id], sorted(modules[t.id]), meetups.get(t.meetup_id)) for t in talks]


def agendas(session: Session, meetup_ids: list[int]) -> dict[int, list[TalkView]]:
    """Each meetup's accepted talks in their order."""
    if not meetup_ids:
        return {}
    talks = session.exec(
        select(Talk).where(Talk.meetup_id.in_(meetup_ids), Talk.state == "accepted").order_by(Talk.position, Talk.id)
    ).all()
    found = defaultdict(list)
    for view in talk_views(session, list(talks)):
        found[view.talk.meetup_id].append(view)
    return found


def upcoming(session: Session, now: datetime) -> list[Meetup]:
    """Meetups that have not ended, the soonest first."""
    return list(session.exec(select(Meetup).where(Meetup.ends_at > now).order_by(Meetup.starts_at)).all())


def past(session: Session, now: datetime) -> list[Meetup]:
    """Meetups that have ended, the latest first."""
    return list(session.exec(select(Meetup).where(Meetup.ends_at <= now).order_by(Meetup.starts_at.desc())).all())


@dataclass(frozen=True)
class Replies:
    going: int = 0
    came: int = 0


def replies(session: Session, meetup_ids: list[int]) -> dict[int, Replies]:
    """How many said they will come, and how many came, per meetup: one statement."""
    if not meetup_ids:
        return {}
    rows = session.exec(
        select(
            MeetupAttendee.meetup_id,
            func.count(MeetupAttendee.going_at),
            func.count(MeetupAttendee.attended_at),
        )
        .where(MeetupAttendee.meetup_id.in_(meetup_ids))
        .group_by(MeetupAttendee.meetup_id)
    ).all()
    return {meetup_id: Replies(going, came) for meetup_id, going, came in rows}


def reply_of(session: Session, meetup_id: int, user_id: int) -> MeetupAttendee | None:
    return session.get(MeetupAttendee, (meetup_id, user_id))


def my_replies(session: Session, user_id: int, meetup_ids: list[int]) -> dict[int, MeetupAttendee]:
    if not meetup_ids:
        return {}
    rows = select(MeetupAttendee).where(MeetupAttendee.user_id == user_id, MeetupAttendee.meetup_id.in_(meetup_ids))
    return {r.meetup_id: r for r in session.exec(rows).all()}


def attendance_sheet(session: Session, meetup_id: int) -> list[tuple[User, MeetupAttendee]]:
    """Everyone who replied or came, by name."""
    rows = (
        select(User, MeetupAttendee)
        .join(MeetupAttendee, MeetupAttendee.user_id == User.id)
        .where(MeetupAttendee.meetup_id == meetup_id)
        .where(or_(MeetupAttendee.going_at.is_not(None), MeetupAttendee.attended_at.is_not(None)))
        .order_by(User.display_name, User.id)
    )
    return list(session.exec(rows).all())


def proposals_to_decide(session: Session) -> list[TalkView]:
    """The call for talks' open proposals, the oldest first, with those sent back for changes after them."""
    rows = select(Talk).where(Talk.state.in_(("proposed", "changes_requested")))
    talks = session.exec(rows.order_by(Talk.state.desc(), Talk.proposed_at, Talk.id)).all()
    return talk_views(session, list(talks))


def proposals_of(session: Session, user_id: int) -> list[TalkView]:
    """What this person proposed, the latest first, whatever became of it."""
    talks = session.exec(select(Talk).where(Talk.proposed_by == user_id).order_by(Talk.proposed_at.desc())).all()
    return talk_views(session, list(talks))


def talks_on_module(session: Session, module_id: str) -> list[TalkView]:
    """Accepted talks about a module, the latest meetup first: its page lists them under "Talks on this topic"."""
    rows = (
        select(Talk)
        .join(TalkModule, TalkModule.talk_id == Talk.id)
        .join(Meetup, Meetup.id == Talk.meetup_id)
        .where(TalkModule.module_id == module_id, Talk.state == "accepted")
        .order_by(Meetup.starts_at.desc(), Talk.position)
    )
    return talk_views(session, list(session.exec(rows).all()))


def attended_by(session: Session, user_id: int) -> list[Meetup]:
    """The meetups a person came to, the latest first: their progress record shows them."""
    rows = (
        select(Meetup)
        .join(MeetupAttendee, MeetupAttendee.meetup_id == Meetup.id)
        .where(MeetupAttendee.user_id == user_id, MeetupAttendee.attended_at.is_not(None))
        .order_by(Meetup.starts_at.desc())
    )
    return list(session.exec(rows).all())


def archive(session: Session, now: datetime, query: str = "", limit: int = 200) -> list[TalkView]:
    """Talks given at meetups that have ended, the latest first; with a query, those whose title, abstract or
    speakers hold every word of it."""
    rows = (
        select(Talk)
        .join(Meetup, Meetup.id == Talk.meetup_id)
        .where(Talk.state == "accepted", Meetup.ends_at <= now)
        .order_by(Meetup.starts_at.desc(), Talk.position)
    )
    for word in query.split()[:8]:
        word = word.casefold()[:60]

        def holds(column, word=word):
            return func.lower(column).contains(word, autoescape=True)

        speaker = (
            select(TalkSpeaker.talk_id)
            .join(User, User.id == TalkSpeaker.user_id, isouter=True)
            .where(or_(holds(TalkSpeaker.guest_name), holds(User.display_name)))
        )
        rows = rows.where(or_(holds(Talk.title), holds(Talk.abstract), Talk.id.in_(speaker)))
    return talk_views(session, list(session.exec(rows.limit(limit)).all()))


def names_of(session: Session, user_ids: list[int]) -> dict[int, str]:
    """People's names by id: one statement."""
    ids = set(user_ids)
    return dict(session.exec(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}


def speaker_rows(session: Session, talk_id: int) -> list[dict]:
    """A talk's speakers as its form's rows: an account by its e-mail, a guest by name and team."""
    rows = session.exec(
        select(TalkSpeaker, User.email)
        .join(User, User.id == TalkSpeaker.user_id, isouter=True)
        .where(TalkSpeaker.talk_id == talk_id)
        .order_by(TalkSpeaker.position)
    )
    return [
        {
            "email": email or "",
            "guest_name": sp.guest_name or "",
            "guest_team": sp.guest_team or "",
            "is_sre": sp.is_sre,
        }
        for sp, email in rows.all()
    ]
