"""The OpenAPI document is good enough to generate a client from: openapi-python-client makes a typed package out of
/api/v1/openapi.json, and a trainee's and a mentor's work goes through it against the app served on a local port.
The generated names are the document's: operationIds (`decide_review`), enums (`LabState.APPROVED`)."""

import importlib
import json
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from academy.models import User

LAB, MODULE = "linux-shell-lab", "linux-shell"
PACKAGE = "sre_academy_client"


@pytest.fixture(scope="module")
def generated(migrated, tmp_path_factory):
    """The client package generated once for this module from the live document, imported: `.models`, and
    `.op("decide_review")`, an operation's module wherever the generator put it (under one of its tags)."""
    from tests.conftest import make_app

    app = make_app(migrated)
    folder = tmp_path_factory.mktemp("generated-client")
    (folder / "openapi.json").write_text(json.dumps(app.test_client().get("/api/v1/openapi.json").get_json()))
    app.extensions["academy.engine"].dispose()
    (folder / "config.json").write_text(json.dumps({"post_hooks": []}))  # no formatter runs on the generated code
    done = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json", "--meta", "none"]
        + ["--output-path", PACKAGE, "--config", "config.json", "--fail-on-warning"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    where = {f.stem: f"{PACKAGE}.api.{f.parent.name}.{f.stem}" for f in (folder / PACKAGE / "api").glob("*/*.py")}
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(PACKAGE)
        yield SimpleNamespace(
            AuthenticatedClient=package.AuthenticatedClient,
            models=importlib.import_module(f"{PACKAGE}.models"),
            op=lambda name: importlib.import_module(where[name]),
        )
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def client_of(app, people, academy, generated, live_server):
    """client_of("mentor") -> the generated client, signed in with a fresh token of that person."""
    from academy.api.tokens import create_token

    def make(who: str):
        with app.test_request_context(), people.session() as s:
            token, _ = create_token(s, user=s.get(User, getattr(academy, who).id), name=f"{who} client", scope="write")
            s.commit()
        return generated.AuthenticatedClient(base_url=live_server, token=token, raise_on_unexpected_status=True)

    return make


def right_answers(app) -> dict[str, list[str]]:
    from academy.curriculum.store import catalogue

    with app.app_context():
        return {q.id: list(q.answer) for q in catalogue().get(MODULE).quiz.questions}


def test_a_trainee_and_a_mentor_work_through_the_generated_client(app, generated, client_of):
    m, op = generated.models, generated.op
    trainee, mentor = client_of("trainee"), client_of("mentor")

    (shell_lab,) = [lab for lab in op("list_my_labs").sync(client=trainee, per_page=100).items if lab.lab_id == LAB]
    assert shell_lab.status is m.LabState.NOT_STARTED and shell_lab.open_  # `open` is a builtin: the generator adds _

    read = op("mark_module_read").sync(MODULE, client=trainee)
    assert read.status is m.ModuleState.IN_PROGRESS and read.completed_at is None

    check = op("get_knowledge_check").sync(MODULE, client=trainee)
    right = right_answers(app)
    wrong = {q.id: [next(c for c in q.choices.additional_properties if c not in right[q.id])] for q in check.questions}
    take = op("take_knowledge_check")
    failed = take.sync(MODULE, client=trainee, body=m.KnowledgeCheckIn(answers=answers(m, wrong)))
    assert not failed.passed and not failed.answers_revealed
    assert all(q.answer is None for q in failed.questions)
    passed = take.sync(MODULE, client=trainee, body=m.KnowledgeCheckIn(answers=answers(m, right)))
    assert passed.passed and passed.score == 1.0 and passed.answers_revealed
    assert all(q.right and q.explanation for q in passed.questions)

    first = submit(generated, trainee, "First go.", "1" * 32)
    assert first.status is m.AttemptStatus.SUBMITTED and first.number == 1
    busy = op("submit_lab_attempt").sync_detailed(
        LAB, client=trainee, body=m.EvidenceIn(evidence="Better.", request_key="2" * 32)
    )
    assert busy.status_code == 409 and "withdraw (withdrawLabAttempt)" in busy.parsed.detail
    withdrawn = op("withdraw_lab_attempt").sync(first.id, client=trainee)
    assert withdrawn.status is m.AttemptStatus.WITHDRAWN
    second = submit(generated, trainee, "Second go, with the output.", "3" * 32)
    assert second.number == 2 and second.status is m.AttemptStatus.SUBMITTED

    returned = decide(generated, mentor, second.id, m.DecisionOutcome.CHANGES_REQUESTED, "Show ss -ltn too.")
    assert returned.outcome is m.DecisionOutcome.CHANGES_REQUESTED
    progress = {p.module_id: p for p in op("get_my_progress").sync(client=trainee, per_page=100).items}
    assert progress[MODULE].status is m.ModuleState.CHANGES_REQUESTED
    assert [lab.status for lab in progress[MODULE].labs] == [m.LabState.CHANGES_REQUESTED]

    third = submit(generated, trainee, "Third go: ss -ltn below.", "4" * 32)
    approved = decide(generated, mentor, third.id, m.DecisionOutcome.APPROVED, "Good.", criteria=[0])
    assert approved.outcome is m.DecisionOutcome.APPROVED and approved.criteria == [0]
    (shell_lab,) = [lab for lab in op("list_my_labs").sync(client=trainee, per_page=100).items if lab.lab_id == LAB]
    assert shell_lab.status is m.LabState.APPROVED and not shell_lab.open_
    progress = {p.module_id: p for p in op("get_my_progress").sync(client=trainee, per_page=100).items}
    assert progress[MODULE].status is m.ModuleState.DONE  # read, its check passed, its lab approved


def test_a_manager_reads_the_cohorts_states_as_enums(academy, generated, client_of):
    m, op = generated.models, generated.op
    manager = client_of("manager")
    matrix = op("get_cohort_progress").sync(academy.cohort.id, client=manager)
    cells = matrix.items[0].cells.additional_properties
    assert set(cells) == set(matrix.modules) and cells[MODULE] is m.ModuleState.NOT_STARTED
    readiness = op("get_cohort_readiness").sync(academy.cohort.id, client=manager)
    assert (readiness.stages.learning, readiness.stages.ready_for_on_call) == (2, 0)
    assert {row.stage for row in readiness.items} == {m.Stage.LEARNING}
    refused = op("list_cohorts").sync_detailed(client=client_of("trainee"))
    assert refused.status_code == 403 and refused.parsed.error


def answers(m, chosen: dict[str, list[str]]):
    return m.KnowledgeCheckInAnswers.from_dict(chosen)


def submit(generated, trainee, evidence: str, key: str):
    body = generated.models.EvidenceIn(evidence=evidence, request_key=key)
    return generated.op("submit_lab_attempt").sync(LAB, client=trainee, body=body)


def decide(generated, mentor, attempt_id: int, outcome, comment: str, criteria=()):
    queue = generated.op("list_reviews").sync(client=mentor)
    assert [item.attempt_id for item in queue.items] == [attempt_id]
    body = generated.models.DecisionIn(outcome=outcome, comment=comment, criteria=list(criteria))
    return generated.op("decide_review").sync(attempt_id, client=mentor, body=body)
