"""The meetups' calendars (issue 19): each meetup's .ics file and a person's feed, read back with vobject (another
library than the one that writes them). Times stay right across daylight-saving changes because they are written
in the meetup's own zone with its VTIMEZONE; a feed's secret address opens it without an account until it is
replaced or revoked, or the account is deactivated."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import vobject

from academy.accounts.services import set_active
from academy.curriculum.store import catalogue
from academy.meetups import services
from academy.meetups.services import MeetupDraft, SpeakerDraft, TalkDraft
from academy.models import CalendarFeed, Meetup, User, utcnow
from tests.conftest import PASSWORD, People, client_of

ICS = "text/calendar; charset=utf-8"
ADDRESS = re.compile(r'value="(http://[^"]+/calendar/([^"/]+)\.ics)"')


@pytest.fixture
def organizer(people):
    return people.user("organizer@example.com", "organizer", name="Olga Organizer")


@pytest.fixture
def trainee(people):
    return people.user("trainee@example.com", "trainee", name="Tess Trainee")


def plan(app, people, by, *, title="Reliability Meetup", day, starts, ends, zone="Europe/Berlin", **where) -> int:
    """A meetup made as an organizer makes it; its id."""
    where = where or {"place": "Auditorium 2"}
    draft = MeetupDraft(title=title, day=day, starts=starts, ends=ends, time_zone=zone, **where)
    with app.test_request_context(), people.session() as s:
        made = services.create_meetup(s, by=s.get(User, by.id), draft=draft)
        s.commit()
        return made.id


def plan_in(app, people, by, days: int, **kwargs) -> int:
    """A meetup `days` from today (negative: ago), 18:00 to 19:30 in Berlin."""
    day = (utcnow() + timedelta(days=days)).date()
    return plan(app, people, by, day=day, starts=time(18), ends=time(19, 30), **kwargs)


def on_agenda(app, people, by, meetup_id: int, title: str, *speakers: SpeakerDraft) -> None:
    with app.test_request_context(), people.session() as s:
        meetup = s.get(Meetup, meetup_id)
        draft = TalkDraft(title=title, speakers=list(speakers))
        services.add_talk(s, catalogue(), meetup=meetup, by=s.get(User, by.id), draft=draft)
        s.commit()


def reply(people, user, meetup_id: int, going: bool = True) -> None:
    with people.session() as s:
        meetup, person = s.get(Meetup, meetup_id), s.get(User, user.id)
        services.rsvp(s, meetup=meetup, user=person, going=going, now=utcnow())
        s.commit()


def parsed(response):
    """The calendar in a response, read with vobject; its events by UID."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == ICS
    calendar = vobject.readOne(response.get_data(as_text=True))
    return calendar, {event.uid.value: event for event in calendar.vevent_list}


def utc(event, which="dtstart") -> datetime:
    return getattr(event, which).value.astimezone(UTC)


def new_address(client) -> tuple[str, str]:
    """Make a new feed address on the calendar page; the address and its secret, as the page shows them once."""
    made = client.post("/meetups/calendar/new")
    found = ADDRESS.search(made.get_data(as_text=True))
    assert made.status_code == 200 and found, "the new address is shown on the page that answers its making"
    assert all(found.group(2) not in cookie for cookie in made.headers.getlist("Set-Cookie"))  # nor kept in one
    return found.group(1), found.group(2)


# ------------------------------------------------------------------ one meetup's file


def test_a_meetups_file_has_its_uid_summary_agenda_and_place(app, people, organizer, trainee):
    meetup_id = plan(
        app,
        people,
        organizer,
        title="Reliability Meetup, March",
        day=date(2027, 3, 18),
        starts=time(18),
        ends=time(19, 30),
        place="Auditorium 2",
        video_url="https://video.example.com/reliability",
    )
    on_agenda(
        app,
        people,
        organizer,
        meetup_id,
        "Error budgets at the checkout",
        SpeakerDraft(guest_name="Pia Payments", guest_team="Payments"),
        SpeakerDraft(email=organizer.email, is_sre=True),
    )
    response = client_of(app, trainee).get(f"/meetups/{meetup_id}/calendar.ics")
    calendar, events = parsed(response)
    assert response.headers["Content-Disposition"] == 'attachment; filename="meetup-2027-03-18.ics"'
    assert calendar.version.value == "2.0" and calendar.method.value == "PUBLISH"
    assert calendar.prodid.value == "-//SRE Academy//Reliability Meetup//EN"
    assert calendar.contents["x-wr-calname"][0].value == "SRE Academy meetups"
    event = events[f"meetup-{meetup_id}@localhost"]  # the test client's host
    assert event.summary.value == "Reliability Meetup, March"
    assert event.sequence.value == "0"
    assert event.location.value == "Auditorium 2"
    assert event.url.value == f"http://localhost/meetups/{meetup_id}"
    assert utc(event, "dtstamp") > utcnow() - timedelta(minutes=1)
    text = event.description.value
    assert "1. Error budgets at the checkout – Pia Payments (Payments), Olga Organizer" in text
    assert "Video: https://video.example.com/reliability" in text
    assert f"Meetup page: http://localhost/meetups/{meetup_id}" in text
    assert "You said you will come." not in text


def test_the_uid_names_the_installations_configured_host_and_an_online_meetup_is_where_its_video_is(
    app, people, organizer, trainee
):
    app.config["BASE_URL"] = "https://academy.example.com"
    video = "https://video.example.com/reliability"
    meetup_id = plan(app, people, organizer, day=date(2027, 3, 18), starts=time(18), ends=time(19), video_url=video)
    _, events = parsed(client_of(app, trainee).get(f"/meetups/{meetup_id}/calendar.ics"))
    event = events[f"meetup-{meetup_id}@academy.example.com"]
    assert event.location.value == video
    assert event.url.value == f"https://academy.example.com/meetups/{meetup_id}"
    assert "The agenda is still open" in event.description.value


def test_a_meetups_file_needs_sign_in_and_an_existing_meetup(app, people, organizer, trainee):
    meetup_id = plan_in(app, people, organizer, 10)
    response = app.test_client().get(f"/meetups/{meetup_id}/calendar.ics")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client_of(app, trainee).get(f"/meetups/{meetup_id + 1}/calendar.ics").status_code == 404


def test_an_edit_bumps_the_sequence_and_keeps_the_uid(app, people, organizer, trainee):
    meetup_id = plan(app, people, organizer, day=date(2027, 3, 18), starts=time(18), ends=time(19))
    client = client_of(app, trainee)
    _, before = parsed(client.get(f"/meetups/{meetup_id}/calendar.ics"))
    moved = MeetupDraft(
        title="Moved", day=date(2027, 3, 19), starts=time(17), ends=time(18), time_zone="Europe/Berlin", place="Hall"
    )
    with app.test_request_context(), people.session() as s:
        services.edit_meetup(s, meetup=s.get(Meetup, meetup_id), by=s.get(User, organizer.id), draft=moved)
        s.commit()
    _, after = parsed(client.get(f"/meetups/{meetup_id}/calendar.ics"))
    assert before.keys() == after.keys() == {f"meetup-{meetup_id}@localhost"}
    (old,), (new,) = before.values(), after.values()
    assert (old.sequence.value, new.sequence.value) == ("0", "1")
    assert (new.summary.value, new.location.value) == ("Moved", "Hall")
    assert utc(new) == datetime(2027, 3, 19, 16, tzinfo=UTC)


# ------------------------------------------------------------------ times across daylight-saving changes


def event_of(app, people, organizer, client, **when):
    meetup_id = plan(app, people, organizer, **when)
    response = client.get(f"/meetups/{meetup_id}/calendar.ics")
    _, events = parsed(response)
    return response.get_data(as_text=True), events[f"meetup-{meetup_id}@localhost"]


def test_18_00_in_berlin_stays_18_00_across_the_spring_change(app, people, organizer, trainee):
    client = client_of(app, trainee)
    winter_text, winter = event_of(
        app, people, organizer, client, day=date(2027, 3, 18), starts=time(18), ends=time(19)
    )
    _, summer = event_of(app, people, organizer, client, day=date(2027, 4, 1), starts=time(18), ends=time(19))
    assert utc(winter) == datetime(2027, 3, 18, 17, tzinfo=UTC)  # CET, UTC+1
    assert utc(summer) == datetime(2027, 4, 1, 16, tzinfo=UTC)  # CEST, UTC+2 since 28 March
    assert utc(summer, "dtend") == datetime(2027, 4, 1, 17, tzinfo=UTC)
    assert "DTSTART;TZID=Europe/Berlin:20270318T180000" in winter_text  # the meetup's own clock, not UTC
    calendar = vobject.readOne(winter_text)
    assert [z.tzid.value for z in calendar.vtimezone_list] == ["Europe/Berlin"]


def test_new_york_changes_on_its_own_date(app, people, organizer, trainee):
    """New York moves its clocks two weeks before Berlin: on 18 March 2027 it is already on summer time."""
    client = client_of(app, trainee)
    zone = {"zone": "America/New_York"}
    _, before = event_of(app, people, organizer, client, day=date(2027, 3, 11), starts=time(12), ends=time(13), **zone)
    _, after = event_of(app, people, organizer, client, day=date(2027, 3, 18), starts=time(12), ends=time(13), **zone)
    _, berlin = event_of(app, people, organizer, client, day=date(2027, 3, 18), starts=time(12), ends=time(13))
    assert utc(before) == datetime(2027, 3, 11, 17, tzinfo=UTC)  # EST, UTC-5
    assert utc(after) == datetime(2027, 3, 18, 16, tzinfo=UTC)  # EDT, UTC-4 since 14 March
    assert utc(berlin) == datetime(2027, 3, 18, 11, tzinfo=UTC)  # Berlin still on winter time


def test_a_time_the_clocks_pass_twice_is_the_first_of_the_two(app, people, organizer, trainee):
    """On 31 October 2027 Berlin's clocks go back from 03:00 to 02:00: 02:30 happens at 00:30 and 01:30 UTC. The
    meetup is at the first (as planning chose it), and every calendar app reads the file so (RFC 5545)."""
    client = client_of(app, trainee)
    _, event = event_of(app, people, organizer, client, day=date(2027, 10, 31), starts=time(2, 30), ends=time(3, 30))
    assert utc(event) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert utc(event, "dtend") == datetime(2027, 10, 31, 2, 30, tzinfo=UTC)
    with app.app_context(), people.session() as s:  # closed: an open transaction would hold the next test's cleanup
        starts_at = s.get(Meetup, int(event.uid.value.split("-")[1].split("@")[0])).starts_at
    assert utc(event) == starts_at.astimezone(UTC)  # what the meetup pages show


def test_a_meetup_stored_at_the_second_pass_of_that_time_is_written_in_utc(app, people, organizer, trainee):
    """Planning never stores the second 02:30, but a meetup that holds it is not moved an hour by its file."""
    with people.session() as s:
        second = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 02:30 CET, after the clocks went back
        made = Meetup(
            title="Night shift talk",
            starts_at=second,
            ends_at=second + timedelta(hours=1),
            time_zone="Europe/Berlin",
            place="Ops room",
            check_in_code="K7Q2XW",
            created_by=organizer.id,
        )
        s.add(made)
        s.commit()
    response = client_of(app, trainee).get(f"/meetups/{made.id}/calendar.ics")
    _, events = parsed(response)
    assert "DTSTART:20271031T013000Z" in response.get_data(as_text=True)
    assert utc(events[f"meetup-{made.id}@localhost"]) == second


# ------------------------------------------------------------------ the calendar page and the feed's address


def test_the_new_address_is_shown_once_and_only_its_hash_is_kept(app, people, organizer, trainee):
    client = client_of(app, trainee)
    page = client.get("/meetups/calendar").get_data(as_text=True)
    assert "You have no calendar address." in page and "Google Calendar" in page and "Outlook" in page
    assert 'href="/meetups"' in page
    address, secret = new_address(client)
    assert address == f"http://localhost/calendar/{secret}.ics"
    again = client.get("/meetups/calendar").get_data(as_text=True)
    assert secret not in again and "You have a calendar address" in again
    with people.session() as s:
        stored = s.get(CalendarFeed, trainee.id)
    assert stored.token_hash == services.feed_hash(secret) and secret not in stored.token_hash


def test_the_feed_opens_without_an_account_or_a_cookie(app, people, organizer, trainee):
    meetup_id = plan_in(app, people, organizer, 10)
    address, _ = new_address(client_of(app, trainee))
    response = app.test_client().get(address)
    _, events = parsed(response)
    assert list(events) == [f"meetup-{meetup_id}@localhost"]
    calendar, _ = parsed(response)
    assert calendar.contents["refresh-interval"][0].value == "PT1H"  # how often to fetch it again
    assert calendar.contents["x-published-ttl"][0].value == "PT1H"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Set-Cookie" not in response.headers


def test_the_feed_holds_the_past_year_and_everything_to_come(app, people, organizer, trainee):
    old = plan_in(app, people, organizer, -400, title="Two winters ago")
    recent = plan_in(app, people, organizer, -300, title="Last spring")
    coming = plan_in(app, people, organizer, 30, title="Next month")
    far = plan_in(app, people, organizer, 500, title="Far ahead")
    address, _ = new_address(client_of(app, trainee))
    _, events = parsed(app.test_client().get(address))
    assert set(events) == {f"meetup-{m}@localhost" for m in (recent, coming, far)}
    assert f"meetup-{old}@localhost" not in events


def test_the_feed_marks_the_meetups_the_person_said_they_will_come_to(app, people, organizer, trainee):
    going, undecided, changed_mind = (plan_in(app, people, organizer, d) for d in (10, 20, 30))
    reply(people, trainee, going)
    reply(people, trainee, changed_mind)
    reply(people, trainee, changed_mind, going=False)
    reply(people, organizer, undecided)  # someone else's reply
    address, _ = new_address(client_of(app, trainee))
    _, events = parsed(app.test_client().get(address))
    marked = {uid for uid, e in events.items() if e.description.value.startswith("You said you will come.")}
    assert marked == {f"meetup-{going}@localhost"}
    _, one = parsed(client_of(app, trainee).get(f"/meetups/{going}/calendar.ics"))
    assert "You said you will come." in one[f"meetup-{going}@localhost"].description.value


def test_a_new_address_replaces_the_old_one(app, people, organizer, trainee):
    client = client_of(app, trainee)
    old, _ = new_address(client)
    new, _ = new_address(client)
    assert old != new
    anyone = app.test_client()
    assert anyone.get(old).status_code == 404
    assert anyone.get(new).status_code == 200


def test_a_revoked_address_answers_404(app, people, organizer, trainee):
    client = client_of(app, trainee)
    address, _ = new_address(client)
    response = client.post("/meetups/calendar/revoke", follow_redirects=True)
    assert "no longer works" in response.get_data(as_text=True)
    assert app.test_client().get(address).status_code == 404
    with people.session() as s:
        assert s.get(CalendarFeed, trainee.id) is None
    page = client.post("/meetups/calendar/revoke", follow_redirects=True).get_data(as_text=True)
    assert "You had no calendar address" in page


def test_a_deactivated_persons_feed_answers_404(app, people, organizer, trainee):
    address, _ = new_address(client_of(app, trainee))
    with app.test_request_context(), people.session() as s:
        set_active(s, s.get(User, trainee.id), False)
        s.commit()
    assert app.test_client().get(address).status_code == 404


@pytest.mark.parametrize(
    "secret", ["nope", "x" * 32, "x" * 65, "a" * 5000, "%C3%A9t%C3%A9", "..%2F..%2Fetc%2Fpasswd", "%00"]
)
def test_a_made_up_address_answers_404(app, people, trainee, secret):
    new_address(client_of(app, trainee))
    response = app.test_client().get(f"/calendar/{secret}.ics")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_feed_passes_the_csrf_and_sign_in_checks_and_its_forms_need_a_token(csrf_app):
    person = People(csrf_app).user("alice@example.com", "trainee")
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    signed = client.post("/login", data={"email": person.email, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 302
    assert client.post("/meetups/calendar/new").status_code == 400  # no token: refused, nothing made
    token = csrf_token(client.get("/meetups/calendar").get_data(as_text=True))
    made = client.post("/meetups/calendar/new", data={"csrf_token": token})
    assert made.status_code == 200
    address = ADDRESS.search(made.get_data(as_text=True)).group(1)
    assert csrf_app.test_client().get(address).status_code == 200


def test_the_calendar_page_shows_times_in_the_readers_zone(app, people, organizer, trainee):
    meetup_id = plan(app, people, organizer, day=date(2027, 3, 18), starts=time(18), ends=time(19))
    with people.session() as s:
        person = s.get(User, trainee.id)
        person.time_zone = "America/New_York"
        s.add(person)
        s.commit()
    page = client_of(app, trainee).get("/meetups/calendar").get_data(as_text=True)
    assert '<time datetime="2027-03-18T17:00:00+00:00"' in page and "18 Mar 2027 13:00 EDT" in page
    assert f'href="/meetups/{meetup_id}/calendar.ics"' in page
