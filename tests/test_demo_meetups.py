"""The demo academy's Reliability Meetup: twelve meetups held in the last year and two to come, talks by SREs and by
people of other teams, attendance growing from 8 to 35, replies to the coming ones, the call for talks, colleagues
with no role who land on the catalogue, and trainee@example.com at a few meetups; loading the demo twice adds
nothing."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import select

from academy.curriculum.store import catalogue
from academy.demo_meetups import COLLEAGUES, colleague_email, meetup_days, third_thursday
from academy.meetups import queries, services
from academy.models import Meetup, MeetupAttendee, Notification, Talk, TalkModule, TalkSpeaker, User, UserRole
from tests.conftest import sign_in


@pytest.fixture
def demo(runner, db_session):
    result = runner.invoke(args=["academy", "demo"])
    assert result.exit_code == 0, result.output
    assert "organizer@example.com" in result.output
    db_session.rollback()


def user(db_session, email: str) -> User:
    found = db_session.exec(select(User).where(User.email == email)).one()
    db_session.rollback()
    return found


def held_and_coming(db_session):
    now = datetime.now(UTC)
    found = queries.past(db_session, now), queries.upcoming(db_session, now)
    db_session.rollback()
    return found


def test_a_meetup_a_month_the_third_thursday_for_a_year_and_the_next_two():
    assert third_thursday(2026, 12) == date(2026, 12, 17) and third_thursday(2027, 1) == date(2027, 1, 21)
    held, coming = meetup_days(date(2026, 12, 4))
    assert held[0] == date(2025, 12, 18) and held[-1] == date(2026, 11, 19) and len(held) == 12
    assert coming == [date(2026, 12, 17), date(2027, 1, 21)]
    held, coming = meetup_days(date(2026, 11, 19))  # on a meetup's day: neither held yet nor still to come
    assert held[-1] == date(2026, 10, 15) and coming[0] == date(2026, 12, 17)
    assert len({d.month for d in held}) == 12 and all(d.weekday() == 3 for d in held + coming)


def test_twelve_meetups_held_and_two_to_come_each_with_two_accepted_talks(app, demo, db_session):
    held, coming = held_and_coming(db_session)
    assert len(held) == 12 and len(coming) == 2
    for meetup in held + coming:
        local = meetup.starts_at.astimezone(ZoneInfo(meetup.time_zone))
        assert (local.weekday(), local.hour, local.minute) == (3, 17, 0)
        assert meetup.ends_at - meetup.starts_at == timedelta(minutes=90)
        assert meetup.place == "Auditorium 2" and meetup.video_url.startswith("https://")
        assert len(meetup.check_in_code) == services.CODE_LENGTH
    assert all(m.recording_url for m in held) and not any(m.recording_url for m in coming)
    ids = [m.id for m in held + coming]
    agendas = queries.agendas(db_session, ids)
    db_session.rollback()
    assert all(len(agendas[i]) == 2 for i in ids)
    talks = [view for i in ids for view in agendas[i]]
    assert len({v.talk.title for v in talks}) == 28
    assert all(v.talk.slides_url for m in held for v in agendas[m.id])
    assert not any(v.talk.slides_url for m in coming for v in agendas[m.id])
    assert all(v.module_ids for v in talks)
    with app.app_context():
        assert all(catalogue().get(m) is not None for v in talks for m in v.module_ids)


def test_speakers_of_both_kinds_accounts_and_guests_and_more_non_sres_as_the_year_goes_on(demo, db_session):
    held, coming = held_and_coming(db_session)
    meetups = held[::-1] + coming  # oldest first
    agendas = queries.agendas(db_session, [m.id for m in meetups])
    db_session.rollback()
    speakers = [[s for v in agendas[m.id] for s in v.speakers] for m in meetups]
    everyone = [s for row in speakers for s in row]
    non_sres = [s for s in everyone if not s.is_sre]
    assert 0.4 <= len(non_sres) / len(everyone) <= 0.65  # about half
    first_half = [s for row in speakers[:6] for s in row]
    second_half = [s for row in speakers[6:12] for s in row]
    share = [sum(not s.is_sre for s in half) / len(half) for half in (first_half, second_half)]
    assert share[0] < 0.5 < share[1]
    assert {(s.user_id is None, s.is_sre) for s in everyone} == {
        (True, True),
        (True, False),
        (False, True),
        (False, False),
    }
    assert all(s.team for s in everyone) and all(s.name for s in everyone)
    teams = {s.team for s in non_sres}
    assert {"Payments", "Search", "Mobile", "Customer support", "Communications"} <= teams and "SRE" not in teams


def test_attendance_on_every_meetup_held_growing_from_8_to_35_by_code_and_by_the_organizer(demo, db_session):
    held, _ = held_and_coming(db_session)
    oldest_first = held[::-1]
    counts = queries.replies(db_session, [m.id for m in oldest_first])
    came = [counts[m.id].came for m in oldest_first]
    assert came[0] == 8 and came[-1] == 35 and all(8 <= n <= 35 for n in came) and came == sorted(came)
    assert all(counts[m.id].going > 0 for m in held)
    ways = dict(
        db_session.exec(
            select(MeetupAttendee.checked_in_by, func.count())
            .where(MeetupAttendee.attended_at.is_not(None))
            .group_by(MeetupAttendee.checked_in_by)
        ).all()
    )
    assert set(ways) == {"code", "organizer"} and ways["code"] > ways["organizer"] > 0
    speakers = db_session.exec(
        select(Talk.meetup_id, TalkSpeaker.user_id)
        .join(TalkSpeaker)
        .where(TalkSpeaker.user_id.is_not(None), Talk.state == "accepted")
    ).all()
    for meetup_id, speaker in speakers:  # every speaker with an account came to their own meetup, or says so
        row = db_session.get(MeetupAttendee, (meetup_id, speaker))
        assert row is not None and (row.attended_at or row.going_at)
    organizer = user(db_session, "organizer@example.com")
    assert len(queries.attended_by(db_session, organizer.id)) == 12
    db_session.rollback()


def test_trainee_came_to_a_few_meetups_and_says_they_will_come_to_the_next(app, demo, db_session):
    trainee = user(db_session, "trainee@example.com")
    held, coming = held_and_coming(db_session)
    attended = queries.attended_by(db_session, trainee.id)
    assert 3 <= len(attended) <= 5 and {m.id for m in attended} <= {m.id for m in held}
    mine = queries.my_replies(db_session, trainee.id, [m.id for m in coming])
    db_session.rollback()
    assert mine[coming[0].id].going_at is not None and coming[1].id not in mine
    assert trainee.team == "Customer support"


def test_the_coming_meetups_take_replies_and_keep_them(demo, db_session):
    _, coming = held_and_coming(db_session)
    counts = queries.replies(db_session, [m.id for m in coming])
    assert counts[coming[0].id].going > counts[coming[1].id].going > 0
    assert counts[coming[0].id].came == 0 and counts[coming[1].id].came == 0
    colleague = db_session.exec(select(User).where(User.email == colleague_email(COLLEAGUES[-1][0]))).one()
    services.rsvp(db_session, meetup=coming[1], user=colleague, going=True, now=datetime.now(UTC))
    db_session.commit()
    assert queries.replies(db_session, [coming[1].id])[coming[1].id].going == counts[coming[1].id].going + 1
    db_session.rollback()


def test_the_call_for_talks_has_one_waiting_one_sent_back_and_one_declined(demo, db_session):
    states = db_session.exec(select(Talk).where(Talk.state != "accepted").order_by(Talk.proposed_at)).all()
    assert sorted(t.state for t in states) == ["changes_requested", "declined", "proposed"]
    by_state = {t.state: t for t in states}
    mentor = user(db_session, "mentor@example.com")
    waiting = queries.proposals_to_decide(db_session)
    assert [v.talk.state for v in waiting] == ["proposed", "changes_requested"]
    assert by_state["proposed"].proposed_by == mentor.id and by_state["proposed"].meetup_id is None
    for state in ("changes_requested", "declined"):
        assert by_state[state].decision_comment and by_state[state].decided_at > by_state[state].proposed_at
        assert by_state[state].meetup_id is None
    organizer = user(db_session, "organizer@example.com")
    told = db_session.exec(select(func.count()).where(Notification.user_id == organizer.id)).one()
    assert told == 3  # "A talk was proposed", once each
    db_session.rollback()


def test_teams_and_thirty_colleagues_with_no_role_and_the_organizer(demo, db_session):
    emails = [colleague_email(name) for name, _ in COLLEAGUES]
    assert len(set(emails)) == 30 and colleague_email("Liam O'Connor") == "liam.oconnor@example.com"
    colleagues = db_session.exec(select(User).where(User.email.in_(emails))).all()
    assert len(colleagues) == 30 and len({u.team for u in colleagues}) >= 10
    roles = db_session.exec(
        select(func.count()).select_from(UserRole).where(UserRole.user_id.in_([u.id for u in colleagues]))
    ).one()
    assert roles == 0
    organizer = user(db_session, "organizer@example.com")
    mine = db_session.exec(select(UserRole.role).where(UserRole.user_id == organizer.id)).all()
    assert mine == ["organizer"]
    for email, team in [("mentor@example.com", "SRE"), ("trainee2@example.com", "Operations")]:
        assert user(db_session, email).team == team
    db_session.rollback()


def test_a_colleague_with_no_role_signs_in_to_the_catalogue(app, demo):
    client = app.test_client()
    response = sign_in(client, colleague_email("Amara Okoye"), "academy-demo")
    assert response.status_code == 302 and response.headers["Location"].endswith("/catalogue")
    page = client.get("/catalogue")
    assert page.status_code == 200 and "Sign out" in page.get_data(as_text=True)
    assert client.get("/modules/toil").status_code == 200


def test_the_demo_twice_adds_no_second_year_of_meetups(runner, db_session, demo):
    counted_models = (User, Meetup, Talk, TalkSpeaker, TalkModule, MeetupAttendee)

    def counted():
        found = [db_session.exec(select(func.count()).select_from(m)).one() for m in counted_models]
        db_session.rollback()
        return found

    before = counted()
    assert runner.invoke(args=["academy", "demo"]).exit_code == 0
    assert counted() == before
    assert before[1:3] == [14, 31]  # the meetups; their 28 talks and the call for talks' 3


def test_the_organizer_lands_on_the_meetups(app, demo):
    client = app.test_client()
    response = sign_in(client, "organizer@example.com", "academy-demo")
    assert response.headers["Location"] == "/meetups"
    assert "Reliability Meetup #13" in client.get("/meetups").get_data(as_text=True)
