"""The API fuzzed from its own OpenAPI document with schemathesis, signed in as each role and with no token.

Every operation in /api/v1/openapi.json gets requests generated from the document: schemathesis' coverage
phase (boundary values, missing and wrong-typed parameters, unexpected methods) and then random valid and
invalid ones, sent to the Flask app in-process. No answer may be a 5xx, and each must match the document:
a declared status code, a declared content type, a body of the declared shape. The suite runs FUZZ_EXAMPLES
random examples per operation and role (15), derandomized: every run sends the same requests until this file or
the document changes.

A longer run by hand, in-process, on SQLite or (with ACADEMY_TEST_DATABASE_URL) on PostgreSQL:

    ACADEMY_FUZZ_EXAMPLES=500 python -m pytest -q tests/test_api_fuzz.py

or schemathesis' own CLI against a server, on a throwaway database, once per role's token (the demo's
mentor@example.com, manager@example.com, admin@example.com, trainee@example.com); the CLI also runs its
stateful phase, which chains requests through the ids that answers return:

    export ACADEMY_DATABASE_URL=sqlite:////tmp/academy-fuzz.db
    flask academy demo && TOKEN=$(flask academy token create mentor@example.com --name fuzz)
    flask run --host 127.0.0.1 --port 5391 &
    schemathesis run http://127.0.0.1:5391/api/v1/openapi.json --url http://127.0.0.1:5391 --wait-for-schema 30 \
        -H "Authorization: Bearer $TOKEN" --max-examples 1000 \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from academy.api.tokens import create_token
from academy.cohorts.services import add_member
from academy.curriculum.store import catalogue
from academy.learning.services import set_read, submit_lab, submit_quiz
from academy.models import Cohort, User
from academy.reviews.services import decide

FUZZ_EXAMPLES = int(os.environ.get("ACADEMY_FUZZ_EXAMPLES", "15"))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(params=["trainee", "mentor", "manager", "admin", None], ids=lambda who: who or "no-token")
def role(request):
    return request.param


WAITING_TRAINEES = 8  # a submission is decided only once: give the fuzzer several to decide


def submit(s, trainee_id: int, lab_id: str, number: int):
    return submit_lab(
        s,
        catalogue(),
        trainee_id=trainee_id,
        lab=catalogue().lab(lab_id),
        evidence=f"Ran every step; the output is below.\n\n    {number} sleep 300",
        links_text="https://git.example.com/ops/labs/merge_requests/7",
        files=[],
        request_key=f"{number:032x}",
        max_files=5,
    )


def complete_linux_shell(s, trainee_id: int, mentor_id: int):
    """Read, knowledge check passed, lab approved: the next modules' labs open to this trainee."""
    module = catalogue().get("linux-shell")
    set_read(s, catalogue(), trainee_id=trainee_id, module=module, read=True)
    answers = {q.id: list(q.answer) for q in module.quiz.questions}
    submit_quiz(s, catalogue(), trainee_id=trainee_id, module=module, answers=answers, request_key="f" * 32)
    attempt = submit(s, trainee_id, "linux-shell-lab", 99)
    s.flush()
    mentor = s.get(User, mentor_id)
    decide(s, catalogue(), attempt=attempt, mentor=mentor, outcome="approved", comment="Good.", criteria=[0])
    return attempt


@pytest.fixture
def submissions(app, people, academy):
    """The academy at work: the trainee has finished their first module (its lab approved), and lab evidence
    waits for a mentor in both cohorts. Returns the attempts' ids, for the fuzzer to decide on."""
    waiting = [people.user(f"waiting{n}@example.com", "trainee") for n in range(WAITING_TRAINEES)]
    with app.test_request_context(), people.session() as s:
        cohort, mentor = s.get(Cohort, academy.cohort.id), s.get(User, academy.mentor.id)
        for trainee in waiting:
            add_member(session=s, cohort=cohort, user=trainee, role="trainee", mentor=mentor)
        attempts = [complete_linux_shell(s, academy.trainee.id, academy.mentor.id)]
        for number, trainee in enumerate([academy.trainee2, academy.outsider, *waiting], 1):
            attempts.append(submit(s, trainee.id, "linux-shell-lab", number))
        s.flush()
        s.commit()
        return [a.id for a in attempts]


@pytest.fixture
def real_path_values(academy, submissions):
    """Path parameters that lead to real objects, mixed into the generated ones: random ids rarely exist."""
    return {
        "module_id": ["linux-shell", "networking"],
        "lab_id": ["linux-shell-lab", "networking-lab", "git-for-ops-lab", "toil-lab", "files-permissions-lab"],
        "attempt_id": submissions,
        "cohort_id": [academy.cohort.id, academy.other_cohort.id],
    }


@pytest.fixture
def auth_headers(app, people, academy, role):
    if role is None:
        return {}
    with app.test_request_context(), people.session() as s:
        token, _ = create_token(s, user=s.get(User, getattr(academy, role).id), name=f"fuzz as {role}", scope="write")
        s.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_schema(app, real_path_values, auth_headers):
    # auth_headers is asked for here so that the role parameter reaches the test that schemathesis builds
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    @loaded.hook
    def before_generate_path_parameters(context, strategy):
        names = [p.name for p in context.operation.path_parameters]
        if not names or not all(name in real_path_values for name in names):
            return strategy
        real = st.fixed_dictionaries({name: st.sampled_from(real_path_values[name]) for name in names})
        return st.one_of(strategy, real)

    return loaded


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    # generating from a schema is slow on a busy 2-core CI machine; that is no fault of the API
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_answer_is_documented_and_none_is_a_server_error(case, auth_headers):
    # schemathesis calls the app in-process, where nothing undoes gzip as an HTTP client does: ask for plain JSON
    # (compressed answers are tests/test_compression.py's)
    case.call_and_validate(headers={**auth_headers, "Accept-Encoding": "identity"}, checks=CHECKS)
