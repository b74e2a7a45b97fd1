"""Every cell of every CSV export is quoted, and a formula hidden after a separator inside a cell (a spreadsheet
set to split on ";" would start a cell there) is neutralised like one at the start of a cell."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from academy.spreadsheets import csv_text
from tests.conftest import sign_in

TIA = "Tia;=cmd|' /C calc'!A0"
MENTOR = "Max,@SUM(A1)"
ALL_QUOTED = re.compile(r'(?:"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*\r\n)+')


@pytest.fixture
def downloads(app, people):
    trainee = people.user("tia@example.com", "trainee", name=TIA)
    mentor = people.user("max@example.com", "mentor", name=MENTOR)
    manager = people.user("mona@example.com", "manager")
    cohort = people.cohort("Semicolon cohort", trainees=[trainee], mentors=[mentor], managers=[manager])
    people.decided_attempt(trainee, mentor, "changes_requested", comment="Run it again;-1+2 and show\n=1+1")
    client = app.test_client()
    assert sign_in(client, "mona@example.com").status_code == 302
    found = {}
    for name in ("progress", "reviews"):
        response = client.get(f"/cohorts/{cohort.id}/{name}.csv")
        assert response.status_code == 200
        found[name] = response.get_data(as_text=True).removeprefix("\ufeff")
    return found


@pytest.mark.parametrize("name", ["progress", "reviews"])
def test_every_cell_of_an_export_is_quoted(downloads, name):
    assert ALL_QUOTED.fullmatch(downloads[name]), downloads[name][:400]


@pytest.mark.parametrize("name", ["progress", "reviews"])
def test_a_formula_after_a_separator_inside_a_cell_is_neutralised(downloads, name):
    text = downloads[name]
    assert "\"Tia;'=cmd|' /C calc'!A0\"" in text
    assert TIA not in text
    for separator in (";", ","):  # however a spreadsheet splits, no cell it makes starts like a formula
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator):
            for cell in row:
                assert not cell.strip('"').startswith(("=", "+", "-", "@")), (separator, cell)


def test_the_review_log_neutralises_the_mentor_and_the_comment(downloads):
    rows = list(csv.reader(io.StringIO(downloads["reviews"], newline="")))
    assert rows[1][0] == "Tia;'=cmd|' /C calc'!A0"
    assert rows[1][8] == "Max,'@SUM(A1)"
    assert rows[1][12] == "Run it again;'-1+2 and show\n'=1+1"


def test_the_header_row_is_quoted_too():
    assert csv_text(["name"], [["x"]]) == '\ufeff"name"\r\n"x"\r\n'


def test_a_spreadsheet_date_and_number_cells_stay_readable():
    text = csv_text(["a", "b", "c"], [[datetime(2026, 9, 1, tzinfo=UTC).date().isoformat(), 24.5, -3]])
    assert text == '\ufeff"a","b","c"\r\n"2026-09-01","24.5","\'-3"\r\n'
