"""Administration of cohorts: creating them with a plan, their details, and adding and removing their people."""

import html
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from academy.curriculum.loader import learning_order
from academy.curriculum.store import catalogue
from academy.models import AuditEntry, Cohort, CohortModule, CohortStaff, CohortTrainee, ModuleProgress, User, utcnow

# ------------------------------------------------------------------ reading what happened


def fetch(people, statement):
    """Rows from a short session of their own, so that no read holds a lock while a request writes."""
    with people.session() as s:
        return s.exec(statement).all()


def count(people, model) -> int:
    return fetch(people, select(func.count()).select_from(model))[0]


def snapshot(people) -> dict[str, int]:
    return {m.__name__: count(people, m) for m in (Cohort, CohortModule, CohortTrainee, CohortStaff, AuditEntry)}


def entries(people, action: str) -> list[AuditEntry]:
    return list(fetch(people, select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def cohort_named(people, name: str) -> Cohort | None:
    found = fetch(people, select(Cohort).where(Cohort.name == name))
    return found[0] if found else None


def plan_of(people, cohort_id: int) -> dict[str, date]:
    return dict(
        fetch(people, select(CohortModule.module_id, CohortModule.due_date).where(CohortModule.cohort_id == cohort_id))
    )


def mentor_of(people, trainee_id: int) -> int | None:
    return fetch(people, select(CohortTrainee.mentor_id).where(CohortTrainee.trainee_id == trainee_id))[0]


def staff(people, cohort_id: int) -> set[tuple[str, str]]:
    rows = fetch(
        people,
        select(User.email, CohortStaff.role)
        .join(CohortStaff, CohortStaff.user_id == User.id)
        .where(CohortStaff.cohort_id == cohort_id),
    )
    return {(email, role) for email, role in rows}


def trainees(people, cohort_id: int) -> set[str]:
    rows = fetch(
        people,
        select(User.email)
        .join(CohortTrainee, CohortTrainee.trainee_id == User.id)
        .where(CohortTrainee.cohort_id == cohort_id),
    )
    return set(rows)


def field_error(page: str, field_id: str) -> str | None:
    """The error shown right under the field with this id (the form macro ties them with aria-describedby)."""
    found = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    if found is None:
        return None
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert tag and f"{field_id}-error" in tag.group(0) and 'aria-invalid="true"' in tag.group(0)
    return html.unescape(found.group(1))


def fieldset_error(page: str, legend: str) -> str | None:
    fieldset = re.search(rf"<legend>{re.escape(legend)}</legend>(.*?)</fieldset>", page, re.S)
    found = re.search(r'<p class="field-error">(.*?)</p>', fieldset.group(1), re.S) if fieldset else None
    return html.unescape(found.group(1)) if found else None


def input_value(page: str, field_id: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0)) if tag else None
    return html.unescape(value.group(1)) if value else None


def flashed(response) -> str:
    return html.unescape(
        " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', response.get_data(as_text=True)))
    )


def module_order(app, track_ids) -> list[str]:
    with app.app_context():
        return [m.id for m in learning_order(catalogue()) if m.track in track_ids]


# ------------------------------------------------------------------ creating a cohort


def test_new_cohort_form_offers_every_track(app, as_role):
    page = as_role("admin").get("/admin/cohorts/new").get_data(as_text=True)
    with app.app_context():
        for track in catalogue().tracks:
            assert re.search(rf'<input[^>]*checked[^>]*value="{track.id}"', page), track.id


def test_create_cohort_writes_a_plan_for_the_chosen_tracks_due_in_order(app, as_role, people, academy):
    response = as_role("admin").post(
        "/admin/cohorts/new",
        data={
            "name": "Berlin spring 2027",
            "start_date": "2027-03-01",
            "end_date": "2027-09-01",
            "tracks": ["foundations", "slos"],
        },
    )
    cohort = cohort_named(people, "Berlin spring 2027")
    assert cohort is not None
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/cohorts/{cohort.id}"
    assert (cohort.start_date, cohort.end_date) == (date(2027, 3, 1), date(2027, 9, 1))

    order = module_order(app, {"foundations", "slos"})
    assert order, "the curriculum has modules in these tracks"
    plan = plan_of(people, cohort.id)
    assert set(plan) == set(order)
    due = [plan[m] for m in order]
    assert all(cohort.start_date < d <= cohort.end_date for d in due)
    assert due == sorted(due) and len(set(due)) == len(due), "due dates rise along the learning order"
    assert due[-1] == cohort.end_date

    created = entries(people, "cohort.created")[-1]
    assert created.target == "Berlin spring 2027" and created.actor_id == academy.admin.id
    planned = entries(people, "cohort.plan_set")[-1]
    assert json.loads(planned.detail) == {"tracks": ["foundations", "slos"], "modules": len(order)}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"start_date": "2027-09-01", "end_date": "2027-03-01"},
            "end_date",
            "The planned end must be on or after the start.",
        ),
        ({"start_date": "2027-13-45", "end_date": "2027-09-01"}, "start_date", "Enter the day the cohort starts."),
        ({"name": "  cohort a "}, "name", "Another cohort already has this name."),
        ({"name": "COHORT   A"}, "name", "Another cohort already has this name."),
        ({"name": ""}, "name", "Give the cohort a name."),
    ],
)
def test_create_cohort_refuses_bad_details_next_to_the_field_and_writes_nothing(
    as_role, people, academy, data, field, message
):
    admin = as_role("admin")
    before = snapshot(people)
    form = {"name": "Lisbon 2027", "start_date": "2027-03-01", "end_date": "2027-09-01", "tracks": ["culture"]} | data
    response = admin.post("/admin/cohorts/new", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    for kept in ("name", "start_date", "end_date"):
        assert input_value(page, kept) == form[kept], kept
    assert re.search(r'<input[^>]*checked[^>]*value="culture"', page)
    assert not re.search(r'<input[^>]*checked[^>]*value="slos"', page)
    assert snapshot(people) == before


def test_create_cohort_without_tracks_is_refused_next_to_the_tracks(as_role, people, academy):
    admin = as_role("admin")
    before = snapshot(people)
    response = admin.post(
        "/admin/cohorts/new", data={"name": "Lisbon 2027", "start_date": "2027-03-01", "end_date": "2027-09-01"}
    )
    assert response.status_code == 400
    assert "Choose at least one track." in fieldset_error(response.get_data(as_text=True), "Tracks to follow")
    assert snapshot(people) == before


def test_create_cohort_with_an_unknown_track_writes_nothing(as_role, people, academy):
    admin = as_role("admin")
    before = snapshot(people)
    response = admin.post(
        "/admin/cohorts/new",
        data={"name": "Lisbon 2027", "start_date": "2027-03-01", "end_date": "2027-09-01", "tracks": ["astrology"]},
    )
    assert response.status_code == 400
    assert snapshot(people) == before


# ------------------------------------------------------------------ details and plan


def test_edit_details_saves_and_audits(as_role, people, academy):
    response = as_role("admin").post(
        f"/admin/cohorts/{academy.cohort.id}/details",
        data={
            "details-name": "Cohort A (renamed)",
            "details-start_date": "2026-09-01",
            "details-end_date": "2027-06-01",
        },
    )
    assert response.status_code == 302
    cohort = cohort_named(people, "Cohort A (renamed)")
    assert cohort.id == academy.cohort.id and cohort.end_date == date(2027, 6, 1)
    assert json.loads(entries(people, "cohort.updated")[-1].detail) == {"start": "2026-09-01", "end": "2027-06-01"}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"details-name": "cohort b"}, "details-name", "Another cohort already has this name."),
        ({"details-end_date": "2026-08-01"}, "details-end_date", "The planned end must be on or after the start."),
    ],
)
def test_edit_details_refuses_bad_details_next_to_the_field(as_role, people, academy, data, field, message):
    admin = as_role("admin")
    before = snapshot(people)
    form = {"details-name": "Cohort A", "details-start_date": "2026-09-01", "details-end_date": "2027-03-01"} | data
    response = admin.post(f"/admin/cohorts/{academy.cohort.id}/details", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    assert input_value(page, field) == form[field]
    assert snapshot(people) == before
    cohort = cohort_named(people, "Cohort A")
    assert (cohort.start_date, cohort.end_date) == (date(2026, 9, 1), date(2027, 3, 1))


def test_changing_the_dates_keeps_the_plan_within_them(as_role, people, academy):
    """A cohort that now ends in December should not have modules due in March."""
    as_role("admin").post(
        f"/admin/cohorts/{academy.cohort.id}/details",
        data={"details-name": "Cohort A", "details-start_date": "2026-09-01", "details-end_date": "2026-12-01"},
    )
    due = plan_of(people, academy.cohort.id).values()
    assert due and max(due) <= date(2026, 12, 1)


def test_set_plan_replaces_the_modules_and_audits(app, as_role, people, academy):
    response = as_role("admin").post(f"/admin/cohorts/{academy.cohort.id}/plan", data={"plan-tracks": ["culture"]})
    assert response.status_code == 302
    order = module_order(app, {"culture"})
    plan = plan_of(people, academy.cohort.id)
    assert set(plan) == set(order)
    assert [plan[m] for m in order] == sorted(plan.values()) and max(plan.values()) == date(2027, 3, 1)
    assert json.loads(entries(people, "cohort.plan_set")[-1].detail) == {"tracks": ["culture"], "modules": len(order)}
    assert len(plan_of(people, academy.other_cohort.id)) > len(order), "the other cohort's plan is untouched"


# ------------------------------------------------------------------ people


@pytest.fixture
def empty_cohort(people, academy):
    return people.cohort("Cohort C")


def add(admin, cohort_id: int, email: str, role: str, mentor: str = ""):
    return admin.post(
        f"/admin/cohorts/{cohort_id}/members",
        data={"member-email": email, "member-role": role, "member-mentor": mentor},
    )


def test_add_mentor_manager_and_trainee_with_their_mentor(as_role, people, academy, empty_cohort):
    admin = as_role("admin")
    people.user("newbie@example.com", "trainee")
    assert add(admin, empty_cohort.id, " MENTOR@example.com", "mentor").status_code == 302
    assert add(admin, empty_cohort.id, "manager@example.com", "manager").status_code == 302
    assert add(admin, empty_cohort.id, "newbie@example.com", "trainee", mentor="mentor@example.com").status_code == 302

    assert staff(people, empty_cohort.id) == {("mentor@example.com", "mentor"), ("manager@example.com", "manager")}
    newbie = fetch(people, select(User).where(User.email == "newbie@example.com"))[0]
    assert trainees(people, empty_cohort.id) == {"newbie@example.com"}
    assert mentor_of(people, newbie.id) == academy.mentor.id
    added = [json.loads(e.detail) for e in entries(people, "cohort.member_added") if e.target == "Cohort C"]
    assert added == [
        {"email": "mentor@example.com", "role": "mentor"},
        {"email": "manager@example.com", "role": "manager"},
        {"email": "newbie@example.com", "role": "trainee"},
    ]
    assert {e.actor_id for e in entries(people, "cohort.member_added") if e.target == "Cohort C"} == {academy.admin.id}


@pytest.mark.parametrize(
    ("email", "role", "mentor", "field", "message"),
    [
        ("trainee2@example.com", "mentor", "", "member-email", "does not hold the mentor role"),
        ("mentor2@example.com", "trainee", "", "member-email", "does not hold the trainee role"),
        ("trainee@example.com", "manager", "", "member-email", "does not hold the manager role"),
        ("ghost@example.com", "trainee", "", "member-name", "No account has this email yet: enter their name"),
        ("outsider@example.com", "trainee", "", "member-email", "is already a trainee in Cohort B"),
        ("mentor2@example.com", "mentor", "", "member-email", "is already a mentor of this cohort"),
    ],
)
def test_add_member_refusals_show_next_to_the_field_and_write_nothing(
    as_role, people, academy, email, role, mentor, field, message
):
    admin = as_role("admin")
    before = snapshot(people)
    response = add(admin, academy.cohort.id, email, role, mentor)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    assert input_value(page, "member-email") == email
    assert snapshot(people) == before


def test_a_trainee_in_another_cohort_stays_there(as_role, people, academy):
    add(as_role("admin"), academy.cohort.id, "outsider@example.com", "trainee")
    assert fetch(people, select(CohortTrainee.cohort_id).where(CohortTrainee.trainee_id == academy.outsider.id)) == [
        academy.other_cohort.id
    ]


def test_add_trainee_with_a_mentor_from_elsewhere_is_refused_next_to_the_mentor(as_role, people, academy, empty_cohort):
    people.user("newbie@example.com", "trainee")
    admin = as_role("admin")
    before = snapshot(people)
    response = add(admin, empty_cohort.id, "newbie@example.com", "trainee", mentor="mentor@example.com")
    assert response.status_code == 400
    assert "is not a mentor of this cohort" in field_error(response.get_data(as_text=True), "member-mentor")
    assert snapshot(people) == before


def test_add_trainee_with_an_unknown_mentor_is_refused(as_role, people, academy, empty_cohort):
    """Asked for a mentor that does not exist, the admin should hear so, not get a trainee without a mentor."""
    people.user("newbie@example.com", "trainee")
    admin = as_role("admin")
    before = snapshot(people)
    response = add(admin, empty_cohort.id, "newbie@example.com", "trainee", mentor="ghost@example.com")
    assert response.status_code == 400
    assert snapshot(people) == before


def assign(admin, cohort_id: int, trainee_id, mentor_id):
    return admin.post(
        f"/admin/cohorts/{cohort_id}/mentor", data={"assign-trainee": str(trainee_id), "assign-mentor": str(mentor_id)}
    )


def test_assign_a_mentor_of_the_cohort(as_role, people, academy):
    admin = as_role("admin")
    assert mentor_of(people, academy.trainee.id) == academy.mentor.id
    assert assign(admin, academy.cohort.id, academy.trainee.id, academy.mentor2.id).status_code == 302
    assert mentor_of(people, academy.trainee.id) == academy.mentor2.id
    entry = entries(people, "cohort.mentor_assigned")[-1]
    assert entry.target == "Cohort A" and entry.actor_id == academy.admin.id
    assert json.loads(entry.detail) == {"trainee": "trainee@example.com", "mentor": "mentor2@example.com"}

    assign(admin, academy.cohort.id, academy.trainee.id, "")
    assert mentor_of(people, academy.trainee.id) is None
    assert json.loads(entries(people, "cohort.mentor_assigned")[-1].detail)["mentor"] is None


def test_assign_refuses_a_mentor_who_does_not_serve_the_cohort(as_role, people, academy):
    lone = people.user("lone-mentor@example.com", "mentor")
    admin = as_role("admin")
    before = snapshot(people)
    for mentor_id in (lone.id, academy.trainee2.id, 999999):
        response = assign(admin, academy.cohort.id, academy.trainee.id, mentor_id)
        assert response.status_code == 422  # the cohort page again, with the reason
        assert "not a mentor of this cohort" in flashed(response) or "Choose a trainee and a mentor" in flashed(
            response
        )
    assert mentor_of(people, academy.trainee.id) == academy.mentor.id
    assert snapshot(people) == before


def test_assign_refuses_a_trainee_of_another_cohort(as_role, people, academy):
    admin = as_role("admin")
    before = snapshot(people)
    response = assign(admin, academy.cohort.id, academy.outsider.id, academy.mentor.id)
    assert response.status_code == 422
    assert "is not a trainee of this cohort" in flashed(response)
    assert mentor_of(people, academy.outsider.id) == academy.mentor2.id
    assert snapshot(people) == before


def remove(admin, cohort_id: int, user_id: int, role: str):
    return admin.post(f"/admin/cohorts/{cohort_id}/members/remove", data={"user_id": str(user_id), "role": role})


def test_removing_a_mentor_unassigns_their_trainees_in_that_cohort_only(as_role, people, academy):
    admin = as_role("admin")
    assign(admin, academy.cohort.id, academy.trainee2.id, academy.mentor2.id)
    assert remove(admin, academy.cohort.id, academy.mentor2.id, "mentor").status_code == 302

    assert staff(people, academy.cohort.id) == {("mentor@example.com", "mentor"), ("manager@example.com", "manager")}
    assert mentor_of(people, academy.trainee2.id) is None
    assert mentor_of(people, academy.trainee.id) == academy.mentor.id
    assert mentor_of(people, academy.outsider.id) == academy.mentor2.id  # Cohort B keeps its mentor
    assert ("mentor2@example.com", "mentor") in staff(people, academy.other_cohort.id)
    assert fetch(people, select(User.id).where(User.email == "mentor2@example.com")) == [academy.mentor2.id]
    entry = entries(people, "cohort.member_removed")[-1]
    assert entry.target == "Cohort A" and json.loads(entry.detail) == {"email": "mentor2@example.com", "role": "mentor"}


def test_removing_a_trainee_keeps_their_progress(app, as_role, people, academy):
    module_ids = sorted(plan_of(people, academy.cohort.id))[:2]
    now = utcnow()
    with people.session() as s:
        s.add(
            ModuleProgress(
                trainee_id=academy.trainee.id, module_id=module_ids[0], opened_at=now, read_at=now, completed_at=now
            )
        )
        s.add(ModuleProgress(trainee_id=academy.trainee.id, module_id=module_ids[1], opened_at=now - timedelta(days=1)))
        s.commit()

    admin = as_role("admin")
    assert remove(admin, academy.cohort.id, academy.trainee.id, "trainee").status_code == 302
    assert trainees(people, academy.cohort.id) == {"trainee2@example.com"}
    progress = fetch(people, select(ModuleProgress).where(ModuleProgress.trainee_id == academy.trainee.id))
    assert sorted(p.module_id for p in progress) == module_ids
    assert sum(p.completed_at is not None for p in progress) == 1
    assert json.loads(entries(people, "cohort.member_removed")[-1].detail) == {
        "email": "trainee@example.com",
        "role": "trainee",
    }

    # no longer in a cohort, they may join another one
    assert add(admin, academy.other_cohort.id, "trainee@example.com", "trainee").status_code == 302
    assert "trainee@example.com" in trainees(people, academy.other_cohort.id)


def test_removing_a_manager(as_role, people, academy):
    assert remove(as_role("admin"), academy.cohort.id, academy.manager.id, "manager").status_code == 302
    assert ("manager@example.com", "manager") not in staff(people, academy.cohort.id)
    assert entries(people, "cohort.member_removed")[-1].target == "Cohort A"


@pytest.mark.parametrize(
    ("who", "role"),
    [("outsider", "trainee"), ("other_manager", "manager"), ("trainee", "mentor"), ("mentor", "wizard")],
)
def test_removing_someone_who_is_not_a_member_changes_nothing(as_role, people, academy, who, role):
    admin = as_role("admin")
    before = snapshot(people)
    response = remove(admin, academy.cohort.id, getattr(academy, who).id, role)
    assert response.status_code == 422
    assert "is not a" in flashed(response)
    assert snapshot(people) == before


def test_cohort_page_lists_its_people(as_role, academy):
    page = as_role("admin").get(f"/admin/cohorts/{academy.cohort.id}").get_data(as_text=True)
    for email in ("trainee@example.com", "trainee2@example.com", "mentor@example.com", "manager@example.com"):
        assert email in page
    assert "outsider@example.com" not in page and "other-manager@example.com" not in page
