"""An admin invites a person into a cohort in one step, from the cohort's page; an import's invitation links
download as CSV to that admin, shortly after; the import's rows stay in the form to correct, an uploaded file's too."""

import csv
import html
import io
import json
import re
import time

import pytest
from itsdangerous.timed import TimestampSigner
from sqlmodel import select

from academy.models import AuditEntry, CohortStaff, CohortTrainee, User
from tests.conftest import sign_in
from tests.test_admin_import import BAD_FILE, HEADER, fetch, paste, upload


def add(client, cohort_id: int, **fields):
    data = {"member-name": "", "member-email": "", "member-role": "trainee", "member-mentor": ""}
    data |= {f"member-{k}": v for k, v in fields.items()}
    return client.post(f"/admin/cohorts/{cohort_id}/members", data=data)


def user(people, email: str) -> User | None:
    found = fetch(people, select(User).where(User.email == email))
    return found[0] if found else None


def test_a_new_person_is_invited_into_the_cohort_in_one_step(as_role, people, academy):
    response = add(
        as_role("admin"),
        academy.cohort.id,
        name="Bo Brand",
        email=" Bo@Example.com",
        role="trainee",
        mentor="mentor@example.com",
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    bo = user(people, "bo@example.com")
    assert (bo.display_name, bo.password_hash) == ("Bo Brand", None)
    member = fetch(people, select(CohortTrainee).where(CohortTrainee.trainee_id == bo.id))[0]
    assert (member.cohort_id, member.mentor_id) == (academy.cohort.id, academy.mentor.id)
    assert "Bo Brand has a new account and is now a trainee of Cohort A." in page
    link = re.search(r'id="link"[^>]*value="([^"]+)"', page).group(1)
    assert "/welcome/" in link
    assert f'href="/admin/cohorts/{academy.cohort.id}"' in page  # back to the cohort, not to People
    actions = [e.action for e in fetch(people, select(AuditEntry).order_by(AuditEntry.id))][-3:]
    assert actions == ["user.created", "user.invited", "cohort.member_added"]
    assert app_welcome(as_role, link)


def app_welcome(as_role, link: str) -> bool:
    path = link.split("://", 1)[-1].split("/", 1)[1]
    return "Welcome, Bo Brand" in as_role("trainee").application.test_client().get("/" + path).get_data(as_text=True)


@pytest.mark.parametrize("role", ["mentor", "manager"])
def test_a_new_mentor_or_manager_is_invited_with_that_role(as_role, people, academy, role):
    add(as_role("admin"), academy.cohort.id, name="Cy", email="cy@example.com", role=role)
    cy = user(people, "cy@example.com")
    staff = fetch(people, select(CohortStaff.role).where(CohortStaff.user_id == cy.id))
    assert staff == [role]


def test_an_existing_account_is_added_instead_and_the_page_says_so(as_role, people, academy, empty_cohort):
    people.user("newbie@example.com", "trainee", name="Nell Newbie")
    before = len(fetch(people, select(User)))
    admin = as_role("admin")
    response = add(admin, empty_cohort.id, name="Someone Else", email="newbie@example.com")
    assert response.status_code == 302
    assert len(fetch(people, select(User))) == before
    assert user(people, "newbie@example.com").display_name == "Nell Newbie"
    page = html.unescape(admin.get(response.headers["Location"]).get_data(as_text=True))
    assert "newbie@example.com already has an account, so no invitation was made: Nell Newbie is now a trainee" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "new@example.com"}, "No account has this email yet: enter their name to invite them."),
        ({"email": "not-an-email", "name": "Pat"}, "Enter a valid email address."),
        (
            {"email": "new@example.com", "name": "Pat", "mentor": "trainee@example.com"},
            "is not a mentor of this cohort",
        ),
    ],
)
def test_an_invitation_that_cannot_be_made_writes_nothing(as_role, people, academy, fields, message):
    admin = as_role("admin")
    before = len(fetch(people, select(AuditEntry)))
    response = add(admin, academy.cohort.id, **fields)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert user(people, fields["email"]) is None
    assert len(fetch(people, select(AuditEntry))) == before


@pytest.fixture
def empty_cohort(people):
    return people.cohort("Cohort C")


# ------------------------------------------------------------------ import


NEW_PEOPLE = HEADER + "Tia;=cmd|' /C calc'!A0,tia@example.com,trainee,\nUma Ude,uma@example.com,mentor,\n"


def imported(client, cohort_id: int, text: str = NEW_PEOPLE) -> str:
    response = paste(client, cohort_id, text, confirm=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def bundle_of(page: str) -> str:
    return re.search(r'name="bundle" value="([^"]+)"', page).group(1)


def test_an_imports_links_download_as_quoted_neutralised_csv(as_role, people, academy):
    admin = as_role("admin")
    page = imported(admin, academy.cohort.id)
    shown = dict(
        re.findall(
            r'<span class="meta">([^<]+)</span></td>\s*<td data-label="Link">.*?id="link-\d+">([^<]+)<', page, re.S
        )
    )
    assert set(shown) == {"tia@example.com", "uma@example.com"}
    assert page.count('data-copy-target="link-') == 2
    response = admin.post(f"/admin/cohorts/{academy.cohort.id}/import/links.csv", data={"bundle": bundle_of(page)})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith('\ufeff"name","email","link"\r\n')
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    assert sorted(rows) == sorted(
        [
            ["Tia;'=cmd|' /C calc'!A0", "tia@example.com", html.unescape(shown["tia@example.com"])],
            ["Uma Ude", "uma@example.com", html.unescape(shown["uma@example.com"])],
        ]
    )


def test_the_links_download_is_for_that_admin_and_that_import_only_and_expires(
    app, as_role, people, academy, monkeypatch
):
    admin = as_role("admin")
    page = imported(admin, academy.cohort.id)
    url = f"/admin/cohorts/{academy.cohort.id}/import/links.csv"
    people.user("other-admin@example.com", "admin")
    other = app.test_client()
    sign_in(other, "other-admin@example.com")
    assert other.post(url, data={"bundle": bundle_of(page)}).status_code == 403
    assert as_role("trainee").post(url, data={"bundle": bundle_of(page)}).status_code == 403
    other_cohort = f"/admin/cohorts/{academy.other_cohort.id}/import/links.csv"
    assert admin.post(other_cohort, data={"bundle": bundle_of(page)}).status_code == 403
    assert admin.post(url, data={"bundle": bundle_of(page)[:-3] + "abc"}).status_code == 400
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) + 31 * 60)
    late = admin.post(url, data={"bundle": bundle_of(page)})
    assert late.status_code == 400 and "expired" in late.get_data(as_text=True)


def test_no_invitation_link_is_stored_in_the_database(app, as_role, people, academy):
    page = imported(as_role("admin"), academy.cohort.id)
    tokens = [link.rsplit("/", 1)[-1] for link in re.findall(r'id="link-\d+">([^<]+)<', page)]
    for entry in fetch(people, select(AuditEntry)):
        assert not any(token in json.dumps([entry.target, entry.detail]) for token in tokens)


def test_an_uploaded_files_rows_stay_in_the_form_to_correct(as_role, academy):
    response = upload(as_role("admin"), academy.cohort.id, BAD_FILE.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    textarea = re.search(r'<textarea[^>]*\bid="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert html.unescape(textarea.group(1)).strip() == BAD_FILE.strip()
