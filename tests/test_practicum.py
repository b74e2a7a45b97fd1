"""The practicum (issue 15): trainees log practice against the curriculum's requirements, once their
prerequisites are done; a mentor decides each entry exactly once; a decided entry is never edited."""

import html
import json
import re
import threading
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from academy.models import AuditEntry, Notification, PracticeDecision, PracticeEntry, utcnow
from academy.practicum import services
from tests.conftest import sign_in
from tests.practicum_factory import catalogue_of, confirm_practice, finish_modules

KEY = "a" * 32


def log(people, app, trainee, **overrides):
    values = {
        "requirement_id": "shadow-shifts",
        "started_at": utcnow() - timedelta(hours=5),
        "minutes": 180,
        "service": "checkout API primary",
        "account": "Two pages: **disk 90 %** on db-2, a flapping probe.",
        "request_key": KEY,
    } | overrides
    with app.test_request_context(), people.session() as s:
        entry = services.log_entry(s, catalogue_of(app), trainee=trainee, **values)
        s.commit()
        return entry


def entries(db_session):
    return db_session.exec(select(PracticeEntry)).all()


@pytest.fixture
def open_shadow(app, people, academy):
    """The trainee has finished the module that opens shadow shifts and drills."""
    finish_modules(people, academy.trainee, ["incident-roles"], catalogue_of(app))
    return academy


def test_a_requirement_whose_prerequisites_are_not_done_refuses_entries_and_says_what_to_finish(
    app, people, academy, db_session
):
    with pytest.raises(services.PracticumError) as refused:
        log(people, app, academy.trainee)
    title = catalogue_of(app).get("incident-roles").title
    assert f"Finish these first: the module “{title}”" in str(refused.value)
    assert entries(db_session) == []


def test_reverse_shadow_needs_the_on_call_module_and_two_confirmed_shadow_shifts(app, people, open_shadow):
    academy = open_shadow
    cat = catalogue_of(app)
    finish_modules(people, academy.trainee, ["on-call"], cat)
    confirm_practice(people, academy.trainee, academy.mentor, "shadow-shifts", 1)
    with pytest.raises(services.PracticumError, match=r"2 confirmed “.*” \(1 so far\)"):
        log(people, app, academy.trainee, requirement_id="reverse-shadow-shifts")
    confirm_practice(people, academy.trainee, academy.mentor, "shadow-shifts", 1)
    assert log(people, app, academy.trainee, requirement_id="reverse-shadow-shifts").status == "submitted"


def test_a_logged_entry_tells_the_trainees_mentor_and_the_mentor_who_was_there_and_is_audited(
    app, people, open_shadow, db_session
):
    academy = open_shadow
    entry = log(people, app, academy.trainee, present_mentor_id=academy.mentor2.id, present="Priya (primary)")
    told = {n.user_id for n in db_session.exec(select(Notification).where(Notification.link.contains("/practicum/")))}
    assert told == {academy.mentor.id, academy.mentor2.id}
    assert db_session.exec(select(AuditEntry).where(AuditEntry.action == "practice.logged")).one().target == (
        f"entry {entry.id}"
    )


def test_the_same_form_sent_twice_is_stored_once(app, people, open_shadow, db_session):
    first = log(people, app, open_shadow.trainee)
    again = log(people, app, open_shadow.trainee)
    assert first.id == again.id and len(entries(db_session)) == 1


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"started_at": utcnow() + timedelta(hours=2)}, "started_at", "started in the future"),
        ({"started_at": utcnow() - timedelta(minutes=30), "minutes": 120}, "minutes", "end in the future"),
        ({"minutes": 24 * 60 + 1}, "minutes", "at most 24 hours"),
        ({"minutes": 0}, "minutes", "how long"),
        ({"started_at": None}, "started_at", "day and time"),
        ({"service": "  "}, "service", "rotation or service"),
        ({"account": ""}, "account", "what happened"),
        ({"links_text": "not a link"}, "links", "not a web address"),
        ({"request_key": "short"}, None, "incomplete"),
        ({"requirement_id": "no-such-thing"}, "requirement", "Choose which requirement"),
    ],
)
def test_bad_entries_are_refused_with_a_clear_message_and_nothing_is_stored(
    app, people, open_shadow, db_session, change, field, words
):
    with pytest.raises(services.PracticumError) as refused:
        log(people, app, open_shadow.trainee, **change)
    assert words in str(refused.value) and refused.value.field == field
    assert entries(db_session) == []


def test_a_drill_names_the_role_played_and_a_known_scenario(app, people, open_shadow, db_session):
    cat = catalogue_of(app)
    with pytest.raises(services.PracticumError, match="role you played"):
        log(people, app, open_shadow.trainee, requirement_id="incident-drills")
    with pytest.raises(services.PracticumError, match="scenario"):
        log(people, app, open_shadow.trainee, requirement_id="incident-drills", role="scribe", scenario_id="nope")
    scenario = cat.practicum.scenarios[0].id
    entry = log(people, app, open_shadow.trainee, requirement_id="incident-drills", role="scribe", scenario_id=scenario)
    assert (entry.role, entry.scenario_id) == ("scribe", scenario)
    shadow = log(people, app, open_shadow.trainee, role="scribe", request_key="b" * 32)
    assert shadow.role is None  # a shadow shift has no role to record


def test_two_drills_in_the_same_role_count_once(app, people, open_shadow):
    from academy.readiness.queries import readiness_of

    academy = open_shadow
    confirm_practice(people, academy.trainee, academy.mentor, "incident-drills", 2, roles=("scribe", "scribe"))
    with app.test_request_context(), people.session() as s:
        item = next(
            i
            for i in readiness_of(s, catalogue_of(app), [academy.trainee.id])[academy.trainee.id].items
            if i.id == "incident-drills"
        )
    assert item.progress == "1 of 2" and not item.done
    confirm_practice(people, academy.trainee, academy.mentor, "incident-drills", 1, roles=("communications",))
    with app.test_request_context(), people.session() as s:
        item = next(
            i
            for i in readiness_of(s, catalogue_of(app), [academy.trainee.id])[academy.trainee.id].items
            if i.id == "incident-drills"
        )
    assert item.progress == "2 of 2" and item.done


# ------------------------------------------------------------------ decisions


def decide(app, people, entry, mentor, outcome="confirmed", comment="", criteria=()):
    with app.test_request_context(), people.session() as s:
        decision = services.decide_entry(
            s,
            catalogue_of(app),
            entry=s.get(PracticeEntry, entry.id),
            mentor=mentor,
            outcome=outcome,
            comment=comment,
            criteria=list(criteria),
        )
        s.commit()
        return decision


def test_a_mentor_confirms_with_the_rubric_and_the_trainee_is_told(app, people, open_shadow, db_session):
    entry = log(people, app, open_shadow.trainee)
    decide(app, people, entry, open_shadow.mentor, criteria=[0, 1])
    db_session.expire_all()
    assert db_session.get(PracticeEntry, entry.id).status == "confirmed"
    decision = db_session.exec(select(PracticeDecision)).one()
    assert json.loads(decision.criteria) == [0, 1]
    note = db_session.exec(select(Notification).where(Notification.user_id == open_shadow.trainee.id)).one()
    assert "confirmed" in note.message and note.link == f"/practicum/entries/{entry.id}"
    assert db_session.exec(select(AuditEntry).where(AuditEntry.action == "practice.decided")).one()


def test_sending_back_needs_a_comment_and_a_second_decision_is_refused(app, people, open_shadow, db_session):
    entry = log(people, app, open_shadow.trainee)
    with pytest.raises(services.PracticumError, match="comment is needed"):
        decide(app, people, entry, open_shadow.mentor, outcome="changes_requested")
    decide(app, people, entry, open_shadow.mentor, outcome="changes_requested", comment="Which pages?")
    with pytest.raises(services.AlreadyDecided):
        decide(app, people, entry, open_shadow.mentor2)
    assert len(db_session.exec(select(PracticeDecision)).all()) == 1


def test_criteria_outside_the_rubric_and_deciding_ones_own_entry_are_refused(app, people, open_shadow):
    entry = log(people, app, open_shadow.trainee)
    with pytest.raises(services.PracticumError, match="rubric"):
        decide(app, people, entry, open_shadow.mentor, criteria=[99])
    with pytest.raises(services.PracticumError, match="own practice"):
        decide(app, people, entry, open_shadow.trainee)


def test_two_mentors_deciding_at_once_store_exactly_one_decision(app, people, open_shadow, db_session):
    entry = log(people, app, open_shadow.trainee, present_mentor_id=open_shadow.mentor2.id)
    clients = []
    for who in (open_shadow.mentor, open_shadow.mentor2):
        client = app.test_client()
        sign_in(client, who.email)
        clients.append(client)
    barrier, pages = threading.Barrier(2), {}

    def run(i, outcome):
        barrier.wait()
        answer = clients[i].post(
            f"/practicum/entries/{entry.id}/decide",
            data={"outcome": outcome, "comment": f"from mentor {i}"},
            follow_redirects=True,
        )
        pages[i] = answer.get_data(as_text=True)

    threads = [threading.Thread(target=run, args=(0, "confirm")), threading.Thread(target=run, args=(1, "send_back"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    decisions = db_session.exec(select(PracticeDecision)).all()
    assert len(decisions) == 1
    assert sum("already decided" in page for page in pages.values()) == 1
    db_session.expire_all()
    assert db_session.get(PracticeEntry, entry.id).status == decisions[0].outcome


def test_a_decided_entry_cannot_be_withdrawn_or_changed(app, people, open_shadow):
    entry = log(people, app, open_shadow.trainee)
    decide(app, people, entry, open_shadow.mentor)
    with app.test_request_context(), people.session() as s, pytest.raises(services.AlreadyDecided):
        services.withdraw_entry(s, trainee_id=open_shadow.trainee.id, entry_id=entry.id)
    trainee = app.test_client()
    sign_in(trainee, open_shadow.trainee.email)
    page = trainee.get(f"/practicum/entries/{entry.id}").get_data(as_text=True)
    assert "Withdraw it" not in page and "<textarea" not in page  # nothing on the page edits it


# ------------------------------------------------------------------ pages


def test_a_refused_entry_lands_at_the_form_says_why_and_keeps_what_was_typed(app, open_shadow, as_role, db_session):
    trainee = as_role("trainee")
    answer = trainee.post(
        "/practicum/entries",
        data={
            "requirement": "shadow-shifts",
            "started_on": (datetime.now() + timedelta(days=2)).date().isoformat(),
            "started_time": "09:00",
            "minutes": "120",
            "service": "checkout API primary",
            "account": "Paged twice by the **latency** alert.",
            "request_key": KEY,
        },
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "data-error-summary" in page and "started in the future" in page
    assert 'action="/practicum/entries"' in page
    assert "checkout API primary" in page and "Paged twice by the **latency** alert." in page
    assert entries(db_session) == []


def test_the_mentor_sees_waiting_entries_in_the_review_queue(app, open_shadow, as_role, people):
    entry = log(people, app, open_shadow.trainee)
    page = as_role("mentor").get("/reviews").get_data(as_text=True)
    assert f'href="/practicum/entries/{entry.id}"' in page
    assert "Practice entries to confirm" in page


def test_only_the_trainees_mentor_the_mentor_present_or_an_admin_may_decide(app, open_shadow, as_role, people):
    entry = log(people, app, open_shadow.trainee)
    for who, status in (("mentor2", 403), ("manager", 403), ("outsider", 403)):
        answer = as_role(who).post(f"/practicum/entries/{entry.id}/decide", data={"outcome": "confirm"})
        assert answer.status_code == status, who
    assert (
        as_role("admin").post(f"/practicum/entries/{entry.id}/decide", data={"outcome": "confirm"}).status_code == 302
    )


def test_drill_scenarios_are_for_mentors(app, academy, as_role):
    scenario = catalogue_of(app).practicum.scenarios[0]
    page = as_role("mentor").get(f"/practicum/drills/{scenario.id}")
    assert page.status_code == 200 and "What the game master reveals" in page.get_data(as_text=True)
    assert as_role("trainee").get(f"/practicum/drills/{scenario.id}").status_code == 403
    assert as_role("mentor").get("/practicum/drills/no-such-drill").status_code == 404


def select_groups(page: str, name: str) -> dict:
    """The options of a <select>, by optgroup label (None outside a group)."""
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    groups, label = {}, None
    for part in re.finditer(r'<optgroup label="([^"]*)">|</optgroup>|<option[^>]*>([^<]*)</option>', found):
        if part.group(0).startswith("<optgroup"):
            label = html.unescape(part.group(1))
        elif part.group(0) == "</optgroup>":
            label = None
        else:
            groups.setdefault(label, []).append(html.unescape(part.group(2)))
    return groups


def test_the_mentor_who_was_there_offers_the_cohorts_mentors_first(app, people, open_shadow, as_role):
    people.user("elsewhere@example.com", "mentor", name="Elsa Elsewhere")  # serves no cohort of the trainee
    page = as_role("trainee").get("/practicum").get_data(as_text=True)
    groups = select_groups(page, "present_mentor")
    ours = sorted(m.display_name for m in (open_shadow.mentor, open_shadow.mentor2))
    others = ["Elsa Elsewhere"]
    assert groups == {None: ["Nobody, or not listed"], "Your cohort's mentors": ours, "Other mentors": others}


def test_without_a_cohort_every_mentor_is_listed_without_groups(app, people, academy):
    from flask_login import login_user

    from academy.accounts.auth import Account
    from academy.practicum.forms import EntryForm
    from academy.practicum.views import entry_form_choices

    loner = people.user("loner@example.com", "trainee", name="Lone Trainee")
    with app.test_request_context("/practicum"):
        login_user(Account.of(loner, frozenset({"trainee"})))
        form = EntryForm()
        entry_form_choices(form, set())
    choices = form.present_mentor.choices
    assert isinstance(choices, list) and choices[0] == ("", "Nobody, or not listed")
    assert {academy.mentor.display_name, academy.mentor2.display_name} <= {label for _, label in choices}
