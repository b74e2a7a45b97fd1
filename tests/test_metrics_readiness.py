"""The readiness gauges at /metrics: every trainee in a cohort by stage, and practice entries waiting for a
mentor, read from the database at each scrape; valid for promtool and the OpenMetrics parser."""

import shutil
import subprocess

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from sqlalchemy import event

from academy.cohorts import services as cohorts
from academy.models import Cohort, utcnow
from tests.practicum_factory import catalogue_of, complete_checklist, finish_modules
from tests.test_cohort_readiness import entry, graduate
from tests.test_metrics import scrape, value

STAGE_LABELS = ("learning", "practising", "ready_for_review", "ready_for_on_call")


def stages(families) -> dict[str, float | None]:
    return {label: value(families, "academy_trainees", stage=label) for label in STAGE_LABELS}


def test_an_empty_academy_has_every_stage_at_zero_and_nothing_waiting(client, app):
    families = scrape(client)
    assert stages(families) == dict.fromkeys(STAGE_LABELS, 0)
    assert value(families, "academy_practice_entries_waiting") == 0


@pytest.fixture
def known(app, people, academy):
    """Cohort A: trainee practising, trainee2 ready for review, trainee3 learning; cohort B: the outsider, ready for
    on-call; a loner in no cohort, with a complete checklist, is no cohort's trainee and is not counted. Entries:
    two waiting (one each of trainee and the loner), and one confirmed, one returned, one withdrawn."""
    cat = catalogue_of(app)
    trainee3 = people.user("trainee3@example.com", "trainee")
    loner = people.user("loner@example.com", "trainee")
    with app.test_request_context(), people.session() as s:
        cohorts.add_member(session=s, cohort=s.get(Cohort, academy.cohort.id), user=trainee3, role="trainee")
        s.commit()
    finish_modules(people, academy.trainee, ["incident-roles"], cat)
    entry(people, academy.trainee, "shadow-shifts", status="submitted")
    entry(people, academy.trainee, "shadow-shifts", status="confirmed", mentor=academy.mentor)
    entry(people, academy.trainee, "incident-drills", status="changes_requested", mentor=academy.mentor)
    entry(people, academy.trainee, "shadow-shifts", status="withdrawn")
    complete_checklist(people, academy.trainee2, academy.mentor, cat)
    complete_checklist(people, academy.outsider, academy.mentor2, cat)
    graduate(people, academy.outsider, academy.other_manager, on=utcnow())
    complete_checklist(people, loner, academy.mentor, cat)
    entry(people, loner, "postmortem", status="submitted")
    return academy


def test_trainees_by_stage_and_entries_waiting_on_a_known_academy(client, known):
    families = scrape(client)
    assert stages(families) == {"learning": 1, "practising": 1, "ready_for_review": 1, "ready_for_on_call": 1}
    assert value(families, "academy_practice_entries_waiting") == 2


def test_the_gauges_say_what_their_labels_mean_and_parse_as_openmetrics(client, known):
    types = {f.name: (f.type, f.documentation) for f in scrape(client)}
    kind, help_text = types["academy_trainees"]
    assert kind == "gauge" and "ready_for_on_call" in help_text and "underscores" in help_text
    assert types["academy_practice_entries_waiting"][0] == "gauge"
    text = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}).get_data(
        as_text=True
    )
    parsed = {f.name: f for f in parse_openmetrics(text)}
    samples = {s.labels["stage"]: s.value for s in parsed["academy_trainees"].samples}
    assert samples == {"learning": 1, "practising": 1, "ready_for_review": 1, "ready_for_on_call": 1}


def test_promtool_finds_nothing_wrong_with_the_new_metrics(client, known):
    assert shutil.which("promtool"), "promtool is missing: the README's test line installs Debian's prometheus"
    text = client.get("/metrics").get_data(as_text=True)
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    said = (result.stdout + result.stderr).splitlines()
    about_ours = [line for line in said if "academy_trainees" in line or "academy_practice_entries_waiting" in line]
    assert about_ours == []


def test_the_stages_are_read_in_a_fixed_number_of_statements(app, client, people, known):
    def count() -> int:
        seen = []

        def record(*args):
            seen.append(args[2])

        engine = app.extensions["academy.engine"]
        event.listen(engine, "before_cursor_execute", record)
        try:
            scrape(client)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    before = count()
    for i in range(5):
        more = people.user(f"more{i}@example.com", "trainee")
        people.cohort(f"More {i}", trainees=[more], mentors=[known.mentor])
        finish_modules(people, more, ["incident-roles"], catalogue_of(app))
    assert count() == before
