"""The API's answers about the Reliability Meetup: meetups with their agenda and how many said they will come and
came, and the talks given or to be given. Never a meetup's check-in code, nor who replied or came."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from .schemas import PageOut, PageQuery, Strict


class MeetupPath(Strict):
    meetup_id: int = Field(ge=1, le=2**31 - 1)


class MeetupQuery(PageQuery):
    when: Literal["upcoming", "past"] | None = Field(
        None, description="Only the meetups still to come (not ended yet), or only those that have ended"
    )


class TalkQuery(PageQuery):
    q: str = Field(
        "",
        max_length=200,
        description="Only talks of meetups that have ended whose title, abstract or speakers' names hold every "
        "word of it, ignoring case; at most 200 talks match",
    )


class SpeakerOut(BaseModel):
    name: str
    team: str | None = Field(description="Where they work, as they say it; null when not given")
    is_sre: bool = Field(description="Whether they speak as an SRE; most speakers are from other teams")


class TalkOut(BaseModel):
    id: int
    meetup_id: int
    position: int = Field(description="Its place in the meetup's agenda, from 1")
    title: str
    abstract: str = Field(description="Markdown")
    speakers: list[SpeakerOut] = Field(description="In the order the talk names them")
    module_ids: list[str] = Field(description="Modules of the curriculum the talk is about")
    slides_url: str | None


class TalkPage(PageOut):
    items: list[TalkOut]


class MeetupOut(BaseModel):
    id: int
    title: str
    starts_at: datetime = Field(description="UTC")
    ends_at: datetime = Field(description="UTC")
    time_zone: str = Field(description="Where it is held (IANA name): its local time and the check-in's day")
    place: str = Field(description="Empty when it is held by video only")
    video_url: str | None
    recording_url: str | None = Field(description="The recording, once there is one")
    ended: bool = Field(description="Whether it has ended: it takes no more replies")
    talks: list[TalkOut] = Field(description="The agenda: accepted talks in their order")
    going: int = Field(description="People who said they will come")
    attended: int = Field(description="People who came, by the check-in code or recorded by an organizer")


class MeetupPage(PageOut):
    items: list[MeetupOut]
