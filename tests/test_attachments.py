"""Files attached to lab evidence: checked by content and name, limited in number and size, stored with
their attempt or not at all, and served only to people allowed to see the submission, under our own name."""

import hashlib

import pytest
from sqlmodel import select

from academy.models import Attachment, LabAttempt
from tests.conftest import People, empty_tables, make_app, sign_in
from tests.test_labs import active_content, attempts_of, fetch, lab_section, open_lab, page, submit_evidence

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
LOG = b"2026-11-01 12:00:01 ERROR disk full\n2026-11-01 12:00:02 INFO retry\n"


def attachments(app) -> list[Attachment]:
    return fetch(app, select(Attachment).order_by(Attachment.id))


def nothing_stored(app) -> bool:
    return fetch(app, select(LabAttempt)) == [] and attachments(app) == []


# ------------------------------------------------------------------ storing


def test_files_are_stored_with_their_attempt_and_listed_under_it(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")

    response = submit_evidence(trainee, lab, files=[("server.log", LOG), ("dashboard.png", PNG)])

    assert response.status_code == 302
    [attempt] = attempts_of(app, academy.trainee, lab)
    log, png = attachments(app)
    assert (log.attempt_id, log.original_name, log.content_type) == (
        attempt.id,
        "server.log",
        "text/plain; charset=utf-8",
    )
    assert (log.data, log.size, log.sha256) == (LOG, len(LOG), hashlib.sha256(LOG).hexdigest())
    assert (png.content_type, png.data) == ("image/png", PNG)
    card = lab_section(page(trainee, f"/modules/{lab.module_id}"), lab)
    assert f'href="/attachments/{log.id}">server.log</a>' in card
    assert f'href="/attachments/{png.id}">dashboard.png</a>' in card


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("screenshot.png", b"this is not a picture", "does not contain a PNG image"),
        ("photo.jpg", PNG, "does not contain a JPG image"),
        ("report.pdf", b"<html>not a pdf</html>", "does not contain a PDF document"),
        ("tool.exe", b"MZ\x90\x00", "cannot be attached"),
        ("archive.tar.gz", b"\x1f\x8b\x08", "cannot be attached"),
        ("noextension", b"plain words", "cannot be attached"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "is not UTF-8 text"),
        ("binary.log", b"abc\x00def", "is not plain text"),
        ("empty.txt", b"", "is empty"),
        ("../../etc/passwd.txt", b"root:x:0:0", "is not a plain file name"),
        (".bashrc.sh", b"alias ll='ls -l'", "is not a plain file name"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_a_file_refused_by_content_or_name_stores_nothing(app, as_role, name, content, message):
    lab = open_lab(app)

    response = submit_evidence(as_role("trainee"), lab, files=[("fine.txt", b"fine"), (name, content)])

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert nothing_stored(app)


def test_an_accepted_pdf_and_every_image_type_are_stored_with_the_type_we_chose(app, as_role):
    files = [
        ("report.PDF", b"%PDF-1.7\n..."),
        ("a.jpeg", b"\xff\xd8\xff\xe0 jfif"),
        ("b.gif", b"GIF89a...."),
        ("c.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "),
    ]
    response = submit_evidence(as_role("trainee"), open_lab(app), files=files)

    assert response.status_code == 302
    assert [a.content_type for a in attachments(app)] == [
        "application/pdf",
        "image/jpeg",
        "image/gif",
        "image/webp",
    ]


def test_a_file_name_with_html_is_shown_as_text(app, as_role):
    lab = open_lab(app)
    trainee = as_role("trainee")
    name = "<img src=x onerror=alert(1)>.txt"
    assert submit_evidence(trainee, lab, files=[(name, b"notes")]).status_code == 302

    html = page(trainee, f"/modules/{lab.module_id}")

    assert active_content(html) == []
    assert "&lt;img src=x onerror=alert(1)&gt;.txt</a>" in html


# ------------------------------------------------------------------ limits


def test_five_files_are_accepted_and_a_sixth_is_refused(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    six = [(f"part-{i}.log", f"line {i}\n".encode()) for i in range(6)]

    refused = submit_evidence(trainee, lab, files=six)
    assert refused.status_code == 422
    assert "Attach at most 5 files." in refused.get_data(as_text=True)
    assert nothing_stored(app)

    assert submit_evidence(trainee, lab, files=six[:5]).status_code == 302
    assert len(attachments(app)) == 5


def test_a_file_over_the_default_ten_megabytes_is_refused(app, as_role):
    lab = open_lab(app)
    response = submit_evidence(as_role("trainee"), lab, files=[("huge.log", b"a" * 10_000_001)])
    assert response.status_code == 422
    assert "“huge.log” is larger than 10 MB." in response.get_data(as_text=True)
    assert nothing_stored(app)


@pytest.fixture
def small_files_app(migrated):
    """An academy configured for 1000-byte attachments."""
    app = make_app(migrated, MAX_ATTACHMENT_BYTES=1000)
    empty_tables(app.extensions["academy.engine"])
    people = People(app)
    trainee = people.user("small@example.com", "trainee")
    people.cohort("Small files", trainees=[trainee])
    client = app.test_client()
    sign_in(client, trainee.email)
    yield app, client
    app.extensions["academy.engine"].dispose()


def test_the_size_limit_comes_from_the_settings(small_files_app):
    app, client = small_files_app
    lab = open_lab(app)

    refused = submit_evidence(client, lab, files=[("big.log", b"a" * 1001)])
    assert refused.status_code == 422
    assert "“big.log” is larger than" in refused.get_data(as_text=True)
    assert nothing_stored(app)

    assert submit_evidence(client, lab, files=[("exact.log", b"a" * 1000)]).status_code == 302
    assert [a.size for a in attachments(app)] == [1000]


def test_an_upload_beyond_the_request_limit_gets_a_clear_413_and_stores_nothing(small_files_app):
    """A request is capped at MAX_ATTACHMENTS files of MAX_ATTACHMENT_BYTES plus 1 MiB for the form, so that
    a huge upload is refused before it is read."""
    app, client = small_files_app
    lab = open_lab(app)
    too_much = 5 * 1000 + 2**20 + 1

    response = submit_evidence(client, lab, files=[("flood.log", b"a" * too_much)])

    assert response.status_code == 413
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert nothing_stored(app)


# ------------------------------------------------------------------ serving


@pytest.fixture
def evidence_files(app, as_role, academy):
    """The trainee's submission with a log and a screenshot: (log, png) attachments."""
    lab = open_lab(app)
    response = submit_evidence(as_role("trainee"), lab, files=[("server.log", LOG), ("screen.png", PNG)])
    assert response.status_code == 302
    return attachments(app)


def test_a_text_file_is_served_as_a_download_under_a_name_we_choose(as_role, evidence_files):
    log, _ = evidence_files
    response = as_role("trainee").get(f"/attachments/{log.id}")

    assert response.status_code == 200
    assert response.data == LOG
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Content-Disposition"] == (f'attachment; filename="evidence-{log.attempt_id}-{log.id}.txt"')
    assert "server.log" not in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_is_served_under_a_sandboxing_policy_of_its_own(as_role, evidence_files):
    """The attachment view sets `default-src 'none'; sandbox`, so that a file opened in the browser runs nothing."""
    for attachment in evidence_files:
        policy = as_role("trainee").get(f"/attachments/{attachment.id}").headers["Content-Security-Policy"]
        assert "sandbox" in policy and "default-src 'none'" in policy


def test_an_image_is_shown_inline(as_role, evidence_files):
    _, png = evidence_files
    response = as_role("trainee").get(f"/attachments/{png.id}")

    assert response.status_code == 200
    assert response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == f'inline; filename="evidence-{png.attempt_id}-{png.id}.png"'


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("trainee", True),  # their own
        ("mentor", True),  # their assigned mentor
        ("mentor2", True),  # a mentor serving the cohort
        ("manager", True),  # the cohort's manager
        ("admin", True),
        ("trainee2", False),  # a fellow trainee
        ("outsider", False),  # a trainee of another cohort
        ("other_manager", False),  # the manager of another cohort
    ],
)
def test_a_file_is_served_only_to_people_who_may_see_the_submission(as_role, evidence_files, who, allowed):
    log, _ = evidence_files
    response = as_role(who).get(f"/attachments/{log.id}")
    if allowed:
        assert (response.status_code, response.data) == (200, LOG)
    else:
        assert response.status_code == 403
        assert LOG not in response.data


def test_a_file_needs_sign_in_and_an_unknown_one_is_404(app, as_role, evidence_files):
    log, _ = evidence_files
    anonymous = app.test_client().get(f"/attachments/{log.id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert LOG not in anonymous.data
    assert as_role("trainee").get("/attachments/999999").status_code == 404
