"""Kept pages (academy/page_cache.py): served again without being drawn while nothing they show has changed, and
drawn again after any write that changes them, by whichever worker or tool made it (the database moves the
versions: academy/data_versions.py). The writes here go straight to the database, past the app's services."""

import contextlib
import re
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, text, update
from sqlmodel import SQLModel, select

from academy import data_versions
from academy.models import (
    CohortModule,
    CohortTrainee,
    Decision,
    LabAttempt,
    ModuleProgress,
    Notification,
    PracticeEntry,
    QuizAttempt,
    User,
    utcnow,
)
from academy.page_cache import KeptPage, KeptPages
from tests.conftest import PASSWORD, People, Statements
from tests.test_reviews import LAB, MODULE, submission

KEPT = {  # page -> who reads it
    "/learn": "trainee",
    f"/modules/{MODULE}": "trainee",
    "/reviews": "mentor",
    "/cohorts/{cohort_id}": "manager",
    "/cohorts/{cohort_id}/progress.csv": "manager",
}


# the values each serving has its own of: request keys, and CSRF tokens (signed with the second they were made)
SERVING_VALUES = re.compile(r'(name="[^"]*(?:request_key|csrf_token)"[^>]*value=")[^"]+')


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def masked(text: str) -> str:
    """A page without what each serving has its own of, to compare two servings."""
    return SERVING_VALUES.sub(r"\1", text)


def content(client, path: str) -> str:
    return masked(page(client, path))


def url(path: str, academy) -> str:
    return path.format(cohort_id=academy.cohort.id)


# ------------------------------------------------------------------ kept, and served without drawing


@pytest.mark.parametrize("path", KEPT)
def test_a_kept_page_is_served_again_with_the_session_check_and_the_versions_only(app, as_role, academy, path):
    client = as_role(KEPT[path])
    page(client, url(path, academy))  # a module's first visit is recorded: its second page is drawn again
    first = page(client, url(path, academy))
    with Statements(app.extensions["academy.engine"]) as statements:
        again = page(client, url(path, academy))
    assert masked(again) == masked(first)
    # the session check, with the navigation's numbers and the reader's versions; a cohort's version
    assert len(statements.seen) == (2 if "cohorts" in path else 1), statements.seen
    assert "data_version" in statements.seen[-1]


def test_a_page_is_kept_for_its_reader_only(as_role, people, academy):
    people.decided_attempt(academy.trainee, academy.mentor, "changes_requested", comment="Only for the first.")
    assert "Only for the first." in page(as_role("trainee"), f"/modules/{MODULE}")
    assert "Only for the first." not in page(as_role("trainee2"), f"/modules/{MODULE}")  # the same address


def test_each_serving_has_its_own_request_keys_and_a_token_that_works(csrf_app):
    people = People(csrf_app)
    trainee = people.user("tess@example.com", "trainee", name="Tess Trainee")
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    signed = client.post("/login", data={"email": trainee.email, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 302
    servings = [page(client, f"/modules/{MODULE}") for _ in range(3)]
    keys = [re.findall(r'name="[^"]*request_key"[^>]*value="([^"]+)"', html) for html in servings]
    assert keys[0] and len({k for ks in keys for k in ks}) == sum(map(len, keys)), keys  # never one twice
    assert "@@" not in servings[2]
    token = re.search(r'name="csrf_token" value="([^"]+)"', servings[2]).group(1)
    marked = client.post(f"/modules/{MODULE}/read", data={"csrf_token": token, "read": "1"})
    assert marked.status_code == 302, marked.get_data(as_text=True)[:300]
    assert "Marked as read." in page(client, f"/modules/{MODULE}")


def test_a_message_waiting_in_the_session_is_shown_once_and_not_kept(as_role, academy):
    client = as_role("trainee")
    page(client, f"/modules/{MODULE}")
    client.post(f"/modules/{MODULE}/read", data={"read": "1"})
    assert "Marked as read." in page(client, f"/modules/{MODULE}")
    assert "Marked as read." not in page(client, f"/modules/{MODULE}")


def test_signing_out_elsewhere_ends_the_session_of_a_kept_page(app, as_role, academy):
    client = as_role("manager")
    page(client, url("/cohorts/{cohort_id}", academy))
    other = as_role("manager")
    other.post("/logout")  # ends every copy of the session
    again = client.get(url("/cohorts/{cohort_id}", academy))
    assert again.status_code == 302 and "/login" in again.headers["Location"]


def test_a_kept_page_is_drawn_again_the_next_minute(app, as_role, academy, monkeypatch):
    client = as_role("mentor")
    page(client, "/reviews")
    later = time.time() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    with Statements(app.extensions["academy.engine"]) as statements:
        page(client, "/reviews")
    assert len(statements.seen) > 2  # "submitted 5 minutes ago" is true for a minute


def test_the_least_recently_served_pages_go_first_past_the_limit():
    kept = KeptPages(limit=25)
    pages = {name: KeptPage(name.encode() * 10, 200, (), ()) for name in "abc"}
    kept.put("a", pages["a"])
    kept.put("b", pages["b"])
    assert kept.get("a") is pages["a"]  # a served again: b is now the least recent
    kept.put("c", pages["c"])
    assert kept.get("b") is None and kept.get("a") is pages["a"] and kept.get("c") is pages["c"]
    assert kept.size == 20


def test_no_page_is_kept_when_the_setting_is_0(migrated):
    from tests.conftest import own_app

    with own_app(migrated, KEPT_PAGES_BYTES=0) as app:
        assert "academy.kept_pages" not in app.extensions


# ------------------------------------------------------------------ drawn again after writes, from anywhere


def write(people, statement) -> None:
    with people.session() as s:
        s.execute(statement)
        s.commit()


def test_the_trainee_pages_show_their_mentors_decision(app, as_role, people, academy):
    client = as_role("trainee")
    before = (content(client, "/learn"), content(client, f"/modules/{MODULE}"))
    people.decided_attempt(academy.trainee, academy.mentor, "changes_requested", comment="Show the df output.")
    after = (content(client, "/learn"), content(client, f"/modules/{MODULE}"))
    assert before[0] != after[0]
    assert "Show the df output." not in before[1] and "Show the df output." in after[1]


def test_the_review_queue_shows_a_new_submission_of_any_trainee(as_role, people, academy):
    client = as_role("mentor")
    waiting = 'data-label="Waiting"'
    assert waiting not in page(client, "/reviews")
    submission(people, academy.trainee2)
    assert waiting in page(client, "/reviews")


def test_the_cohort_page_and_csv_show_a_trainees_progress(as_role, people, academy):
    client = as_role("manager")
    before = page(client, url("/cohorts/{cohort_id}/progress.csv", academy))
    shown = content(client, url("/cohorts/{cohort_id}", academy))
    with people.session() as s:
        s.add(ModuleProgress(trainee_id=academy.trainee.id, module_id=MODULE, opened_at=utcnow(), read_at=utcnow()))
        s.commit()
    assert page(client, url("/cohorts/{cohort_id}/progress.csv", academy)) != before
    assert content(client, url("/cohorts/{cohort_id}", academy)) != shown


def test_a_new_due_date_and_a_new_name_show_on_every_page_that_has_them(as_role, people, academy):
    manager, trainee = as_role("manager"), as_role("trainee")
    csv = page(manager, url("/cohorts/{cohort_id}/progress.csv", academy))
    learn = content(trainee, "/learn")
    new_due = date(2027, 2, 27)
    write(people, update(CohortModule).where(CohortModule.module_id == MODULE).values(due_date=new_due))
    assert new_due.isoformat() in page(manager, url("/cohorts/{cohort_id}/progress.csv", academy))
    assert content(trainee, "/learn") != learn
    write(people, update(User).where(User.id == academy.trainee2.id).values(display_name="Tamsin Renamed"))
    assert "Tamsin Renamed" in page(manager, url("/cohorts/{cohort_id}", academy))
    assert "Tamsin Renamed" in page(manager, url("/cohorts/{cohort_id}/progress.csv", academy))
    assert "Tamsin Renamed" not in csv


def test_another_cohorts_trainee_leaves_this_cohorts_page_kept(app, as_role, people, academy):
    client = as_role("manager")
    page(client, url("/cohorts/{cohort_id}", academy))
    with people.session() as s:
        s.add(ModuleProgress(trainee_id=academy.outsider.id, module_id=MODULE, opened_at=utcnow()))
        s.commit()
    with Statements(app.extensions["academy.engine"]) as statements:
        page(client, url("/cohorts/{cohort_id}", academy))
    assert len(statements.seen) == 2, statements.seen


# ------------------------------------------------------------------ every table accounted for


def test_every_table_is_personal_shared_or_unshown_and_has_its_triggers(app):
    tables = {t.name for t in SQLModel.metadata.sorted_tables}
    assert set(data_versions.PERSONAL) <= tables
    assert data_versions.UNSHOWN - {"alembic_version"} <= tables
    engine = app.extensions["academy.engine"]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            found = "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE 'dv%'"
            triggered = {name for (name,) in conn.execute(text(found))}
        else:
            found = "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'dv\\_%' ESCAPE '\\'"
            triggered = {name for (name,) in conn.execute(text(found))}
        in_database = set(inspect(conn).get_table_names())
    assert triggered == in_database - data_versions.UNSHOWN
    assert in_database - {"alembic_version"} == tables


def test_no_kept_page_reads_a_table_without_triggers(app, as_role, people, academy):
    people.decided_attempt(academy.trainee, academy.mentor, "approved")
    submission(people, academy.trainee2)
    unshown = data_versions.UNSHOWN - {"data_version"}
    for path, who in KEPT.items():
        client = as_role(who)
        with Statements(app.extensions["academy.engine"]) as statements:
            page(client, url(path, academy))
        read = {t for sql in statements.seen for t in unshown if re.search(rf'(FROM|JOIN) "?{t}"?\b', sql)}
        assert not read, (path, read)


def test_a_write_that_is_rolled_back_moves_no_version(app, people, academy):
    with people.session() as s:
        before = data_versions.versions(s, [("shared", 0), ("user", academy.trainee.id)])
    with people.session() as s:
        s.add(ModuleProgress(trainee_id=academy.trainee.id, module_id=MODULE, opened_at=utcnow()))
        s.flush()
        s.rollback()
    with people.session() as s:
        assert data_versions.versions(s, [("shared", 0), ("user", academy.trainee.id)]) == before


def test_a_personal_write_moves_its_trainee_their_cohorts_and_all_but_not_shared(people, academy):
    scopes = [("shared", 0), ("all", 0), ("user", academy.trainee.id), ("user", academy.trainee2.id)]
    scopes += [("cohort", academy.cohort.id), ("cohort", academy.other_cohort.id)]
    with people.session() as s:
        before = data_versions.versions(s, scopes)
        s.add(ModuleProgress(trainee_id=academy.trainee.id, module_id=MODULE, opened_at=utcnow()))
        s.commit()
        after = data_versions.versions(s, scopes)
    moved = [scope for scope, b, a in zip(scopes, before, after, strict=True) if a != b]
    assert moved == [("all", 0), ("user", academy.trainee.id), ("cohort", academy.cohort.id)]


def test_a_deleted_row_moves_the_versions_of_its_trainee(people, academy):
    attempt = people.decided_attempt(academy.trainee, academy.mentor, "approved")
    scope = [("user", academy.trainee.id)]
    with people.session() as s:
        before = data_versions.versions(s, scope)
        s.execute(text("DELETE FROM decision WHERE attempt_id = :a"), {"a": attempt.id})
        s.commit()
        assert data_versions.versions(s, scope) != before


# ------------------------------------------------------------------ a kept page is the page drawn now


READS = [  # who reads which kept page
    ("trainee", "/learn"),
    ("trainee", f"/modules/{MODULE}"),
    ("trainee2", "/learn"),
    ("trainee2", f"/modules/{MODULE}"),
    ("mentor", "/reviews"),
    ("mentor", f"/modules/{MODULE}"),
    ("admin", "/reviews"),
    ("manager", "/cohorts/{cohort_id}"),
    ("manager", "/cohorts/{cohort_id}/progress.csv"),
    ("other_manager", "/cohorts/{other_cohort_id}"),
    ("other_manager", "/cohorts/{other_cohort_id}/progress.csv"),
]


def days_ago(days: float):
    return utcnow() - timedelta(days=days)  # pages say "3 days ago": the same for the whole test


def a_submission(s, academy, number=2):
    s.add(
        LabAttempt(
            trainee_id=academy.trainee.id,
            module_id=MODULE,
            lab_id=LAB,
            number=number,
            status="submitted",
            evidence="More evidence.",
            request_key=f"more-{number}",
            submitted_at=days_ago(2),
        )
    )


def the_attempt(s, academy) -> LabAttempt:
    return s.exec(select(LabAttempt).where(LabAttempt.trainee_id == academy.trainee.id, LabAttempt.number == 1)).one()


WRITES = {  # what another worker, a job or a script may write, straight into the database
    "progress": lambda s, a: s.execute(  # the module's row, made by its first visit
        update(ModuleProgress).where(ModuleProgress.trainee_id == a.trainee.id).values(read_at=utcnow())
    ),
    "quiz passed": lambda s, a: s.add(
        QuizAttempt(
            trainee_id=a.trainee.id,
            module_id=MODULE,
            content_hash="x",
            answers="{}",
            correct=5,
            total=5,
            passed=True,
            request_key="q1",
            created_at=days_ago(3),
        )
    ),
    "lab submitted": a_submission,
    "decision": lambda s, a: (
        s.add(
            Decision(attempt_id=the_attempt(s, a).id, mentor_id=a.mentor.id, outcome="approved", decided_at=days_ago(1))
        ),
        s.execute(update(LabAttempt).where(LabAttempt.id == the_attempt(s, a).id).values(status="approved")),
    ),
    "withdrawn": lambda s, a: s.execute(
        update(LabAttempt)
        .where(LabAttempt.id == the_attempt(s, a).id)
        .values(status="withdrawn", withdrawn_at=days_ago(1))
    ),
    "notification": lambda s, a: s.add(Notification(user_id=a.trainee.id, message="Hello", link="/learn")),
    "practice": lambda s, a: s.add(
        PracticeEntry(
            trainee_id=a.trainee.id,
            requirement_id="shadow-shifts",
            started_at=days_ago(4),
            minutes=60,
            service="payments",
            account="Shadowed.",
            request_key="p1",
            submitted_at=days_ago(3),
        )
    ),
    "due date": lambda s, a: s.execute(
        update(CohortModule).where(CohortModule.module_id == MODULE).values(due_date=date(2027, 1, 2))
    ),
    "renamed": lambda s, a: s.execute(update(User).where(User.id == a.trainee.id).values(display_name="Tamsin")),
    "new mentor": lambda s, a: s.execute(
        update(CohortTrainee).where(CohortTrainee.trainee_id == a.trainee.id).values(mentor_id=a.mentor2.id)
    ),
}


@pytest.mark.parametrize("what", WRITES)
def test_after_a_write_every_kept_page_is_the_page_drawn_now(app, as_role, people, academy, what):
    with people.session() as s:
        s.add(
            LabAttempt(
                trainee_id=academy.trainee.id,
                module_id=MODULE,
                lab_id=LAB,
                number=1,
                status="submitted",
                evidence="Evidence.",
                request_key="first",
                submitted_at=days_ago(3),
            )
        )
        s.commit()
    clients = {who: as_role(who) for who in {who for who, _ in READS}}
    paths = [
        (who, path.format(cohort_id=academy.cohort.id, other_cohort_id=academy.other_cohort.id)) for who, path in READS
    ]
    for who, path in paths:  # a module's first visit is recorded: its second page is the one kept
        page(clients[who], path)
    before = [content(clients[who], path) for who, path in paths]
    with people.session() as s:
        WRITES[what](s, academy)
        s.commit()
    served = [content(clients[who], path) for who, path in paths]
    app.extensions["academy.kept_pages"] = KeptPages(limit=10**8)  # nothing kept: every page drawn now
    drawn = [content(clients[who], path) for who, path in paths]
    stale = [path_of for path_of, a, b in zip(paths, served, drawn, strict=True) if a != b]
    assert not stale
    assert drawn != before  # the write shows somewhere


def test_a_row_moved_to_another_trainee_moves_both_trainees_versions(people, academy):
    attempt = people.decided_attempt(academy.trainee, academy.mentor, "approved")
    scopes = [("user", academy.trainee.id), ("user", academy.outsider.id)]
    scopes += [("cohort", academy.cohort.id), ("cohort", academy.other_cohort.id)]
    with people.session() as s:
        before = data_versions.versions(s, scopes)
        s.execute(update(LabAttempt).where(LabAttempt.id == attempt.id).values(trainee_id=academy.outsider.id))
        s.commit()
        after = data_versions.versions(s, scopes)
    assert all(a != b for a, b in zip(after, before, strict=True)), (before, after)


def test_two_writers_taking_the_versions_in_opposite_orders_both_commit(people, academy):
    """One writes a trainee's row, then a shared one; the other a shared row, then a trainee's. On PostgreSQL each
    held one version row and waited for the other's (a deadlock) until writers took one lock first."""
    import threading

    from academy.models import Cohort

    meeting = threading.Barrier(2, timeout=2)
    failures = []

    def write(first, then):
        try:
            with people.session() as s:
                s.execute(first)
                with contextlib.suppress(threading.BrokenBarrierError):  # the other waits for this one's lock
                    meeting.wait()
                s.execute(then)
                s.commit()
        except Exception as error:  # noqa: BLE001 - the test reports any failure of either writer
            failures.append(error)

    personal = update(Notification).where(Notification.user_id == academy.trainee.id).values(read_at=utcnow())
    personal2 = update(Notification).where(Notification.user_id == academy.trainee2.id).values(read_at=utcnow())
    with people.session() as s:
        s.add(Notification(user_id=academy.trainee.id, message="a", link="/learn"))
        s.add(Notification(user_id=academy.trainee2.id, message="b", link="/learn"))
        s.commit()
    shared = update(Cohort).where(Cohort.id == academy.cohort.id).values(name="Cohort A, renamed")
    shared2 = update(Cohort).where(Cohort.id == academy.other_cohort.id).values(name="Cohort B, renamed")
    writers = [
        threading.Thread(target=write, args=(personal, shared)),
        threading.Thread(target=write, args=(shared2, personal2)),
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(30)
    assert not failures, failures


def test_a_name_that_looks_like_a_slot_is_shown_as_typed(as_role, people, academy):
    from academy import page_cache

    assert page_cache.CSRF_SLOT not in ("@@csrf-token-slot@@",)  # not a string anyone can know
    name = "@@csrf-token-slot@@ @@one-time-slot-0@@"
    write(people, update(User).where(User.id == academy.trainee2.id).values(display_name=name))
    client = as_role("manager")
    for _ in range(2):  # drawn, then kept
        assert name in page(client, url("/cohorts/{cohort_id}/progress.csv", academy))
