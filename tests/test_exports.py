"""CSV exports of a cohort: a header row, UTF-8 with a byte-order mark, one row per trainee and module (progress)
or per submission (review log), and no cell a spreadsheet would run as a formula."""

import csv
import io
from datetime import UTC, date, datetime

import pytest

from academy.curriculum.store import catalogue
from academy.models import Cohort, CohortModule, CohortStaff, CohortTrainee, Decision, LabAttempt, ModuleProgress
from academy.spreadsheets import csv_text, neutralise
from tests.conftest import sign_in

HYPERLINK = '=HYPERLINK("http://evil.example","x")'
UNICODE_NAME = "Zoë Ångström-Łukasiewicz"
EVIL_MENTOR = "=cmd|' /C calc'!A0"
PROGRESS_HEADER = [
    "cohort",
    "trainee",
    "email",
    "mentor",
    "module_id",
    "module",
    "track",
    "status",
    "due_date",
    "opened_at",
    "read_at",
    "completed_at",
    "lab_attempts",
]
REVIEWS_HEADER = [
    "trainee",
    "module_id",
    "lab_id",
    "lab",
    "attempt",
    "status",
    "submitted_at",
    "decided_at",
    "mentor",
    "outcome",
    "hours_to_decision",
    "criteria_ticked",
    "comment",
]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 9, day, hour, minute, tzinfo=UTC)


# ------------------------------------------------------------------ the cell rules


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        (HYPERLINK, "'" + HYPERLINK),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t'=1"),  # a spreadsheet splitting on tabs or lines would start a cell at "=1"
        ("\r=1", "'\r'=1"),
        ("Tia;=cmd|' /C calc'!A0", "Tia;'=cmd|' /C calc'!A0"),
        ("a,-1", "a,'-1"),
        (-2, "'-2"),
        ("a=b", "a=b"),
        ("plus+tag@example.com", "plus+tag@example.com"),
        ("2026-09-14", "2026-09-14"),
        ("'quoted", "'quoted"),
        ("", ""),
        (None, ""),
        (3, "3"),
        (24.5, "24.5"),
        (UNICODE_NAME, UNICODE_NAME),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_text_has_a_bom_a_header_and_quoted_cells():
    text = csv_text(["name", "note"], [["=1+1", 'says "hi", then\nleaves'], [UNICODE_NAME, None]])

    assert text.startswith('\ufeff"name","note"\r\n')
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["name", "note"],
        ["'=1+1", 'says "hi", then\nleaves'],
        [UNICODE_NAME, ""],
    ]


# ------------------------------------------------------------------ the downloads, on a known cohort


@pytest.fixture
def exported(app, people):
    """A cohort whose people carry formula-like names, with progress and a small review log on fixed dates."""
    names = [HYPERLINK, "+1", "-2", "@SUM(A1)", UNICODE_NAME]
    emails = ["t1@example.com", "plus+tag@example.com", "t3@example.com", "t4@example.com", "t5@example.com"]
    trainees = [people.user(e, "trainee", name=n).id for e, n in zip(emails, names, strict=True)]
    ann = people.user("ann@example.com", "mentor", name="Ann = Bee").id
    mallory = people.user("mallory@example.com", "mentor", name=EVIL_MENTOR).id
    manager_id = people.user("mona@example.com", "manager", name="Mona Manager").id
    with people.session() as s:
        cohort = Cohort(name="Zürich 2027", start_date=date(2026, 9, 7), end_date=date(2026, 9, 28))
        s.add(cohort)
        s.flush()
        cohort_id = cohort.id
        s.add_all(
            [
                CohortModule(cohort_id=cohort_id, module_id="linux-shell", due_date=date(2026, 9, 14)),
                CohortModule(cohort_id=cohort_id, module_id="files-permissions", due_date=date(2026, 9, 21)),
                CohortStaff(cohort_id=cohort_id, user_id=manager_id, role="manager"),
                CohortStaff(cohort_id=cohort_id, user_id=ann, role="mentor"),
                CohortStaff(cohort_id=cohort_id, user_id=mallory, role="mentor"),
            ]
        )
        s.flush()
        for trainee in trainees:
            mentor = mallory if trainee == trainees[0] else ann
            s.add(CohortTrainee(trainee_id=trainee, cohort_id=cohort_id, mentor_id=mentor))
        first, last = trainees[0], trainees[-1]
        s.add_all(
            [
                ModuleProgress(
                    trainee_id=first,
                    module_id="linux-shell",
                    opened_at=at(8, 9),
                    read_at=at(9, 10, 30),
                    completed_at=at(9, 10, 31),
                ),
                ModuleProgress(trainee_id=last, module_id="linux-shell", opened_at=at(10, 14, 5)),
            ]
        )
        submissions = [
            ("linux-shell", 1, "approved", at(9, 9), (ann, "approved", at(10, 9), "[0, 1]", "Looks good - see A1+B1")),
            (
                "files-permissions",
                1,
                "changes_requested",
                at(15, 8),
                (mallory, "changes_requested", at(15, 20, 30), "[0, 2]", "=1+1 is not evidence,\nshow the output"),
            ),
            ("files-permissions", 2, "submitted", at(16, 9), None),
        ]
        for module, number, status, submitted, decision in submissions:
            attempt = LabAttempt(
                trainee_id=first,
                module_id=module,
                lab_id=f"{module}-lab",
                number=number,
                status=status,
                evidence="Evidence.",
                request_key=f"{module}-{number}",
                submitted_at=submitted,
            )
            s.add(attempt)
            s.flush()
            if decision:
                mentor, outcome, decided, criteria, comment = decision
                s.add(
                    Decision(
                        attempt_id=attempt.id,
                        mentor_id=mentor,
                        outcome=outcome,
                        decided_at=decided,
                        criteria=criteria,
                        comment=comment,
                    )
                )
        s.commit()
    client = app.test_client()
    assert sign_in(client, "mona@example.com").status_code == 302
    with app.app_context():
        labs = {lab_id: catalogue().lab(lab_id).title for lab_id in ("linux-shell-lab", "files-permissions-lab")}
    return type("Exported", (), {"client": client, "cohort_id": cohort_id, "labs": labs})()


def download(response) -> tuple[list[str], list[list[str]]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8")[1:]
    assert text.endswith("\r\n")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    return header, rows


def test_progress_csv_has_one_row_per_trainee_and_module(exported):
    response = exported.client.get(f"/cohorts/{exported.cohort_id}/progress.csv")
    header, rows = download(response)

    assert response.headers["Content-Disposition"] == 'attachment; filename="Z-rich-2027-progress.csv"'
    assert header == PROGRESS_HEADER
    assert len(rows) == 5 * 2
    by_key = {(r[2], r[4]): r for r in rows}
    assert len(by_key) == 10
    linux = ["linux-shell", "The Linux shell and processes", "foundations"]
    files = ["files-permissions", "Files, permissions and users", "foundations"]
    assert by_key[("t1@example.com", "linux-shell")] == [
        "Zürich 2027",
        "'" + HYPERLINK,
        "t1@example.com",
        "'" + EVIL_MENTOR,
        *linux,
        "done",
        "2026-09-14",
        "2026-09-08T09:00+00:00",
        "2026-09-09T10:30+00:00",
        "2026-09-09T10:31+00:00",
        "1",
    ]
    assert by_key[("t1@example.com", "files-permissions")] == [
        "Zürich 2027",
        "'" + HYPERLINK,
        "t1@example.com",
        "'" + EVIL_MENTOR,
        *files,
        "submitted",
        "2026-09-21",
        "",
        "",
        "",
        "2",
    ]
    assert by_key[("plus+tag@example.com", "linux-shell")] == [
        "Zürich 2027",
        "'+1",
        "plus+tag@example.com",
        "Ann = Bee",
        *linux,
        "not started",
        "2026-09-14",
        "",
        "",
        "",
        "0",
    ]
    assert by_key[("t5@example.com", "linux-shell")] == [
        "Zürich 2027",
        UNICODE_NAME,
        "t5@example.com",
        "Ann = Bee",
        *linux,
        "in progress",
        "2026-09-14",
        "2026-09-10T14:05+00:00",
        "",
        "",
        "0",
    ]
    assert {r[1] for r in rows} == {"'" + HYPERLINK, "'+1", "'-2", "'@SUM(A1)", UNICODE_NAME}
    assert UNICODE_NAME.encode("utf-8") in response.get_data()


def test_review_log_csv_has_every_submission_and_its_decision(exported):
    response = exported.client.get(f"/cohorts/{exported.cohort_id}/reviews.csv")
    header, rows = download(response)

    assert response.headers["Content-Disposition"] == 'attachment; filename="Z-rich-2027-reviews.csv"'
    assert header == REVIEWS_HEADER
    linux_lab, files_lab = exported.labs["linux-shell-lab"], exported.labs["files-permissions-lab"]
    assert rows == [
        [
            "'" + HYPERLINK,
            "linux-shell",
            "linux-shell-lab",
            linux_lab,
            "1",
            "approved",
            "2026-09-09T09:00+00:00",
            "2026-09-10T09:00+00:00",
            "Ann = Bee",
            "approved",
            "24.0",
            "[0, 1]",
            "Looks good - see A1+B1",
        ],
        [
            "'" + HYPERLINK,
            "files-permissions",
            "files-permissions-lab",
            files_lab,
            "1",
            "changes_requested",
            "2026-09-15T08:00+00:00",
            "2026-09-15T20:30+00:00",
            "'" + EVIL_MENTOR,
            "changes_requested",
            "12.5",
            "[0, 2]",
            "'=1+1 is not evidence,\nshow the output",
        ],
        [
            "'" + HYPERLINK,
            "files-permissions",
            "files-permissions-lab",
            files_lab,
            "2",
            "submitted",
            "2026-09-16T09:00+00:00",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]


@pytest.mark.parametrize("name", ["progress", "reviews"])
def test_exports_declare_csv_in_utf8_in_a_well_formed_content_type(exported, name):
    response = exported.client.get(f"/cohorts/{exported.cohort_id}/{name}.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset parameter, not two


def test_the_review_log_holds_only_this_cohorts_submissions(exported, people):
    other = people.user("other@example.com", "trainee", name="Someone Else")
    people.cohort("Another cohort", trainees=[other])
    with people.session() as s:
        s.add(
            LabAttempt(
                trainee_id=other.id,
                module_id="linux-shell",
                lab_id="linux-shell-lab",
                number=1,
                evidence="Not in Zürich.",
                request_key="other-1",
                submitted_at=at(11, 9),
            )
        )
        s.commit()
    _header, rows = download(exported.client.get(f"/cohorts/{exported.cohort_id}/reviews.csv"))
    assert len(rows) == 3 and "Someone Else" not in {r[0] for r in rows}


def test_no_cell_of_either_export_starts_like_a_formula(exported):
    for name in ("progress", "reviews"):
        _header, rows = download(exported.client.get(f"/cohorts/{exported.cohort_id}/{name}.csv"))
        assert rows
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)


def test_exports_of_a_cohort_without_trainees_are_just_the_header(app, people):
    manager = people.user("mona@example.com", "manager")
    cohort = people.cohort("Empty cohort", managers=[manager])
    client = app.test_client()
    assert sign_in(client, "mona@example.com").status_code == 302
    assert download(client.get(f"/cohorts/{cohort.id}/progress.csv")) == (PROGRESS_HEADER, [])
    assert download(client.get(f"/cohorts/{cohort.id}/reviews.csv")) == (REVIEWS_HEADER, [])
