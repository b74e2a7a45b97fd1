"""The Reliability Meetup's API, for everyone with a token, as the pages are for everyone signed in: meetups to come
and past with their agenda and counts, one meetup, and the talks with the archive's search. Reads come from
academy.meetups.queries, so the API and the pages agree; the check-in code is never sent."""

from .. import db
from ..meetups import queries
from ..meetups.services import is_over
from ..models import Meetup, utcnow
from . import meetup_schemas as ms
from .views import api, meetups_tag, page_of


def talk_out(view: queries.TalkView) -> dict:
    talk = view.talk
    return ms.TalkOut(
        id=talk.id,
        meetup_id=talk.meetup_id,
        position=talk.position,
        title=talk.title,
        abstract=talk.abstract,
        speakers=[ms.SpeakerOut(name=s.name, team=s.team, is_sre=s.is_sre) for s in view.speakers],
        module_ids=view.module_ids,
        slides_url=talk.slides_url,
    ).model_dump(mode="json")


def meetups_out(meetups: list[Meetup]) -> list[dict]:
    """Meetups with their agendas and counts: a few statements for the lot, not some per meetup."""
    session, now, ids = db.session(), utcnow(), [m.id for m in meetups]
    agendas, counts = queries.agendas(session, ids), queries.replies(session, ids)
    return [
        ms.MeetupOut(
            id=m.id,
            title=m.title,
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            time_zone=m.time_zone,
            place=m.place,
            video_url=m.video_url,
            recording_url=m.recording_url,
            ended=is_over(m, now),
            talks=[talk_out(v) for v in agendas.get(m.id, [])],
            going=counts.get(m.id, queries.Replies()).going,
            attended=counts.get(m.id, queries.Replies()).came,
        ).model_dump(mode="json")
        for m in meetups
    ]


@api.get("/meetups", operation_id="listMeetups", tags=[meetups_tag], responses={200: ms.MeetupPage})
def meetups(query: ms.MeetupQuery):
    """Meetups with their agendas.

    Those still to come, the soonest first, then those that have ended, the latest first."""
    session, now = db.session(), utcnow()
    found = (queries.upcoming(session, now) if query.when != "past" else []) + (
        queries.past(session, now) if query.when != "upcoming" else []
    )
    page = page_of(found, query)
    return {**page, "items": meetups_out(page["items"])}


@api.get("/meetups/<int:meetup_id>", operation_id="getMeetup", tags=[meetups_tag], responses={200: ms.MeetupOut})
def meetup(path: ms.MeetupPath):
    """One meetup, with its agenda."""
    (found,) = meetups_out([queries.meetup_or_404(db.session(), path.meetup_id)])
    return found


@api.get("/talks", operation_id="listTalks", tags=[meetups_tag], responses={200: ms.TalkPage})
def talks(query: ms.TalkQuery):
    """Accepted talks, the latest meetup first.

    Each meetup's talks in its agenda's order, those of meetups still to come too. With `q`, the archive's search:
    talks of meetups that have ended, as the talks page finds them."""
    session, now = db.session(), utcnow()
    if query.q.strip():
        found = queries.archive(session, now, query.q)
    else:
        latest_first = queries.upcoming(session, now)[::-1] + queries.past(session, now)
        agendas = queries.agendas(session, [m.id for m in latest_first])
        found = [view for m in latest_first for view in agendas.get(m.id, [])]
    page = page_of(found, query)
    return {**page, "items": [talk_out(v) for v in page["items"]]}
