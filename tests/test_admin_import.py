"""Bulk import of a cohort's people from CSV: a preview that names every row's problem, then all rows or none."""

import html
import io
import json
import re

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from academy.admin import importer
from academy.models import AuditEntry, Cohort, CohortStaff, CohortTrainee, User, UserRole
from tests.test_inputs import CRAFTED_EMAIL, shapes_checked

HEADER = "name,email,role,mentor email\n"


# ------------------------------------------------------------------ reading what happened


def fetch(people, statement):
    """Rows from a short session of their own, so that no read holds a lock while a request writes."""
    with people.session() as s:
        return s.exec(statement).all()


def snapshot(people) -> dict[str, int]:
    models = (User, UserRole, Cohort, CohortTrainee, CohortStaff, AuditEntry)
    return {m.__name__: fetch(people, select(func.count()).select_from(m))[0] for m in models}


def user_named(people, email: str) -> User | None:
    found = fetch(people, select(User).where(User.email == email))
    return found[0] if found else None


def roles(people, user_id: int) -> set[str]:
    return set(fetch(people, select(UserRole.role).where(UserRole.user_id == user_id)))


def entries(people, action: str) -> list[AuditEntry]:
    return list(fetch(people, select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def row_checks(page: str) -> dict[int, str]:
    """The preview table: line number -> what its last column says about the row."""
    rows = re.findall(r"<tr[^>]*><td[^>]*>(\d+)</td>(.*?)</tr>", page, re.S)
    last_cell = {int(line): re.split(r"<td[^>]*>", cells)[-1] for line, cells in rows}
    return {line: " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for line, cell in last_cell.items()}


def file_problems(page: str) -> list[str]:
    section = page.split('id="preview-title"', 1)[-1].split("</section>", 1)[0]
    return [html.unescape(p) for p in re.findall(r'<div class="flash flash-error" role="alert">(.*?)</div>', section)]


def confirm_text(page: str) -> str:
    """What the preview's confirm form sends back: the checked rows, in a hidden textarea."""
    found = re.search(r'<textarea name="text" hidden aria-hidden="true">(.*?)</textarea>', page, re.S)
    assert found, "the preview offers no confirm button"
    return html.unescape(found.group(1))


def existing_confirmation(page: str) -> str | None:
    """The value of the preview's "I confirm these changes to existing accounts" box, when it has one."""
    found = re.search(r'<input[^>]*name="confirm_existing"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else None


def confirmed_existing(client, cohort_id: int, text: str) -> dict:
    """What an admin who previews the rows and ticks the confirmation box sends along with "Import"."""
    value = existing_confirmation(paste(client, cohort_id, text).get_data(as_text=True))
    return {"confirm_existing": value} if value else {}


def upload(client, cohort_id: int, content: bytes, *, confirm: bool = False, confirm_existing: bool = False):
    data = {"file": (io.BytesIO(content), "people.csv")}
    if confirm:
        data["confirm"] = "1"
    if confirm_existing:
        data |= confirmed_existing(client, cohort_id, content.decode("utf-8-sig"))
    return client.post(f"/admin/cohorts/{cohort_id}/import", data=data, content_type="multipart/form-data")


def paste(client, cohort_id: int, text: str, *, confirm: bool = False, confirm_existing: bool = False):
    data = {"text": text} | ({"confirm": "1"} if confirm else {})
    if confirm_existing:
        data |= confirmed_existing(client, cohort_id, text)
    return client.post(f"/admin/cohorts/{cohort_id}/import", data=data)


# ------------------------------------------------------------------ problems


BAD_FILE = HEADER + (
    "Bad Email,not-an-email,trainee,\n"  # 2
    "Willa Wizard,willa@example.com,wizard,\n"  # 3
    "Dana,dana@example.com,trainee,\n"  # 4
    "Dana Again, DANA@Example.com ,trainee,\n"  # 5
    "Tom,tom@example.com,trainee,trainee2@example.com\n"  # 6: mentor who is no mentor
    "Lee,lee@example.com,trainee,lone-mentor@example.com\n"  # 7: a mentor, but not of this cohort
    "Ray,ray@example.com,trainee,dana@example.com\n"  # 8: in the file, but as a trainee
    "Mia,mia@example.com,mentor,mentor@example.com\n"  # 9: only trainees have a mentor
    "Otto,outsider@example.com,trainee,\n"  # 10: a trainee of Cohort B
    "Tina,trainee@example.com,trainee,\n"  # 11: already a trainee of this very cohort
    "Good Person,good@example.com,trainee,mentor@example.com\n"  # 12
)
EXPECTED = {
    2: "the email address is not valid",
    3: "role must be trainee, mentor or manager",
    4: "OK",
    5: "this email appears on an earlier row",
    6: "trainee2@example.com is not a mentor of this cohort nor a mentor in this file",
    7: "lone-mentor@example.com is not a mentor of this cohort nor a mentor in this file",
    8: "dana@example.com is not a mentor of this cohort nor a mentor in this file",
    9: "only trainees have a mentor",
    10: "already a trainee in a cohort",
    11: "already a trainee in a cohort",
    12: "OK",
}


@pytest.fixture
def admin(as_role, people, academy):
    people.user("lone-mentor@example.com", "mentor")
    return as_role("admin")


@pytest.mark.parametrize("send", [upload, paste], ids=["upload", "paste"])
def test_preview_lists_every_rows_problem_and_writes_nothing(admin, people, academy, send):
    before = snapshot(people)
    content = BAD_FILE.encode() if send is upload else BAD_FILE
    response = send(admin, academy.cohort.id, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    checks = row_checks(page)
    assert set(checks) == set(EXPECTED)
    for line, expected in EXPECTED.items():
        assert expected in checks[line], (line, checks[line])
        assert ("Problem" in checks[line]) == (expected != "OK"), (line, checks[line])
    assert "Nothing was imported" in page
    assert 'name="confirm"' not in page
    if send is paste:  # what was pasted stays in the form, to be corrected
        textarea = re.search(r'<textarea[^>]*\bid="text"[^>]*>(.*?)</textarea>', page, re.S)
        assert html.unescape(textarea.group(1)).strip() == BAD_FILE.strip()
    assert snapshot(people) == before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"Ann,ann@example.com,trainee,\n", "The first row must name the columns: name, email, role, mentor email."),
        (b"name,email,role\nAnn,ann@example.com,trainee\n", "The first row must name the columns"),
        (b"", "The file is empty."),
        (b"\n \n,,,\n", "The file is empty."),
        (HEADER.encode() + "José,jose@example.com,trainee,\n".encode("latin-1"), "The file is not UTF-8 text."),
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), "The file is not UTF-8 text."),
        (HEADER.encode() + b'"Ann,ann@example.com,trainee,\n', ""),  # an unclosed quote swallows the row
    ],
    ids=["no-header", "short-header", "empty", "blank-lines", "latin-1", "utf-16", "open-quote"],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_reason_and_writes_nothing(
    admin, people, academy, content, problem
):
    before = snapshot(people)
    response = upload(admin, academy.cohort.id, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'name="confirm"' not in page
    if problem:
        assert any(problem in p for p in file_problems(page)), file_problems(page)
    assert snapshot(people) == before
    assert user_named(people, "ann@example.com") is None and user_named(people, "jose@example.com") is None


def test_a_header_without_people_is_refused_with_a_reason(admin, people, academy):
    before = snapshot(people)
    response = upload(admin, academy.cohort.id, HEADER.encode())
    assert response.status_code == 422
    assert file_problems(response.get_data(as_text=True)), "the page refuses the file without saying why"
    assert snapshot(people) == before


def test_nothing_chosen_is_refused(admin, people, academy):
    before = snapshot(people)
    response = admin.post(f"/admin/cohorts/{academy.cohort.id}/import", data={"text": "  "})
    assert response.status_code == 422
    assert "Choose a CSV file or paste its rows." in file_problems(response.get_data(as_text=True))
    assert snapshot(people) == before


def test_a_deactivated_account_in_the_file_is_a_problem(admin, people, academy):
    people.user("gone@example.com", "trainee")
    gone = user_named(people, "gone@example.com")
    admin.post(f"/admin/users/{gone.id}/active", data={"active": "0"})
    before = snapshot(people)
    response = paste(admin, academy.cohort.id, HEADER + "Gone,gone@example.com,trainee,\n")
    assert response.status_code == 422
    assert "this account is deactivated" in row_checks(response.get_data(as_text=True))[2]
    assert snapshot(people) == before


# ------------------------------------------------------------------ a good file


GOOD_FILE = HEADER + (
    "Tariq Trainee,tariq@example.com,trainee,maya@example.com\n"  # his mentor comes later in the file
    "Maya Mentor,MAYA@example.com,mentor,\n"
    "Tess Trainee,tess@example.com,trainee,mentor@example.com\n"  # a mentor the cohort already has
    "Olga,other-manager@example.com,manager,\n"  # an existing account
    "Sam Switch,switcher@example.com,trainee,\n"  # an existing account, no mentor yet
)


def test_a_good_file_previews_without_writing_then_imports_every_row(app, admin, people, academy):
    people.user("switcher@example.com", "trainee", name="Sam Switch")
    before = snapshot(people)
    content = ("\ufeff" + GOOD_FILE).replace("\n", "\r\n").encode()  # as a spreadsheet saves "CSV UTF-8"
    preview = upload(admin, academy.cohort.id, content)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    checks = row_checks(page)
    assert list(checks) == [2, 3, 4, 5, 6]
    assert all(check.startswith("OK") for check in checks.values()), checks
    assert [line for line, cells in preview_rows(page).items() if cells[1] == "New account"] == [2, 3, 4]
    assert snapshot(people) == before, "a preview writes nothing"

    done = paste(admin, academy.cohort.id, confirm_text(page), confirm=True, confirm_existing=True)
    assert done.status_code == 200
    done_page = done.get_data(as_text=True)
    assert "5 people imported into Cohort A" in done_page

    maya, tariq, tess = (user_named(people, f"{n}@example.com") for n in ("maya", "tariq", "tess"))
    assert (maya.display_name, tariq.display_name, tess.display_name) == (
        "Maya Mentor",
        "Tariq Trainee",
        "Tess Trainee",
    )
    assert roles(people, maya.id) == {"mentor"} and roles(people, tariq.id) == {"trainee"}
    assert maya.password_hash is None
    members = dict(
        fetch(
            people,
            select(CohortTrainee.trainee_id, CohortTrainee.mentor_id).where(
                CohortTrainee.cohort_id == academy.cohort.id
            ),
        )
    )
    switcher = user_named(people, "switcher@example.com")
    assert members[tariq.id] == maya.id
    assert members[tess.id] == academy.mentor.id
    assert members[switcher.id] is None
    staff = set(
        fetch(people, select(CohortStaff.user_id, CohortStaff.role).where(CohortStaff.cohort_id == academy.cohort.id))
    )
    assert {(maya.id, "mentor"), (academy.other_manager.id, "manager")} <= staff

    after = snapshot(people)
    assert after["User"] == before["User"] + 3
    assert after["CohortTrainee"] == before["CohortTrainee"] + 3
    assert after["CohortStaff"] == before["CohortStaff"] + 2
    imported = entries(people, "cohort.imported")
    assert [(e.target, e.actor_id, json.loads(e.detail)) for e in imported] == [
        ("Cohort A", academy.admin.id, {"rows": 5, "new_accounts": 3})
    ]
    assert sorted(e.target for e in entries(people, "user.invited")) == [
        "maya@example.com",
        "tariq@example.com",
        "tess@example.com",
    ]

    # the new accounts' invitation links are on the page, and each one opens that person's welcome page
    tokens = re.findall(r"http://localhost/welcome/([A-Za-z0-9_.\-]+)", done_page)
    assert len(tokens) == 3
    welcomed = set()
    for token in tokens:
        response = app.test_client().get(f"/welcome/{token}")
        assert response.status_code == 200
        welcomed |= {
            n
            for n in ("Maya Mentor", "Tariq Trainee", "Tess Trainee")
            if f"Welcome, {n}" in response.get_data(as_text=True)
        }
    assert welcomed == {"Maya Mentor", "Tariq Trainee", "Tess Trainee"}


def test_the_same_file_twice_is_refused_the_second_time(admin, people, academy):
    good = GOOD_FILE.replace("Sam Switch,switcher", "Sam,sam")
    assert paste(admin, academy.cohort.id, good, confirm=True, confirm_existing=True).status_code == 200
    before = snapshot(people)
    again = paste(admin, academy.cohort.id, GOOD_FILE.replace("Sam Switch,switcher", "Sam,sam"), confirm=True)
    assert again.status_code == 422
    checks = row_checks(again.get_data(as_text=True))
    assert "already a trainee in a cohort" in checks[2]
    assert "already a mentor of this cohort" in checks[3]
    assert "already a manager of this cohort" in checks[5]
    assert snapshot(people) == before


@pytest.mark.parametrize("send", [upload, paste], ids=["upload", "paste"])
def test_confirming_a_file_with_a_problem_writes_nothing(admin, people, academy, send):
    text = GOOD_FILE.replace("Sam Switch,switcher", "Sam,sam") + "Bad,not-an-email,trainee,\n"
    before = snapshot(people)
    response = send(admin, academy.cohort.id, text.encode() if send is upload else text, confirm=True)
    assert response.status_code == 422
    assert "the email address is not valid" in row_checks(response.get_data(as_text=True))[7]
    assert snapshot(people) == before
    assert user_named(people, "maya@example.com") is None


def test_importing_an_existing_account_in_a_new_role_records_the_role_change(admin, people, academy):
    """The import gives the role the account lacks; a role change is audited like one made on the account page."""
    people.user("convert@example.com", "trainee")
    convert = user_named(people, "convert@example.com")
    text = HEADER + "Connie,convert@example.com,mentor,\n"
    response = paste(admin, academy.cohort.id, text, confirm=True, confirm_existing=True)
    assert response.status_code == 200
    assert roles(people, convert.id) == {"trainee", "mentor"}
    changed = [e for e in entries(people, "user.roles_changed") if e.target == "convert@example.com"]
    assert [json.loads(e.detail) for e in changed] == [{"before": ["trainee"], "after": ["mentor", "trainee"]}]


def test_a_crafted_24_kb_email_cell_is_refused_by_its_length_before_its_shape_is_checked(
    admin, people, academy, monkeypatch
):
    seen = shapes_checked(monkeypatch)
    before = snapshot(people)
    response = paste(admin, academy.cohort.id, HEADER + f"Eve,{CRAFTED_EMAIL},trainee,\nGus,gus@example.com,trainee,\n")
    assert response.status_code == 422
    checks = row_checks(response.get_data(as_text=True))
    assert "the email address is not valid" in checks[2] and checks[3].startswith("OK")
    assert seen == ["gus@example.com"], "the crafted cell never reaches the shape check"
    assert snapshot(people) == before


# ------------------------------------------------------------------ changes to existing accounts

# Oscar is a trainee of Cohort B: importing him into Cohort A as a mentor gives him a role and a cohort to serve.
TOUCHES_EXISTING = HEADER + (
    "Oscar the Mentor,outsider@example.com,mentor,\n"  # 2: the file's name is not his
    "Nina New,nina@example.com,trainee,outsider@example.com\n"  # 3
    "Marco,mentor2@example.com,manager,\n"  # 4: a mentor of this cohort becomes its manager too
)


def test_the_plan_names_the_account_each_row_touches_and_every_change(app, academy):
    with app.app_context(), Session(app.extensions["academy.engine"]) as s:
        plan = importer.plan_import(s, s.get(Cohort, academy.cohort.id), TOUCHES_EXISTING)
        oscar, nina, marco = plan.rows
        assert plan.ok
        assert (oscar.existing.display_name, oscar.existing_roles) == ("Outsider", {"trainee"})
        assert oscar.changes == ["gains the role mentor", "becomes a mentor of Cohort A"]
        assert nina.existing is None
        assert nina.changes == [
            "new account with the role trainee",
            "joins Cohort A as a trainee, mentor outsider@example.com",
        ]
        assert (marco.existing_roles, marco.changes) == (
            {"mentor"},
            ["gains the role manager", "becomes a manager of Cohort A"],
        )
        assert [r.line for r in plan.existing_rows] == [2, 4]
        assert plan.confirmation_key


def test_applying_changes_to_existing_accounts_needs_the_confirmation_of_exactly_those_changes(app, people, academy):
    engine = app.extensions["academy.engine"]
    before = snapshot(people)
    with app.test_request_context(), Session(engine) as s:
        plan = importer.plan_import(s, s.get(Cohort, academy.cohort.id), TOUCHES_EXISTING)
        for confirmed in ("", "0123456789abcdef"):
            with pytest.raises(importer.ConfirmationNeeded, match="2 rows change existing accounts"):
                importer.apply_import(s, s.get(Cohort, academy.cohort.id), plan, confirmed=confirmed)
        s.rollback()
    assert snapshot(people) == before
    with app.test_request_context(), Session(engine) as s:
        cohort = s.get(Cohort, academy.cohort.id)
        plan = importer.plan_import(s, cohort, TOUCHES_EXISTING)
        importer.apply_import(s, cohort, plan, confirmed=plan.confirmation_key)
        s.commit()
    assert roles(people, academy.outsider.id) == {"trainee", "mentor"}


def test_a_plan_of_new_accounts_only_needs_no_confirmation(app, academy):
    with app.app_context(), Session(app.extensions["academy.engine"]) as s:
        plan = importer.plan_import(s, s.get(Cohort, academy.cohort.id), HEADER + "Nina,nina@example.com,trainee,\n")
        assert plan.ok and plan.existing_rows == [] and plan.confirmation_key == ""


def preview_rows(page: str) -> dict[int, list[str]]:
    """The preview table: line number -> the text of each of its cells."""
    rows = re.findall(r"<tr[^>]*><td[^>]*>(\d+)</td>(.*?)</tr>", page, re.S)
    return {
        int(line): [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
        for line, cells in rows
    }


def test_the_preview_shows_the_account_each_row_touches_and_highlights_changes_to_existing_ones(admin, academy):
    response = paste(admin, academy.cohort.id, TOUCHES_EXISTING)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = preview_rows(page)
    file_cell, account, changes, check = rows[2]
    assert "Oscar the Mentor" in file_cell and "outsider@example.com" in file_cell
    assert "Outsider" in account and "trainee" in account and "Oscar" not in account
    assert "gains the role mentor" in changes and "becomes a mentor of Cohort A" in changes
    assert check.startswith("OK")
    assert "New account" in rows[3][1] and "joins Cohort A as a trainee" in rows[3][2]
    assert "<mark>gains the role mentor</mark>" in page and "<mark>becomes a mentor of Cohort A</mark>" in page
    assert "<mark>joins Cohort A" not in page, "only changes to existing accounts are highlighted"
    assert "I confirm these changes to existing accounts" in page
    assert existing_confirmation(page)
    assert "2 rows change existing accounts" in page


def test_importing_without_confirming_the_changes_to_existing_accounts_writes_nothing_and_keeps_the_rows(
    admin, people, academy
):
    before = snapshot(people)
    response = paste(admin, academy.cohort.id, TOUCHES_EXISTING, confirm=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    message = file_problems(page)
    assert message and "Nothing was imported" in message[0] and "2 rows change existing accounts" in message[0]
    assert page.index(message[0].split(":")[0]) < page.index("<table"), "the message comes before the rows"
    assert confirm_text(page) == TOUCHES_EXISTING, "the rows are kept for the confirmation"
    assert existing_confirmation(page)
    assert snapshot(people) == before
    assert roles(people, academy.outsider.id) == {"trainee"}

    done = paste(admin, academy.cohort.id, confirm_text(page), confirm=True, confirm_existing=True)
    assert done.status_code == 200
    assert roles(people, academy.outsider.id) == {"trainee", "mentor"}
