"""The Reliability Meetup (issue 19): planning a meetup in its own time zone, replies, checking in on the meetup's
day, the organizer's attendance list, the call for talks and its decisions, who may do what, and the reads the
pages are built on. Every `now` is chosen here, so nothing depends on today's date."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlmodel import func, select

from academy import policy
from academy.accounts import services as accounts
from academy.accounts.auth import Account
from academy.curriculum.store import catalogue
from academy.meetups import queries, services
from academy.meetups.services import MeetupDraft, MeetupError, MeetupOver, SpeakerDraft, TalkDraft
from academy.models import AuditEntry, Meetup, MeetupAttendee, Notification, Talk, User

BERLIN = "Europe/Berlin"


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def s(app):
    """One session, in an app context, for arranging, acting and checking: every test writes through it alone,
    so that on SQLite no second connection waits for its lock."""
    from sqlmodel import Session

    with app.app_context(), Session(app.extensions["academy.engine"], expire_on_commit=False) as session:
        yield session


def person(s, email: str, *roles: str, name: str | None = None) -> User:
    user = accounts.create_user(
        session=s, email=email, display_name=name or email.split("@")[0].title(), roles=roles or ("trainee",)
    )
    s.commit()
    return user


@pytest.fixture
def org(s):
    return person(s, "organizer@example.com", "organizer")


def draft(**changes) -> MeetupDraft:
    """Thursday 25 March 2027, 18:00-19:30 in Berlin (CET, UTC+1): 17:00-18:30 UTC."""
    values = dict(
        title="Reliability Meetup #1",
        day=date(2027, 3, 25),
        starts=time(18, 0),
        ends=time(19, 30),
        time_zone=BERLIN,
        place="Room 4.12",
    )
    return MeetupDraft(**(values | changes))


def plan(s, by: User, **changes) -> Meetup:
    meetup = services.create_meetup(s, by=by, draft=draft(**changes))
    s.commit()
    return meetup


def plan_utc(s, by: User, starts: datetime, ends: datetime, **changes) -> Meetup:
    """A meetup held in UTC from `starts` to `ends` (the same day)."""
    return plan(s, by, day=starts.date(), starts=starts.time(), ends=ends.time(), time_zone="UTC", **changes)


def refused(call, field: str | None = None, error=MeetupError) -> MeetupError:
    with pytest.raises(error) as caught:
        call()
    if field is not None:
        assert caught.value.field == field, caught.value
    return caught.value


def messages_to(s, user: User) -> list[str]:
    rows = select(Notification.message).where(Notification.user_id == user.id).order_by(Notification.id)
    return list(s.exec(rows).all())


def notified(s) -> set[int]:
    return set(s.exec(select(Notification.user_id)).all())


# ------------------------------------------------------------------ planning a meetup


@pytest.mark.parametrize("title", ["", "   ", "x" * 121])
def test_a_meetup_needs_a_title_of_at_most_120_characters(s, org, title):
    refused(lambda: services.create_meetup(s, by=org, draft=draft(title=title)), "title")


def test_a_title_of_120_characters_is_enough_and_its_spaces_are_tidied(s, org):
    assert plan(s, org, title="x" * 120).title == "x" * 120
    assert plan(s, org, title="  Chaos   days \n").title == "Chaos days"


@pytest.mark.parametrize(
    "missing, field", [({"day": None}, "day"), ({"starts": None}, "starts"), ({"ends": None}, "starts")]
)
def test_a_meetup_needs_its_date_and_both_times(s, org, missing, field):
    refused(lambda: services.create_meetup(s, by=org, draft=draft(**missing)), field)


@pytest.mark.parametrize("ends", [time(18, 0), time(17, 59)])
def test_a_meetup_ends_after_it_starts(s, org, ends):
    refused(lambda: services.create_meetup(s, by=org, draft=draft(ends=ends)), "ends")


@pytest.mark.parametrize("zone", ["", "Berlin", "Europe/Atlantis", "UTC+1"])
def test_the_time_zone_comes_from_the_iana_list(s, org, zone):
    refused(lambda: services.create_meetup(s, by=org, draft=draft(time_zone=zone)), "time_zone")


def test_any_zone_of_the_iana_list_is_taken(s, org):
    meetup = plan(s, org, time_zone="America/Argentina/Buenos_Aires")  # UTC-3, no daylight saving
    assert meetup.starts_at == utc(2027, 3, 25, 21, 0)


def test_a_meetup_is_somewhere_a_place_or_a_video_link(s, org):
    refused(lambda: services.create_meetup(s, by=org, draft=draft(place="  ")), "place")
    on_video = plan(s, org, place="", video_url="https://meet.example.com/sre")
    assert (on_video.place, on_video.video_url) == ("", "https://meet.example.com/sre")
    in_a_room = plan(s, org, place="Room 4.12")
    assert (in_a_room.place, in_a_room.video_url) == ("Room 4.12", None)


@pytest.mark.parametrize(
    "link", ["javascript:alert(document.cookie)", "JavaScript://%0aalert(1)", "ftp://example.com/talk", "meet"]
)
def test_a_video_link_is_a_web_address(s, org, link):
    refused(lambda: services.create_meetup(s, by=org, draft=draft(video_url=link)), "video_url")
    assert s.exec(select(func.count()).select_from(Meetup)).one() == 0


def test_local_times_become_utc_on_both_sides_of_the_spring_change(s, org):
    before = plan(s, org, day=date(2027, 3, 25))  # CET, UTC+1
    after = plan(s, org, day=date(2027, 4, 1))  # CEST, UTC+2
    s.expire_all()  # as stored, not as computed
    assert (s.get(Meetup, before.id).starts_at, s.get(Meetup, before.id).ends_at) == (
        utc(2027, 3, 25, 17, 0),
        utc(2027, 3, 25, 18, 30),
    )
    assert (s.get(Meetup, after.id).starts_at, s.get(Meetup, after.id).ends_at) == (
        utc(2027, 4, 1, 16, 0),
        utc(2027, 4, 1, 17, 30),
    )


def test_a_time_the_clocks_skip_is_refused_by_name(s, org):
    """On 28 March 2027 Berlin's clocks go from 02:00 straight to 03:00."""
    error = refused(
        lambda: services.create_meetup(
            s, by=org, draft=draft(day=date(2027, 3, 28), starts=time(2, 30), ends=time(4, 0))
        ),
        "starts",
    )
    assert "02:30" in str(error) and "28 Mar 2027" in str(error) and BERLIN in str(error)
    error = refused(
        lambda: services.create_meetup(
            s, by=org, draft=draft(day=date(2027, 3, 28), starts=time(1, 0), ends=time(2, 15))
        ),
        "ends",
    )
    assert "02:15" in str(error)


def test_a_time_the_clocks_pass_twice_is_the_first_of_the_two(s, org):
    """On 31 October 2027 Berlin's clocks go from 03:00 back to 02:00: 02:30 comes at 00:30 UTC, then at 01:30."""
    meetup = plan(s, org, day=date(2027, 10, 31), starts=time(2, 30), ends=time(3, 30))
    assert meetup.starts_at == utc(2027, 10, 31, 0, 30)
    assert meetup.ends_at == utc(2027, 10, 31, 2, 30)


# ------------------------------------------------------------------ changing a meetup


@pytest.fixture
def going_crowd(s, org):
    """A meetup with one person going, one who took it back, and one who never replied."""
    meetup = plan(s, org)
    going, changed_mind, silent = (person(s, f"{n}@example.com") for n in ("going", "changed", "silent"))
    now = utc(2027, 3, 1, 9, 0)
    services.rsvp(s, meetup=meetup, user=going, going=True, now=now)
    services.rsvp(s, meetup=meetup, user=changed_mind, going=True, now=now)
    services.rsvp(s, meetup=meetup, user=changed_mind, going=False, now=now + timedelta(hours=1))
    s.commit()
    return meetup, going, changed_mind, silent


@pytest.mark.parametrize(
    "move",
    [
        {"starts": time(18, 30)},
        {"ends": time(20, 0)},
        {"day": date(2027, 4, 1)},
        {"time_zone": "Europe/London"},  # the same clock time, an hour later
        {"place": "Room 1.01"},
        {"video_url": "https://meet.example.com/sre"},
    ],
)
def test_moving_a_meetup_tells_those_going_and_calendars_see_a_new_version(s, org, going_crowd, move):
    meetup, going, changed_mind, silent = going_crowd
    services.edit_meetup(s, meetup=meetup, by=org, draft=draft(**move))
    s.commit()
    assert s.get(Meetup, meetup.id).sequence == 1
    assert notified(s) == {going.id}
    assert messages_to(s, going) == ["“Reliability Meetup #1” has a new time or place."]


def test_a_new_title_alone_tells_nobody_but_calendars_see_a_new_version(s, org, going_crowd):
    meetup = going_crowd[0]
    services.edit_meetup(s, meetup=meetup, by=org, draft=draft(title="Reliability Meetup #1: chaos"))
    s.commit()
    s.expire_all()
    stored = s.get(Meetup, meetup.id)
    assert (stored.title, stored.sequence) == ("Reliability Meetup #1: chaos", 1)
    assert notified(s) == set()


def test_each_edit_counts_in_the_sequence(s, org):
    meetup = plan(s, org)
    for n in range(3):
        services.edit_meetup(s, meetup=meetup, by=org, draft=draft(title=f"Edition {n}"))
    s.commit()
    assert s.get(Meetup, meetup.id).sequence == 3


def columns(meetup: Meetup) -> dict:
    return {name: getattr(meetup, name) for name in Meetup.model_fields}


def test_a_refused_edit_changes_nothing(s, org, going_crowd):
    meetup = going_crowd[0]
    before = columns(meetup)
    bad = draft(title="", starts=time(9, 0), ends=time(10, 0), place="Elsewhere")
    refused(lambda: services.edit_meetup(s, meetup=meetup, by=org, draft=bad), "title")
    assert columns(meetup) == before  # the form shown again sees the meetup as it is
    s.rollback()
    s.commit()
    assert columns(s.get(Meetup, meetup.id)) == before
    assert notified(s) == set()
    assert s.exec(select(AuditEntry).where(AuditEntry.action == "meetup.edited")).all() == []


def test_the_audit_log_records_planning_and_editing(s, org):
    meetup = plan(s, org, title="First")
    services.edit_meetup(s, meetup=meetup, by=org, draft=draft(title="Second"))
    s.commit()
    rows = s.exec(
        select(AuditEntry.action, AuditEntry.target, AuditEntry.actor_id)
        .where(AuditEntry.action.like("meetup.%"))
        .order_by(AuditEntry.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("meetup.created", f"meetup {meetup.id}", org.id),
        ("meetup.edited", f"meetup {meetup.id}", org.id),
    ]


# ------------------------------------------------------------------ saying one will come


@pytest.fixture
def evening(s, org):
    """Held in UTC on 10 May 2027, 17:00-19:00."""
    return plan_utc(s, org, utc(2027, 5, 10, 17, 0), utc(2027, 5, 10, 19, 0))


def test_saying_one_will_come_and_taking_it_back(s, evening):
    trainee = person(s, "trainee@example.com")
    said = utc(2027, 5, 1, 12, 0)
    services.rsvp(s, meetup=evening, user=trainee, going=True, now=said)
    s.commit()
    assert services.going_ids(s, evening.id) == [trainee.id]
    assert queries.reply_of(s, evening.id, trainee.id).going_at == said
    services.rsvp(s, meetup=evening, user=trainee, going=False, now=said + timedelta(days=1))
    s.commit()
    assert services.going_ids(s, evening.id) == []
    assert queries.reply_of(s, evening.id, trainee.id).going_at is None


@pytest.mark.parametrize("now", [utc(2027, 5, 10, 19, 0), utc(2027, 5, 10, 19, 1), utc(2027, 6, 1, 0, 0)])
def test_a_meetup_that_has_ended_takes_no_replies(s, evening, now):
    trainee = person(s, "trainee@example.com")
    for going in (True, False):
        refused(
            lambda going=going: services.rsvp(s, meetup=evening, user=trainee, going=going, now=now), None, MeetupOver
        )
    s.commit()
    assert queries.reply_of(s, evening.id, trainee.id) is None


@pytest.mark.parametrize("now", [utc(2027, 5, 10, 17, 0), utc(2027, 5, 10, 18, 59)])
def test_a_meetup_that_is_running_still_takes_replies(s, evening, now):
    trainee = person(s, "trainee@example.com")
    services.rsvp(s, meetup=evening, user=trainee, going=True, now=now)
    s.commit()
    assert services.going_ids(s, evening.id) == [trainee.id]


# ------------------------------------------------------------------ checking in with the code


@pytest.fixture
def auckland(s, org):
    """Friday 15 January 2027, 23:30-23:55 in Auckland (NZDT, UTC+13): 10:30-10:55 UTC the same date."""
    return plan(s, org, day=date(2027, 1, 15), starts=time(23, 30), ends=time(23, 55), time_zone="Pacific/Auckland")


@pytest.mark.parametrize(
    "now",
    [
        utc(2027, 1, 14, 11, 10),  # 00:10 on the 15th in Auckland, the 14th in UTC
        utc(2027, 1, 15, 10, 40),  # during the meetup
        utc(2027, 1, 15, 10, 59),  # 23:59 in Auckland, just after it ended
    ],
)
def test_the_code_works_on_the_meetup_s_day_where_it_is_held(s, auckland, now):
    assert auckland.starts_at == utc(2027, 1, 15, 10, 30)
    trainee = person(s, "trainee@example.com")
    services.check_in(s, meetup=auckland, user=trainee, code=auckland.check_in_code, now=now)
    s.commit()
    assert queries.reply_of(s, auckland.id, trainee.id).attended_at == now


@pytest.mark.parametrize(
    "now",
    [
        utc(2027, 1, 15, 11, 10),  # the meetup's own date in UTC, but 00:10 on the 16th in Auckland
        utc(2027, 1, 14, 10, 0),  # 23:00 on the 14th in Auckland: the day before
        utc(2027, 1, 22, 10, 40),  # a week later
    ],
)
def test_the_code_works_on_no_other_day(s, auckland, now):
    trainee = person(s, "trainee@example.com")
    error = refused(
        lambda: services.check_in(s, meetup=auckland, user=trainee, code=auckland.check_in_code, now=now), "code"
    )
    assert "15 Jan 2027" in str(error)
    s.commit()
    assert queries.reply_of(s, auckland.id, trainee.id) is None


def test_the_meetup_s_day_is_its_date_where_it_is_held_not_in_utc(s, org):
    """08:00-09:00 on 15 January in Auckland is 19:00-20:00 UTC on the 14th."""
    morning = plan(s, org, day=date(2027, 1, 15), starts=time(8, 0), ends=time(9, 0), time_zone="Pacific/Auckland")
    assert services.meetup_day(morning) == date(2027, 1, 15)
    early, late = person(s, "early@example.com"), person(s, "late@example.com")
    services.check_in(s, meetup=morning, user=early, code=morning.check_in_code, now=utc(2027, 1, 14, 19, 30))
    refused(
        lambda: services.check_in(s, meetup=morning, user=late, code=morning.check_in_code, now=utc(2027, 1, 14, 10)),
        "code",
    )  # 23:00 on the 14th in Auckland, though the 14th in UTC too
    s.commit()
    assert [m.id for m in queries.attended_by(s, early.id)] == [morning.id]


def test_the_wrong_code_is_refused_and_nothing_recorded(s, evening):
    trainee = person(s, "trainee@example.com")
    wrong = "".join("A" if c != "A" else "B" for c in evening.check_in_code)
    for code in (wrong, "", evening.check_in_code[:-1]):
        refused(
            lambda code=code: services.check_in(s, meetup=evening, user=trainee, code=code, now=utc(2027, 5, 10, 18)),
            "code",
        )
    s.commit()
    assert queries.reply_of(s, evening.id, trainee.id) is None


def test_the_code_ignores_case_and_spaces(s, evening):
    trainee = person(s, "trainee@example.com")
    code = evening.check_in_code
    typed = f"  {code[:3].lower()} {code[3:].lower()}\n"
    services.check_in(s, meetup=evening, user=trainee, code=typed, now=utc(2027, 5, 10, 18))
    s.commit()
    assert queries.reply_of(s, evening.id, trainee.id).attended_at == utc(2027, 5, 10, 18)


def test_checking_in_twice_keeps_the_first_time(s, evening):
    trainee = person(s, "trainee@example.com")
    for minute in (5, 40):
        now = utc(2027, 5, 10, 17, minute)
        services.check_in(s, meetup=evening, user=trainee, code=evening.check_in_code, now=now)
        s.commit()
    row = queries.reply_of(s, evening.id, trainee.id)
    assert (row.attended_at, row.checked_in_by) == (utc(2027, 5, 10, 17, 5), "code")


def test_the_code_is_of_a_readable_alphabet(s, org):
    codes = {plan(s, org).check_in_code for _ in range(5)}
    assert len(codes) > 1
    assert all(len(c) == 6 and set(c) <= set(services.CODE_ALPHABET) for c in codes)
    assert not set(services.CODE_ALPHABET) & set("0O1I")


# ------------------------------------------------------------------ the organizer's attendance list


def attendance(s, meetup) -> dict[int, tuple[datetime | None, str | None]]:
    rows = s.exec(select(MeetupAttendee).where(MeetupAttendee.meetup_id == meetup.id)).all()
    return {r.user_id: (r.attended_at, r.checked_in_by) for r in rows}


def came(s, meetup) -> int:
    return queries.replies(s, [meetup.id]).get(meetup.id, queries.Replies()).came


@pytest.mark.parametrize("now", [utc(2027, 5, 10, 16, 59), utc(2027, 5, 1)])
def test_attendance_is_recorded_once_the_meetup_has_started(s, org, evening, now):
    trainee = person(s, "trainee@example.com")
    refused(lambda: services.record_attendance(s, meetup=evening, by=org, present={trainee.id}, emails=[], now=now))
    s.commit()
    assert attendance(s, evening) == {}


def test_those_ticked_and_those_named_by_e_mail_came(s, org, evening):
    ticked, named = person(s, "ticked@example.com"), person(s, "named@example.com")
    now = utc(2027, 5, 10, 17, 0)  # the moment it starts
    count = services.record_attendance(
        s, meetup=evening, by=org, present={ticked.id}, emails=["  Named@Example.COM ", ""], now=now
    )
    s.commit()
    assert count == 2
    assert attendance(s, evening) == {ticked.id: (now, "organizer"), named.id: (now, "organizer")}
    assert came(s, evening) == 2


def test_someone_recorded_before_but_not_ticked_now_no_longer_counts(s, org, evening):
    stays, leaves = person(s, "stays@example.com"), person(s, "leaves@example.com")
    services.rsvp(s, meetup=evening, user=leaves, going=True, now=utc(2027, 5, 1))
    services.check_in(s, meetup=evening, user=leaves, code=evening.check_in_code, now=utc(2027, 5, 10, 17, 5))
    first = utc(2027, 5, 10, 19, 0)
    services.record_attendance(s, meetup=evening, by=org, present={stays.id, leaves.id}, emails=[], now=first)
    s.commit()
    assert services.record_attendance(s, meetup=evening, by=org, present={stays.id}, emails=[], now=first) == 1
    s.commit()
    assert attendance(s, evening) == {stays.id: (first, "organizer"), leaves.id: (None, None)}
    assert came(s, evening) == 1
    assert queries.attended_by(s, leaves.id) == []
    assert queries.reply_of(s, evening.id, leaves.id).going_at == utc(2027, 5, 1)  # their reply stays


@pytest.mark.parametrize(
    "present, emails, field",
    [
        (set(), ["nobody@example.com"], "emails"),
        (set(), ["not an address"], "emails"),
        ({10_000}, [], None),  # an id no account has
    ],
)
def test_an_unknown_person_is_refused_and_nothing_changes(s, org, evening, present, emails, field):
    earlier, other = person(s, "earlier@example.com"), person(s, "other@example.com")
    first = utc(2027, 5, 10, 18, 0)
    services.record_attendance(s, meetup=evening, by=org, present={earlier.id}, emails=[], now=first)
    s.commit()
    refused(
        lambda: services.record_attendance(
            s, meetup=evening, by=org, present={other.id} | present, emails=emails, now=first + timedelta(hours=2)
        ),
        field,
    )
    s.rollback()
    assert attendance(s, evening) == {earlier.id: (first, "organizer")}


def test_a_code_check_in_still_ticked_keeps_its_time(s, org, evening):
    by_code, by_list = person(s, "code@example.com"), person(s, "list@example.com")
    checked_in = utc(2027, 5, 10, 17, 10)
    services.check_in(s, meetup=evening, user=by_code, code=evening.check_in_code, now=checked_in)
    s.commit()
    recorded = utc(2027, 5, 10, 19, 30)
    services.record_attendance(s, meetup=evening, by=org, present={by_code.id, by_list.id}, emails=[], now=recorded)
    s.commit()
    assert attendance(s, evening) == {by_code.id: (checked_in, "code"), by_list.id: (recorded, "organizer")}


# ------------------------------------------------------------------ the call for talks


@pytest.fixture
def modules(s):
    """Real module ids of the curriculum, as the forms offer them."""
    return sorted(catalogue().modules)


def talk(title="Error budgets in practice", speakers=None, **changes) -> TalkDraft:
    return TalkDraft(title=title, speakers=speakers or [SpeakerDraft(guest_name="Grace Hopper")], **changes)


def propose(s, by, **changes) -> Talk:
    made = services.propose_talk(s, catalogue(), by=by, draft=talk(**changes))
    s.commit()
    return made


def refused_talk(s, by, field="speakers", **changes) -> MeetupError:
    error = refused(lambda: services.propose_talk(s, catalogue(), by=by, draft=talk(**changes)), field)
    s.rollback()
    assert s.exec(select(func.count()).select_from(Talk)).one() == 0
    return error


def speakers_of(s, made: Talk) -> list[tuple]:
    return [(sp.name, sp.team, sp.user_id) for sp in queries.talk_views(s, [made])[0].speakers]


@pytest.fixture
def trainee(s):
    return person(s, "trainee@example.com", name="Ada Lovelace")


@pytest.mark.parametrize("title", ["", "  ", "t" * 161])
def test_a_talk_needs_a_title_of_at_most_160_characters(s, trainee, title):
    refused_talk(s, trainee, "title", title=title)


def test_a_title_of_160_characters_is_enough(s, trainee):
    assert propose(s, trainee, title="t" * 160).title == "t" * 160


def test_a_talk_needs_a_speaker(s, trainee):
    refused_talk(s, trainee, speakers=[SpeakerDraft(), SpeakerDraft(email="  ", guest_name=" ")])


def test_a_talk_has_at_most_three_speakers(s, trainee):
    guests = [SpeakerDraft(guest_name=f"Guest {n}") for n in range(1, 5)]
    refused_talk(s, trainee, speakers=guests)
    made = propose(s, trainee, speakers=guests[:3])
    assert [name for name, _, _ in speakers_of(s, made)] == ["Guest 1", "Guest 2", "Guest 3"]


def test_a_speaker_with_an_account_is_named_by_its_e_mail(s, trainee):
    made = propose(s, trainee, speakers=[SpeakerDraft(email=" Trainee@Example.com ", is_sre=True)])
    assert speakers_of(s, made) == [("Ada Lovelace", None, trainee.id)]


@pytest.mark.parametrize("email", ["ghost@example.com", "not-an-address"])
def test_a_speaker_s_e_mail_must_be_an_account_s(s, trainee, email):
    refused_talk(s, trainee, speakers=[SpeakerDraft(email=email)])


def test_a_deactivated_account_speaks_no_more(s, trainee):
    gone = person(s, "gone@example.com")
    accounts.set_active(s, gone, False)
    s.commit()
    refused_talk(s, trainee, speakers=[SpeakerDraft(email=gone.email)])


def test_a_speaker_is_an_account_or_a_guest_not_both(s, trainee):
    refused_talk(s, trainee, speakers=[SpeakerDraft(email=trainee.email, guest_name="Ada Lovelace")])


def test_a_guest_needs_a_name_and_may_give_a_team(s, trainee):
    refused_talk(s, trainee, speakers=[SpeakerDraft(guest_team="Payments")])
    made = propose(
        s,
        trainee,
        speakers=[SpeakerDraft(guest_name="Grace  Hopper", guest_team=" Payments "), SpeakerDraft(guest_name="Linus")],
    )
    assert speakers_of(s, made) == [("Grace Hopper", "Payments", None), ("Linus", None, None)]


def test_nobody_is_named_twice(s, trainee):
    refused_talk(s, trainee, speakers=[SpeakerDraft(email=trainee.email), SpeakerDraft(email=" TRAINEE@example.com")])
    same_guest = [
        SpeakerDraft(guest_name="Grace Hopper", guest_team="Payments"),
        SpeakerDraft(guest_name="grace  hopper", guest_team="PAYMENTS"),
    ]
    refused_talk(s, trainee, speakers=same_guest)
    namesakes = [
        SpeakerDraft(guest_name="Sam Lee", guest_team="Payments"),
        SpeakerDraft(guest_name="Sam Lee", guest_team="Search"),
    ]
    assert len(speakers_of(s, propose(s, trainee, speakers=namesakes))) == 2  # two people of one name, in two teams


def test_a_talk_links_at_most_five_modules_of_the_curriculum(s, trainee, modules):
    refused_talk(s, trainee, "module_ids", module_ids=modules[:6])
    error = refused_talk(s, trainee, "module_ids", module_ids=[modules[0], "no-such-module"])
    assert "no-such-module" in str(error)
    made = propose(s, trainee, module_ids=modules[:5] + [modules[0], ""])  # a repeat counts once
    assert queries.talk_views(s, [made])[0].module_ids == sorted(modules[:5])


def test_the_abstract_is_at_most_5000_characters(s, trainee):
    refused_talk(s, trainee, "abstract", abstract="a" * 5001)
    assert len(propose(s, trainee, abstract="a" * 5000).abstract) == 5000


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,<script>", "ftp://example.com/slides"])
def test_slides_are_a_web_address(s, trainee, link):
    refused_talk(s, trainee, "slides_url", slides_url=link)


def test_slides_at_a_web_address_are_kept(s, trainee):
    assert propose(s, trainee, slides_url="https://slides.example.com/x").slides_url == "https://slides.example.com/x"


def test_the_organizers_are_told_of_a_proposal(s, org, trainee):
    other_org = person(s, "organizer2@example.com", "organizer", "trainee")
    person(s, "admin@example.com", "admin")
    person(s, "mentor@example.com", "mentor")
    made = propose(s, trainee, title="Toil budgets")
    assert notified(s) == {org.id, other_org.id}
    assert messages_to(s, org) == ["A talk was proposed: “Toil budgets”."]
    link = s.exec(select(Notification.link).where(Notification.user_id == org.id)).one()
    assert link == f"/meetups/talks/{made.id}"


def test_an_organizer_proposing_is_not_told_of_their_own_proposal(s, org):
    other_org = person(s, "organizer2@example.com", "organizer")
    propose(s, org)
    assert notified(s) == {other_org.id}


# ------------------------------------------------------------------ deciding on a proposal


def decide(s, made, by, decision, meetup=None, comment="", now=utc(2027, 5, 1, 9, 0)):
    services.decide_talk(s, talk=made, by=by, decision=decision, meetup=meetup, comment=comment, now=now)
    s.commit()


def test_accepting_needs_a_meetup_still_to_come(s, org, trainee, evening):
    made = propose(s, trainee)
    refused(lambda: decide(s, made, org, "accept"), "meetup")
    for now in (utc(2027, 5, 10, 19, 0), utc(2027, 6, 1)):
        refused(lambda now=now: decide(s, made, org, "accept", evening, now=now), "meetup", MeetupOver)
    s.rollback()
    stored = s.get(Talk, made.id)
    assert (stored.state, stored.meetup_id, stored.decided_by) == ("proposed", None, None)
    decide(s, made, org, "accept", evening, now=utc(2027, 5, 10, 18, 59))  # still running: it can take a talk
    assert (s.get(Talk, made.id).state, s.get(Talk, made.id).meetup_id) == ("accepted", evening.id)


@pytest.mark.parametrize("decision", ["changes", "decline"])
def test_asking_for_changes_or_declining_says_why(s, org, trainee, decision):
    made = propose(s, trainee)
    refused(lambda: decide(s, made, org, decision, comment="  \n "), "comment")
    s.rollback()
    assert s.get(Talk, made.id).state == "proposed"


@pytest.mark.parametrize(
    "decision, comment, state, words",
    [
        ("accept", "", "accepted", "is on the agenda of “Reliability Meetup #1”"),
        ("changes", "Shorten it to 20 minutes.", "changes_requested", "needs changes"),
        ("decline", "We had this topic in March.", "declined", "was declined"),
    ],
)
def test_the_proposer_is_told_of_the_decision(s, org, trainee, evening, decision, comment, state, words):
    made = propose(s, trainee, title="Toil budgets")
    decide(s, made, org, decision, evening, comment=comment)
    stored = s.get(Talk, made.id)
    assert (stored.state, stored.decided_by, stored.decided_at, stored.decision_comment) == (
        state,
        org.id,
        utc(2027, 5, 1, 9, 0),
        comment,
    )
    assert messages_to(s, trainee) == [f"Your talk “Toil budgets” {words}."]


def test_an_accepted_talk_goes_to_the_end_of_the_agenda(s, org, trainee, evening):
    invited = services.add_talk(s, catalogue(), meetup=evening, by=org, draft=talk(title="Keynote"))
    first, second = propose(s, trainee, title="First"), propose(s, trainee, title="Second")
    decide(s, second, org, "accept", evening)
    decide(s, first, org, "accept", evening)
    positions = {t.title: t.position for t in (s.get(Talk, i) for i in (invited.id, first.id, second.id))}
    assert positions == {"Keynote": 1, "Second": 2, "First": 3}
    assert [v.talk.title for v in queries.agendas(s, [evening.id])[evening.id]] == ["Keynote", "Second", "First"]


def test_accepting_again_into_the_same_meetup_keeps_the_talk_s_place(s, org, trainee, evening):
    first, second = propose(s, trainee, title="First"), propose(s, trainee, title="Second")
    decide(s, first, org, "accept", evening)
    decide(s, second, org, "accept", evening)
    decide(s, first, org, "accept", evening)
    assert [v.talk.title for v in queries.agendas(s, [evening.id])[evening.id]] == ["First", "Second"]


def test_declining_or_sending_back_takes_a_talk_off_its_meetup(s, org, trainee, evening):
    made = propose(s, trainee)
    decide(s, made, org, "accept", evening)
    decide(s, made, org, "decline", comment="The meetup is full.")
    assert s.get(Talk, made.id).meetup_id is None
    assert queries.agendas(s, [evening.id]).get(evening.id, []) == []
    decide(s, made, org, "accept", evening)
    decide(s, made, org, "changes", comment="Cut it to 20 minutes.")
    assert s.get(Talk, made.id).meetup_id is None


def test_the_proposer_s_edit_after_changes_puts_the_talk_before_the_organizers_again(s, org, trainee):
    made = propose(s, trainee)
    decide(s, made, org, "changes", comment="Say what you measured.")
    services.edit_talk(s, catalogue(), talk=made, by=trainee, draft=talk(abstract="We measured the toil."))
    s.commit()
    stored = s.get(Talk, made.id)
    assert (stored.state, stored.abstract) == ("proposed", "We measured the toil.")
    assert messages_to(s, org)[-1] == "“Error budgets in practice” was changed as you asked."


def test_an_organizer_s_edit_of_a_talk_sent_back_leaves_it_with_the_proposer(s, org, trainee):
    made = propose(s, trainee)
    decide(s, made, org, "changes", comment="Say what you measured.")
    services.edit_talk(s, catalogue(), talk=made, by=org, draft=talk(title="Error budgets, measured"))
    s.commit()
    assert s.get(Talk, made.id).state == "changes_requested"


def test_an_organizer_adds_an_accepted_talk_to_a_meetup(s, org, evening, modules):
    made = services.add_talk(
        s,
        catalogue(),
        meetup=evening,
        by=org,
        draft=talk(title="Invited", speakers=[SpeakerDraft(guest_name="Grace Hopper")], module_ids=[modules[0]]),
    )
    s.commit()
    stored = s.get(Talk, made.id)
    assert (stored.state, stored.meetup_id, stored.position, stored.decided_by) == ("accepted", evening.id, 1, org.id)
    assert notified(s) == set()


# ------------------------------------------------------------------ who may do what


def account(user_id: int, *roles: str) -> Account:
    return Account(user_id, f"p{user_id}@example.com", f"Person {user_id}", frozenset(roles), "t")


@pytest.mark.parametrize(
    "roles, allowed",
    [
        (("organizer",), True),
        (("admin",), True),
        (("trainee", "organizer"), True),
        (("trainee",), False),
        (("mentor",), False),
        (("manager",), False),
        ((), False),
    ],
)
def test_organizers_and_admins_organize_meetups(roles, allowed):
    assert policy.may_organize_meetups(account(1, *roles)) is allowed


def test_nobody_signed_out_organizes_edits_or_sees_talks():
    anonymous = AnonymousUserMixin()
    accepted = Talk(id=1, title="t", proposed_by=1, state="accepted", meetup_id=1)
    assert not policy.may_organize_meetups(anonymous)
    assert not policy.may_edit_talk(anonymous, accepted)
    assert not policy.may_view_talk(anonymous, accepted)


@pytest.mark.parametrize(
    "state, proposer_may",
    [("proposed", True), ("changes_requested", True), ("accepted", False), ("declined", False)],
)
def test_who_may_edit_a_talk(state, proposer_may):
    made = Talk(id=1, title="t", proposed_by=7, state=state, meetup_id=1 if state == "accepted" else None)
    assert policy.may_edit_talk(account(7, "trainee"), made) is proposer_may
    assert policy.may_edit_talk(account(8, "organizer"), made)
    assert policy.may_edit_talk(account(9, "admin"), made)
    assert not policy.may_edit_talk(account(10, "mentor", "manager", "trainee"), made)


@pytest.mark.parametrize("state", ["proposed", "changes_requested", "declined"])
def test_a_proposal_is_seen_by_its_proposer_and_the_organizers_only(state):
    made = Talk(id=1, title="t", proposed_by=7, state=state)
    assert policy.may_view_talk(account(7, "trainee"), made)
    assert policy.may_view_talk(account(8, "organizer"), made)
    assert policy.may_view_talk(account(9, "admin"), made)
    assert not policy.may_view_talk(account(10, "mentor", "manager", "trainee"), made)


def test_an_accepted_talk_is_seen_by_everyone_signed_in():
    made = Talk(id=1, title="t", proposed_by=7, state="accepted", meetup_id=1)
    for roles in (("trainee",), ("mentor",), ("manager",), ()):
        assert policy.may_view_talk(account(10, *roles), made)


# ------------------------------------------------------------------ reads


def test_upcoming_and_past_part_when_a_meetup_ends(s, org):
    first = plan_utc(s, org, utc(2027, 5, 3, 17), utc(2027, 5, 3, 19))
    second = plan_utc(s, org, utc(2027, 5, 10, 17), utc(2027, 5, 10, 19))
    third = plan_utc(s, org, utc(2027, 5, 17, 17), utc(2027, 5, 17, 19))

    def split(now):
        return [m.id for m in queries.upcoming(s, now)], [m.id for m in queries.past(s, now)]

    assert split(utc(2027, 5, 10, 18, 59)) == ([second.id, third.id], [first.id])  # running: still to come
    assert split(utc(2027, 5, 10, 19, 0)) == ([third.id], [second.id, first.id])  # ended: past, the latest first
    assert split(utc(2027, 5, 1)) == ([first.id, second.id, third.id], [])


def test_an_agenda_lists_talks_in_order_with_their_speakers_in_order(s, org, evening):
    hamilton = person(s, "margaret@example.com", name="Margaret Hamilton")
    hamilton.team = "Apollo"
    s.add(hamilton)
    later = plan_utc(s, org, utc(2027, 5, 17, 17), utc(2027, 5, 17, 19))
    opening = services.add_talk(
        s,
        catalogue(),
        meetup=evening,
        by=org,
        draft=talk(
            title="Opening",
            speakers=[
                SpeakerDraft(guest_name="Grace Hopper", guest_team="Navy"),
                SpeakerDraft(email=hamilton.email, is_sre=True),
            ],
        ),
    )
    closing = services.add_talk(
        s, catalogue(), meetup=evening, by=org, draft=talk(title="Closing", speakers=[SpeakerDraft(email=org.email)])
    )
    services.add_talk(s, catalogue(), meetup=later, by=org, draft=talk(title="Next time"))
    proposal = propose(s, org, title="Not yet decided")
    s.commit()
    closing.position, opening.position = 1, 2  # reordered by hand
    s.add_all([closing, opening])
    s.commit()
    found = queries.agendas(s, [evening.id, later.id])
    assert [v.talk.title for v in found[evening.id]] == ["Closing", "Opening"]
    assert [v.talk.title for v in found[later.id]] == ["Next time"]
    assert [(sp.name, sp.team, sp.is_sre) for sp in found[evening.id][1].speakers] == [
        ("Grace Hopper", "Navy", False),
        ("Margaret Hamilton", "Apollo", True),
    ]
    assert proposal.id not in {v.talk.id for views in found.values() for v in views}


def test_replies_count_those_going_and_those_who_came(s, org, evening):
    other = plan_utc(s, org, utc(2027, 5, 17, 17), utc(2027, 5, 17, 19))
    a, b, c, d = (person(s, f"{n}@example.com") for n in "abcd")
    said = utc(2027, 5, 1)
    for who in (a, b, c):
        services.rsvp(s, meetup=evening, user=who, going=True, now=said)
    services.rsvp(s, meetup=evening, user=c, going=False, now=said)
    services.rsvp(s, meetup=other, user=d, going=True, now=said)
    s.commit()
    services.record_attendance(s, meetup=evening, by=org, present={a.id, d.id}, emails=[], now=utc(2027, 5, 10, 19))
    s.commit()
    assert queries.replies(s, [evening.id, other.id]) == {
        evening.id: queries.Replies(going=2, came=2),
        other.id: queries.Replies(going=1, came=0),
    }


@pytest.fixture
def archive_talks(s, org, evening):
    """Two talks given at the evening of 10 May, and one on the agenda of a meetup still to come."""
    margaret = person(s, "margaret@example.com", name="Margaret Hamilton")
    later = plan_utc(s, org, utc(2027, 6, 7, 17), utc(2027, 6, 7, 19))

    def add(meetup, title, abstract, speakers):
        return services.add_talk(
            s, catalogue(), meetup=meetup, by=org, draft=talk(title=title, abstract=abstract, speakers=speakers)
        )

    ns = type("Archive", (), {})()
    ns.uptime = add(evening, "100% uptime is a lie", "Why we aim lower.", [SpeakerDraft(email=margaret.email)])
    ns.chaos = add(evening, "Chaos days", "We broke snake_case configs.", [SpeakerDraft(guest_name="Grace Hopper")])
    ns.future = add(later, "Chaos in the future", "Uptime and Hopper again.", [SpeakerDraft(guest_name="Grace Hopper")])
    s.commit()
    ns.now = utc(2027, 5, 20)
    return ns


@pytest.mark.parametrize(
    "query, found",
    [
        ("", ["uptime", "chaos"]),
        ("CHAOS", ["chaos"]),  # a word of the title, in any case
        ("aim", ["uptime"]),  # of the abstract
        ("hamilton", ["uptime"]),  # of an account's name
        ("hopper", ["chaos"]),  # of a guest's name
        ("chaos hopper", ["chaos"]),  # every word
        ("chaos hamilton", []),
        ("%", ["uptime"]),  # literally: not "anything"
        ("_", ["chaos"]),  # literally: not "any one character"
        ("s_ake", []),  # would match "snake" if "_" were a wildcard
    ],
)
def test_the_archive_finds_past_talks_by_their_words(s, archive_talks, query, found):
    titles = [v.talk.title for v in queries.archive(s, archive_talks.now, query)]
    assert titles == [getattr(archive_talks, name).title for name in found]


def test_the_archive_holds_talks_once_their_meetup_has_ended(s, archive_talks):
    titles = [v.talk.title for v in queries.archive(s, utc(2027, 6, 7, 19), "chaos")]
    assert titles == ["Chaos in the future", "Chaos days"]


def test_the_talks_on_a_module_are_the_accepted_ones_the_latest_meetup_first(s, org, trainee, evening, modules):
    later = plan_utc(s, org, utc(2027, 6, 7, 17), utc(2027, 6, 7, 19))
    topic, other_topic = modules[0], modules[1]
    services.add_talk(s, catalogue(), meetup=evening, by=org, draft=talk(title="Earlier", module_ids=[topic]))
    services.add_talk(s, catalogue(), meetup=later, by=org, draft=talk(title="Later", module_ids=[topic]))
    services.add_talk(s, catalogue(), meetup=later, by=org, draft=talk(title="Elsewhere", module_ids=[other_topic]))
    propose(s, trainee, title="Only proposed", module_ids=[topic])
    declined = propose(s, trainee, title="Declined", module_ids=[topic])
    decide(s, declined, org, "decline", comment="Not this year.")
    assert [v.talk.title for v in queries.talks_on_module(s, topic)] == ["Later", "Earlier"]


def test_attended_by_lists_the_meetups_a_person_came_to_the_latest_first(s, org, evening):
    later = plan_utc(s, org, utc(2027, 6, 7, 17), utc(2027, 6, 7, 19))
    skipped = plan_utc(s, org, utc(2027, 6, 14, 17), utc(2027, 6, 14, 19))
    trainee = person(s, "trainee@example.com")
    services.check_in(s, meetup=evening, user=trainee, code=evening.check_in_code, now=utc(2027, 5, 10, 17, 5))
    services.record_attendance(s, meetup=later, by=org, present={trainee.id}, emails=[], now=utc(2027, 6, 7, 19))
    services.rsvp(s, meetup=skipped, user=trainee, going=True, now=utc(2027, 6, 1))
    s.commit()
    assert [m.id for m in queries.attended_by(s, trainee.id)] == [later.id, evening.id]


# ------------------------------------------------------------------ the personal calendar feed


def test_a_feed_secret_opens_its_owner_s_feed_until_replaced_or_revoked(s, trainee):
    first = services.new_feed(s, user=trainee)
    s.commit()
    assert services.feed_owner(s, first).id == trainee.id
    second = services.new_feed(s, user=trainee)
    s.commit()
    assert second != first
    assert services.feed_owner(s, first) is None
    assert services.feed_owner(s, second).id == trainee.id
    assert services.revoke_feed(s, user=trainee) is True
    s.commit()
    assert services.feed_owner(s, second) is None
    assert services.revoke_feed(s, user=trainee) is False


def test_a_feed_secret_is_kept_only_as_its_hash(s, trainee):
    from academy.models import CalendarFeed

    secret = services.new_feed(s, user=trainee)
    s.commit()
    assert s.get(CalendarFeed, trainee.id).token_hash == services.feed_hash(secret) != secret


@pytest.mark.parametrize("secret", ["", "x" * 65, "guessed"])
def test_no_feed_opens_without_its_secret(s, trainee, secret):
    services.new_feed(s, user=trainee)
    s.commit()
    assert services.feed_owner(s, secret) is None


def test_a_deactivated_person_s_feed_closes(s, trainee):
    secret = services.new_feed(s, user=trainee)
    accounts.set_active(s, trainee, False)
    s.commit()
    assert services.feed_owner(s, secret) is None


def test_a_talk_given_at_a_meetup_that_is_over_stays_in_the_archive(s, org, trainee):
    held = plan(s, org)  # 25 March 2027
    talk = propose(s, trainee)
    before = datetime(2027, 3, 1, tzinfo=UTC)
    services.decide_talk(s, talk=talk, by=org, decision="accept", meetup=held, comment="", now=before)
    after = datetime(2027, 3, 26, tzinfo=UTC)
    for decision in ("changes", "decline"):
        with pytest.raises(services.MeetupOver, match="stays in the archive"):
            services.decide_talk(s, talk=talk, by=org, decision=decision, meetup=None, comment="No.", now=after)
    assert (talk.state, talk.meetup_id) == ("accepted", held.id)
