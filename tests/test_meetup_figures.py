"""The meetup's figures (issue 19): every figure computed from a small known set of meetups, a meetup not yet held
left out, the page with its charts, their text alternatives and its empty state, and SQL that does not grow with
the number of meetups. Also a trainee's meetups on their progress record."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import Session

from academy.charts import bar_chart, share_chart
from academy.curriculum.store import catalogue
from academy.meetups import figures, services
from academy.meetups.services import MeetupDraft, SpeakerDraft, TalkDraft
from academy.models import Meetup, MeetupAttendee, Talk, TalkSpeaker, User, utcnow
from tests.conftest import Statements, client_of


@dataclass
class Known:
    """Two meetups held and one to come, with the people of them."""

    first: Meetup
    second: Meetup
    coming: Meetup
    people: dict[str, User]


def held_on(s, by: User, days_ago: int, title: str) -> Meetup:
    """A meetup held in UTC `days_ago` days ago, 17:00-18:30."""
    day = (utcnow() - timedelta(days=days_ago)).date()
    draft = MeetupDraft(title=title, day=day, starts=time(17), ends=time(18, 30), time_zone="UTC", place="Room 4")
    return services.create_meetup(s, by=by, draft=draft)


def talk(s, meetup: Meetup, by: User, title: str, *speakers: SpeakerDraft) -> Talk:
    return services.add_talk(s, catalogue(), meetup=meetup, by=by, draft=TalkDraft(title, speakers=list(speakers)))


def came(s, meetup: Meetup, by: User, *who: User) -> None:
    services.record_attendance(s, meetup=meetup, by=by, present={u.id for u in who}, emails=[], now=utcnow())


def team_of(people, email: str, team: str | None, *roles: str) -> User:
    user = people.user(email, *roles)
    with people.session() as s:
        s.get(User, user.id).team = team
        s.commit()
    return user


@pytest.fixture
def known(app, people) -> Known:
    """The first meetup: Dana Reyes (a guest of Payments) and Sam (an SRE). The second: "dana  reyes" of "PAYMENTS"
    again (the same guest), Devi (a developer of Customer support), and Sam again. Four people came, one to both;
    their teams repeat the speakers' in other cases and spacing. The meetup to come has a talk and an attendance
    of its own, which no figure counts; neither does a proposal that was never accepted."""
    org = people.user("organizer@example.com", "organizer")
    who = {
        "sam": team_of(people, "sam@example.com", "SRE Platform"),
        "devi": team_of(people, "devi@example.com", "Customer support"),
        "ann": team_of(people, "ann@example.com", "payments", "trainee"),
        "bo": team_of(people, "bo@example.com", None),
        "cy": team_of(people, "cy@example.com", "  Customer   SUPPORT "),
        "di": team_of(people, "di@example.com", "Checkout"),
        "eve": team_of(people, "eve@example.com", "Legal"),
    }
    with app.test_request_context(), people.session() as s:
        first = held_on(s, org, 60, "Reliability Meetup #1")
        second = held_on(s, org, 30, "Reliability Meetup #2")
        coming = held_on(s, org, -10, "Reliability Meetup #3")
        talk(s, first, org, "Payments at 3 a.m.", SpeakerDraft(guest_name="Dana Reyes", guest_team="Payments"))
        talk(s, first, org, "Error budgets", SpeakerDraft(email="sam@example.com", is_sre=True))
        talk(
            s,
            second,
            org,
            "What support hears first",
            SpeakerDraft(guest_name="dana  reyes", guest_team="PAYMENTS"),
            SpeakerDraft(email="devi@example.com"),
        )
        talk(s, second, org, "Error budgets, a year on", SpeakerDraft(email="sam@example.com", is_sre=True))
        talk(s, coming, org, "Marketing's outage", SpeakerDraft(guest_name="Zed", guest_team="Marketing"))
        never = Talk(title="A proposal", state="proposed", meetup_id=second.id, proposed_by=org.id)
        s.add(never)
        s.flush()
        s.add(TalkSpeaker(talk_id=never.id, guest_name="Quinn", guest_team="Sales"))
        came(s, first, org, who["ann"], who["bo"], who["cy"])
        came(s, second, org, who["ann"], who["cy"], who["di"])
        s.add(MeetupAttendee(meetup_id=coming.id, user_id=who["eve"].id, attended_at=utcnow()))
        s.commit()
        return Known(first, second, coming, who | {"organizer": org})


def test_every_figure_of_the_meetups_held(app, people, known):
    with app.app_context(), people.session() as s:
        found = figures.meetup_figures(s, utcnow())
    assert found.held == 2 and [m.meetup_id for m in found.meetups] == [known.first.id, known.second.id]
    assert found.talks == 4 and [m.talks for m in found.meetups] == [2, 2]
    # Dana Reyes counted once across two talks, Sam once across two: Dana, Sam and Devi
    assert found.speakers == 3 and found.not_sre == 2
    assert [(m.speakers_so_far, m.not_sre_so_far) for m in found.meetups] == [(2, 1), (3, 2)]
    assert [round(m.share) for m in found.meetups] == [50, 67]
    assert found.not_sre_words == "2 of 3 speakers (67 %) were not SREs"
    assert [m.came for m in found.meetups] == [3, 3] and found.attendees == 4  # Ann came to both
    # Payments, SRE Platform and Customer support of the speakers; payments, customer support and Checkout of the
    # people who came; not Marketing, Sales or Legal, of a meetup to come or a proposal
    assert [t.casefold() for t in found.teams] == ["checkout", "customer support", "payments", "sre platform"]


def test_the_words_for_one_speaker_and_for_none():
    one = figures.MeetupFigures([], talks=1, speakers=1, not_sre=1, attendees=0, teams=[])
    assert one.not_sre_words == "1 of 1 speaker (100 %) was not an SRE"
    assert figures.MeetupFigures([], 0, 0, 0, 0, []).not_sre_words == "Nobody has spoken yet."
    assert figures.same_words("  Customer \t SUPPORT ") == "customer support"


def test_an_account_speaker_is_one_speaker_whatever_their_name_and_an_sre_as_their_latest_talk_says(app, people, known):
    with app.test_request_context(), people.session() as s:
        later = held_on(s, known.people["organizer"], 5, "Reliability Meetup #4")
        talk(s, later, known.people["organizer"], "I left SRE for product", SpeakerDraft(email="sam@example.com"))
        s.commit()
        found = figures.meetup_figures(s, utcnow())
    assert found.speakers == 3 and found.not_sre == 3  # Sam, no longer an SRE, still one speaker
    assert [(m.speakers_so_far, m.not_sre_so_far) for m in found.meetups] == [(2, 1), (3, 2), (3, 3)]
    assert found.talks == 5 and found.meetups[-1].came == 0


def test_the_page_shows_the_figures_with_charts_and_their_numbers(app, people, known):
    page = client_of(app, known.people["bo"]).get("/meetups/figures")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    stats = dict((label, int(n)) for n, label in re.findall(r'<span class="stat-n">(\d+)</span> ([\w ]+?)</div>', html))
    assert stats == {"meetups held": 2, "talks given": 4, "speakers": 3, "people came": 4, "teams reached": 4}
    assert "2 of 3 speakers (67 %) were not SREs" in html
    assert html.count('role="img"') == 2  # the share of speakers and who came, each with its title and words
    assert '<desc id="share-desc">2 of 3 speakers (67 %) were not SREs, after 2 meetups.</desc>' in html
    assert '<desc id="came-desc">From 3 to 3 people a meetup; 6 attendances in all.</desc>' in html
    for m in (known.first, known.second):  # the tables behind the charts name every meetup held, linked
        assert html.count(f'href="/meetups/{m.id}"') == 2
    assert "Reliability Meetup #3" not in html and "Marketing" not in html and "Legal" not in html
    assert 'href="/meetups"' in html  # the way back


def test_the_page_before_any_meetup_has_ended(app, people):
    org = people.user("organizer@example.com", "organizer")
    trainee = people.user("t@example.com", "trainee")
    with app.test_request_context(), people.session() as s:
        held_on(s, org, -3, "Still to come")
        s.commit()
    html = client_of(app, trainee).get("/meetups/figures").get_data(as_text=True)
    assert "No meetup has been held yet: plan one" in html and 'role="img"' not in html
    assert 'href="/meetups/new"' in client_of(app, org).get("/meetups/figures").get_data(as_text=True)
    assert app.test_client().get("/meetups/figures").status_code == 302  # sign in first


def test_the_sql_does_not_grow_with_the_number_of_meetups(app, people, known):
    client = client_of(app, known.people["bo"])
    engine = app.extensions["academy.engine"]

    def statements() -> int:
        assert client.get("/meetups/figures").status_code == 200
        with Statements(engine) as seen:
            assert client.get("/meetups/figures").status_code == 200
        return len(seen.seen)

    before = statements()
    org, guests = known.people["organizer"], [people.user(f"g{i}@example.com") for i in range(4)]
    with app.test_request_context(), people.session() as s:
        for n in range(4):
            meetup = held_on(s, org, 50 - n, f"More {n}")
            talk(s, meetup, org, f"Talk {n}", SpeakerDraft(guest_name=f"Guest {n}", guest_team=f"Team {n}"))
            talk(s, meetup, org, f"Talk {n}b", SpeakerDraft(email=guests[n].email, is_sre=True))
            came(s, meetup, org, *guests[: n + 1])
        s.commit()
    assert statements() == before
    with app.app_context(), people.session() as s, Statements(engine) as seen:
        figures.meetup_figures(s, utcnow())
    assert len(seen.seen) == 4  # the meetups, their speakers, the people who came and their teams


def test_the_charts_are_drawn_with_a_text_alternative():
    bars = bar_chart([("01 Mar 2027", 0), ("01 Apr 2027", 12)], title="Came", desc="From 0 to 12.", chart_id="x")
    assert 'role="img"' in bars and 'aria-labelledby="x-title x-desc"' in bars and "01 Apr 2027: 12" in bars
    assert bars.count("<rect") == 3  # two tracks, one bar: nobody came to the first
    days = [datetime(2027, m, 1, tzinfo=UTC).date() for m in (1, 2, 3)]
    line = share_chart(list(zip(days, [None, 50.0, 66.7], strict=True)), title="Share", desc="2 of 3.", chart_id="y")
    assert line.count("<circle") == 2 and "67 %" in line and "Jan 2027" in line and "Mar 2027" in line
    assert "<svg" in share_chart([], title="Share", desc="None.", chart_id="z")


# ------------------------------------------------------------------ a trainee's meetups on their progress record


def test_the_progress_record_lists_the_meetups_a_trainee_came_to(app, people, academy, known):
    with people.session() as s:
        for meetup in (known.first, known.second):
            s.add(MeetupAttendee(meetup_id=meetup.id, user_id=academy.trainee.id, attended_at=meetup.starts_at))
        s.add(MeetupAttendee(meetup_id=known.coming.id, user_id=academy.trainee.id, going_at=utcnow()))  # no more
        s.commit()
    url = f"/trainees/{academy.trainee.id}/progress"
    for who in (academy.trainee, academy.mentor, academy.manager):
        html = client_of(app, who).get(url).get_data(as_text=True)
        section = html.split("Reliability Meetups attended", 1)[1]
        links = re.findall(r'<a href="/meetups/(\d+)">([^<]+)</a>', section)
        assert links == [
            (str(known.second.id), "Reliability Meetup #2"),
            (str(known.first.id), "Reliability Meetup #1"),
        ]
        assert "<time" in section.split("</section>")[0]
    other = client_of(app, academy.trainee2).get(f"/trainees/{academy.trainee2.id}/progress").get_data(as_text=True)
    assert "Reliability Meetups attended" in other and "None yet." in other


def test_the_team_counts_whoever_gave_it(app, people, known):
    """An attendee's team counts from the day they give it on their account page."""
    bo = client_of(app, known.people["bo"])
    assert bo.post("/account/team", data={"team": "Data  Platform"}).status_code == 302
    with Session(app.extensions["academy.engine"]) as s:
        assert "Data Platform" in figures.meetup_figures(s, utcnow()).teams
