"""Mentor sign-off: queue order, claims and expiry, the decision rules (one decision, even at once),
notifications, and the review service level computed on a known set of submissions."""

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from academy.models import AuditEntry, Decision, LabAttempt, ModuleProgress, Notification, utcnow
from academy.reviews import queries
from tests.conftest import sign_in

LAB = "linux-shell-lab"
MODULE = "linux-shell"


def submission(people, trainee, *, lab=LAB, module=MODULE, hours_ago=1.0, status="submitted", number=1):
    with people.session() as s:
        attempt = LabAttempt(
            trainee_id=trainee.id,
            module_id=module,
            lab_id=lab,
            number=number,
            status=status,
            evidence="My **evidence**.",
            request_key=f"k-{trainee.id}-{lab}-{number}",
            submitted_at=utcnow() - timedelta(hours=hours_ago),
        )
        s.add(attempt)
        s.commit()
        return attempt


def decide(client, attempt, outcome="approve", comment="", criteria=()):
    return client.post(
        f"/reviews/{attempt.id}/decide",
        data={"outcome": outcome, "comment": comment, "criterion": [str(c) for c in criteria]},
    )


def decisions(db_session, attempt):
    found = db_session.exec(select(Decision).where(Decision.attempt_id == attempt.id)).all()
    db_session.rollback()
    return found


# ------------------------------------------------------------------ the queue


def test_queue_puts_assigned_trainees_first_then_oldest_first(app, people, academy):
    other = people.user("other@example.com", "trainee")
    with people.session() as s:  # other is in Cohort A too, mentored by mentor2
        from academy.cohorts.services import add_member

        with app.test_request_context():
            from academy.models import Cohort, User

            add_member(
                session=s,
                cohort=s.get(Cohort, academy.cohort.id),
                user=s.get(User, other.id),
                role="trainee",
                mentor=s.get(User, academy.mentor2.id),
            )
            s.commit()
    newest_mine = submission(people, academy.trainee, hours_ago=1)
    oldest_other = submission(people, other, hours_ago=30)
    older_mine = submission(
        people, academy.trainee, lab="files-permissions-lab", module="files-permissions", hours_ago=5
    )
    submission(people, academy.outsider, hours_ago=100)  # Cohort B: mentor does not serve it
    with app.test_request_context():
        from academy.curriculum.store import catalogue

        with people.session() as s:
            items = queries.review_queue(s, catalogue(), academy.mentor.id, target_hours=48)
    assert [i.attempt.id for i in items] == [older_mine.id, newest_mine.id, oldest_other.id]
    assert [i.mine for i in items] == [True, True, False]


def test_queue_page_highlights_waiting_past_target_and_counts_in_navigation(as_role, people, academy):
    submission(people, academy.trainee, hours_ago=50)
    submission(people, academy.trainee2, hours_ago=2)
    html = as_role("mentor").get("/reviews").get_data(as_text=True)
    assert "Review queue (2)" in html
    assert html.count('class="late"') == 1
    assert "past the 48 h target" in html


def test_queue_filters_by_cohort_and_lab(as_role, people, academy):
    submission(people, academy.trainee)
    submission(people, academy.outsider)
    submission(people, academy.trainee2, lab="files-permissions-lab", module="files-permissions")
    client = as_role("mentor2")  # serves both cohorts
    assert client.get("/reviews").get_data(as_text=True).count("/reviews/") >= 3
    by_cohort = queue_part(client.get(f"/reviews?cohort={academy.other_cohort.id}"))
    assert "Outsider" in by_cohort and "Trainee2" not in by_cohort
    by_lab = queue_part(client.get("/reviews?lab=files-permissions-lab"))
    assert "Trainee2" in by_lab and "Outsider" not in by_lab
    assert client.get("/reviews?cohort=abc&lab=no-such-lab").status_code == 200
    assert client.get("/reviews?lab=%00").status_code == 400


def queue_part(response) -> str:
    return response.get_data(as_text=True).split('id="trainees-title"', 1)[0]


def test_empty_queue_says_so(as_role, academy):
    assert "Nothing is waiting for your review" in as_role("mentor").get("/reviews").get_data(as_text=True)


def test_review_target_is_a_setting(migrated, people, academy):
    from tests.conftest import make_app

    submission(people, academy.trainee, hours_ago=10)
    app = make_app(migrated, REVIEW_TARGET_HOURS=8)
    client = app.test_client()
    sign_in(client, academy.mentor.email)
    assert "past the 8 h target" in client.get("/reviews").get_data(as_text=True)
    app.extensions["academy.engine"].dispose()


# ------------------------------------------------------------------ claims


def test_claim_keeps_other_mentors_off_and_expires_after_two_hours(as_role, people, academy, db_session):
    attempt = submission(people, academy.trainee)
    mentor, mentor2 = as_role("mentor"), as_role("mentor2")
    mentor.post(f"/reviews/{attempt.id}/claim")
    assert db_session.get(LabAttempt, attempt.id).claimed_by == academy.mentor.id
    db_session.rollback()
    refused = mentor2.post(f"/reviews/{attempt.id}/claim", follow_redirects=True).get_data(as_text=True)
    assert "Another mentor is reviewing this submission." in refused
    assert db_session.get(LabAttempt, attempt.id).claimed_by == academy.mentor.id
    db_session.rollback()
    assert "Mentor is reviewing" in mentor2.get("/reviews").get_data(as_text=True)

    row = db_session.get(LabAttempt, attempt.id)
    row.claimed_at = utcnow() - timedelta(hours=2, minutes=1)
    db_session.add(row)
    db_session.commit()
    mentor2.post(f"/reviews/{attempt.id}/claim")
    db_session.expire_all()
    assert db_session.get(LabAttempt, attempt.id).claimed_by == academy.mentor2.id


def test_a_claim_can_be_released_by_its_mentor_only(as_role, people, academy, db_session):
    attempt = submission(people, academy.trainee)
    as_role("mentor").post(f"/reviews/{attempt.id}/claim")
    as_role("mentor2").post(f"/reviews/{attempt.id}/release")
    assert db_session.get(LabAttempt, attempt.id).claimed_by == academy.mentor.id
    db_session.rollback()
    as_role("mentor").post(f"/reviews/{attempt.id}/release")
    assert db_session.get(LabAttempt, attempt.id).claimed_by is None


def test_a_claimed_submission_can_no_longer_be_withdrawn(as_role, people, academy, db_session):
    attempt = submission(people, academy.trainee)
    as_role("mentor").post(f"/reviews/{attempt.id}/claim")
    as_role("trainee").post(f"/lab-attempts/{attempt.id}/withdraw")
    assert db_session.get(LabAttempt, attempt.id).status == "submitted"


# ------------------------------------------------------------------ decisions


def test_approve_with_ticked_criteria_is_stored_audited_and_notified(as_role, people, academy, db_session):
    attempt = submission(people, academy.trainee)
    assert decide(as_role("mentor"), attempt, "approve", "x", criteria=[0, 99]).status_code == 422  # not this lab's
    assert decisions(db_session, attempt) == []
    response = decide(as_role("mentor"), attempt, "approve", "Well done.", criteria=[0, 1])
    assert response.status_code == 302
    [decision] = decisions(db_session, attempt)
    assert (decision.outcome, decision.comment, decision.mentor_id) == ("approved", "Well done.", academy.mentor.id)
    assert json.loads(decision.criteria) == [0, 1]
    assert db_session.get(LabAttempt, attempt.id).status == "approved"
    entry = db_session.exec(select(AuditEntry).where(AuditEntry.action == "lab.decided")).one()
    assert entry.actor_id == academy.mentor.id
    assert json.loads(entry.detail) | {} == {
        "comment": "Well done.",
        "criteria": [0, 1],
        "lab": LAB,
        "outcome": "approved",
        "trainee_id": academy.trainee.id,
    }
    note = db_session.exec(select(Notification).where(Notification.user_id == academy.trainee.id)).one()
    assert "approved" in note.message and note.link == f"/modules/{MODULE}#lab-{LAB}"


def test_request_changes_needs_a_comment(as_role, people, academy, db_session):
    attempt = submission(people, academy.trainee)
    response = decide(as_role("mentor"), attempt, "request_changes", "   ")
    assert response.status_code == 422
    assert "a comment is needed to request changes" in response.get_data(as_text=True)
    assert decisions(db_session, attempt) == []
    assert db_session.get(LabAttempt, attempt.id).status == "submitted"


def test_what_was_typed_and_ticked_is_kept_after_an_error(as_role, people, academy):
    attempt = submission(people, academy.trainee)
    html = decide(as_role("mentor"), attempt, "nonsense", "Half-written thoughts", criteria=[1]).get_data(as_text=True)
    assert "Half-written thoughts" in html
    assert 'value="1" checked' in html


@pytest.mark.parametrize("who", ["trainee", "trainee2", "manager", "other_manager"])
def test_only_mentors_serving_the_trainee_or_admins_may_decide(as_role, people, academy, db_session, who):
    attempt = submission(people, academy.trainee)
    assert decide(as_role(who), attempt).status_code == 403
    assert as_role(who).get(f"/reviews/{attempt.id}").status_code == 403
    assert decisions(db_session, attempt) == []


def test_a_mentor_of_another_cohort_may_not_decide(app, people, academy, db_session):
    stranger = people.user("stranger@example.com", "mentor")
    people.cohort("Cohort C", mentors=[stranger])
    attempt = submission(people, academy.trainee)
    client = app.test_client()
    sign_in(client, stranger.email)
    assert decide(client, attempt).status_code == 403
    assert decisions(db_session, attempt) == []


def test_an_admin_may_decide(as_role, people, academy, db_session):
    attempt = submission(people, academy.trainee)
    assert decide(as_role("admin"), attempt).status_code == 302
    assert len(decisions(db_session, attempt)) == 1


def test_nobody_decides_on_their_own_submission(app, people, academy, db_session):
    both = people.user("both@example.com", "trainee", "mentor")
    people.cohort("Cohort D", trainees=[both], mentors=[both])
    attempt = submission(people, both)
    client = app.test_client()
    sign_in(client, both.email)
    assert decide(client, attempt).status_code == 403
    assert decisions(db_session, attempt) == []


def test_each_attempt_gets_exactly_one_decision(as_role, people, academy, db_session):
    attempt = submission(people, academy.trainee)
    assert decide(as_role("mentor"), attempt, "request_changes", "Fix step 2.").status_code == 302
    second = as_role("mentor2").post(
        f"/reviews/{attempt.id}/decide", data={"outcome": "approve"}, follow_redirects=True
    )
    assert "already decided" in second.get_data(as_text=True)
    [decision] = decisions(db_session, attempt)
    assert decision.outcome == "changes_requested"


def test_the_database_refuses_a_second_decision(people, academy, db_session):
    from sqlalchemy.exc import IntegrityError

    attempt = submission(people, academy.trainee)
    db_session.add(Decision(attempt_id=attempt.id, mentor_id=academy.mentor.id, outcome="approved"))
    db_session.commit()
    db_session.add(Decision(attempt_id=attempt.id, mentor_id=academy.mentor2.id, outcome="approved"))
    with pytest.raises(IntegrityError):
        db_session.commit()


def test_two_mentors_deciding_at_the_same_moment_store_one_decision(app, people, academy, db_session):
    """Two real concurrent requests, each in its own thread, connection and transaction."""
    attempt = submission(people, academy.trainee)
    clients = []
    for who in (academy.mentor, academy.mentor2):
        client = app.test_client()
        sign_in(client, who.email)
        clients.append(client)
    barrier, results = threading.Barrier(2), {}

    def run(i, outcome):
        barrier.wait()
        response = clients[i].post(
            f"/reviews/{attempt.id}/decide",
            data={"outcome": outcome, "comment": f"from mentor {i}"},
            follow_redirects=True,
        )
        results[i] = response.get_data(as_text=True)

    threads = [
        threading.Thread(target=run, args=(0, "approve")),
        threading.Thread(target=run, args=(1, "request_changes")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(decisions(db_session, attempt)) == 1
    told = [i for i, html in results.items() if "already decided" in html]
    assert len(told) == 1, "exactly one mentor is told it was already decided"
    stored = decisions(db_session, attempt)[0]
    assert stored.comment == f"from mentor {1 - told[0]}"
    assert db_session.get(LabAttempt, attempt.id).status == stored.outcome


def test_approving_the_last_piece_completes_the_module(app, as_role, people, academy, db_session):
    from academy.curriculum.store import catalogue

    with app.app_context():
        module = catalogue().get(MODULE)
    with people.session() as s:
        from academy.models import QuizAttempt

        now = utcnow()
        s.add(ModuleProgress(trainee_id=academy.trainee.id, module_id=MODULE, opened_at=now, read_at=now))
        s.add(
            QuizAttempt(
                trainee_id=academy.trainee.id,
                module_id=MODULE,
                content_hash=module.content_hash,
                answers="{}",
                correct=5,
                total=5,
                passed=True,
                request_key="q1",
            )
        )
        s.commit()
    attempt = submission(people, academy.trainee)
    decide(as_role("mentor"), attempt, "approve")
    row = db_session.get(ModuleProgress, (academy.trainee.id, MODULE))
    assert row.completed_at is not None and row.content_hash == module.content_hash


# ------------------------------------------------------------------ notifications


def test_the_assigned_mentor_hears_of_a_new_submission(as_role, academy, db_session):
    trainee = as_role("trainee")
    response = trainee.post(
        f"/labs/{LAB}/attempts", data={f"lab-{LAB}-evidence": "Done.", f"lab-{LAB}-request_key": "a" * 32}
    )
    assert response.status_code == 302
    note = db_session.exec(select(Notification).where(Notification.user_id == academy.mentor.id)).one()
    assert "Trainee submitted" in note.message and note.link.startswith("/reviews/")
    assert (
        db_session.exec(
            select(func.count()).select_from(Notification).where(Notification.user_id == academy.mentor2.id)
        ).one()
        == 0
    )


def test_unread_count_list_and_marking_read(as_role, people, academy, db_session):
    attempt = submission(people, academy.trainee)
    decide(as_role("mentor"), attempt, "request_changes", "Add the output.")
    trainee = as_role("trainee")
    badge = '<span class="badge">1<span class="visually-hidden"> unread</span>'
    assert badge in trainee.get("/learn").get_data(as_text=True)
    page = trainee.get("/notifications").get_data(as_text=True)
    assert "asked" in page or "changes requested" in page
    note = db_session.exec(select(Notification).where(Notification.user_id == academy.trainee.id)).one()
    note_id, link = note.id, note.link
    db_session.rollback()
    assert as_role("trainee2").post("/notifications/read", data={"id": note_id}).status_code == 404
    assert db_session.get(Notification, note_id).read_at is None, "another user's notification stays unread"
    db_session.rollback()
    response = trainee.post("/notifications/read", data={"id": note_id, "next": link})
    assert response.headers["Location"] == link
    assert db_session.get(Notification, note_id).read_at is not None
    assert "> unread</span>" not in trainee.get("/learn").get_data(as_text=True)


def test_the_decision_is_mailed_through_the_outbox_and_a_dead_server_fails_nothing(
    migrated, people, academy, db_session, monkeypatch
):
    from academy import mail
    from tests.conftest import make_app
    from tests.smtp_sink import SmtpSink, free_port
    from tests.test_mail import outbox_rows, run_outbox

    monkeypatch.setattr(mail, "TIMEOUT_SECONDS", 1)
    sink = SmtpSink()
    for port, expect_mail in ((sink.port, True), (free_port(), False)):
        app = make_app(migrated, SMTP_HOST="127.0.0.1", SMTP_PORT=port, BASE_URL="https://academy.example.com")
        attempt = submission(people, academy.trainee, number=1 if expect_mail else 2)
        client = app.test_client()
        sign_in(client, academy.mentor.email)
        assert decide(client, attempt, "request_changes", "Again please.").status_code == 302
        assert len(decisions(db_session, attempt)) == 1
        row = outbox_rows(app)[-1]
        assert row.to_address == "trainee@example.com"
        assert f"https://academy.example.com/modules/{attempt.module_id}" in row.body
        run_outbox(app)
        app.extensions["academy.engine"].dispose()
    assert len(sink.messages) == 1 and "To: trainee@example.com" in sink.messages[0]
    assert [r.sent_at is not None for r in outbox_rows(app)] == [True, False]  # the second waits for its server
    sink.close()


# ------------------------------------------------------------------ my trainees


def test_my_trainees_shows_who_is_stalled_and_why(as_role, people, academy):
    with people.session() as s:
        s.add(ModuleProgress(trainee_id=academy.trainee2.id, module_id=MODULE, opened_at=utcnow() - timedelta(days=1)))
        s.commit()
    for n in (1, 2):
        submission(people, academy.trainee, status="changes_requested", number=n, hours_ago=24 * 10)
    html = as_role("mentor").get("/reviews").get_data(as_text=True)
    trainee_row = html.split(">Trainee</a>", 1)[1].split("</tr>", 1)[0]
    assert "no activity for 7 days" in trainee_row and "a lab returned twice" in trainee_row
    # trainee2 is mentored by mentor too (the first mentor) and active yesterday
    trainee2_row = html.split(">Trainee2</a>", 1)[1].split("</tr>", 1)[0]
    assert "Moving" in trainee2_row


# ------------------------------------------------------------------ the service level


def decided_submission(session, trainee_id: int, mentor_id: int, lab_id: str, hours: float, submitted=None) -> None:
    """An approved attempt submitted at `submitted` (two days ago by default), decided `hours` later."""
    submitted = submitted or utcnow() - timedelta(days=2)
    attempt = LabAttempt(
        trainee_id=trainee_id,
        module_id=MODULE,
        lab_id=lab_id,
        number=1,
        status="approved",
        evidence="e",
        request_key=lab_id,
        submitted_at=submitted,
    )
    session.add(attempt)
    session.flush()
    session.add(
        Decision(
            attempt_id=attempt.id,
            mentor_id=mentor_id,
            outcome="approved",
            decided_at=submitted + timedelta(hours=hours),
        )
    )


def test_service_level_on_a_known_set(people, academy, db_session):
    """Ten submissions in the window: eight decided within 48 h, one after 60 h, one still waiting for 50 h,
    one waiting 10 h (not counted yet), one from 40 days ago (outside the window)."""
    now = utcnow()
    hours_to_decision = [1, 2, 3, 4, 5, 6, 10, 20, 60]
    mentors = [academy.mentor.id] * 5 + [academy.mentor2.id] * 4
    with people.session() as s:
        for n, (hours, mentor_id) in enumerate(zip(hours_to_decision, mentors, strict=True), 1):
            decided_submission(s, academy.trainee.id, mentor_id, f"lab-{n}", hours, now - timedelta(days=5, hours=n))
        for key, hours in (("w1", 50), ("w2", 10), ("old", 24 * 40)):
            s.add(
                LabAttempt(
                    trainee_id=academy.trainee.id,
                    module_id=MODULE,
                    lab_id=key,
                    number=1,
                    evidence="e",
                    request_key=key,
                    submitted_at=now - timedelta(hours=hours),
                )
            )
        s.commit()
    overall, *per_mentor = queries.review_service_levels(db_session, target_hours=48, objective=0.9, now=now)
    assert (overall.total, overall.within) == (10, 8)
    assert overall.share == pytest.approx(0.8)
    assert overall.median_hours == pytest.approx(5)
    assert overall.p90_hours == pytest.approx(60)  # nearest rank: the 9th of 9
    assert overall.budget_left == pytest.approx(1 - 2 / 1.0)  # allowed misses 1, two spent: overspent by 100%
    by_name = {level.name: level for level in per_mentor}
    assert (by_name["Mentor"].total, by_name["Mentor"].within) == (5, 5)
    assert by_name["Mentor"].budget_left == pytest.approx(1.0)
    assert (by_name["Mentor2"].total, by_name["Mentor2"].within) == (4, 3)
    assert by_name["Mentor2"].median_hours == pytest.approx(15)
    assert (by_name["Waiting, past target"].total, by_name["Waiting, past target"].within) == (1, 0)
    assert sum(level.total for level in per_mentor) == overall.total  # the rows add up
    assert sum(level.within for level in per_mentor) == overall.within


def test_a_decision_by_someone_outside_the_cohort_is_a_row_of_its_own(people, academy, db_session):
    """An admin's decision, and one by a mentor who does not serve the trainee's cohort, count in "Decided by
    others", not in any mentor's row, and the rows still add up to "All mentors"."""
    now = utcnow()
    with people.session() as s:
        decided_submission(s, academy.trainee.id, academy.mentor.id, "lab-1", 2, now - timedelta(days=3))
        decided_submission(s, academy.trainee.id, academy.admin.id, "lab-2", 70, now - timedelta(days=4))
        s.commit()
    overall, *rows = queries.review_service_levels(db_session, target_hours=48, objective=0.9, now=now)
    assert [(r.name, r.total, r.within) for r in rows] == [("Mentor", 1, 1), ("Decided by others", 1, 0)]
    assert (overall.total, overall.within) == (2, 1)


def test_the_queue_shows_the_service_level_of_the_mentors_own_cohorts(people, academy, as_role):
    """Mentor serves cohort A; mentor2 serves A and B; the admin's queue is the whole academy's."""
    with people.session() as s:
        decided_submission(s, academy.trainee.id, academy.mentor.id, "lab-a", hours=2)
        decided_submission(s, academy.outsider.id, academy.mentor2.id, "lab-b", hours=60)
        s.commit()
    from tests.test_cohort_dashboard import section, table_rows

    def levels(who: str) -> dict[str, list[str]]:
        page = as_role(who).get("/reviews").get_data(as_text=True)
        return {row[0]: row[1:3] for row in table_rows(section(page, "sl-title"))}

    assert levels("mentor") == {"All mentors": ["1", "100.0%"], "Mentor": ["1", "100.0%"]}
    assert levels("mentor2") == {"All mentors": ["2", "50.0%"], "Mentor": ["1", "100.0%"], "Mentor2": ["1", "0.0%"]}
    assert levels("admin")["All mentors"] == ["2", "50.0%"]


def test_percentile_is_nearest_rank():
    assert queries.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert queries.percentile([5], 0.9) == 5
    assert queries.percentile([], 0.9) is None


def test_the_queue_says_whose_submissions_it_holds(as_role, academy):
    assert "Submissions waiting in the cohorts you serve" in as_role("mentor").get("/reviews").get_data(as_text=True)
    admin_page = as_role("admin").get("/reviews").get_data(as_text=True)
    assert "Submissions waiting in every cohort of the academy" in admin_page
