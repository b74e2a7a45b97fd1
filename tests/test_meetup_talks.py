"""The call for talks' pages (issue 19): proposing (anyone signed in), editing until a decision, the organizers'
decisions (into a meetup still to come; changes and declines with a comment), who sees a proposal, a refused form
that keeps what was typed, a talk straight onto an agenda, and talks on the module page and in the search."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from academy.models import Meetup, Notification, Talk, TalkModule, TalkSpeaker, User
from tests.conftest import PASSWORD, client_of, make_app
from tests.meetups_factory import meetup_at


@pytest.fixture
def organizer(people):
    return people.user("organizer@example.com", "organizer", name="Olga Organizer")


@pytest.fixture
def trainee(people):
    return people.user("tina@example.com", "trainee", name="Tina Trainee")


def meetup(people, organizer, *, starts_in: timedelta, title="Reliability Meetup, March") -> Meetup:
    return meetup_at(people, organizer, starts_in=starts_in, zone="UTC", title=title)


def form(**changes) -> dict:
    """A proposal by tina@example.com with a guest from the product team, about two modules."""
    sent = {
        "title": "What our error budget taught the product team",
        "abstract": "How we argued over **one** number.",
        "speakers-0-email": "tina@example.com",
        "speakers-0-is_sre": "y",
        "speakers-1-guest_name": "Dana Okafor",
        "speakers-1-guest_team": "Checkout",
        "module_ids": ["slis-and-slos", "error-budgets"],
        "slides_url": "",
    }
    return {k: v for k, v in (sent | changes).items() if v is not None}


def propose(client, **changes) -> int:
    response = client.post("/meetups/talks/new", data=form(**changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def talk_row(people, talk_id: int) -> Talk:
    with people.session() as s:
        return s.get(Talk, talk_id)


def messages_to(people, user) -> list[str]:
    with people.session() as s:
        rows = select(Notification.message).where(Notification.user_id == user.id).order_by(Notification.id)
        return list(s.exec(rows).all())


def decide(client, talk_id: int, decision: str, meetup_id: int | str = "", comment: str = ""):
    return client.post(
        f"/meetups/talks/{talk_id}/decide", data={"decision": decision, "meetup": str(meetup_id), "comment": comment}
    )


def given_talk(app, people, organizer, *, starts_in: timedelta, **changes) -> tuple[Meetup, int]:
    """A talk an organizer put on the agenda of a meetup starting in `starts_in` (a past one when negative)."""
    held = meetup(people, organizer, starts_in=starts_in, title="Reliability Meetup, January")
    response = client_of(app, organizer).post(f"/meetups/{held.id}/talks/new", data=form(**changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with people.session() as s:
        return held, s.exec(select(Talk.id).where(Talk.meetup_id == held.id)).one()


# ------------------------------------------------------------------ proposing


def test_anyone_signed_in_proposes_a_talk_and_the_organizers_are_told(app, people, organizer, trainee):
    client = client_of(app, trainee)
    page = client.get("/meetups/talks/new").get_data(as_text=True)
    assert 'value="tina@example.com"' in page  # the first speaker is the proposer, to begin with
    assert "Markdown" in page and page.count('name="module_ids"') > 30  # every module, to choose from
    talk_id = propose(client)
    with people.session() as s:
        talk = s.get(Talk, talk_id)
        assert talk.state == "proposed" and talk.proposed_by == trainee.id and talk.meetup_id is None
        speakers = s.exec(select(TalkSpeaker).where(TalkSpeaker.talk_id == talk_id).order_by(TalkSpeaker.position))
        assert [(sp.user_id, sp.guest_name, sp.guest_team, sp.is_sre) for sp in speakers] == [
            (trainee.id, None, None, True),
            (None, "Dana Okafor", "Checkout", False),
        ]
        modules = s.exec(select(TalkModule.module_id).where(TalkModule.talk_id == talk_id)).all()
        assert sorted(modules) == ["error-budgets", "slis-and-slos"]
    assert messages_to(people, organizer) == ["A talk was proposed: “What our error budget taught the product team”."]
    mine = client.get("/meetups/talks").get_data(as_text=True)
    assert "What our error budget taught the product team" in mine and "waiting for the organizers" in mine
    assert "Proposals to decide" not in mine  # an organizer's section
    assert app.test_client().get("/meetups/talks/new").status_code == 302  # sign in first


def test_the_call_for_talks_says_what_to_do_when_empty(app, people, organizer, trainee):
    page = client_of(app, trainee).get("/meetups/talks").get_data(as_text=True)
    assert "You have not proposed a talk yet" in page and "No talk has been given yet" in page
    assert 'href="/meetups/talks/new"' in page and 'href="/meetups"' in page
    page = client_of(app, organizer).get("/meetups/talks").get_data(as_text=True)
    assert "Proposals to decide" in page and "No proposal is waiting" in page


def test_organizers_see_the_proposals_to_decide(app, people, organizer, trainee):
    talk_id = propose(client_of(app, trainee))
    page = client_of(app, organizer).get("/meetups/talks").get_data(as_text=True)
    section = page.split("Proposals to decide", 1)[1].split("Past talks", 1)[0]
    assert f'href="/meetups/talks/{talk_id}"' in section and "by Tina Trainee" in section


# ------------------------------------------------------------------ editing


def test_the_proposer_edits_until_it_is_decided_and_not_after(app, people, organizer, trainee):
    client = client_of(app, trainee)
    talk_id = propose(client)
    page = client.get(f"/meetups/talks/{talk_id}/edit").get_data(as_text=True)
    assert 'value="tina@example.com"' in page and 'value="Dana Okafor"' in page and 'value="Checkout"' in page
    assert re.search(r'value="error-budgets"\s+checked', page)
    assert client.post(f"/meetups/talks/{talk_id}/edit", data=form(title="A better title")).status_code == 302
    assert talk_row(people, talk_id).title == "A better title"
    assert f'href="/meetups/talks/{talk_id}/edit"' in client.get(f"/meetups/talks/{talk_id}").get_data(as_text=True)

    coming = meetup(people, organizer, starts_in=timedelta(days=10))
    assert decide(client_of(app, organizer), talk_id, "accept", coming.id).status_code == 302
    assert client.get(f"/meetups/talks/{talk_id}/edit").status_code == 403
    assert client.post(f"/meetups/talks/{talk_id}/edit", data=form(title="Sneaked in")).status_code == 403
    assert talk_row(people, talk_id).title == "A better title"
    assert f"/meetups/talks/{talk_id}/edit" not in client.get(f"/meetups/talks/{talk_id}").get_data(as_text=True)
    assert client_of(app, organizer).get(f"/meetups/talks/{talk_id}/edit").status_code == 200  # organizers may


def test_a_talk_sent_back_for_changes_is_proposed_again_once_its_proposer_edits_it(app, people, organizer, trainee):
    client = client_of(app, trainee)
    talk_id = propose(client)
    assert (
        decide(client_of(app, organizer), talk_id, "changes", comment="Say *what* the number was.").status_code == 302
    )
    talk = talk_row(people, talk_id)
    assert talk.state == "changes_requested" and talk.decided_by == organizer.id
    assert (
        messages_to(people, trainee)[-1] == "Your talk “What our error budget taught the product team” needs changes."
    )
    page = client.get(f"/meetups/talks/{talk_id}").get_data(as_text=True)
    assert "changes asked" in page and "Say <em>what</em> the number was." in page
    assert "Say <em>what</em> the number was." in client.get(f"/meetups/talks/{talk_id}/edit").get_data(as_text=True)
    assert "Say <em>what</em> the number was." in client.get("/meetups/talks").get_data(as_text=True)

    assert client.post(f"/meetups/talks/{talk_id}/edit", data=form(abstract="It was 99.9 %.")).status_code == 302
    assert talk_row(people, talk_id).state == "proposed"
    assert (
        messages_to(people, organizer)[-1]
        == "“What our error budget taught the product team” was changed as you asked."
    )


# ------------------------------------------------------------------ the organizers' decisions


def test_organizers_accept_a_talk_into_a_meetup_still_to_come(app, people, organizer, trainee):
    talk_id = propose(client_of(app, trainee))
    past = meetup(people, organizer, starts_in=timedelta(days=-3), title="The one that is over")
    coming = meetup(people, organizer, starts_in=timedelta(days=10), title="The next one")
    org = client_of(app, organizer)
    page = org.get(f"/meetups/talks/{talk_id}").get_data(as_text=True)
    assert f'<option value="{coming.id}"' in page and f'<option value="{past.id}"' not in page

    over = decide(org, talk_id, "accept", past.id, comment="Welcome!")
    assert over.status_code == 409
    assert "That meetup is over; choose one still to come." in over.get_data(as_text=True)
    assert "Welcome!" in over.get_data(as_text=True)  # the comment typed stays
    assert talk_row(people, talk_id).state == "proposed"

    nowhere = decide(org, talk_id, "accept")
    assert nowhere.status_code == 422 and "Choose the meetup the talk goes into." in nowhere.get_data(as_text=True)

    assert decide(org, talk_id, "accept", coming.id).status_code == 302
    talk = talk_row(people, talk_id)
    assert talk.state == "accepted" and talk.meetup_id == coming.id and talk.decided_at is not None
    assert messages_to(people, trainee) == [
        "Your talk “What our error budget taught the product team” is on the agenda of “The next one”."
    ]
    page = client_of(app, trainee).get(f"/meetups/talks/{talk_id}").get_data(as_text=True)
    assert f'href="/meetups/{coming.id}"' in page and "accepted" in page
    assert "What our error budget" in org.get(f"/meetups/{coming.id}").get_data(as_text=True)  # on its agenda


@pytest.mark.parametrize(
    ("decision", "state", "words"),
    [("changes", "changes_requested", "needs changes"), ("decline", "declined", "was declined")],
)
def test_asking_for_changes_or_declining_needs_a_comment(app, people, organizer, trainee, decision, state, words):
    talk_id = propose(client_of(app, trainee))
    org = client_of(app, organizer)
    refused = decide(org, talk_id, decision, comment="   ")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'class="error-summary"' in page and 'href="#comment"' in page
    assert "Say in the comment what to change, or why the talk is declined." in page
    assert talk_row(people, talk_id).state == "proposed" and messages_to(people, trainee) == []

    assert decide(org, talk_id, decision, comment="Not this season.").status_code == 302
    talk = talk_row(people, talk_id)
    assert talk.state == state and talk.decision_comment == "Not this season." and talk.meetup_id is None
    assert messages_to(people, trainee) == [f"Your talk “What our error budget taught the product team” {words}."]


def test_only_organizers_decide(app, people, organizer, trainee):
    manager = people.user("manager@example.com", "manager", "mentor")
    talk_id = propose(client_of(app, trainee))
    coming = meetup(people, organizer, starts_in=timedelta(days=10))
    for who in (trainee, manager):
        client = client_of(app, who)
        assert decide(client, talk_id, "accept", coming.id).status_code == 403
    page = client_of(app, trainee).get(f"/meetups/talks/{talk_id}").get_data(as_text=True)
    assert f'action="/meetups/talks/{talk_id}/decide"' not in page  # no decision form for them
    assert talk_row(people, talk_id).state == "proposed"
    admin = people.user("admin@example.com", "admin")
    assert decide(client_of(app, admin), talk_id, "accept", coming.id).status_code == 302


def test_a_proposal_is_for_its_proposer_and_the_organizers_an_accepted_talk_for_everyone(
    app, people, organizer, trainee
):
    other = people.user("other@example.com", "trainee")
    talk_id = propose(client_of(app, trainee))
    assert client_of(app, other).get(f"/meetups/talks/{talk_id}").status_code == 403
    assert client_of(app, organizer).get(f"/meetups/talks/{talk_id}").status_code == 200
    assert client_of(app, trainee).get(f"/meetups/talks/{talk_id}").status_code == 200
    assert client_of(app, other).get("/meetups/talks/999999").status_code == 404

    coming = meetup(people, organizer, starts_in=timedelta(days=10))
    decide(client_of(app, organizer), talk_id, "accept", coming.id)
    page = client_of(app, other).get(f"/meetups/talks/{talk_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Dana Okafor" in text and "Checkout" in text and "not an SRE" in text
    assert 'href="/modules/slis-and-slos"' in text and "<strong>one</strong>" in text
    assert "Where it stands" not in text  # the state and the comment are the proposer's and the organizers'


def test_organizers_put_a_talk_straight_on_an_agenda(app, people, organizer, trainee):
    coming = meetup(people, organizer, starts_in=timedelta(days=10))
    assert client_of(app, trainee).get(f"/meetups/{coming.id}/talks/new").status_code == 403
    assert client_of(app, trainee).post(f"/meetups/{coming.id}/talks/new", data=form()).status_code == 403
    org = client_of(app, organizer)
    assert "Put a talk on the agenda" in org.get(f"/meetups/{coming.id}/talks/new").get_data(as_text=True)
    assert org.get("/meetups/999999/talks/new").status_code == 404
    response = org.post(f"/meetups/{coming.id}/talks/new", data=form(title="Invited: on-call at the bank"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/meetups/{coming.id}")
    with people.session() as s:
        talk = s.exec(select(Talk)).one()
        assert talk.state == "accepted" and talk.meetup_id == coming.id and talk.proposed_by == organizer.id
    assert "Invited: on-call at the bank" in org.get(f"/meetups/{coming.id}").get_data(as_text=True)


# ------------------------------------------------------------------ a refused form keeps what was typed


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [
        (
            {"speakers-0-email": "nobody@example.com"},
            "no active account has the address nobody@example.com",
            "speakers",
        ),
        (
            {"speakers-1-email": "tina2@example.com"},
            "Speaker 2: give an account&#39;s e-mail or a guest&#39;s name, not both.",
            "speakers",
        ),
        (
            {"module_ids": ["slis-and-slos", "error-budgets", "burn-rate-alerts", "toil", "on-call", "postmortems"]},
            "Link at most 5 modules.",
            "module_ids",
        ),
        ({"title": "  "}, "Give the talk a title", "title"),
        ({"slides_url": "javascript:alert(1)"}, "not a web address", "slides_url"),
    ],
)
def test_a_refused_proposal_says_why_at_the_top_and_keeps_what_was_typed(
    app, people, organizer, trainee, changes, message, field
):
    sent = form(abstract="<script>alert(1)</script> Keep *this*.", **changes)
    response = client_of(app, trainee).post("/meetups/talks/new", data=sent)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in page and message in page and f'href="#{field}"' in page
    assert f'id="{field}"' in page  # the summary's link lands on the field
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Keep *this*." in page and "<script>alert(1)" not in page
    assert 'value="Dana Okafor"' in page and 'value="Checkout"' in page
    assert f'value="{sent["speakers-0-email"]}"' in page
    for module_id in sent["module_ids"]:
        assert re.search(rf'value="{module_id}"\s+checked', page), module_id
    if sent["title"].strip():
        assert f'value="{sent["title"]}"' in page
    with people.session() as s:
        assert s.exec(select(Talk)).first() is None
    assert messages_to(people, organizer) == []


def test_a_refused_edit_keeps_what_was_typed_and_changes_nothing(app, people, organizer, trainee):
    client = client_of(app, trainee)
    talk_id = propose(client)
    response = client.post(
        f"/meetups/talks/{talk_id}/edit", data=form(title="Changed", **{"speakers-2-guest_team": "Ops"})
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Speaker 3: a guest needs a name" in page and 'value="Changed"' in page and 'value="Ops"' in page
    assert talk_row(people, talk_id).title == "What our error budget taught the product team"


def test_an_abstract_with_a_script_is_rendered_inert(app, people, organizer, trainee):
    client = client_of(app, trainee)
    talk_id = propose(client, abstract='<script>alert("x")</script>\n\n<img src=x onerror=alert(1)> **Bold**')
    page = client.get(f"/meetups/talks/{talk_id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "<strong>Bold</strong>" in page


# ------------------------------------------------------------------ the module page and the search


def test_the_module_page_lists_the_accepted_talks_on_it(app, people, organizer, trainee):
    client = client_of(app, trainee)
    assert "Talks on this topic" not in client.get("/modules/slis-and-slos").get_data(as_text=True)
    propose(client, title="Still only a proposal")
    held, talk_id = given_talk(app, people, organizer, starts_in=timedelta(days=10), title="Budgets at the bank")
    page = client.get("/modules/slis-and-slos").get_data(as_text=True)
    section = page.split("Talks on this topic", 1)[1]
    assert f'href="/meetups/talks/{talk_id}"' in section and "Budgets at the bank" in section
    assert "Dana Okafor (Checkout)" in section and "<time" in section  # the speakers and the meetup's date
    assert "Still only a proposal" not in page
    assert "Talks on this topic" not in client.get("/modules/toil").get_data(as_text=True)


def test_the_search_finds_a_past_talk_by_a_speakers_name(app, people, organizer, trainee):
    _, talk_id = given_talk(app, people, organizer, starts_in=timedelta(days=-20), title="Budgets at the bank")
    given_talk(app, people, organizer, starts_in=timedelta(days=20), title="Not given yet")
    propose(client_of(app, trainee), title="Only proposed", **{"speakers-1-guest_name": "Dana Okafor"})
    client = client_of(app, trainee)
    for path in ("/search?q=okafor", "/search?q=Tina+trainee"):
        page = client.get(path).get_data(as_text=True)
        assert "Talks at the Reliability Meetup" in page, path
        assert f'href="/meetups/talks/{talk_id}"' in page and "Budgets at the bank" in page
        assert "Not given yet" not in page and "Only proposed" not in page
    assert "Talks at the Reliability Meetup" not in client.get("/search?q=kubernetes+pods").get_data(as_text=True)
    archive = client.get("/meetups/talks?q=okafor").get_data(as_text=True).split("Past talks", 1)[1]
    assert "Budgets at the bank" in archive and "1 talk found" in archive
    nothing = client.get("/meetups/talks?q=zzzz").get_data(as_text=True)
    assert "No past talk matches" in nothing and 'value="zzzz"' in nothing


def test_every_talk_form_carries_the_csrf_token(app, people, organizer, trainee):
    csrf_app = make_app(app.config["DATABASE_URL"], WTF_CSRF_ENABLED=True)
    try:
        client = csrf_app.test_client()
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
        signed_in = client.post("/login", data={"email": organizer.email, "password": PASSWORD, "csrf_token": token})
        assert signed_in.status_code == 302
        coming = meetup(people, organizer, starts_in=timedelta(days=10))
        refused = client.post("/meetups/talks/new", data=form(**{"speakers-0-email": organizer.email}))
        assert refused.status_code == 400
        page = client.get("/meetups/talks/new").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        made = client.post("/meetups/talks/new", data=form(csrf_token=token, **{"speakers-0-email": organizer.email}))
        assert made.status_code == 302
        talk_path = made.headers["Location"]
        decision_form = client.get(talk_path).get_data(as_text=True).split(f'action="{talk_path}/decide"', 1)[1]
        assert 'name="csrf_token"' in decision_form.split("</form>", 1)[0]
        assert client.post(f"{talk_path}/decide", data={"decision": "accept", "meetup": coming.id}).status_code == 400
        assert 'name="csrf_token"' in client.get(f"/meetups/{coming.id}/talks/new").get_data(as_text=True)
    finally:
        csrf_app.extensions["academy.engine"].dispose()


def test_speaker_accounts_are_found_by_their_address_whatever_its_case(app, people, organizer, trainee):
    talk_id = propose(client_of(app, trainee), **{"speakers-0-email": "  Tina@Example.COM "})
    with people.session() as s:
        assert s.exec(select(User.email).join(TalkSpeaker, TalkSpeaker.user_id == User.id)).all() == [trainee.email]
        assert s.get(Talk, talk_id).state == "proposed"
