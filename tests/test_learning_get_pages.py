"""What a GET may record, as README's "People, roles and security" says: nothing a person did or decided. The
one page that writes is a module's, which records a trainee's first opening of it (opened_at, once); the API
notes when a token was last used, and a refused request is audited. Every other GET page, for every role,
leaves every table as it was."""

import re

import pytest

from tests.test_hostile_forms import MODULE, TABLES, World, differences, meaningful

ROLES = ("trainee", "mentor", "manager", "admin")
UNOPENED = "files-permissions"  # a module the world's trainee has not opened yet
IDS = {
    "cohort_id": "cohort_a",
    "user_id": "trainee",
    "trainee_id": "trainee",
    "attachment_id": "attachment",
    "public_id": "credential_public_id",  # the trainee's credential, in public
    "entry_id": "practice_entry",
    "request_id": "readiness_request",
    "round_id": "survey",  # cohort A's survey round, which trainee2 has answered
    "meetup_id": "meetup",  # under way: its check-in form and, for the admin (an organizer), attendance are open
    "talk_id": "talk_proposal",  # the trainee's proposal: they and the admin see and edit it, the others are refused
}
MADE_UP_SECRET = "not-a-calendar-feed-secret"  # /calendar/<secret>.ics: no feed has it, so 404
# /scim/v2 answers a provisioning token only (401 to a person's session): its ids are text
SCIM_IDS = {"name": "User", "schema_id": "urn:ietf:params:scim:schemas:core:2.0:User", "group_id": "1"}
ATTEMPTS = {"learning.quiz_result": "quiz_attempt", "reviews.review": "submission"}


@pytest.fixture(scope="module")
def world(migrated):
    built = World(migrated)
    yield built
    built.close()


def get_pages(world: World, *, api: bool) -> list[str]:
    """Every GET route of the app (pages, or the API), its ids those of the world's trainee and cohort A."""
    paths = []
    for rule in world.app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/api/v1/") != api:
            continue
        ids = IDS | {"attempt_id": ATTEMPTS.get(rule.endpoint, "submission")}

        def fill(part, endpoint=rule.endpoint, ids=ids):
            name = part.group(1)
            if name == "module_id":
                return MODULE
            if name == "lab_id":
                return "linux-shell-lab"
            if name == "scenario_id":
                return "checkout-bad-deploy"  # a drill scenario of the curriculum
            if name == "secret":
                return MADE_UP_SECRET
            if name in SCIM_IDS:
                return SCIM_IDS[name]
            return world.welcome_token if name == "token" else str(world.ids[ids[name]])

        paths.append(re.sub(r"<(?:\w+:)?(\w+)>", fill, rule.rule))
    return sorted(paths)


def test_the_walk_covers_the_trainees_journey(world):
    pages = get_pages(world, api=False)
    for page in ("/learn", "/catalogue", f"/modules/{MODULE}", "/notifications", "/account", "/search"):
        assert page in pages
    assert f"/quiz-attempts/{world.ids['quiz_attempt']}" in pages and f"/trainees/{world.ids['trainee']}" in pages
    meetup, talk = world.ids["meetup"], world.ids["talk_proposal"]
    for page in ("/meetups", f"/meetups/{meetup}", f"/meetups/{meetup}/calendar.ics", f"/meetups/talks/{talk}/edit"):
        assert page in pages
    assert f"/calendar/{MADE_UP_SECRET}.ics" in pages


@pytest.mark.parametrize("who", ROLES)
def test_no_get_page_changes_any_table(world, who):
    """A page the person may see changes nothing; one they may not see records only the refusal (audit log)."""
    client = world.client(who)
    for path in get_pages(world, api=False):
        before = world.snapshot()
        status = client.get(path).status_code
        after = world.snapshot()
        assert status < 500, (path, status)
        if status < 400:
            assert differences(before, after) == [], path
        else:
            assert differences(meaningful(before), meaningful(after)) == [], path
            assert all(d.startswith("audit_entry ") for d in differences(before, after)), path
    world.settle(world.snapshot())


@pytest.mark.parametrize("who", ROLES)
def test_an_api_get_records_only_when_its_token_was_last_used(world, who):
    client = world.app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens[who]}"}
    before = world.snapshot()
    for path in get_pages(world, api=True):
        assert client.get(path, headers=headers).status_code < 500, path
    after = world.snapshot()
    assert differences(meaningful(before), meaningful(after)) == []
    changed = differences(before, after)
    assert len(changed) <= 1 and all(d.startswith("api_token ") and "last_used_at" in d for d in changed), changed
    world.settle(after)


def test_the_module_page_records_a_trainees_first_opening_once_and_nothing_else(world):
    trainee = world.client("trainee")
    before = world.snapshot()
    assert trainee.get(f"/modules/{UNOPENED}").status_code == 200
    opened = world.snapshot()
    assert trainee.get(f"/modules/{UNOPENED}").status_code == 200
    assert differences(opened, world.snapshot()) == []  # a second visit changes nothing

    changed = differences(before, opened)
    assert len(changed) == 1 and changed[0].startswith("module_progress "), changed
    columns = list(next(t for t in TABLES if t.name == "module_progress").columns.keys())
    (row,) = set(opened["module_progress"]) - set(before["module_progress"])
    progress = dict(zip(columns, row, strict=True))
    assert (progress["trainee_id"], progress["module_id"]) == (world.ids["trainee"], UNOPENED)
    assert progress["opened_at"] is not None and progress["read_at"] is None and progress["completed_at"] is None
    world.settle(opened)


@pytest.mark.parametrize("who", ("mentor", "manager", "admin"))
def test_staff_opening_a_module_record_nothing(world, who):
    client = world.client(who)
    before = world.snapshot()
    assert client.get(f"/modules/{UNOPENED}").status_code == 200
    assert differences(before, world.snapshot()) == []
