"""The meetup's figures, counting only meetups that have ended: meetups held, talks given, distinct speakers and the
share of them who are not SREs, who came, and the teams reached. Four statements however many meetups there are."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func
from sqlmodel import Session, select

from ..formatting import plural
from ..models import Meetup, MeetupAttendee, Talk, TalkSpeaker, User


@dataclass(frozen=True)
class HeldMeetup:
    """One meetup that has ended, with the speakers counted so far: those of it and of every meetup before it."""

    meetup_id: int
    title: str
    starts_at: datetime
    talks: int
    came: int
    speakers_so_far: int
    not_sre_so_far: int

    @property
    def share(self) -> float | None:
        """The percentage of the speakers so far who are not SREs; None before anyone spoke."""
        return 100 * self.not_sre_so_far / self.speakers_so_far if self.speakers_so_far else None


@dataclass(frozen=True)
class MeetupFigures:
    meetups: list[HeldMeetup]  # the oldest first
    talks: int
    speakers: int
    not_sre: int
    attendees: int  # distinct people who came to at least one
    teams: list[str]  # one spelling of each team reached, sorted

    @property
    def held(self) -> int:
        return len(self.meetups)

    @property
    def not_sre_words(self) -> str:
        """ "23 of 46 speakers (50 %) were not SREs"."""
        if not self.speakers:
            return "Nobody has spoken yet."
        verb = "was not an SRE" if self.not_sre == 1 else "were not SREs"
        share = round(100 * self.not_sre / self.speakers)
        return f"{self.not_sre} of {self.speakers} {plural('speaker', self.speakers)} ({share} %) {verb}"


def same_words(text: str | None) -> str:
    """A name or a team with case and spacing aside: "  Customer  SUPPORT" is "customer support"."""
    return " ".join((text or "").split()).casefold()


def meetup_figures(session: Session, now: datetime) -> MeetupFigures:
    held = session.exec(held_meetups(now)).all()
    if not held:
        return MeetupFigures([], 0, 0, 0, 0, [])
    speakers = session.exec(speaker_rows(now)).all()
    attendees = session.exec(
        select(func.count(distinct(MeetupAttendee.user_id))).select_from(MeetupAttendee).where(came_to_a_held(now))
    ).one()
    attendee_teams = session.exec(
        select(User.team)
        .distinct()
        .join(MeetupAttendee, MeetupAttendee.user_id == User.id)
        .where(came_to_a_held(now), User.team.is_not(None))
    ).all()
    meetups, not_sre = cumulative_speakers(held, speakers)
    teams = [team if user_id else guest_team for _, user_id, _, guest_team, _, team in speakers]
    return MeetupFigures(
        meetups=meetups,
        talks=sum(m.talks for m in meetups),
        speakers=meetups[-1].speakers_so_far,
        not_sre=not_sre,
        attendees=attendees,
        teams=distinct_teams([*teams, *attendee_teams]),
    )


def held_meetups(now: datetime):
    """Meetups that have ended, the oldest first, with their accepted talks and the people who came."""
    talks = (
        select(func.count(Talk.id))
        .where(Talk.meetup_id == Meetup.id, Talk.state == "accepted")
        .correlate(Meetup)
        .scalar_subquery()
    )
    came = (
        select(func.count(MeetupAttendee.user_id))
        .where(MeetupAttendee.meetup_id == Meetup.id, MeetupAttendee.attended_at.is_not(None))
        .correlate(Meetup)
        .scalar_subquery()
    )
    return (
        select(Meetup.id, Meetup.title, Meetup.starts_at, talks, came)
        .where(Meetup.ends_at <= now)
        .order_by(Meetup.starts_at, Meetup.id)
    )


def speaker_rows(now: datetime):
    """Every speaker of every talk given, in the order they spoke: meetup, talk, speaker."""
    return (
        select(
            Talk.meetup_id,
            TalkSpeaker.user_id,
            TalkSpeaker.guest_name,
            TalkSpeaker.guest_team,
            TalkSpeaker.is_sre,
            User.team,
        )
        .join(Talk, Talk.id == TalkSpeaker.talk_id)
        .join(Meetup, Meetup.id == Talk.meetup_id)
        .join(User, User.id == TalkSpeaker.user_id, isouter=True)
        .where(Talk.state == "accepted", Meetup.ends_at <= now)
        .order_by(Meetup.starts_at, Meetup.id, Talk.position, Talk.id, TalkSpeaker.position, TalkSpeaker.id)
    )


def came_to_a_held(now: datetime):
    held = select(Meetup.id).where(Meetup.ends_at <= now)
    return MeetupAttendee.attended_at.is_not(None) & MeetupAttendee.meetup_id.in_(held)


def cumulative_speakers(held, speakers) -> tuple[list[HeldMeetup], int]:
    """Each meetup with the distinct speakers up to it. An account is one speaker, a guest is their name and team
    (case and spacing aside); whether a speaker is an SRE is what their latest talk so far said."""
    by_meetup = defaultdict(list)
    for meetup_id, user_id, guest_name, guest_team, is_sre, _ in speakers:
        key = ("account", user_id) if user_id else ("guest", same_words(guest_name), same_words(guest_team))
        by_meetup[meetup_id].append((key, is_sre))
    is_sre_of: dict[tuple, bool] = {}
    meetups = []
    for meetup_id, title, starts_at, talks, came in held:
        for key, is_sre in by_meetup[meetup_id]:
            is_sre_of[key] = is_sre
        not_sre = sum(not sre for sre in is_sre_of.values())
        meetups.append(HeldMeetup(meetup_id, title, starts_at, talks, came, len(is_sre_of), not_sre))
    return meetups, meetups[-1].not_sre_so_far if meetups else 0


def distinct_teams(teams) -> list[str]:
    """One spelling of each team, the first seen; case and spacing aside, blanks left out."""
    found: dict[str, str] = {}
    for team in teams:
        if key := same_words(team):
            found.setdefault(key, " ".join(team.split()))
    return sorted(found.values(), key=str.casefold)
