"""Numbers, files, dates and curriculum keys read as words on every page: one pluralising filter, attachments by
kind and size, evidence kinds in words, date fields without a format that contradicts the browser's picker."""

import re
from pathlib import Path

import pytest

from academy.curriculum.schema import EvidenceKind
from academy.formatting import EVIDENCE_WORDS, evidence_words, file_kind, file_size, plural, pluralize
from tests.test_attachments import LOG, PNG, attachments
from tests.test_labs import open_lab, page, submit_evidence

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# a number printed by an expression, then a plural noun typed after it: "{{ n }} mentors" reads "1 mentors"
COUNT_THEN_PLURAL = re.compile(r"\{\{[^{}]*\}\}\)? (?:(?!these |the |your |their |its )[a-z]+ )?([a-z]+(?:s|people))\b")
NOT_NOUNS = {"is", "was", "has", "as", "its", "this", "always", "across", "less", "unless", "yes", "us", "plus"}


def test_plural_and_pluralize():
    assert [pluralize(n, "mentor") for n in (0, 1, 2)] == ["0 mentors", "1 mentor", "2 mentors"]
    assert (pluralize(1, "person"), pluralize(3, "person")) == ("1 person", "3 people")
    assert (plural("entry", 2), plural("match", 2), plural("day", 2)) == ("entries", "matches", "days")


def test_no_template_types_a_plural_noun_after_a_count():
    found = []
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in COUNT_THEN_PLURAL.finditer(line):
                if match.group(1) not in NOT_NOUNS:
                    found.append(f"{path.relative_to(TEMPLATES)}:{number}: {match.group(0)}")
    assert found == [], "use {{ n|pluralize('noun') }}:\n" + "\n".join(found)


def test_admin_cohort_page_counts_read_in_the_singular(as_role, people):
    cohort = people.cohort(
        "Lisbon 2026",
        trainees=[people.user("t@example.com", "trainee")],
        mentors=[people.user("m@example.com", "mentor")],
        managers=[people.user("g@example.com", "manager")],
    )
    html = page(as_role("admin"), f"/admin/cohorts/{cohort.id}")
    assert "1 trainee, 1 mentor, 1 manager" in html


@pytest.mark.parametrize(
    ("content_type", "size", "words"),
    [
        ("image/png", 2_480, ("PNG image", "2 KB")),
        ("application/pdf", 1_400_000, ("PDF document", "1.4 MB")),
        ("text/plain; charset=utf-8", 820, ("text file", "820 bytes")),
    ],
)
def test_an_attachment_is_described_by_kind_and_size(content_type, size, words):
    assert (file_kind(content_type), file_size(size)) == words


def test_attachments_are_listed_by_kind_and_size_never_by_mime_type(app, as_role, academy):
    lab = open_lab(app)
    assert submit_evidence(as_role("trainee"), lab, files=[("server.log", LOG), ("screen.png", PNG)]).status_code == 302
    log, png = attachments(app)
    review = page(as_role("mentor"), f"/reviews/{log.attempt_id}")
    own = page(as_role("trainee"), f"/modules/{lab.module_id}")
    for html in (review, own):
        assert "image/png" not in html and "text/plain" not in html
        assert "PNG image, 36 bytes" in html and f"text file, {len(LOG)} bytes" in html


def test_every_evidence_kind_of_the_curriculum_has_words_and_pages_use_them(app, as_role, academy):
    assert set(EVIDENCE_WORDS) == set(EvidenceKind.__args__)
    assert evidence_words(["link", "command-output", "write-up"]) == "a link, command output and a write-up"
    lab = open_lab(app)
    html = page(as_role("trainee"), f"/modules/{lab.module_id}")
    assert f"Evidence to submit: {evidence_words(lab.spec.evidence)}." in html
    assert "command-output" not in html and "write-up," not in html


def test_a_missing_date_is_asked_for_without_a_format_the_date_picker_contradicts(as_role):
    response = as_role("admin").post(
        "/admin/cohorts/new", data={"name": "Lisbon 2026", "start_date": "", "end_date": "", "tracks": []}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'type="date"' in html
    assert "YYYY" not in html
    assert "Enter the day the cohort starts." in html
