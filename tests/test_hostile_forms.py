"""Hostile and malformed input on every form, by property-based tests (hypothesis).

Every POST route outside /api is listed below, in FORMS (fields a person types or picks) or BUTTONS (a button
and nothing else), with the role that may use it; `test_every_form_of_the_app_is_listed` fails when a new one
is not. Each form is sent, by a signed-in client of that role, input of eight kinds: empty, long (60,000
characters, under werkzeug's 500 KB form cap), 1 MB (over it), wrong-typed, JSON instead of a form, non-UTF-8,
with control characters, and with a field sent twice. The answer must be a refusal naming the problem, never a
500, and the database must be as it was. `test_the_valid_submission_is_accepted` is the yardstick: each form
takes its valid submission, so a refusal is about the hostile part.

What counts as valid (decided here, per kind of field):

- Numbers are valid text: "42" may be a name, evidence or a comment. Wrong types are tried on typed fields
  (emails, dates, ids, choices, flags, request keys) and as a JSON body of numbers.
- A password is opaque (hashed, never shown): any character may be in it, so control characters are not tried.
- A control character (Unicode Cc, U+0001-U+001F and U+007F-U+009F; NUL has its own test) never belongs in a
  one-line field; in multi-line text (evidence, comments, CSV) tab, line feed and carriage return do. A free-text
  field may refuse it or clean it away (" ".join(name.split()) does), never store it; a typed field refuses it.
- A flag is "0" or "1", an id the decimal digits of a row, a choice one of the form's, a request key 32 hex
  digits; anything else is refused, never read as "0", "all" or "none", or skipped.
- Bytes that are not UTF-8 are refused, however they come: percent-encoded (werkzeug keeps them as the literal
  text "%E9"), raw in a urlencoded body (werkzeug then drops the whole form) or in a multipart part (werkzeug
  puts U+FFFD in their place).
- A field sent twice may be refused, or one copy used; a hostile copy is never stored.
- A button's form (BUTTONS) has nothing to malform: extra fields are ignored or the body refused, never stored.
- The refusal is 400 or 422 (sign-in: also 401, credentials that match no account); a body over the form cap
  may get 413. The answer names the problem: a message next to the field, an alert, or the error page, and a
  message about attached files only when a file was sent. The database is unchanged but for what the app records
  about refusals by design (the audit log's "authorization.refused" and "login.failed", failed sign-ins).

One academy (`World`) is built per module and put back to its first state after any example that changed it, so
each example starts from the same data and a test costs requests, not set-up. Examples are derandomized (the
same on every run and database); values known to hurt are always tried (`SHARP`). With CSRF on, a POST without
its token is refused by every form (`test_every_form_refuses_a_post_without_a_csrf_token`).
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote_from_bytes, quote_plus

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlmodel import Session, SQLModel
from werkzeug.security import generate_password_hash

from academy.local_time import time_zones
from academy.models import (
    ROLES,
    Attachment,
    Decision,
    LabAttempt,
    ModuleProgress,
    Notification,
    QuizAttempt,
    User,
    utcnow,
)
from tests.conftest import PASSWORD, People, empty_tables, make_app, sign_in
from tests.meetups_factory import midday_zone

MODULE, LAB = "linux-shell", "linux-shell-lab"
LOG = b"2026-11-01 12:00:01 ERROR disk full on /srv\n"
SECRET_PRACTICE = "Shadowed the pager for checkout-canary-7731."
SECRET_PAIN = "Paged nightly by disk-alarm-5150"  # a pain point of cohort A's survey round
SECRET_TALK = "Chaos drills on ledger-sync-4242"  # the title of the trainee's talk proposal, not decided yet
SECRET_EVIDENCE = "Evidence of attempt two: `df -h` shows /srv at 100%."
NEW_PASSWORD = "velvet otter quarry lantern 1987"
# the data versions move with every write, this test's own restoring included; what must not change is the data
TABLES = [t for t in SQLModel.metadata.sorted_tables if t.name != "data_version"]
RECORDED_REFUSALS = {"authorization.refused", "login.failed", "login.throttled"}


# ------------------------------------------------------------------ the world: one academy, put back after changes


PEOPLE = {  # who: (email, role, display name)
    "admin": ("admin@example.com", "admin", "Ada Admin"),
    "manager": ("manager@example.com", "manager", "Mona Manager"),
    "other_manager": ("other-manager@example.com", "manager", "Otto Othermanager"),
    "mentor": ("mentor@example.com", "mentor", "Mira Mentor"),
    "mentor2": ("mentor2@example.com", "mentor", "Max Mentor"),
    "outside_mentor": ("outside-mentor@example.com", "mentor", "Olga Outsidementor"),
    "trainee": ("trainee@example.com", "trainee", "Tamsin Trainee"),
    "trainee2": ("trainee2@example.com", "trainee", "Theo Trainee"),
    "outsider": ("outsider@example.com", "trainee", "Oscar Outsider"),
    "newcomer": ("newcomer@example.com", "trainee", "Nina Newcomer"),
    "graduand": ("graduand@example.com", "trainee", "Gita Graduand"),  # every line of the checklist signed off
}


class World:
    """Cohort A: trainee and trainee2 (mentor: mentor), mentors mentor and mentor2, manager. Cohort B: outsider
    (mentor: mentor2), mentors mentor2 and outside_mentor, other_manager. Newcomer is in no cohort; invitee has an
    invitation link and no password yet. The trainee has a lab attempt sent back (with its decision), one waiting
    for review (with a file), a passed knowledge check, a notification, an API token and a credential (a panel
    decided them ready for on-call); the outsider has an attempt claimed by mentor2. Every person has an API token.
    A meetup is under way, planned by the admin (see `_arrange_meetups`). The admin made a provisioning token for
    the identity provider."""

    def __init__(self, database_url: str):
        self.app = make_app(database_url)
        self.csrf_app = make_app(database_url, WTF_CSRF_ENABLED=True)
        self.engine = self.app.extensions["academy.engine"]
        empty_tables(self.engine)
        self.ids: dict[str, int] = {}
        self.tokens: dict[str, str] = {}
        self._clients: dict[tuple[str, bool], object] = {}
        self._arrange()
        self.baseline = self.snapshot()
        self.session_tokens = {who: self._session_token(who) for who in PEOPLE}

    def close(self) -> None:
        empty_tables(self.engine)  # the next module starts from empty tables, as after the `app` fixture
        self.app.extensions["academy.engine"].dispose()
        self.csrf_app.extensions["academy.engine"].dispose()

    def _arrange(self) -> None:
        from academy.accounts import services as accounts
        from academy.api.tokens import create_token
        from academy.curriculum.store import catalogue

        people = People(self.app)
        users = {who: people.user(email, role, name=name) for who, (email, role, name) in PEOPLE.items()}
        invitee = people.user("invitee@example.com", "trainee", name="Ivy Invitee", password=None)
        a = people.cohort(
            "Cohort A",
            trainees=[users["trainee"], users["trainee2"], users["graduand"]],
            mentors=[users["mentor"], users["mentor2"]],
            managers=[users["manager"]],
        )
        from tests.practicum_factory import catalogue_of, complete_checklist

        complete_checklist(people, users["graduand"], users["mentor"], catalogue_of(self.app))
        b = people.cohort(
            "Cohort B",
            trainees=[users["outsider"]],
            mentors=[users["mentor2"], users["outside_mentor"]],
            managers=[users["other_manager"]],
        )
        self.ids = {who: user.id for who, user in users.items()} | {"invitee": invitee.id}
        self._cheap_password_hashes()
        self.ids |= {"cohort_a": a.id, "cohort_b": b.id}
        with self.app.test_request_context(), Session(self.engine, expire_on_commit=False) as s:
            module = catalogue().get(MODULE)
            self.quiz_answers = {q.id: sorted(q.answer) for q in module.quiz.questions}
            assert len(catalogue().lab(LAB).spec.acceptance_criteria) == len(CRITERIA)
            assert {t.id for t in catalogue().tracks} == set(TRACKS) and set(QUESTIONS) <= set(self.quiz_answers)
            self._arrange_work(s, module.content_hash)
            for who, user in users.items():
                token, row = create_token(s, user=user, name=f"{who} laptop", scope="write")
                self.tokens[who] = token
                if who == "trainee":
                    s.flush()
                    self.ids["token"] = row.id
            self.welcome_token = accounts.password_link_token(s, invitee, purpose="invite")
            self._arrange_credential(s, users["trainee"], users["mentor"])
            self._arrange_practice(s, users["trainee"], users["mentor"], users["manager"])
            self._arrange_surveys(s, users)
            self._arrange_meetups(s, users)
            self._arrange_provisioning(s, users["admin"])
            s.commit()

    def _arrange_practice(self, s: Session, trainee: User, mentor: User, manager: User) -> None:
        """A practice entry waiting for the trainee's mentor, and a readiness review waiting for its panel."""
        from academy.models import PracticeEntry, ReadinessPanelist, ReadinessRequest, utcnow

        entry = PracticeEntry(
            trainee_id=trainee.id,
            requirement_id="shadow-shifts",
            started_at=utcnow(),
            minutes=60,
            service="payments",
            account=SECRET_PRACTICE,
            request_key="p" * 32,
        )
        request = ReadinessRequest(trainee_id=trainee.id, requested_by=mentor.id, note=SECRET_PRACTICE)
        s.add_all([entry, request])
        s.flush()
        s.add_all([ReadinessPanelist(request_id=request.id, user_id=u.id) for u in (mentor, manager)])
        self.ids |= {"practice_entry": entry.id, "readiness_request": request.id}

    def _arrange_surveys(self, s: Session, users: dict[str, User]) -> None:
        """Two rounds the manager opened for cohort A: "survey", which trainee2 has answered (named, with effort),
        and "fresh_survey", which nobody has answered yet (its pain points can still be edited)."""
        from academy.models import PainPoint, PainScore, SurveyCohort, SurveyRespondent, SurveyRound

        asked = ("trainee", "trainee2", "graduand", "mentor", "mentor2", "manager")
        for name, title in (("survey", SECRET_PAIN), ("fresh_survey", "Out of the loop")):
            closes = date.today() + timedelta(days=30)
            made = SurveyRound(
                title=f"Cohort A {name}", closes_on=closes, anonymous=False, created_by=users["manager"].id
            )
            s.add(made)
            s.flush()
            point = PainPoint(round_id=made.id, position=1, title=title, key=title.lower())
            s.add_all([point, SurveyCohort(round_id=made.id, cohort_id=self.ids["cohort_a"])])
            answered = name == "survey"
            for who in asked:
                s.add(
                    SurveyRespondent(
                        round_id=made.id,
                        user_id=users[who].id,
                        answered_at=utcnow() if answered and who == "trainee2" else None,
                    )
                )
            s.flush()
            if answered:
                s.add(PainScore(pain_point_id=point.id, respondent_id=users["trainee2"].id, pain=80, effort=20))
            self.ids |= {name: made.id, f"{name}_point": point.id}

    def _arrange_meetups(self, s: Session, users: dict[str, User]) -> None:
        """ "meetup": under way (it started ten minutes ago and ends in two hours) in a zone where it is about midday,
        so that its check-in code works today and attendance may be recorded; the admin planned it and acts as its
        organizer (an admin may do all an organizer does; no organizer joins PEOPLE, so that the access matrix's
        EVERYONE stays as it is). On its agenda the accepted talk "talk", by mentor2 and a guest. "talk_proposal" is
        the trainee's, still waiting for the organizers, with SECRET_TALK in its title. Trainee2 said they will
        come, and has a calendar feed."""
        from academy.meetups.services import feed_hash
        from academy.models import CalendarFeed, Meetup, MeetupAttendee, Talk, TalkModule, TalkSpeaker

        now, admin = utcnow().replace(microsecond=0), users["admin"].id
        meetup = Meetup(
            title="Reliability Meetup, today",
            starts_at=now - timedelta(minutes=10),
            ends_at=now + timedelta(hours=2),
            time_zone=midday_zone(now),
            place="Auditorium 2",
            check_in_code="K7Q2XW",
            created_by=admin,
        )
        s.add(meetup)
        s.flush()
        talk = Talk(
            title="What our error budget taught the product team",
            abstract="Three quarters of **burn rate** alerts, and what changed.",
            state="accepted",
            meetup_id=meetup.id,
            position=1,
            proposed_by=users["mentor2"].id,
            decided_by=admin,
            decided_at=now - timedelta(days=7),
        )
        proposal = Talk(
            title=SECRET_TALK, abstract="What breaks when the ledger lags.", proposed_by=users["trainee"].id
        )
        s.add_all([talk, proposal])
        s.flush()
        s.add_all(
            [
                TalkSpeaker(talk_id=talk.id, position=1, user_id=users["mentor2"].id, is_sre=True),
                TalkSpeaker(talk_id=talk.id, position=2, guest_name="Grace Guest", guest_team="Payments"),
                TalkModule(talk_id=talk.id, module_id=MODULE),
                TalkSpeaker(talk_id=proposal.id, position=1, user_id=users["trainee"].id),
                MeetupAttendee(meetup_id=meetup.id, user_id=users["trainee2"].id, going_at=now - timedelta(days=1)),
                CalendarFeed(user_id=users["trainee2"].id, token_hash=feed_hash("trainee2-feed-secret")),
            ]
        )
        self.ids |= {"meetup": meetup.id, "talk": talk.id, "talk_proposal": proposal.id}

    def _arrange_provisioning(self, s: Session, admin: User) -> None:
        """A provisioning token the admin made for the company's identity provider (SCIM at /scim/v2)."""
        from academy.identity.provisioning_tokens import create_provisioning_token

        self.provisioning_token, row = create_provisioning_token(s, name="Okta", created_by=admin)
        s.flush()
        self.ids["provisioning_token"] = row.id

    def _arrange_credential(self, s: Session, trainee: User, mentor: User) -> None:
        """The rows a readiness panel's "ready" leaves, then the credential issued for them."""
        from academy.credentials.services import issue_credential
        from academy.models import ReadinessDecision, ReadinessRequest

        request = ReadinessRequest(trainee_id=trainee.id, requested_by=mentor.id, status="decided")
        s.add(request)
        s.flush()
        decision = ReadinessDecision(request_id=request.id, decided_by=mentor.id, outcome="ready", rationale="Calm.")
        s.add(decision)
        credential = issue_credential(
            s, trainee=trainee, decision=decision, cohort_name="Cohort A", completed=["Linux shell"], decided_by=[]
        )
        self.ids |= {"credential": credential.id, "credential_public_id": credential.public_id}

    def _cheap_password_hashes(self) -> None:
        """The same password under scrypt with n=2**10 instead of 2**15: the check reads the cost from the hash,
        so every sign-in takes 7 ms instead of 240 ms. Passwords the app sets itself keep the full cost."""
        cheap = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
        with self.engine.begin() as conn:
            conn.execute(update(User).where(User.password_hash.is_not(None)).values(password_hash=cheap))

    def _arrange_work(self, s: Session, content_hash: str) -> None:
        trainee, mentor = self.ids["trainee"], self.ids["mentor"]

        def attempt(who: str, number: int, key: str, **fields) -> LabAttempt:
            row = LabAttempt(
                trainee_id=self.ids[who], module_id=MODULE, lab_id=LAB, number=number, request_key=key * 32, **fields
            )
            s.add(row)
            s.flush()
            return row

        sent_back = attempt("trainee", 1, "a", evidence="First try.", status="changes_requested")
        s.add(Decision(attempt_id=sent_back.id, mentor_id=mentor, outcome="changes_requested", comment="Add df -h."))
        waiting = attempt("trainee", 2, "b", evidence=SECRET_EVIDENCE)
        claimed = attempt("outsider", 1, "c", evidence="Outsider's try.", claimed_by=self.ids["mentor2"])
        claimed.claimed_at = utcnow()
        attachment = Attachment(
            attempt_id=waiting.id,
            original_name="server.log",
            content_type="text/plain; charset=utf-8",
            size=len(LOG),
            sha256=hashlib.sha256(LOG).hexdigest(),
            data=LOG,
        )
        quiz = QuizAttempt(
            trainee_id=trainee,
            module_id=MODULE,
            content_hash=content_hash,
            answers=json.dumps(self.quiz_answers, sort_keys=True),
            correct=len(self.quiz_answers),
            total=len(self.quiz_answers),
            passed=True,
            request_key="d" * 32,
        )
        note = Notification(user_id=trainee, message="Mira Mentor sent back Linux shell lab.", link="/learn")
        s.add_all([attachment, quiz, note, ModuleProgress(trainee_id=trainee, module_id=MODULE)])
        s.add(Notification(user_id=mentor, message="Tamsin Trainee submitted a lab.", link=f"/reviews/{waiting.id}"))
        s.flush()
        self.ids |= {
            "sent_back": sent_back.id,
            "submission": waiting.id,
            "claimed": claimed.id,
            "attachment": attachment.id,
            "quiz_attempt": quiz.id,
            "notification": note.id,
        }

    # -------------------------------------------------------------- the database, whole

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every table, in primary-key order."""
        reader = self.engine.execution_options(sqlite_deferred=True)
        with reader.connect() as conn:
            return {
                t.name: [tuple(row) for row in conn.execute(select(t).order_by(*t.primary_key.columns))] for t in TABLES
            }

    def settle(self, now: dict) -> None:
        """Back to the first state: the tables that differ from it, and the tables that refer to those."""
        changed = {t.name for t in TABLES if now[t.name] != self.baseline[t.name]}
        while more := {
            t.name
            for t in TABLES
            if t.name not in changed and {fk.column.table.name for fk in t.foreign_keys} & changed
        }:
            changed |= more
        tables = [t for t in TABLES if t.name in changed]
        if not tables:
            return
        with self.engine.begin() as conn:
            for table in reversed(tables):
                conn.execute(table.delete())
            for table in tables:
                if rows := self.baseline[table.name]:
                    conn.execute(table.insert(), [dict(zip(table.columns.keys(), row, strict=True)) for row in rows])

    def _session_token(self, who: str) -> str:
        users = {t.name: t for t in TABLES}["user"]
        columns = list(users.columns.keys())
        row = next(r for r in self.baseline["user"] if r[columns.index("id")] == self.ids[who])
        return row[columns.index("session_token")]

    # -------------------------------------------------------------- clients

    def client(self, who: str | None, *, csrf: bool = False):
        """A test client signed in as `who` (kept while its session holds), or a fresh anonymous one."""
        app = self.csrf_app if csrf else self.app
        if who is None:
            return app.test_client()
        client = self._clients.get((who, csrf))
        if client is not None:
            with client.session_transaction() as session:
                if session.get("_user_id") == f"{self.ids[who]}:{self.session_tokens[who]}":
                    return client
        client = app.test_client()
        email = PEOPLE[who][0]
        if csrf:
            token = csrf_token(client.get("/login").get_data(as_text=True))
            response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        else:
            response = sign_in(client, email)
        assert response.status_code == 302, f"{who} could not sign in"
        self._clients[(who, csrf)] = client
        self.settle(self.snapshot())  # the sign-in's own records
        return client

    def path(self, template: str) -> str:
        return template.format(**self.ids, welcome=self.welcome_token)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def world(migrated):
    built = World(migrated)
    yield built
    built.close()


# ------------------------------------------------------------------ what changed, what the page says


def meaningful(snapshot: dict) -> dict:
    """The data, without what the app records about refusals by design and the token's last use."""
    columns = {t.name: list(t.columns.keys()) for t in TABLES}
    action, succeeded = columns["audit_entry"].index("action"), columns["login_attempt"].index("succeeded")
    used = columns["api_token"].index("last_used_at")
    return snapshot | {
        "audit_entry": [r for r in snapshot["audit_entry"] if r[action] not in RECORDED_REFUSALS],
        "login_attempt": [r for r in snapshot["login_attempt"] if r[succeeded]],
        "api_token": [(*r[:used], None, *r[used + 1 :]) for r in snapshot["api_token"]],
    }


def short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def differences(before: dict, after: dict) -> list[str]:
    """What changed, table by table, in a few words per row."""
    found = []
    for table in TABLES:
        old, new = set(before[table.name]), set(after[table.name])
        keys = [i for i, c in enumerate(table.columns) if c.primary_key]
        old_by_key = {tuple(r[i] for i in keys): r for r in old - new}
        for row in sorted(new - old, key=repr):
            key = tuple(row[i] for i in keys)
            previous = old_by_key.pop(key, None)
            if previous is None:
                found.append(f"{table.name} {key}: added {short(row, 160)}")
            else:
                changed = [
                    f"{c}: {short(a)} -> {short(b)}"
                    for c, a, b in zip(table.columns.keys(), previous, row, strict=True)
                    if a != b
                ]
                found.append(f"{table.name} {key}: " + "; ".join(changed))
        found += [f"{table.name} {key}: deleted" for key in old_by_key]
    return found


def texts_in(value) -> list[str]:
    """The text of a stored value, and the strings inside it when it is JSON (file contents are not text)."""
    if not isinstance(value, str):
        return []
    found = [value]
    if value[:1] in "[{":
        try:
            stack = [json.loads(value)]
        except ValueError:
            return found
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, dict):
                stack += [*item.keys(), *item.values()]
            elif isinstance(item, list):
                stack += item
    return found


def hostile_stored(before: dict, after: dict, markers: tuple[str, ...]) -> list[str]:
    """The new or changed cells that carry one of the markers."""
    found = []
    for table in TABLES:
        for row in set(after[table.name]) - set(before[table.name]):
            for name, cell in zip(table.columns.keys(), row, strict=True):
                for text in texts_in(cell):
                    hits = [m for m in markers if m and m in text]
                    if hits:
                        found.append(f"{table.name}.{name} = {short(text)} (carries {short(hits[0], 20)})")
    return found


PROBLEM_PATTERNS = (
    re.compile(r'<p class="field-error"[^>]*>(.*?)</p>', re.S),
    re.compile(r'<div class="flash flash-error" role="alert">(.*?)</div>', re.S),
    re.compile(r'<section class="card error-page">\s*<h1>.*?</h1>\s*<p>(.*?)</p>', re.S),
    re.compile(r'<span class="tag bad">Problem</span>(.*?)</td>', re.S),
    re.compile(r'<div class="error-summary" role="alert"[^>]*>\s*<h3[^>]*>.*?</h3>\s*<ul>(.*?)</ul>', re.S),
)
GENERIC = {"Please correct the problem below.", "Please correct the problems below."}


def named_problem(response) -> str:
    """The problem the answer names: JSON error and detail, or the error messages on the page."""
    if response.is_json:
        body = response.get_json(silent=True) or {}
        return f"{body.get('error') or ''} {body.get('detail') or ''}".strip()
    html = response.get_data(as_text=True)
    found = [" ".join(re.sub(r"<[^>]+>", " ", m).split()) for p in PROBLEM_PATTERNS for m in p.findall(html)]
    return " | ".join(m for m in found if m and m not in GENERIC)


# ------------------------------------------------------------------ the forms


LINE, TEXT, EMAIL, PASSWORD_KIND, DATE = "line", "text", "email", "password", "date"
CHOICE, MULTI, ID, FLAG, KEY, UPLOAD = "choice", "multi", "id", "flag", "key", "upload"
SCORE = "score"  # a survey's 0-100, typed
TIME = "time"  # a clock time, HH:MM (a meetup's start and end)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool = True
    choices: tuple[str, ...] = ()
    mirror: str | None = None  # a field that repeats this one (a password's confirmation)
    at: str | None = None  # hostile text goes before this part of the valid value (default: after its 1st char)
    replaces: str | None = None  # an upload that stands for this text field


@dataclass(frozen=True)
class Form:
    endpoint: str
    role: str | None  # who may use it; None: nobody signed in
    path: str  # formatted with World.ids
    valid: Callable[[World], list[tuple[str, str]]]
    fields: tuple[Field, ...] = ()
    label: str = ""  # when one route holds two forms
    refusals: frozenset[int] = frozenset({400, 422})
    budget: float = 1.0  # share of the examples: less where each one hashes a password (240 ms)

    @property
    def id(self) -> str:
        return self.endpoint + (f"[{self.label}]" if self.label else "")


TRACKS = (
    "foundations", "automation", "observability", "slos", "kubernetes", "incidents", "culture",
    "linux-performance", "data", "traffic", "security", "releases",
)
CRITERIA = tuple(str(i) for i in range(6))
QUIZ_CHOICES = ("a", "b", "c", "d")
CSV = "name,email,role,mentor email\nNew Person,new.person@example.com,trainee,mentor@example.com\n"
QUESTIONS = ("redirect-order", "pipeline-status", "signal-first", "zombie", "port-owner", "exit-137")
MODULES = (MODULE, "slo-generation")  # modules a talk may be linked to (any of the curriculum's)
ZONES = time_zones()


def meetup_form(title: str, days: int) -> list[tuple[str, str]]:
    return [
        ("title", title),
        ("day", (date.today() + timedelta(days=days)).isoformat()),
        ("starts", "18:00"),
        ("ends", "19:30"),
        ("time_zone", "Europe/Berlin"),
        ("place", "Auditorium 2"),
        ("video_url", "https://video.example.com/reliability"),
        ("recording_url", "https://video.example.com/recordings/reliability"),
    ]


MEETUP_FIELDS = (
    Field("title", LINE),
    Field("day", DATE),
    Field("starts", TIME),
    Field("ends", TIME),
    Field("time_zone", CHOICE, choices=ZONES),
    Field("place", LINE, required=False),  # a place, a video link, or both
    Field("video_url", LINE, required=False, at="example"),
    Field("recording_url", LINE, required=False, at="example"),
)


def talk_form(title: str, email: str) -> list[tuple[str, str]]:
    return [
        ("title", title),
        ("abstract", "How we **stopped** paging at night:\n\n- fewer alerts\n- better runbooks"),
        ("speakers-0-email", email),
        ("speakers-1-guest_name", "Grace Guest"),
        ("speakers-1-guest_team", "Payments"),
        ("speakers-1-is_sre", "y"),
        ("module_ids", MODULE),
        ("slides_url", "https://slides.example.com/runbooks"),
    ]


TALK_FIELDS = (
    Field("title", LINE),
    Field("abstract", TEXT, required=False),
    Field("speakers-0-email", EMAIL, required=False, at="@"),  # the guest alone is speaker enough
    Field("speakers-1-guest_name", LINE, required=False),
    Field("speakers-1-guest_team", LINE, required=False),
    Field("speakers-1-is_sre", CHOICE, required=False, choices=("y",)),  # a checkbox: ticked sends "y"
    Field("module_ids", MULTI, required=False, choices=MODULES),
    Field("slides_url", LINE, required=False, at="example"),
)


def import_links_bundle(world: World) -> str:
    """What the page after an import posts back for the CSV of its invitation links (signed as the app signs it)."""
    from itsdangerous import URLSafeTimedSerializer

    rows = [["New Person", "new.person@example.com", "http://localhost/welcome/x"]]
    signer = URLSafeTimedSerializer(world.app.config["SECRET_KEY"], salt="academy.import-links")
    return signer.dumps({"admin": world.ids["admin"], "cohort": world.ids["cohort_a"], "rows": rows})


def quiz_pairs(world: World) -> list[tuple[str, str]]:
    answers = [(f"q-{q}", key) for q, keys in world.quiz_answers.items() for key in keys]
    return [*answers, ("request_key", "e" * 32)]


FORMS = (
    Form(
        "accounts.login",
        None,
        "/login",
        lambda w: [("email", "trainee@example.com"), ("password", PASSWORD)],
        (Field("email", EMAIL), Field("password", PASSWORD_KIND)),
        refusals=frozenset({400, 401}),
        budget=0.4,
    ),
    Form(
        "accounts.welcome",
        None,
        "/welcome/{welcome}",
        lambda w: [("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)],
        (Field("password", PASSWORD_KIND, mirror="confirm"),),
        budget=0.5,
    ),
    Form(
        "accounts.account",
        "trainee",
        "/account",
        lambda w: [("profile-display_name", "Tamsin Renamed")],
        (Field("profile-display_name", LINE),),
        label="profile",
    ),
    Form(
        "accounts.account",
        "trainee2",
        "/account",
        lambda w: [
            ("password-current_password", PASSWORD),
            ("password-password", NEW_PASSWORD),
            ("password-confirm", NEW_PASSWORD),
        ],
        (
            Field("password-current_password", PASSWORD_KIND),
            Field("password-password", PASSWORD_KIND, mirror="password-confirm"),
        ),
        label="password",
        budget=0.5,
    ),
    Form(
        "accounts.set_reminders",
        "trainee",
        "/account/reminders",
        lambda w: [("reminders", "0")],  # the hidden "0"; a ticked box adds a "1" after it
        (Field("reminders", FLAG),),
    ),
    Form(
        "accounts.set_time_zone",
        "trainee",
        "/account/time-zone",
        lambda w: [("time_zone", "Europe/Lisbon")],
        (Field("time_zone", LINE, required=False),),  # empty: the installation's zone
    ),
    Form(
        "accounts.create_token",
        "trainee",
        "/account/tokens",
        lambda w: [
            ("token-name", "CI pipeline"),
            ("token-scope", "write"),
            ("token-expires", "date"),
            ("token-expires_on", (date.today() + timedelta(days=30)).isoformat()),
        ],
        (
            Field("token-name", LINE),
            Field("token-scope", CHOICE, required=False, choices=("read", "write")),
            Field("token-expires", CHOICE, required=False, choices=("30", "90", "365", "date")),
            Field("token-expires_on", DATE),
        ),
    ),
    Form(
        "admin.new_user",
        "admin",
        "/admin/users/new",
        lambda w: [("display_name", "New Person"), ("email", "new.person@example.com"), ("roles", "trainee")],
        (Field("display_name", LINE), Field("email", EMAIL, at="@"), Field("roles", MULTI, choices=ROLES)),
    ),
    Form(
        "admin.edit_user",
        "admin",
        "/admin/users/{trainee2}",
        lambda w: [("display_name", "Theo Renamed"), ("roles", "trainee"), ("roles", "mentor")],
        (Field("display_name", LINE), Field("roles", MULTI, choices=ROLES)),
    ),
    Form(
        "admin.new_cohort",
        "admin",
        "/admin/cohorts/new",
        lambda w: [
            ("name", "Cohort C"),
            ("start_date", "2026-09-01"),
            ("end_date", "2027-03-01"),
            ("tracks", "foundations"),
        ],
        (
            Field("name", LINE),
            Field("start_date", DATE),
            Field("end_date", DATE),
            Field("tracks", MULTI, choices=TRACKS),
        ),
    ),
    Form(
        "admin.cohort_details",
        "admin",
        "/admin/cohorts/{cohort_a}/details",
        lambda w: [
            ("details-name", "Cohort A renamed"),
            ("details-start_date", "2026-10-01"),
            ("details-end_date", "2027-04-01"),
        ],
        (Field("details-name", LINE), Field("details-start_date", DATE), Field("details-end_date", DATE)),
    ),
    Form(
        "admin.cohort_plan",
        "admin",
        "/admin/cohorts/{cohort_a}/plan",
        lambda w: [("plan-tracks", "foundations"), ("plan-tracks", "slos")],
        (Field("plan-tracks", MULTI, choices=TRACKS),),
    ),
    Form(
        "admin.add_member",
        "admin",
        "/admin/cohorts/{cohort_a}/members",
        lambda w: [
            ("member-email", "newcomer@example.com"),
            ("member-name", "Nell Newcomer"),
            ("member-role", "trainee"),
            ("member-mentor", "mentor@example.com"),
        ],
        (
            Field("member-email", EMAIL, at="@"),
            Field("member-name", TEXT, required=False),
            Field("member-role", CHOICE, choices=("trainee", "mentor", "manager")),
            Field("member-mentor", EMAIL, required=False, at="@"),
        ),
    ),
    Form(
        "admin.remove_member",
        "admin",
        "/admin/cohorts/{cohort_a}/members/remove",
        lambda w: [("user_id", str(w.ids["trainee2"])), ("role", "trainee")],
        (Field("user_id", ID), Field("role", CHOICE, choices=("trainee", "mentor", "manager"))),
    ),
    Form(
        "admin.assign_mentor",
        "admin",
        "/admin/cohorts/{cohort_a}/mentor",
        lambda w: [("assign-trainee", str(w.ids["trainee2"])), ("assign-mentor", str(w.ids["mentor2"]))],
        (Field("assign-trainee", ID), Field("assign-mentor", ID, required=False)),
    ),
    Form(
        "admin.import_people",
        "admin",
        "/admin/cohorts/{cohort_a}/import",
        lambda w: [("text", CSV), ("confirm", "1")],
        (Field("text", TEXT, at="Person"), Field("file", UPLOAD, at="Person", replaces="text")),
    ),
    Form(
        "admin.import_links_csv",
        "admin",
        "/admin/cohorts/{cohort_a}/import/links.csv",
        lambda w: [("bundle", import_links_bundle(w))],
        (Field("bundle", TEXT),),
    ),
    Form(
        "admin.set_active",
        "admin",
        "/admin/users/{trainee2}/active",
        lambda w: [("active", "0")],
        (Field("active", FLAG),),
    ),
    Form(
        "admin.new_provisioning_token",
        "admin",
        "/admin/provisioning",
        lambda w: [("name", "Entra ID")],
        (Field("name", LINE),),
    ),
    Form(
        "credentials.revoke",
        "admin",
        "/admin/credentials/revoke",
        lambda w: [("credential", str(w.ids["credential"])), ("reason", "Issued in error.")],
        (Field("credential", ID), Field("reason", TEXT)),
    ),
    Form(
        "learning.mark_read",
        "trainee2",
        f"/modules/{MODULE}/read",
        lambda w: [("read", "1")],
        (Field("read", FLAG),),
    ),
    Form(
        "learning.submit_quiz",
        "trainee2",
        f"/modules/{MODULE}/quiz",
        quiz_pairs,
        (
            *(Field(f"q-{q}", MULTI, choices=QUIZ_CHOICES) for q in QUESTIONS[:2]),
            Field("request_key", KEY),
        ),
    ),
    Form(
        "learning.submit_lab",
        "trainee2",
        f"/labs/{LAB}/attempts",
        lambda w: [
            (f"lab-{LAB}-evidence", "I ran `ls -la /var/log` and saw the rotated logs.\nOutput attached."),
            (f"lab-{LAB}-links", "https://git.example.com/ops/runbooks/-/merge_requests/7"),
            (f"lab-{LAB}-request_key", "f" * 32),
        ],
        (
            Field(f"lab-{LAB}-evidence", TEXT),
            Field(f"lab-{LAB}-links", TEXT, required=False, at="example"),
            Field(f"lab-{LAB}-request_key", KEY),
        ),
    ),
    Form(
        "reviews.decide",
        "mentor",
        "/reviews/{submission}/decide",
        lambda w: [("outcome", "request_changes"), ("comment", "Show the output of `df -h` too."), ("criterion", "0")],
        (
            Field("outcome", CHOICE, choices=("approve", "request_changes")),
            Field("comment", TEXT),
            Field("criterion", MULTI, required=False, choices=CRITERIA),
        ),
    ),
    Form(
        "practicum.log",
        "graduand",
        "/practicum/entries",
        lambda w: [
            ("requirement", "shadow-shifts"),
            ("started_on", (date.today() - timedelta(days=1)).isoformat()),
            ("started_time", "09:30"),
            ("minutes", "240"),
            ("service", "Checkout API primary"),
            ("role", "scribe"),  # kept by the form when the requirement was a drill; dropped for a shadow shift
            ("account", "Two pages: **disk** on db-2 and a flapping probe; watched the primary triage both."),
            ("links", "https://wiki.example.com/oncall/handover"),
            ("present", "Mira (primary)"),
            ("present_mentor", str(w.ids["mentor2"])),
            ("request_key", "c" * 32),
        ],
        (
            Field("requirement", CHOICE, choices=("shadow-shifts", "incident-drills", "game-day")),
            Field("started_on", DATE),
            Field("started_time", LINE),
            Field("minutes", ID),
            Field("service", LINE),
            Field("role", CHOICE, required=False, choices=("scribe", "operations")),
            Field("account", TEXT),
            Field("links", TEXT, required=False, at="example"),
            Field("present", LINE, required=False),
            Field("present_mentor", ID, required=False),
            Field("request_key", KEY),
        ),
    ),
    Form(
        "practicum.decide",
        "mentor",
        "/practicum/entries/{practice_entry}/decide",
        lambda w: [("outcome", "send_back"), ("comment", "Which pages did the **primary** take?"), ("criterion", "0")],
        (
            Field("outcome", CHOICE, choices=("confirm", "send_back")),
            Field("comment", TEXT),
            Field("criterion", MULTI, required=False, choices=CRITERIA[:5]),
        ),
    ),
    Form(
        "readiness.ask",
        "graduand",
        "/readiness/requests",
        lambda w: [("trainee_id", str(w.ids["graduand"])), ("note", "Ready for the **primary** rotation.")],
        (Field("trainee_id", ID), Field("note", TEXT, required=False)),
    ),
    Form(
        "readiness.decide",
        "mentor",
        "/readiness/requests/{readiness_request}/decide",
        lambda w: [("outcome", "not_yet"), ("rationale", "Calm shadowing."), ("missing", "A drill as **scribe**.")],
        (
            Field("outcome", CHOICE, choices=("ready", "not_yet")),
            Field("rationale", TEXT),
            Field("missing", TEXT),  # override_reason is an admin's field, absent from a mentor's form
        ),
    ),
    Form(
        "surveys.new",
        "manager",
        "/surveys/new",
        lambda w: [
            ("title", "Cohort A, winter"),
            ("closes_on", (date.today() + timedelta(days=20)).isoformat()),
            ("points-0-title", "Too many alerts"),
            ("points-0-description", "Pages at night for disks that fill slowly."),
            ("points-0-addresses", "track:observability"),
            ("cohorts", str(w.ids["cohort_a"])),
            ("people", "outsider@example.com"),
            ("anonymous", "y"),
            ("asks_effort", "y"),
        ],
        (
            Field("title", LINE),
            Field("closes_on", DATE),
            Field("points-0-title", LINE),
            Field("points-0-description", LINE, required=False),
            Field("points-0-addresses", CHOICE, required=False, choices=("track:observability",)),
            Field("cohorts", ID, required=False),
            Field("people", TEXT, required=False, at="@"),
            Field("anonymous", CHOICE, required=False, choices=("y",)),
        ),
    ),
    Form(
        "surveys.edit",
        "manager",
        "/surveys/{fresh_survey}/edit",
        lambda w: [
            ("title", "Cohort A, renamed"),
            ("closes_on", (date.today() + timedelta(days=10)).isoformat()),
            ("points-0-title", "Out of the loop on changes"),
        ],
        (Field("title", LINE), Field("closes_on", DATE), Field("points-0-title", LINE)),
    ),
    Form(
        "surveys.answer",
        "trainee",
        "/surveys/{survey}/answer",
        lambda w: [(f"pain-{w.ids['survey_point']}", "70"), (f"effort-{w.ids['survey_point']}", "35")],
        (
            Field("pain-{survey_point}", SCORE, required=False),
            Field("effort-{survey_point}", SCORE, required=False),
        ),
        refusals=frozenset({400, 409, 422}),
    ),
    Form(
        "surveys.strike",
        "manager",
        "/surveys/{survey}/points/{survey_point}/strike",
        lambda w: [("addressed_by", "team"), ("what", "The alert review guild"), ("curriculum", "track:observability")],
        (
            Field("addressed_by", CHOICE, choices=("team", "initiative", "track", "module")),
            Field("what", LINE),
            Field("curriculum", CHOICE, required=False, choices=("track:observability",)),
        ),
    ),
    Form(
        "notifications.mark_read",
        "trainee",
        "/notifications/read",
        lambda w: [("id", str(w.ids["notification"])), ("next", "/learn")],
        (Field("id", ID, required=False),),
    ),
    Form(
        "accounts.set_team",
        "trainee",
        "/account/team",
        lambda w: [("team", "Customer support")],
        (Field("team", LINE, required=False),),  # empty: cleared
    ),
    Form(
        "meetups.new",
        "admin",
        "/meetups/new",
        lambda w: meetup_form("Reliability Meetup, next month", 30),
        MEETUP_FIELDS,
    ),
    Form(
        "meetups.edit",
        "admin",
        "/meetups/{meetup}/edit",
        lambda w: meetup_form("Reliability Meetup, moved", 7),
        MEETUP_FIELDS,
    ),
    Form("meetups.reply", "trainee", "/meetups/{meetup}/reply", lambda w: [("going", "1")], (Field("going", FLAG),)),
    Form(
        "meetups.check_in",
        "trainee",
        "/meetups/{meetup}/check-in",
        lambda w: [("code", "K7Q2XW")],
        (Field("code", LINE),),
    ),
    Form(
        "meetups.attendance",
        "admin",
        "/meetups/{meetup}/attendance",
        lambda w: [("present", str(w.ids["trainee2"])), ("emails", "trainee@example.com\nmentor@example.com")],
        # none ticked and none named is an answer: nobody came
        (Field("present", ID, required=False), Field("emails", TEXT, required=False, at="@")),
    ),
    Form(
        "talks.new",
        "trainee2",
        "/meetups/talks/new",
        lambda w: talk_form("Runbooks that page less", "trainee2@example.com"),
        TALK_FIELDS,
    ),
    Form(
        "talks.new_for_meetup",
        "admin",
        "/meetups/{meetup}/talks/new",
        lambda w: talk_form("An invited talk on capacity", "mentor@example.com"),
        TALK_FIELDS,
    ),
    Form(
        "talks.edit",
        "trainee",
        "/meetups/talks/{talk_proposal}/edit",
        lambda w: talk_form("Chaos drills, with numbers", "trainee@example.com"),
        TALK_FIELDS,
    ),
    Form(
        "talks.decide",
        "admin",
        "/meetups/talks/{talk_proposal}/decide",
        lambda w: [("decision", "accept"), ("meetup", str(w.ids["meetup"])), ("comment", "Welcome **aboard**.")],
        (
            Field("decision", CHOICE, choices=("accept", "changes", "decline")),
            Field("meetup", ID),  # accepted into it; no meetup (or one not read) is refused
            Field("comment", TEXT, required=False),  # required to ask for changes or to decline
        ),
        refusals=frozenset({400, 409, 422}),
    ),
)

# Forms that are one button: no field a person fills in. What they do cannot be malformed; extra fields are ignored.
BUTTONS = (
    Form("accounts.logout", "trainee", "/logout", lambda w: []),
    Form("accounts.revoke_token", "trainee", "/account/tokens/{token}/revoke", lambda w: []),
    Form("admin.password_link", "admin", "/admin/users/{trainee2}/password-link", lambda w: []),
    Form("admin.revoke_provisioning_token", "admin", "/admin/provisioning/{provisioning_token}/revoke", lambda w: []),
    Form("learning.withdraw", "trainee", "/lab-attempts/{submission}/withdraw", lambda w: []),
    Form("reviews.claim", "mentor", "/reviews/{submission}/claim", lambda w: []),
    Form("practicum.withdraw", "trainee", "/practicum/entries/{practice_entry}/withdraw", lambda w: []),
    Form("readiness.withdraw", "trainee", "/readiness/requests/{readiness_request}/withdraw", lambda w: []),
    Form("reviews.release", "mentor2", "/reviews/{claimed}/release", lambda w: []),
    Form("surveys.close", "manager", "/surveys/{survey}/close", lambda w: []),
    Form("surveys.delete", "manager", "/surveys/{fresh_survey}/delete", lambda w: []),
    Form("surveys.restore", "manager", "/surveys/{survey}/points/{survey_point}/restore", lambda w: []),
    Form("meetup_calendar.new_feed", "trainee", "/meetups/calendar/new", lambda w: []),
    Form("meetup_calendar.revoke_feed", "trainee2", "/meetups/calendar/revoke", lambda w: []),
)


def test_every_form_of_the_app_is_listed(world):
    posts = {  # the API and SCIM (/scim/v2) take JSON from a token's holder, never a form
        r.endpoint
        for r in world.app.url_map.iter_rules()
        if "POST" in r.methods and not r.rule.startswith(("/api", "/scim/"))
    }
    listed = {f.endpoint for f in FORMS + BUTTONS}
    assert posts - listed == set(), "a form nobody tries hostile input on"
    assert listed - posts == set(), "a listed form the app no longer has"


# ------------------------------------------------------------------ building requests


@dataclass(frozen=True)
class Bad:
    """Text with bytes that are not UTF-8 in the middle."""

    before: str
    raw: bytes
    after: str


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass
class Attack:
    what: str
    body: bytes
    content_type: str
    markers: tuple[str, ...] = ()  # must not reach the database
    may_accept: bool = False  # the form may take it, when it stores no marker
    sends_a_file: bool = False  # a message about files may be about this request

    def __repr__(self) -> str:
        return self.what

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis prints examples with this, not the body
        printer.text(self.what)


BOUNDARY = "hostile-form-boundary"


def urlencoded(pairs, *, raw: bool = False) -> bytes:
    parts = []
    for name, value in pairs:
        if isinstance(value, Bad):
            middle = value.raw if raw else quote_from_bytes(value.raw).encode()
            encoded = quote_plus(value.before).encode() + middle + quote_plus(value.after).encode()
        else:
            encoded = quote_plus(value).encode()
        parts.append(quote_plus(name).encode() + b"=" + encoded)
    return b"&".join(parts)


def multipart(pairs) -> bytes:
    chunks = []
    for name, value in pairs:
        disposition = f'Content-Disposition: form-data; name="{name}"'
        if isinstance(value, Upload):
            head, data = f'{disposition}; filename="{value.filename}"\r\nContent-Type: text/csv', value.data
        elif isinstance(value, Bad):
            head, data = disposition, value.before.encode() + value.raw + value.after.encode()
        else:
            head, data = disposition, value.encode()
        chunks.append(f"--{BOUNDARY}\r\n{head}\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


def attack(what: str, pairs, *, how: str = "", **kwargs) -> Attack:
    kwargs["sends_a_file"] = how != "json" and any(isinstance(v, Upload) for _, v in pairs)
    if how == "json":
        return Attack(what, json.dumps(pairs).encode(), "application/json", **kwargs)
    if how == "multipart" or any(isinstance(v, Upload) for _, v in pairs):
        return Attack(what, multipart(pairs), f"multipart/form-data; boundary={BOUNDARY}", **kwargs)
    return Attack(what, urlencoded(pairs, raw=how == "raw"), "application/x-www-form-urlencoded", **kwargs)


def valid_value(form: Form, world: World, f: Field) -> str:
    pairs = form.valid(world)
    return dict(pairs)[world.path(f.replaces or f.name)]


def split(value: str, f: Field) -> tuple[str, str]:
    at = value.index(f.at) if f.at else 1
    return value[:at], value[at:]


def with_values(form: Form, world: World, f: Field, values: list) -> list[tuple[str, object]]:
    """The valid submission with field `f` (and its mirror) sent as `values` (none: left out)."""
    replaced = {world.path(n) for n in (f.name, f.mirror, f.replaces) if n}  # a name may hold an id: "pain-{x}"
    pairs = [(k, v) for k, v in form.valid(world) if k not in replaced]
    pairs += [(world.path(f.name), v) for v in values]
    if f.mirror:
        pairs += [(world.path(f.mirror), v) for v in values]
    return pairs


def as_upload(f: Field, value) -> list:
    """An upload field carries its text as a file."""
    if f.kind != UPLOAD:
        return [value]
    if isinstance(value, Bad):
        value = Upload("people.csv", value.before.encode() + value.raw + value.after.encode())
    return [value if isinstance(value, Upload) else Upload("people.csv", value.encode())]


def fields_for(form: Form, kinds=None, *, required=None):
    chosen = [
        f for f in form.fields if (kinds is None or f.kind in kinds) and (required is None or f.required == required)
    ]
    return st.sampled_from(chosen) if chosen else st.nothing()


CONTROL = [chr(c) for c in (*range(1, 32), *range(127, 160))]
MULTILINE_OK = "\t\n\r"
WRONG = {
    EMAIL: ("12345", "3.14", "true", "null", "[]", "not-an-email", "@", "@@example.com"),
    DATE: ("yesterday", "1700000000", "2026-13-01", "2026-02-30", "01/09/2026", "2026-09-01T00:00", "-1", "true"),
    ID: ("abc", "-1", "1.5", "1e3", "0x1F", " 7", "²", "①", "9" * 30, "9" * 5000, "true", "[1]", "null"),
    FLAG: ("yes", "true", "on", "2", "-1", "01", " 1", "null", "ja", "0.0"),
    SCORE: ("abc", "-1", "1.5", "101", "1e2", "0x10", "²", "①", "9" * 30, "true", "null", "70%", "[]", "7 0"),
    TIME: ("25:00", "24:00", "18:60", "6pm", "18.00", "1800", "18:00:00", "T18:00", "noon", "١٨:٠٠", "-1", "null"),
    KEY: ("abc", "x" * 32, "E" * 32, "12345678-1234-1234-1234-123456789abc", "e" * 31, "e" * 33, "0"),
}


@st.composite
def empty_input(draw, form: Form, world: World):
    if draw(st.booleans()):
        return attack("every field left out", [])
    f = draw(fields_for(form, required=True))
    value = draw(st.sampled_from(["", "   ", " \t\r\n "]))
    return attack(f"{f.name} = {value!r}", with_values(form, world, f, as_upload(f, value)))


def long_attack(form: Form, world: World, f: Field, filler: str, size: int) -> Attack:
    value = (filler * size)[:size]
    before, after = split(valid_value(form, world, f), f) if f.kind in (TEXT, UPLOAD) else ("", "")
    values = as_upload(f, before + value + after)
    marker = (filler * 250)[:1000]
    return attack(f"{f.name} = {filler!r} * {size:,}", with_values(form, world, f, values), markers=(marker,))


@st.composite
def long_input(draw, form: Form, world: World, size: int):
    """A field of `size` characters; 60,000 (even percent-encoded) stays under werkzeug's 500 KB form cap."""
    filler = draw(st.sampled_from(["x", "1", "x y "] + (["é"] if size > 500_000 else [])))
    return long_attack(form, world, draw(fields_for(form)), filler, size)


@st.composite
def control_input(draw, form: Form, world: World):
    f = draw(fields_for(form, kinds=(LINE, TEXT, EMAIL, DATE, CHOICE, MULTI, ID, FLAG, KEY, UPLOAD, SCORE, TIME)))
    allowed = MULTILINE_OK if f.kind in (TEXT, UPLOAD) else ""
    controls = draw(st.text(st.sampled_from([c for c in CONTROL if c not in allowed]), min_size=1, max_size=4))
    before, after = split(valid_value(form, world, f), f)
    values = as_upload(f, before + controls + after)
    return attack(
        f"{f.name} = {before + controls + after!r}",
        with_values(form, world, f, values),
        markers=tuple(controls),
        may_accept=f.kind in (LINE, TEXT, EMAIL, UPLOAD),  # free text may be cleaned; a typed value is just wrong
    )


@st.composite
def json_input(draw, form: Form, world: World):
    """Numbers where text is expected, as JSON (Flask-WTF reads a JSON body as the form's data)."""
    numbers = {f.name: draw(st.one_of(st.integers(), st.floats(allow_nan=False))) for f in form.fields}
    return attack(f"JSON instead of a form: {json.dumps(numbers)}", numbers, how="json")


@st.composite
def wrong_typed_input(draw, form: Form, world: World):
    f = draw(fields_for(form, kinds=(*WRONG, CHOICE, MULTI)))
    if f.kind in (CHOICE, MULTI):
        value = draw(
            st.one_of(st.integers().map(str), st.text(st.characters(codec="ascii"), min_size=1, max_size=12)).filter(
                lambda v: v not in f.choices
            )
        )
    else:
        value = draw(st.one_of(st.sampled_from(WRONG[f.kind]), st.integers(max_value=-1).map(str)))
    return attack(f"{f.name} = {short(value)}", with_values(form, world, f, [value]))


NOT_UTF8 = (b"\xe9", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xc0\xaf")


@st.composite
def non_utf8_input(draw, form: Form, world: World):
    f = draw(fields_for(form))
    raw = draw(st.sampled_from(NOT_UTF8))
    before, after = split(valid_value(form, world, f), f)
    value = Bad(before, raw, after)
    how = "multipart" if f.kind == UPLOAD else draw(st.sampled_from(["percent", "raw", "multipart"]))
    return attack(
        f"{f.name} = {before!r} + {raw!r} + {after!r}, {how}",
        with_values(form, world, f, as_upload(f, value)),
        how=how,
        markers=("\ufffd", quote_from_bytes(raw)),
    )


@st.composite
def duplicated_input(draw, form: Form, world: World):
    f = draw(fields_for(form))
    valid = valid_value(form, world, f)
    before, after = split(valid, f)
    hostile = draw(
        st.one_of(
            st.text(st.sampled_from(CONTROL), min_size=1, max_size=3).map(lambda c: before + c + after),
            st.sampled_from(["", "z" * 100_001]),  # four copies with a mirror field stay under the form cap
            st.sampled_from(WRONG.get(f.kind, ("12345",))),
        )
    )
    copies = [valid, hostile] if draw(st.booleans()) else [hostile, valid]
    markers = tuple(c for c in hostile if c in CONTROL) + ((hostile[:1000],) if len(hostile) > 1000 else ())
    values = [v for copy in copies for v in as_upload(f, copy)]
    return attack(
        f"{f.name} sent twice: {short(copies[0])}, {short(copies[1])}",
        with_values(form, world, f, values),
        markers=markers,
        may_accept=True,
    )


KINDS_OF_INPUT = {
    "empty": empty_input,
    "long": lambda form, world: long_input(form, world, 60_001),
    "1 MB": lambda form, world: long_input(form, world, 2**20 + 1),
    "wrong-typed": wrong_typed_input,
    "JSON body": json_input,
    "non-UTF-8": non_utf8_input,
    "control characters": control_input,
    "duplicated": duplicated_input,
}
EXAMPLES = {"1 MB": 3, "JSON body": 3, "empty": 5, "wrong-typed": 10}  # the others: 6
SHARP = {ID: ("²", "9" * 5000, "9" * 30), FLAG: ("yes",), MULTI: ("²",)}  # tried every time, not by chance


def sharp_examples(form: Form, world: World, kind: str) -> list[Attack]:
    """Values known to hurt: digits that str.isdigit() accepts and int() refuses, ints beyond int() or SQLite."""
    if kind == "wrong-typed":
        return [
            attack(f"{f.name} = {short(v)}", with_values(form, world, f, [v]))
            for f in form.fields
            for v in SHARP.get(f.kind, ())
        ]
    if kind == "long":
        return [long_attack(form, world, f, "1", 60_001) for f in form.fields if f.kind == ID]
    return []


def applicable(form: Form, kind: str) -> bool:
    if kind in ("empty", "JSON body"):
        return any(f.required for f in form.fields)
    if kind == "wrong-typed":
        return any(f.kind in (*WRONG, CHOICE, MULTI) for f in form.fields)
    if kind == "control characters":
        return any(f.kind != PASSWORD_KIND for f in form.fields)
    return True


CASES = [
    pytest.param(form, kind, id=f"{form.id}-{kind}")
    for form in FORMS
    for kind in KINDS_OF_INPUT
    if applicable(form, kind)
]
HOSTILE = settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)


# ------------------------------------------------------------------ the properties


def send(world: World, form: Form, hostile: Attack, *, csrf: bool = False):
    client = world.client(form.role, csrf=csrf)
    return client.post(world.path(form.path), data=hostile.body, content_type=hostile.content_type)


def check_answer(world: World, form: Form, hostile: Attack):
    response = send(world, form, hostile)
    before, after = world.baseline, world.snapshot()  # every example starts from the baseline: settle() puts it back
    try:
        status = response.status_code
        assert status < 500, f"{form.id} {hostile}: {status}, the app failed"
        changes = differences(meaningful(before), meaningful(after))
        problem = named_problem(response)
        if status in form.refusals or status == 413:
            assert problem, f"{form.id} {hostile}: refused with {status}, but the page names no problem"
            if status == 413 and not hostile.sends_a_file:
                assert "attach" not in problem.lower(), f"{form.id} {hostile}: 413 about files, none was sent"
            assert not changes, f"{form.id} {hostile}: refused with {status} ({problem[:80]}), yet changed {changes}"
        elif hostile.may_accept and status in (200, 302, 303):
            stored = hostile_stored(before, after, hostile.markers)
            assert not stored, f"{form.id} {hostile}: accepted ({status}) and stored {stored}"
        else:
            where = response.headers.get("Location", "")
            raise AssertionError(
                f"{form.id} {hostile}: answered {status} {where}, not a refusal ({sorted(form.refusals)});"
                f" changed: {changes or 'nothing'}"
            )
    finally:
        world.settle(after)


@pytest.mark.parametrize(("form", "kind"), CASES)
def test_hostile_input_is_refused_by_name_and_changes_nothing(world, form, kind):
    @settings(HOSTILE, max_examples=max(2, round(EXAMPLES.get(kind, 6) * form.budget)))
    @given(hostile=KINDS_OF_INPUT[kind](form, world))
    def property_holds(hostile):
        check_answer(world, form, hostile)

    for sharp in sharp_examples(form, world, kind):
        property_holds = example(hostile=sharp)(property_holds)
    property_holds()


# forms whose valid submission writes nothing of meaning: a sign-in; a download the page posts back (import links)
CHANGE_NOTHING = ("accounts.login", "admin.import_links_csv")


@pytest.mark.parametrize("form", [pytest.param(f, id=f.id) for f in FORMS + BUTTONS])
def test_the_valid_submission_is_accepted(world, form):
    """The yardstick: each form takes its valid submission, so a refusal above is about the hostile part."""
    before = world.snapshot()
    response = send(world, form, attack("valid", form.valid(world)))
    after = world.snapshot()
    world.settle(after)
    assert response.status_code in (200, 302, 303), named_problem(response)
    if form.fields and form.endpoint not in CHANGE_NOTHING:
        assert differences(meaningful(before), meaningful(after)), f"{form.id}: the valid submission changed nothing"


@st.composite
def junk_fields(draw, world: World):
    """Fields a button never sends: names of other forms' fields, with control characters, 1 MB, not UTF-8."""
    name = draw(st.sampled_from(["user_id", "role", "roles", "is_active", "email", "id", "next", "x" * 300]))
    value = draw(
        st.one_of(
            st.text(st.sampled_from(CONTROL), min_size=1, max_size=4),
            st.just("j" * (2**20 + 1)),
            st.builds(Bad, st.just("junk"), st.sampled_from(NOT_UTF8), st.just("value")),
            st.sampled_from(["admin", "0", str(world.ids["admin"]), "9" * 5000, "²"]),
        )
    )
    pairs = [(name, value), (name, value)] if draw(st.booleans()) else [(name, value)]
    markers = tuple(value) if isinstance(value, str) and all(c in CONTROL for c in value) else ()
    return attack(
        f"extra {name} = {short(value)}",
        pairs,
        how=draw(st.sampled_from(["", "raw", "multipart"])),
        markers=markers,
        may_accept=True,
    )


@pytest.mark.parametrize("form", [pytest.param(f, id=f.id) for f in BUTTONS])
def test_a_button_ignores_fields_it_does_not_have(world, form):
    """A button's form has nothing to malform: what it does is decided by the URL and the person. Hostile extra
    fields are ignored (the button does what it always does) or the body is refused; none is stored."""

    @settings(HOSTILE, max_examples=6)
    @given(hostile=junk_fields(world))
    def property_holds(hostile):
        check_answer(world, form, hostile)

    property_holds()


@pytest.mark.parametrize("form", [pytest.param(f, id=f.id) for f in FORMS if f.fields])
def test_a_nul_character_in_any_field_is_refused(world, form):
    f = form.fields[0]
    before, after = split(valid_value(form, world, f), f)
    check_answer(
        world, form, attack(f"{f.name} with NUL", with_values(form, world, f, as_upload(f, before + "\x00" + after)))
    )


@pytest.mark.parametrize("form", [pytest.param(f, id=f.id) for f in FORMS + BUTTONS])
def test_every_form_refuses_a_post_without_a_csrf_token(world, form):
    """With CSRF protection on (as in production), the valid submission without its token is refused."""
    before = world.snapshot()
    response = send(world, form, attack("valid, no CSRF token", form.valid(world)), csrf=True)
    after = world.snapshot()
    world.settle(after)
    assert response.status_code == 400
    assert "did not come from this site" in named_problem(response)
    assert differences(meaningful(before), meaningful(after)) == []
