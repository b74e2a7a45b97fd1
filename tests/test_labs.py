"""Lab evidence: the state machine of attempts (every allowed and every refused transition), prerequisites,
validation, idempotent submits, and evidence shown inert whatever HTML or links a trainee typed.

A mentor's decision is issue 6; until it exists, `decide` writes what it will write: a Decision row and the
attempt's new status, in one transaction.
"""

import io
import json
import re
import uuid
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlmodel import Session, select

from academy.curriculum.store import catalogue
from academy.models import Decision, LabAttempt, ModuleProgress, utcnow

# ------------------------------------------------------------------ helpers shared by the journey's tests


def new_key() -> str:
    return uuid.uuid4().hex


def fetch(app, statement):
    """Rows as they are now, read in a session of their own that is closed at once: outside a request a
    transaction holds SQLite's write lock, and the rows come back detached, so they never reload."""
    with Session(app.extensions["academy.engine"], expire_on_commit=False) as session:
        rows = session.exec(statement).all()
        session.commit()
    return rows


def update(app, model, key, **values):
    """Change one stored row directly, as another part of the academy would."""
    with Session(app.extensions["academy.engine"], expire_on_commit=False) as session:
        row = session.get(model, key)
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()
        return row


def attempts_of(app, trainee, lab) -> list[LabAttempt]:
    return fetch(
        app,
        select(LabAttempt)
        .where(LabAttempt.trainee_id == trainee.id, LabAttempt.lab_id == lab.id)
        .order_by(LabAttempt.number),
    )


def open_lab(app):
    """The lab of the first module without prerequisites: every trainee may submit it from day one."""
    with app.app_context():
        module = next(m for m in catalogue().ordered_modules() if not m.prerequisites and m.labs)
    return module.labs[0]


def locked_lab(app):
    with app.app_context():
        module = next(m for m in catalogue().ordered_modules() if m.prerequisites and m.labs)
    return module.labs[0]


def submit_evidence(client, lab, evidence="I ran the steps; output below.", links="", files=(), key=None, **kwargs):
    """POST the lab's evidence form as the page sends it; `files` is a list of (name, bytes)."""
    prefix = f"lab-{lab.id}-"
    data = {prefix + "evidence": evidence, prefix + "links": links, prefix + "request_key": key or new_key()}
    if files:
        data[prefix + "files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/labs/{lab.id}/attempts", data=data, content_type="multipart/form-data", **kwargs)


def submitted(app, client, trainee, lab, **kwargs) -> LabAttempt:
    response = submit_evidence(client, lab, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return attempts_of(app, trainee, lab)[-1]


def decide(app, attempt: LabAttempt, mentor, outcome: str, comment: str = "", decided_at=None) -> Decision:
    """What a mentor's decision (issue 6) stores: the Decision and the attempt's new status, together."""
    with Session(app.extensions["academy.engine"], expire_on_commit=False) as session:
        stored = session.get(LabAttempt, attempt.id)
        stored.status = outcome
        decision = Decision(
            attempt_id=attempt.id,
            mentor_id=mentor.id,
            outcome=outcome,
            comment=comment,
            decided_at=decided_at or utcnow(),
        )
        session.add_all([stored, decision])
        session.commit()
        return decision


def lab_section(html: str, lab) -> str:
    """The lab's card on the module page."""
    start = html.index(f'id="lab-{lab.id}"')
    end = html.find("</section>", start)
    return html[start:end]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


class _ActiveContent(HTMLParser):
    """Collects what a browser would run: inline scripts, on* handlers and javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.found.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and re.match(
                r"^\s*javascript:", re.sub(r"[\x00-\x20]", "", value or ""), re.I
            ):
                self.found.append(f"<{tag} {name}={value!r}>")


def active_content(html: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(html)
    return parser.found


# ------------------------------------------------------------------ a first submission


def test_a_lab_not_started_offers_the_evidence_form(app, as_role):
    lab = open_lab(app)
    card = lab_section(page(as_role("trainee"), f"/modules/{lab.module_id}"), lab)
    assert ">Not started</span>" in card
    assert f'action="/labs/{lab.id}/attempts"' in card
    assert ">Evidence</label>" in card
    assert "Submit for review" in card


def test_submitting_evidence_stores_attempt_one_waiting_for_a_mentor(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    response = submit_evidence(
        trainee, lab, evidence="  ps shows PID 4242\n", links="https://example.com/mr/1\n\nhttps://example.com/d"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/modules/{lab.module_id}#lab-{lab.id}")

    [attempt] = attempts_of(app, academy.trainee, lab)
    assert (attempt.number, attempt.status, attempt.module_id) == (1, "submitted", lab.module_id)
    assert attempt.evidence == "ps shows PID 4242"
    assert json.loads(attempt.links) == ["https://example.com/mr/1", "https://example.com/d"]
    assert fetch(app, select(ModuleProgress).where(ModuleProgress.trainee_id == academy.trainee.id))

    card = lab_section(page(trainee, f"/modules/{lab.module_id}"), lab)
    assert ">Submitted</span>" in card
    assert "ps shows PID 4242" in card
    assert f'action="/lab-attempts/{attempt.id}/withdraw"' in card
    assert "Submit for review" not in card
    path = page(trainee, "/learn")
    waiting = path[path.index('id="waiting-title"') :]
    assert lab.title in waiting[: waiting.index("</section>")]


# ------------------------------------------------------------------ the state machine: allowed transitions


def test_withdrawing_a_submission_no_mentor_has_claimed(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    attempt = submitted(app, trainee, academy.trainee, lab)

    response = trainee.post(f"/lab-attempts/{attempt.id}/withdraw", follow_redirects=True)

    assert "Your submission is withdrawn" in response.get_data(as_text=True)
    [stored] = attempts_of(app, academy.trainee, lab)
    assert stored.status == "withdrawn" and stored.withdrawn_at is not None
    card = lab_section(page(trainee, f"/modules/{lab.module_id}"), lab)
    assert ">Not started</span>" in card  # a withdrawn attempt does not count
    assert "Withdrawn" in card  # but it stays in the history
    assert "Submit a new attempt" in card


def test_withdrawing_is_allowed_once_a_mentors_claim_is_older_than_two_hours(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    attempt = submitted(app, trainee, academy.trainee, lab)
    update(
        app, LabAttempt, attempt.id, claimed_by=academy.mentor.id, claimed_at=utcnow() - timedelta(hours=2, minutes=1)
    )

    trainee.post(f"/lab-attempts/{attempt.id}/withdraw")

    assert attempts_of(app, academy.trainee, lab)[0].status == "withdrawn"


def test_after_withdrawing_the_next_submission_is_attempt_two(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    first = submitted(app, trainee, academy.trainee, lab, evidence="first try")
    trainee.post(f"/lab-attempts/{first.id}/withdraw")

    second = submitted(app, trainee, academy.trainee, lab, evidence="second try")

    assert [(a.number, a.status) for a in attempts_of(app, academy.trainee, lab)] == [
        (1, "withdrawn"),
        (2, "submitted"),
    ]
    assert second.evidence == "second try"


def test_changes_requested_lets_the_trainee_submit_a_new_attempt_and_keeps_the_history(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    first = submitted(app, trainee, academy.trainee, lab, evidence="first evidence")
    decide(app, first, academy.mentor, "changes_requested", comment="Show the **exit code** too.")

    card = lab_section(page(trainee, f"/modules/{lab.module_id}"), lab)
    assert ">Changes requested</span>" in card
    assert "Submit a new attempt" in card
    assert "<strong>exit code</strong>" in card and academy.mentor.display_name in card

    submitted(app, trainee, academy.trainee, lab, evidence="second evidence, exit code 0")

    assert [(a.number, a.status) for a in attempts_of(app, academy.trainee, lab)] == [
        (1, "changes_requested"),
        (2, "submitted"),
    ]
    card = lab_section(page(trainee, f"/modules/{lab.module_id}"), lab)
    assert ">Submitted</span>" in card
    assert "first evidence" in card and "second evidence, exit code 0" in card
    assert "<strong>exit code</strong>" in card  # the mentor's comment stays visible


@pytest.mark.parametrize(("outcome", "words"), [("approved", "Approved"), ("changes_requested", "Changes requested")])
def test_a_mentors_decision_shows_as_words_on_the_module_page(app, as_role, academy, outcome, words):
    lab = open_lab(app)
    trainee = as_role("trainee")
    attempt = submitted(app, trainee, academy.trainee, lab)
    decide(app, attempt, academy.mentor, outcome)

    html = page(trainee, f"/modules/{lab.module_id}")
    assert f">{words}</span>" in lab_section(html, lab)
    assert f"Lab “{lab.title}”: {words}" in html  # the status card


# ------------------------------------------------------------------ the state machine: refused transitions


def test_a_waiting_submission_cannot_be_joined_by_a_second_one(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    submitted(app, trainee, academy.trainee, lab, evidence="the first")

    response = submit_evidence(trainee, lab, evidence="the second")

    assert response.status_code == 422
    assert "waiting for a mentor already" in response.get_data(as_text=True)
    assert [a.evidence for a in attempts_of(app, academy.trainee, lab)] == ["the first"]


def test_an_approved_lab_cannot_be_changed(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    attempt = submitted(app, trainee, academy.trainee, lab, evidence="good work")
    decide(app, attempt, academy.mentor, "approved")

    response = submit_evidence(trainee, lab, evidence="an edit after approval")

    assert response.status_code == 422
    assert "approved already" in response.get_data(as_text=True)
    assert [(a.evidence, a.status) for a in attempts_of(app, academy.trainee, lab)] == [("good work", "approved")]
    card = lab_section(page(trainee, f"/modules/{lab.module_id}"), lab)
    assert "Submit for review" not in card and "/withdraw" not in card


@pytest.mark.parametrize("status", ["withdrawn", "approved", "changes_requested"])
def test_only_a_waiting_submission_can_be_withdrawn(app, as_role, academy, status):
    lab = open_lab(app)
    trainee = as_role("trainee")
    attempt = submitted(app, trainee, academy.trainee, lab)
    if status == "withdrawn":
        trainee.post(f"/lab-attempts/{attempt.id}/withdraw")
    else:
        decide(app, attempt, academy.mentor, status)

    response = trainee.post(f"/lab-attempts/{attempt.id}/withdraw", follow_redirects=True)

    assert "Only a submission still waiting for review can be withdrawn." in response.get_data(as_text=True)
    assert attempts_of(app, academy.trainee, lab)[0].status == status


def test_withdrawing_is_refused_while_a_mentor_is_reviewing(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    attempt = submitted(app, trainee, academy.trainee, lab)
    update(app, LabAttempt, attempt.id, claimed_by=academy.mentor.id, claimed_at=utcnow() - timedelta(minutes=90))

    response = trainee.post(f"/lab-attempts/{attempt.id}/withdraw", follow_redirects=True)

    assert "A mentor has started reviewing this submission" in response.get_data(as_text=True)
    [stored] = attempts_of(app, academy.trainee, lab)
    assert stored.status == "submitted" and stored.withdrawn_at is None


def test_nobody_withdraws_another_trainees_submission(app, as_role, academy):
    lab = open_lab(app)
    attempt = submitted(app, as_role("trainee"), academy.trainee, lab)

    response = as_role("trainee2").post(f"/lab-attempts/{attempt.id}/withdraw", follow_redirects=True)
    assert "There is no such submission of yours." in response.get_data(as_text=True)
    assert as_role("mentor").post(f"/lab-attempts/{attempt.id}/withdraw").status_code == 403

    assert attempts_of(app, academy.trainee, lab)[0].status == "submitted"


def test_withdrawing_a_submission_that_does_not_exist_changes_nothing(as_role):
    response = as_role("trainee").post("/lab-attempts/999999/withdraw")
    assert response.status_code == 404
    assert "There is no such submission of yours." in response.get_data(as_text=True)


def test_only_trainees_submit_evidence(app, as_role, academy):
    lab = open_lab(app)
    assert submit_evidence(as_role("mentor"), lab).status_code == 403
    assert submit_evidence(app.test_client(), lab).status_code == 302  # to the sign-in page
    assert fetch(app, select(LabAttempt)) == []


def test_an_unknown_lab_is_a_404(as_role):
    response = as_role("trainee").post(
        "/labs/no-such-lab/attempts", data={"lab-no-such-lab-evidence": "x", "lab-no-such-lab-request_key": new_key()}
    )
    assert response.status_code == 404


# ------------------------------------------------------------------ prerequisites and validation


def test_a_lab_behind_missing_prerequisites_is_locked(app, as_role, academy):
    lab = locked_lab(app)
    with app.app_context():
        missing = [catalogue().get(p) for p in catalogue().get(lab.module_id).prerequisites]
    trainee = as_role("trainee")

    card = lab_section(page(trainee, f"/modules/{lab.module_id}"), lab)
    assert "Unlocks when you have finished the modules listed above." in card
    assert f'action="/labs/{lab.id}/attempts"' not in card

    response = submit_evidence(trainee, lab)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Finish these first to unlock the knowledge check and labs" in body  # the page says why
    assert all(f'href="/modules/{m.id}">{m.title}</a>' in body for m in missing)
    assert attempts_of(app, academy.trainee, lab) == []


@pytest.mark.parametrize(
    ("evidence", "links", "message"),
    [
        ("   \n ", "", "Describe what you did"),
        ("x" * 50_001, "", "Keep the evidence under 50,000 characters"),
        ("fine", "javascript:alert(1)", "is not a web address starting with http:// or https://"),
        ("fine", "ftp://example.com/file", "is not a web address"),
        ("fine", "\n".join(f"https://example.com/{i}" for i in range(11)), "Give at most 10 links."),
    ],
    ids=["empty", "too-long", "javascript-link", "ftp-link", "eleven-links"],
)
def test_evidence_the_academy_cannot_accept_is_refused_and_nothing_stored(
    app, as_role, academy, evidence, links, message
):
    lab = open_lab(app)
    response = submit_evidence(as_role("trainee"), lab, evidence=evidence, links=links)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert attempts_of(app, academy.trainee, lab) == []


def test_a_missing_or_malformed_request_key_is_refused(app, as_role, academy):
    lab = open_lab(app)
    response = submit_evidence(as_role("trainee"), lab, key="not-a-key")
    assert response.status_code == 422
    assert "reload the page" in response.get_data(as_text=True)
    assert attempts_of(app, academy.trainee, lab) == []


# ------------------------------------------------------------------ idempotent submits


def test_the_same_form_sent_twice_stores_one_attempt(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    key = new_key()

    first = submit_evidence(trainee, lab, evidence="once", key=key)
    second = submit_evidence(trainee, lab, evidence="once", key=key)

    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert [(a.number, a.evidence) for a in attempts_of(app, academy.trainee, lab)] == [(1, "once")]


def test_a_page_sent_again_with_other_evidence_says_so_keeps_it_and_stores_nothing_new(app, as_role, academy):
    """Back in the browser's history, edited and sent again: the form's request key was used by attempt 1, so the
    new text is not dropped behind a "Submitted" notice; the page says why and keeps the text to copy."""
    lab = open_lab(app)
    trainee = as_role("trainee")
    key = new_key()
    submitted(app, trainee, academy.trainee, lab, evidence="first words", key=key)

    again = submit_evidence(trainee, lab, evidence="second thoughts", key=key)

    page = again.get_data(as_text=True)
    assert again.status_code == 422
    assert "This page was sent before, as attempt 1 of this lab, with other evidence" in page
    assert re.search(r'<textarea id="unsent-[^"]+" rows="6" readonly>second thoughts</textarea>', page)
    assert [(a.number, a.evidence) for a in attempts_of(app, academy.trainee, lab)] == [(1, "first words")]
    assert "copy it before you withdraw the waiting submission" in page


def test_an_old_page_sent_after_approval_keeps_the_text_without_asking_to_withdraw(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    key = new_key()
    first = submitted(app, trainee, academy.trainee, lab, evidence="first words", key=key)
    decide(app, first, academy.mentor, "approved")

    page = submit_evidence(trainee, lab, evidence="second thoughts", key=key).get_data(as_text=True)

    assert re.search(r'<textarea id="unsent-[^"]+" rows="6" readonly>second thoughts</textarea>', page)
    assert "Your evidence, not stored</label>" in page and "withdraw the waiting submission" not in page
    assert [a.number for a in attempts_of(app, academy.trainee, lab)] == [1]


def test_an_old_page_sent_after_changes_were_requested_gets_a_new_key_and_then_submits(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    key = new_key()
    first = submitted(app, trainee, academy.trainee, lab, evidence="first words", key=key)
    decide(app, first, academy.mentor, "changes_requested", "Show the exit code.")

    again = submit_evidence(trainee, lab, evidence="with the exit code", key=key)

    page = again.get_data(as_text=True)
    assert again.status_code == 422 and "sent before, as attempt 1" in page and "with the exit code" in page
    fresh = re.findall(rf'name="lab-{lab.id}-request_key"[^>]*value="([^"]+)"', page)
    assert fresh and key not in fresh
    assert submit_evidence(trainee, lab, evidence="with the exit code", key=fresh[0]).status_code == 302
    assert [(a.number, a.evidence) for a in attempts_of(app, academy.trainee, lab)] == [
        (1, "first words"),
        (2, "with the exit code"),
    ]


def test_a_form_resent_after_withdrawing_does_not_come_back(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    key = new_key()
    attempt = submitted(app, trainee, academy.trainee, lab, key=key)
    trainee.post(f"/lab-attempts/{attempt.id}/withdraw")

    submit_evidence(trainee, lab, key=key)

    assert [a.status for a in attempts_of(app, academy.trainee, lab)] == ["withdrawn"]


def test_a_double_click_that_races_the_first_request_stores_one_attempt(app, as_role, academy, monkeypatch):
    """The second request read the database before the first committed (PostgreSQL, read committed):
    it tries to insert the same attempt, the unique request key stops it, and it answers with the first."""
    from academy.learning import services

    lab = open_lab(app)
    trainee = as_role("trainee")
    key = new_key()
    first = submitted(app, trainee, academy.trainee, lab, key=key)
    stale_once(monkeypatch, services, "by_request_key", None)
    stale_once(monkeypatch, services, "lab_attempts", [])

    response = submit_evidence(trainee, lab, key=key)

    assert response.status_code == 302
    assert [a.id for a in attempts_of(app, academy.trainee, lab)] == [first.id]


def test_two_tabs_submitting_at_the_same_moment_store_one_attempt_and_no_error_page(app, as_role, academy, monkeypatch):
    """Two different forms for the same lab, the second having read before the first committed: the
    attempt number collides. One attempt is stored and the second tab gets an answer, not a 500."""
    from academy.learning import services

    lab = open_lab(app)
    trainee = as_role("trainee")
    first = submitted(app, trainee, academy.trainee, lab, evidence="from tab one")
    stale_once(monkeypatch, services, "by_request_key", None)
    stale_once(monkeypatch, services, "lab_attempts", [])

    response = submit_evidence(trainee, lab, evidence="from tab two")

    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert [(a.id, a.evidence) for a in attempts_of(app, academy.trainee, lab)] == [(first.id, "from tab one")]


def stale_once(monkeypatch, module, name: str, answer) -> None:
    """The first call of `module.name` answers `answer` (what a read before the other commit saw)."""
    real = getattr(module, name)
    calls = []

    def stale(*args, **kwargs):
        calls.append(1)
        return answer if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(module, name, stale)


# ------------------------------------------------------------------ evidence is shown inert


EVIL_EVIDENCE = """\
<script>alert('evidence')</script>

<img src=x onerror=alert(1)>

[click me](javascript:alert(2)) and [shouting](JaVaScRiPt:alert(3)) and [encoded](&#106;avascript:alert(4))

<a href="javascript:alert(5)">raw link</a> <javascript:alert(6)>
"""
EVIL_LINK = 'https://example.com/"><script>alert(7)</script>'


def test_evidence_with_scripts_handlers_and_javascript_links_is_shown_inert(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    attempt = submitted(app, trainee, academy.trainee, lab, evidence=EVIL_EVIDENCE, links=EVIL_LINK)
    assert attempt.evidence == EVIL_EVIDENCE.strip()  # stored as typed, made safe when shown

    html = page(trainee, f"/modules/{lab.module_id}")

    assert active_content(html) == []
    card = lab_section(html, lab)
    assert "&lt;script&gt;alert(" in card  # shown as text, not dropped silently
    assert "&lt;img src=x onerror=alert(1)&gt;" in card
    assert "javascript:alert(2)" in card and 'href="javascript' not in card.lower()
    # the link keeps its target, percent-encoded into a valid URL; the text beside it is shown as typed
    assert 'href="https://example.com/%22%3E%3Cscript%3Ealert(7)%3C/script%3E"' in card
    assert "https://example.com/&#34;&gt;&lt;script&gt;alert(7)&lt;/script&gt;" in card


def test_a_mentors_comment_with_html_is_shown_inert_on_the_module_page_and_the_path(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    attempt = submitted(app, trainee, academy.trainee, lab)
    decide(app, attempt, academy.mentor, "changes_requested", comment=EVIL_EVIDENCE)

    for url in (f"/modules/{lab.module_id}", "/learn"):
        html = page(trainee, url)
        assert active_content(html) == [], url
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, url


def test_the_inert_check_itself_spots_active_content():
    assert active_content('<p>ok</p><script src="/static/academy.js"></script>') == []
    assert active_content("<script>alert(1)</script>") == ["inline <script>"]
    assert active_content('<img src="x" onerror="alert(1)">')
    assert active_content('<a href=" JavaScript:alert(1)">x</a>')
