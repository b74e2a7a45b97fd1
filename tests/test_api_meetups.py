"""The Reliability Meetup's API (issue 19): meetups to come and past with their agenda and counts, one meetup, and
the accepted talks with the archive's search; for every token that may read, never with a meetup's check-in code,
and never a proposal that was not accepted."""

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

import pytest

from academy.accounts import services as accounts
from academy.curriculum.store import catalogue
from academy.meetups import services
from academy.meetups.services import MeetupDraft, SpeakerDraft, TalkDraft
from academy.models import Meetup, User, utcnow

BERLIN = "Europe/Berlin"


@pytest.fixture
def token(app, people):
    """token(user) -> a fresh API token of that person; scope "read" unless told."""
    from academy.api.tokens import create_token

    def make(user, scope: str = "read") -> str:
        with app.test_request_context(), people.session() as s:
            made, _ = create_token(s, user=s.get(User, user.id), name=f"meetups {scope}", scope=scope)
            s.commit()
        return made

    return make


@pytest.fixture
def api(client, token):
    """api(user, path) -> the answer to a GET; user None sends no token."""

    def call(user, path: str, scope: str = "read"):
        headers = {"Authorization": f"Bearer {token(user, scope)}"} if user else {}
        return client.get(f"/api/v1{path}", headers=headers)

    return call


def meetup_on(s, organizer: User, day: date, title: str) -> Meetup:
    draft = MeetupDraft(
        title=title,
        day=day,
        starts=time(17, 0),
        ends=time(18, 30),
        time_zone=BERLIN,
        place="Auditorium 2",
        video_url="https://meet.example.com/reliability",
        recording_url="https://video.example.com/reliability/1" if day < date.today() else "",
    )
    return services.create_meetup(s, by=organizer, draft=draft)


def talk_in(s, meetup: Meetup, organizer: User, title: str, speakers: list[SpeakerDraft], **more):
    draft = TalkDraft(title=title, speakers=speakers, **more)
    return services.add_talk(s, catalogue(), meetup=meetup, by=organizer, draft=draft)


@pytest.fixture
def meetups(app, people, academy):
    """A meetup held two weeks ago (two talks, three who said they would come, two who came) and one in two weeks
    (one talk, the trainee going); a proposal still waiting, and one declined."""
    organizer = people.user("organizer@example.com", "organizer", name="Oskar Organizer")
    today = date.today()
    with app.test_request_context(), people.session() as s:
        org = s.get(User, organizer.id)
        for who, team in ((academy.mentor, "SRE"), (academy.trainee, "Customer support")):
            found = s.get(User, who.id)
            found.team = team
            s.add(found)
        held = meetup_on(s, org, today - timedelta(days=14), "Reliability Meetup #1")
        alerts = talk_in(
            s,
            held,
            org,
            "Alert fatigue at Payments",
            [
                SpeakerDraft(guest_name="Amara Okoye", guest_team="Payments"),
                SpeakerDraft(email=academy.mentor.email, is_sre=True),
            ],
            abstract="We deleted *most* of our pages.",
            module_ids=["symptom-alerting", "on-call"],
            slides_url="https://slides.example.com/alerts",
        )
        budgets = talk_in(
            s,
            held,
            org,
            "Error budgets for product managers",
            [SpeakerDraft(email=academy.trainee.email)],
            module_ids=["error-budgets"],
        )
        coming = meetup_on(s, org, today + timedelta(days=14), "Reliability Meetup #2")
        capacity = talk_in(
            s,
            coming,
            org,
            "Capacity before the peak",
            [SpeakerDraft(guest_name="Henrik Aalto", guest_team="SRE, Nordlicht", is_sre=True)],
        )
        before = held.starts_at - timedelta(days=2)
        for person in (academy.trainee, academy.trainee2, academy.manager):
            services.rsvp(s, meetup=held, user=s.get(User, person.id), going=True, now=before)
        present = {academy.trainee.id, academy.mentor.id}
        services.record_attendance(s, meetup=held, by=org, present=present, emails=[], now=held.ends_at)
        services.rsvp(s, meetup=coming, user=s.get(User, academy.trainee.id), going=True, now=utcnow())
        waiting = services.propose_talk(
            s,
            catalogue(),
            by=s.get(User, academy.mentor.id),
            draft=TalkDraft("Alerting secrets", speakers=[SpeakerDraft(email=academy.mentor.email)]),
        )
        declined = services.propose_talk(
            s,
            catalogue(),
            by=s.get(User, academy.trainee2.id),
            draft=TalkDraft("Alerting vendors", speakers=[SpeakerDraft(email=academy.trainee2.email)]),
        )
        services.decide_talk(
            s, talk=declined, by=org, decision="decline", meetup=None, comment="Not for us.", now=utcnow()
        )
        s.commit()
        ns = type("Meetups", (), {})()
        ns.held, ns.coming, ns.alerts, ns.budgets, ns.capacity = held, coming, alerts, budgets, capacity
        ns.proposals = [waiting, declined]
        return ns


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def keys(node) -> set[str]:
    """Every key of a JSON answer, at any depth."""
    if isinstance(node, list):
        return set().union(*(keys(item) for item in node))
    if isinstance(node, dict):
        return set(node).union(*(keys(value) for value in node.values()))
    return set()


# ------------------------------------------------------------------ the document


def test_the_document_has_the_meetup_operations_and_no_check_in_code(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    ops = {(m, p): op for p, methods in spec["paths"].items() for m, op in methods.items() if "meetups" in op["tags"]}
    assert {route: op["operationId"] for route, op in ops.items()} == {
        ("get", "/api/v1/meetups"): "listMeetups",
        ("get", "/api/v1/meetups/{meetup_id}"): "getMeetup",
        ("get", "/api/v1/talks"): "listTalks",
    }
    assert "meetups" in [t["name"] for t in spec["tags"]]
    assert "check_in" not in str(spec["components"]["schemas"])
    meetup = spec["components"]["schemas"]["MeetupOut"]["properties"]
    assert {"starts_at", "ends_at", "time_zone", "talks", "going", "attended"} <= set(meetup)


# ------------------------------------------------------------------ meetups


def test_the_list_has_the_meetups_to_come_then_those_held_with_agenda_and_counts(academy, api, meetups):
    response = api(academy.trainee, "/meetups")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 50, 2)
    coming, held = body["items"]
    assert [coming["id"], held["id"]] == [meetups.coming.id, meetups.held.id]
    assert (coming["ended"], held["ended"]) == (False, True)
    assert (coming["going"], coming["attended"]) == (1, 0)
    assert (held["going"], held["attended"]) == (3, 2)  # the mentor came without saying so; one said so and did not
    assert held["starts_at"] == utc_text(meetups.held.starts_at) and held["starts_at"].endswith("Z")
    assert held["ends_at"] == utc_text(meetups.held.ends_at)
    local = datetime.fromisoformat(held["starts_at"]).astimezone(meetups.held.starts_at.tzinfo)
    assert local == meetups.held.starts_at
    assert (held["time_zone"], held["place"], held["video_url"]) == (
        BERLIN,
        "Auditorium 2",
        "https://meet.example.com/reliability",
    )
    assert held["recording_url"] == "https://video.example.com/reliability/1" and coming["recording_url"] is None
    alerts, budgets = held["talks"]
    assert (alerts["id"], alerts["meetup_id"], alerts["position"], budgets["position"]) == (
        meetups.alerts.id,
        meetups.held.id,
        1,
        2,
    )
    assert alerts["speakers"] == [
        {"name": "Amara Okoye", "team": "Payments", "is_sre": False},
        {"name": academy.mentor.display_name, "team": "SRE", "is_sre": True},
    ]
    assert budgets["speakers"] == [{"name": academy.trainee.display_name, "team": "Customer support", "is_sre": False}]
    assert alerts["module_ids"] == ["on-call", "symptom-alerting"] and alerts["slides_url"].endswith("/alerts")
    assert alerts["abstract"] == "We deleted *most* of our pages." and budgets["slides_url"] is None
    assert [t["title"] for t in coming["talks"]] == ["Capacity before the peak"]


def test_no_answer_holds_a_check_in_code_or_who_came(academy, api, meetups):
    codes = [meetups.held.check_in_code, meetups.coming.check_in_code]
    for path in ("/meetups", f"/meetups/{meetups.held.id}", f"/meetups/{meetups.coming.id}", "/talks"):
        response = api(academy.admin, path)
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and not any(code in text for code in codes), path
        assert not keys(response.get_json()) & {"check_in_code", "code", "email", "user_id", "attendees"}


def test_the_list_pages_and_filters_to_come_or_held(academy, api, meetups):
    first = api(academy.trainee, "/meetups?per_page=1").get_json()
    second = api(academy.trainee, "/meetups?per_page=1&page=2").get_json()
    assert (first["total"], second["total"]) == (2, 2)
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [meetups.coming.id, meetups.held.id]
    assert api(academy.trainee, "/meetups?per_page=1&page=3").get_json()["items"] == []
    assert [m["id"] for m in api(academy.trainee, "/meetups?when=upcoming").get_json()["items"]] == [meetups.coming.id]
    assert [m["id"] for m in api(academy.trainee, "/meetups?when=past").get_json()["items"]] == [meetups.held.id]
    for wrong in ("?when=tomorrow", "?per_page=0", "?per_page=101", "?page=0", "?colour=red"):
        response = api(academy.trainee, f"/meetups{wrong}")
        assert response.status_code == 422 and set(response.get_json()) == {"error", "detail"}, wrong


def test_one_meetup_and_an_unknown_one_is_not_found(academy, api, meetups):
    response = api(academy.mentor, f"/meetups/{meetups.coming.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["title"], body["going"], body["ended"]) == (
        meetups.coming.id,
        "Reliability Meetup #2",
        1,
        False,
    )
    assert body["talks"][0]["speakers"] == [{"name": "Henrik Aalto", "team": "SRE, Nordlicht", "is_sre": True}]
    whole = next(m for m in api(academy.mentor, "/meetups").get_json()["items"] if m["id"] == meetups.coming.id)
    assert body == whole
    missing = api(academy.mentor, "/meetups/999999")
    assert missing.status_code == 404 and set(missing.get_json()) == {"error", "detail"}


def test_no_meetups_is_an_empty_page(academy, api):
    assert api(academy.trainee, "/meetups").get_json() == {"page": 1, "per_page": 50, "total": 0, "items": []}
    assert api(academy.trainee, "/talks").get_json()["items"] == []


# ------------------------------------------------------------------ talks


def test_talks_are_the_accepted_ones_latest_meetup_first_with_their_meetup(academy, api, meetups):
    body = api(academy.outsider, "/talks").get_json()
    assert body["total"] == 3
    assert [(t["id"], t["meetup_id"]) for t in body["items"]] == [
        (meetups.capacity.id, meetups.coming.id),
        (meetups.alerts.id, meetups.held.id),
        (meetups.budgets.id, meetups.held.id),
    ]
    titles = {t["title"] for t in body["items"]}
    assert not titles & {"Alerting secrets", "Alerting vendors"}  # a proposal waiting, one declined
    page = api(academy.outsider, "/talks?per_page=2&page=2").get_json()
    assert [t["id"] for t in page["items"]] == [meetups.budgets.id] and page["total"] == 3


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("alert", ["alerts"]),  # the title, in another case
        ("ALERT fatigue", ["alerts"]),  # every word
        ("amara", ["alerts"]),  # a guest speaker's name
        ("trainee", ["budgets"]),  # an account speaker's name
        ("most pages", ["alerts"]),  # the abstract
        ("alert budgets", []),  # no talk holds both words
        ("capacity", []),  # a talk still to come is not in the archive
        ("100%_", []),  # no wildcard
    ],
)
def test_q_searches_the_talks_of_meetups_held_as_the_archive_does(academy, api, meetups, q, found):
    response = api(academy.trainee, f"/talks?q={quote(q)}")
    assert response.status_code == 200
    assert [t["id"] for t in response.get_json()["items"]] == [getattr(meetups, name).id for name in found]


def test_a_q_too_long_is_a_422(academy, api, meetups):
    assert api(academy.trainee, "/talks?q=" + "a" * 201).status_code == 422


# ------------------------------------------------------------------ who may read


def test_every_token_that_may_read_reads_and_nobody_else(app, people, academy, api, meetups):
    with app.app_context(), people.session() as s:
        colleague = accounts.create_user(session=s, email="colleague@example.com", display_name="Colleague", roles=())
        s.commit()
    paths = ("/meetups", f"/meetups/{meetups.held.id}", "/talks?q=alert")
    for who in (academy.trainee, academy.mentor, academy.manager, academy.admin, colleague):
        for scope in ("read", "write"):
            assert all(api(who, path, scope).status_code == 200 for path in paths), (who.email, scope)
    for path in paths:
        assert api(None, path).status_code == 401
        refused = api(academy.trainee, path, scope="lab")
        assert refused.status_code == 403 and "academy-lab" in refused.get_json()["detail"]
