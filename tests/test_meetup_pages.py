"""The meetup pages (issue 19): the list, a meetup's page, planning and editing (organizers only; a refused form
keeps what was typed), saying one will come (not once it is over), checking in with the code on the meetup's day,
and the organizers' attendance sheet."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from academy.meetups import services
from academy.models import AuditEntry, Meetup, MeetupAttendee, Notification, User, utcnow
from tests.conftest import client_of
from tests.meetups_factory import meetup_at


def meetup(people, organizer, **when):
    return meetup_at(people, organizer, **when)


@pytest.fixture
def organizer(people):
    return people.user("organizer@example.com", "organizer")


FORM = {
    "title": "Reliability Meetup, March",
    "day": "2027-03-25",
    "starts": "18:00",
    "ends": "19:30",
    "time_zone": "Europe/Berlin",
    "place": "Auditorium 2",
    "video_url": "https://video.example.com/reliability",
}


def test_everyone_signed_in_sees_the_meetups_and_the_navigation_link(app, people, organizer):
    trainee = people.user("t@example.com", "trainee")
    meetup(people, organizer, starts_in=timedelta(days=10), title="Coming one")
    meetup(people, organizer, starts_in=timedelta(days=-30), title="Held one")
    page = client_of(app, trainee).get("/meetups").get_data(as_text=True)
    assert "Coming one" in page and "Held one" in page
    assert 'href="/meetups"' in page  # the navigation
    assert "Plan a meetup" not in page  # an organizer's button
    assert "Plan a meetup" in client_of(app, organizer).get("/meetups").get_data(as_text=True)
    assert app.test_client().get("/meetups").status_code == 302  # sign in first


def test_an_empty_list_says_what_to_do(app, people, organizer):
    trainee = people.user("t@example.com", "trainee")
    assert "Propose a talk" in client_of(app, trainee).get("/meetups").get_data(as_text=True)
    page = client_of(app, organizer).get("/meetups").get_data(as_text=True)
    assert "No meetup is planned yet" in page and "Plan the next meetup" in page


def test_an_organizer_plans_a_meetup_in_its_own_zone(app, people, organizer):
    client = client_of(app, organizer)
    response = client.post("/meetups/new", data=FORM)
    assert response.status_code == 302
    with people.session() as s:
        made = s.exec(select(Meetup)).one()
        assert made.starts_at == datetime(2027, 3, 25, 17, 0, tzinfo=UTC)  # 18:00 CET
        assert made.time_zone == "Europe/Berlin" and len(made.check_in_code) == 6
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "meetup.created")).first()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thu 25 Mar 2027, 18:00–19:30 CET (Europe/Berlin)" in page
    assert made.check_in_code in page  # an organizer sees the code for the screen


@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        ({"title": ""}, "Give the meetup a title", "title"),
        ({"ends": "17:00"}, "ends after it starts", "ends"),
        ({"time_zone": "Mars/Olympus"}, "Choose a time zone", "time_zone"),
        ({"day": "2027-03-28", "starts": "02:30", "ends": "04:00"}, "the clocks skip it", "starts"),
        ({"place": "", "video_url": ""}, "a place, a video link, or both", "place"),
        ({"video_url": "javascript:alert(1)"}, "not a web address", "video_url"),
        ({"day": "25/03/2027"}, "Date", "day"),
        ({"day": "9999-12-31"}, "Choose a date between 2000 and 2100", "day"),
        ({"day": "0001-01-01"}, "Choose a date between 2000 and 2100", "day"),
    ],
)
def test_a_refused_meetup_form_says_why_at_the_top_and_keeps_what_was_typed(
    app, people, organizer, change, message, field
):
    sent = {**FORM, **change}
    response = client_of(app, organizer).post("/meetups/new", data=sent)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in page and message in page and f'href="#{field}"' in page
    assert 'value="Auditorium 2"' in page or sent["place"] == ""
    assert f'value="{sent["title"]}"' in page
    with people.session() as s:
        assert s.exec(select(Meetup)).first() is None


def test_only_organizers_and_admins_plan_or_change_meetups(app, people, organizer):
    admin = people.user("admin@example.com", "admin")
    manager = people.user("manager@example.com", "manager", "mentor")
    held = meetup(people, organizer, starts_in=timedelta(days=5))
    for path in ("/meetups/new", f"/meetups/{held.id}/edit", f"/meetups/{held.id}/attendance"):
        assert client_of(app, manager).get(path).status_code == 403
        assert client_of(app, manager).post(path, data=FORM).status_code == 403
        assert client_of(app, admin).get(path).status_code == 200
    assert "K7Q2XW" not in client_of(app, manager).get(f"/meetups/{held.id}").get_data(as_text=True)
    assert client_of(app, manager).get("/meetups/999999").status_code == 404


def test_editing_a_meetup_prefills_its_local_time_and_tells_those_coming_when_it_moves(app, people, organizer):
    client = client_of(app, organizer)
    client.post("/meetups/new", data=FORM)
    with people.session() as s:
        made = s.exec(select(Meetup)).one()
    trainee = people.user("t@example.com", "trainee")
    with people.session() as s:
        s.add(MeetupAttendee(meetup_id=made.id, user_id=trainee.id, going_at=utcnow()))
        s.commit()
    form = client.get(f"/meetups/{made.id}/edit").get_data(as_text=True)
    assert 'value="2027-03-25"' in form and 'value="18:00"' in form and 'selected value="Europe/Berlin"' in form
    assert client.post(f"/meetups/{made.id}/edit", data={**FORM, "starts": "18:30"}).status_code == 302
    with people.session() as s:
        again = s.get(Meetup, made.id)
        assert again.starts_at == datetime(2027, 3, 25, 17, 30, tzinfo=UTC) and again.sequence == 1
        told = s.exec(select(Notification).where(Notification.user_id == trainee.id)).all()
        assert [n.link for n in told] == [f"/meetups/{made.id}"]
    refused = client.post(f"/meetups/{made.id}/edit", data={**FORM, "ends": "10:00", "title": "Kept title"})
    assert refused.status_code == 422 and 'value="Kept title"' in refused.get_data(as_text=True)


def test_saying_one_will_come_and_taking_it_back(app, people, organizer):
    trainee = people.user("t@example.com", "trainee")
    coming = meetup(people, organizer, starts_in=timedelta(days=3))
    client = client_of(app, trainee)
    assert client.post(f"/meetups/{coming.id}/reply", data={"going": "1"}).status_code == 302
    page = client.get(f"/meetups/{coming.id}").get_data(as_text=True)
    assert "You are coming" in page and "1 person is coming" in page
    assert "you are coming" in client.get("/meetups").get_data(as_text=True)
    assert client.post(f"/meetups/{coming.id}/reply", data={"going": "0"}).status_code == 302
    with people.session() as s:
        assert s.get(MeetupAttendee, (coming.id, trainee.id)).going_at is None
    assert client.post(f"/meetups/{coming.id}/reply", data={"going": "maybe"}).status_code == 400


def test_a_meetup_in_the_past_takes_no_replies(app, people, organizer):
    trainee = people.user("t@example.com", "trainee")
    held = meetup(people, organizer, starts_in=timedelta(days=-2))
    client = client_of(app, trainee)
    page = client.get(f"/meetups/{held.id}").get_data(as_text=True)
    assert "I will come" not in page and "This meetup is over" in page
    response = client.post(f"/meetups/{held.id}/reply", data={"going": "1"})
    assert response.status_code == 409 and "takes no more replies" in response.get_data(as_text=True)
    with people.session() as s:
        assert s.get(MeetupAttendee, (held.id, trainee.id)) is None


def test_checking_in_with_the_code_on_the_day(app, people, organizer):
    trainee = people.user("t@example.com", "trainee")
    today = meetup(people, organizer, starts_in=timedelta(minutes=-5))
    client = client_of(app, trainee)
    page = client.get(f"/meetups/{today.id}").get_data(as_text=True)
    assert "Check in" in page and "K7Q2XW" not in page  # the code is on the screen, not on the page
    wrong = client.post(f"/meetups/{today.id}/check-in", data={"code": "AAAAAA"})
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert "not this meetup&#39;s code" in text or "not this meetup's code" in text
    assert 'value="AAAAAA"' in text
    assert client.post(f"/meetups/{today.id}/check-in", data={"code": " k7q2xw "}).status_code == 302
    with people.session() as s:
        row = s.get(MeetupAttendee, (today.id, trainee.id))
        assert row.attended_at is not None and row.checked_in_by == "code"
    assert "You came" in client.get(f"/meetups/{today.id}").get_data(as_text=True)


def test_the_check_in_code_does_not_work_on_another_day(app, people, organizer):
    trainee = people.user("t@example.com", "trainee")
    later = meetup(people, organizer, starts_in=timedelta(days=2))
    client = client_of(app, trainee)
    assert "Check in" not in client.get(f"/meetups/{later.id}").get_data(as_text=True)
    response = client.post(f"/meetups/{later.id}/check-in", data={"code": "K7Q2XW"})
    assert response.status_code == 422 and "only on the meetup" in response.get_data(as_text=True)
    with people.session() as s:
        assert s.get(MeetupAttendee, (later.id, trainee.id)) is None


def test_organizers_record_who_came(app, people, organizer):
    came = people.user("came@example.com", "trainee")
    stayed_away = people.user("away@example.com", "mentor")
    walk_in = people.user("walkin@example.com")
    held = meetup(people, organizer, starts_in=timedelta(days=-1))
    with people.session() as s:
        for who in (came, stayed_away):
            s.add(MeetupAttendee(meetup_id=held.id, user_id=who.id, going_at=utcnow() - timedelta(days=3)))
        s.commit()
    client = client_of(app, organizer)
    sheet = client.get(f"/meetups/{held.id}/attendance").get_data(as_text=True)
    assert came.email in sheet and stayed_away.email in sheet
    response = client.post(
        f"/meetups/{held.id}/attendance", data={"present": [str(came.id)], "emails": "walkin@example.com"}
    )
    assert response.status_code == 302
    with people.session() as s:
        rows = {r.user_id: r for r in s.exec(select(MeetupAttendee)).all()}
        assert rows[came.id].attended_at and rows[walk_in.id].checked_in_by == "organizer"
        assert rows[stayed_away.id].attended_at is None
    refused = client.post(f"/meetups/{held.id}/attendance", data={"present": [str(came.id)], "emails": "nobody@x.io"})
    assert refused.status_code == 422 and "No account has the address nobody@x.io" in refused.get_data(as_text=True)
    assert "nobody@x.io" in refused.get_data(as_text=True)  # kept in the text area
    garbage = client.post(f"/meetups/{held.id}/attendance", data={"present": ["x1"]})
    assert garbage.status_code == 422


def test_attendance_waits_for_the_meetup_to_start(app, people, organizer):
    trainee = people.user("t@example.com", "trainee")
    later = meetup(people, organizer, starts_in=timedelta(days=2))
    client = client_of(app, organizer)
    assert "has not started yet" in client.get(f"/meetups/{later.id}/attendance").get_data(as_text=True)
    response = client.post(f"/meetups/{later.id}/attendance", data={"present": [], "emails": trainee.email})
    assert response.status_code == 422 and "once the meetup has started" in response.get_data(as_text=True)


def test_times_are_shown_in_each_persons_own_zone(app, people, organizer):
    reader = people.user("t@example.com", "trainee")
    with people.session() as s:
        s.get(User, reader.id).time_zone = "America/New_York"
        s.commit()
    client_of(app, organizer).post("/meetups/new", data=FORM)
    with people.session() as s:
        made = s.exec(select(Meetup)).one()
    page = client_of(app, reader).get(f"/meetups/{made.id}").get_data(as_text=True)
    # 17:00 UTC on 25 March 2027 is 13:00 in New York (EDT), and 18:00 where it is held
    assert re.search(r"25 Mar 2027 13:00 EDT", page) and "18:00–19:30 CET (Europe/Berlin)" in page


def test_a_refused_edit_changes_nothing(app, people, organizer):
    client = client_of(app, organizer)
    client.post("/meetups/new", data=FORM)
    with people.session() as s:
        made = s.exec(select(Meetup)).one()
    client.post(f"/meetups/{made.id}/edit", data={**FORM, "title": "New", "video_url": "ftp://nope"})
    with people.session() as s:
        again = s.get(Meetup, made.id)
        assert again.title == FORM["title"] and again.sequence == 0


def test_the_service_refuses_replies_once_over_even_without_the_page(app, people, organizer):
    trainee = people.user("t@example.com", "trainee")
    held = meetup(people, organizer, starts_in=timedelta(days=-2))
    with people.session() as s, pytest.raises(services.MeetupOver):
        services.rsvp(s, meetup=s.get(Meetup, held.id), user=s.get(User, trainee.id), going=True, now=utcnow())


def test_organizers_read_the_check_in_day_on_the_meetups_own_calendar(app, people, organizer):
    with people.session() as s:
        s.get(User, organizer.id).time_zone = "Europe/Berlin"
        s.commit()
    client = client_of(app, organizer)
    sent = {**FORM, "day": "2027-03-25", "starts": "18:00", "ends": "19:00", "time_zone": "America/Los_Angeles"}
    assert client.post("/meetups/new", data=sent).status_code == 302
    with people.session() as s:
        made = s.exec(select(Meetup)).one()
    page = client.get(f"/meetups/{made.id}").get_data(as_text=True)
    # 18:00 in Los Angeles is 02:00 the next day in Berlin; the code works on the Los Angeles day
    assert re.search(r"works on <time[^>]*>25 Mar 2027</time> only, on the calendar of America/Los_Angeles", page)
