"""Readiness (issue 15): the checklist and its stages, readiness reviews with a panel of two who are not the
trainee, exactly one decision per request, and an admin's override kept in the audit log."""

import threading

import pytest
from sqlmodel import select

from academy.models import AuditEntry, Credential, ReadinessDecision, ReadinessPanelist, ReadinessRequest, User
from academy.readiness import services
from academy.readiness.queries import readiness_of
from tests.conftest import sign_in
from tests.practicum_factory import catalogue_of, complete_checklist, complete_practicum, finish_modules


def readiness(app, people, trainee):
    with app.test_request_context(), people.session() as s:
        return readiness_of(s, catalogue_of(app), [trainee.id])[trainee.id]


def ask(app, people, trainee, by=None):
    with app.test_request_context(), people.session() as s:
        made = services.request_review(
            s, catalogue_of(app), trainee=s.get(User, trainee.id), requested_by=s.get(User, (by or trainee).id)
        )
        s.commit()
        return made


def decide(app, people, request, decider, outcome="ready", rationale="Calm on the pager.", **more):
    with app.test_request_context(), people.session() as s:
        decision = services.decide_review(
            s,
            catalogue_of(app),
            request=s.get(ReadinessRequest, request.id),
            decider=s.get(User, decider.id),
            outcome=outcome,
            rationale=rationale,
            **more,
        )
        s.commit()
        return decision


@pytest.fixture
def complete(app, people, academy):
    complete_checklist(people, academy.trainee, academy.mentor, catalogue_of(app))
    return academy


def test_the_stages_follow_the_checklist(app, people, academy):
    cat = catalogue_of(app)
    assert readiness(app, people, academy.trainee).stage == "learning"
    finish_modules(people, academy.trainee, ["incident-roles"], cat)
    assert readiness(app, people, academy.trainee).stage == "practising"  # shadow shifts are open
    complete_checklist(people, academy.trainee, academy.mentor, cat)
    found = readiness(app, people, academy.trainee)
    assert found.stage == "ready for review" and found.complete and not found.missing


def test_the_checklist_holds_the_plans_modules_their_labs_and_the_practicum(app, people, academy):
    cat = catalogue_of(app)
    items = readiness(app, people, academy.trainee).items
    kinds = {k: [i.id for i in items if i.kind == k] for k in ("module", "lab", "practice")}
    assert set(kinds["module"]) == set(cat.modules)
    assert set(kinds["lab"]) == {lab.id for m in cat.modules.values() for lab in m.labs}
    assert kinds["practice"] == [r.id for r in cat.practicum.requirements]
    shadow = next(i for i in items if i.id == "shadow-shifts")
    assert shadow.progress == "0 of 3" and shadow.locked_by and not shadow.done


def test_a_review_cannot_be_asked_for_with_an_incomplete_checklist(app, people, academy, db_session):
    complete_practicum(people, academy.trainee, academy.mentor, catalogue_of(app))
    with pytest.raises(services.ReadinessError, match="checklist is not complete"):
        ask(app, people, academy.trainee)
    assert db_session.exec(select(ReadinessRequest)).all() == []


def test_the_panel_is_the_mentor_and_the_cohorts_manager_and_they_are_told(app, people, complete, db_session):
    made = ask(app, people, complete.trainee)
    panel = {p.user_id for p in db_session.exec(select(ReadinessPanelist)).all()}
    assert panel == {complete.mentor.id, complete.manager.id}
    assert complete.trainee.id not in panel
    with pytest.raises(services.ReadinessError, match="waiting already"):
        ask(app, people, complete.trainee)
    assert db_session.exec(select(AuditEntry).where(AuditEntry.action == "readiness.requested")).one().target == (
        f"request {made.id}"
    )


def test_a_panel_needs_two_people_besides_the_trainee(app, people, academy):
    lonely = people.user("lonely@example.com", "trainee")
    people.cohort("No manager", trainees=[lonely], mentors=[academy.mentor])
    complete_checklist(people, lonely, academy.mentor, catalogue_of(app))
    with pytest.raises(services.ReadinessError, match="needs two people"):
        ask(app, people, lonely)


def test_ready_graduates_the_trainee_and_issues_a_credential(app, people, complete, db_session):
    made = ask(app, people, complete.trainee)
    decide(app, people, made, complete.manager)
    found = readiness(app, people, complete.trainee)
    assert found.stage == "ready for on-call" and found.graduated_on
    credential = db_session.exec(select(Credential)).one()
    assert credential.trainee_id == complete.trainee.id
    with pytest.raises(services.ReadinessError, match="ready already"):
        ask(app, people, complete.trainee)


def test_not_yet_needs_what_is_missing_and_the_trainee_may_ask_again(app, people, complete, db_session):
    made = ask(app, people, complete.trainee)
    with pytest.raises(services.ReadinessError, match="what is missing"):
        decide(app, people, made, complete.mentor, outcome="not_yet")
    with pytest.raises(services.ReadinessError, match="rationale"):
        decide(app, people, made, complete.mentor, outcome="ready", rationale=" ")
    decide(app, people, made, complete.mentor, outcome="not_yet", missing="A drill as incident commander.")
    assert readiness(app, people, complete.trainee).stage == "ready for review"
    assert db_session.exec(select(Credential)).all() == []
    assert ask(app, people, complete.trainee).id != made.id


def test_exactly_one_decision_per_request_and_the_trainee_never_decides(app, people, complete, db_session):
    made = ask(app, people, complete.trainee)
    with pytest.raises(services.ReadinessError, match="own readiness"):
        decide(app, people, made, complete.trainee)
    decide(app, people, made, complete.mentor)
    with pytest.raises(services.AlreadyDecided):
        decide(app, people, made, complete.manager, outcome="not_yet", missing="x")
    assert len(db_session.exec(select(ReadinessDecision)).all()) == 1


def test_two_panel_members_deciding_at_once_store_exactly_one_decision(app, people, complete, db_session):
    made = ask(app, people, complete.trainee)
    clients = []
    for who in (complete.mentor, complete.manager):
        client = app.test_client()
        sign_in(client, who.email)
        clients.append(client)
    barrier, pages = threading.Barrier(2), {}

    def run(i, outcome):
        barrier.wait()
        answer = clients[i].post(
            f"/readiness/requests/{made.id}/decide",
            data={"outcome": outcome, "rationale": f"panelist {i}", "missing": "More drills."},
            follow_redirects=True,
        )
        pages[i] = answer.get_data(as_text=True)

    threads = [threading.Thread(target=run, args=(0, "ready")), threading.Thread(target=run, args=(1, "not_yet"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    decisions = db_session.exec(select(ReadinessDecision)).all()
    assert len(decisions) == 1
    assert sum("already decided" in page for page in pages.values()) == 1
    assert len(db_session.exec(select(Credential)).all()) == (1 if decisions[0].outcome == "ready" else 0)


def test_nobody_graduates_with_an_incomplete_checklist_unless_an_admin_overrides_with_a_reason(
    app, people, complete, db_session
):
    made = ask(app, people, complete.trainee)
    with people.session() as s:  # something signed off is taken back after the request
        from academy.models import ModuleProgress

        row = s.get(ModuleProgress, (complete.trainee.id, "linux-shell"))
        row.completed_at = None
        s.add(row)
        s.commit()
    with pytest.raises(services.ReadinessError, match="cannot be ready"):
        decide(app, people, made, complete.mentor)
    with pytest.raises(services.ReadinessError, match="reason for overriding"):
        decide(app, people, made, complete.admin)
    decide(app, people, made, complete.admin, override_reason="Held on-call at her previous employer for two years.")
    override = db_session.exec(select(AuditEntry).where(AuditEntry.action == "readiness.overridden")).one()
    assert "previous employer" in override.detail and "linux" in override.detail.lower()
    assert db_session.exec(select(ReadinessDecision)).one().override_reason.startswith("Held on-call")


def test_a_withdrawn_request_frees_the_panel(app, people, complete, db_session):
    made = ask(app, people, complete.trainee)
    with app.test_request_context(), people.session() as s:
        with pytest.raises(services.ReadinessError, match="Only the trainee"):
            services.withdraw_request(s, request=s.get(ReadinessRequest, made.id), by=s.get(User, complete.manager.id))
        services.withdraw_request(s, request=s.get(ReadinessRequest, made.id), by=s.get(User, complete.trainee.id))
        s.commit()
    with pytest.raises(services.AlreadyDecided):
        decide(app, people, made, complete.mentor)
    assert readiness(app, people, complete.trainee).pending is None
    assert ask(app, people, complete.trainee).status == "pending"


def test_the_panels_form_refused_keeps_the_rationale_and_says_why(app, complete, as_role, people):
    made = ask(app, people, complete.trainee)
    answer = as_role("mentor").post(
        f"/readiness/requests/{made.id}/decide", data={"outcome": "not_yet", "rationale": "Good shadowing so far."}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "data-error-summary" in page and "what is missing" in page
    assert "Good shadowing so far." in page


def test_who_may_see_and_decide_a_request(app, complete, as_role, people):
    made = ask(app, people, complete.trainee)
    for who, status in (("trainee", 200), ("mentor", 200), ("manager", 200), ("admin", 200), ("outsider", 403)):
        assert as_role(who).get(f"/readiness/requests/{made.id}").status_code == status, who
    assert (
        as_role("trainee")
        .post(f"/readiness/requests/{made.id}/decide", data={"outcome": "ready", "rationale": "me"})
        .status_code
        == 403
    )
    assert as_role("mentor").get("/readiness/requests/999999").status_code == 404


def test_the_learning_path_shows_the_stage_and_sends_a_trainee_who_finished_the_modules_to_the_practicum(
    app, people, academy, as_role
):
    cat = catalogue_of(app)
    finish_modules(people, academy.trainee, list(cat.modules), cat)
    page = as_role("trainee").get("/learn").get_data(as_text=True)
    assert 'id="modules-done"' in page and 'href="/practicum"' in page
    assert "Practising" in page  # the stage, on the path
    assert "Next step: " in page and cat.practicum.requirements[0].title in page


def test_a_trainee_page_shows_the_latest_five_lab_attempts_and_folds_the_earlier_ones(app, complete, as_role):
    labs = sum(len(m.labs) for m in catalogue_of(app).modules.values())  # one approved attempt each
    page = as_role("mentor").get(f"/trainees/{complete.trainee.id}").get_data(as_text=True)
    section = page.split('id="attempts-title"')[1].split("</section>")[0]
    shown, folded = section.split('<details class="earlier-attempts">')
    assert shown.count('<li class="attempt">') == 5
    assert folded.count('<li class="attempt">') == labs - 5
    assert f"<summary>{labs - 5} earlier attempts</summary>" in folded
