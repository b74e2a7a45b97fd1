"""Access control, object by object: each role that must not read or change an object tries, by page and by API,
and gets 403 or 404 with nothing changed and nothing of the object in the answer.

The objects are the trainee's (cohort A) of `tests.test_hostile_forms.World`: their lab submission waiting for
review, its attached file, their attempts (a knowledge check, and a lab attempt already sent back), their
trainee pages, cohort A, their account's admin pages, their API token and their notification. Who may: the
trainee themself; mentors serving cohort A (mentor, mentor2) review and see their work; the cohort's manager sees
it; the admin sees everything and reviews. Who must not: everyone else of the nine people (a fellow trainee, a
trainee and a mentor and a manager of cohort B), and, where an action is the owner's alone (withdraw, revoke a
token, read a notification), everybody else, the admin included. 302 is not a refusal here: a redirect with an
error message still tells a prober the object exists and leaves the status to the next page.

`test_every_route_that_names_an_object_is_probed` fails when a route with an object id is added to the app
(page or API) without a row here. Lists (review queues, cohorts, the account page's tokens, notifications) are
checked apart: they answer 403, or 200 without the object.

The Reliability Meetup's objects are cohort A's world's too: a meetup under way that the admin planned (organizing
is an organizer's or an admin's, and nobody of the nine is an organizer) and the trainee's talk proposal, which only
they and the organizers see until it is accepted. A meetup's page, its calendar file, saying one will come and
checking in are for everyone signed in (`NOBODY` is kept out of them).

Their credential is the one object public by design: only an admin revokes it, and only its owner's account page
lists it, but its public page, signed file and status answer anyone who has the unguessable address (`PUBLIC`).
"""

import re
from dataclasses import dataclass, field

import pytest

from tests.test_hostile_forms import (
    CSV,
    LOG,
    SECRET_EVIDENCE,
    SECRET_PAIN,
    SECRET_PRACTICE,
    SECRET_TALK,
    World,
    differences,
    meaningful,
)

EVERYONE = (
    "admin",
    "manager",
    "other_manager",
    "mentor",
    "mentor2",
    "outside_mentor",
    "trainee",
    "trainee2",
    "outsider",
)


def all_but(*allowed: str) -> tuple[str, ...]:
    return tuple(who for who in EVERYONE if who not in allowed)


NOT_VIEWERS = all_but("trainee", "mentor", "mentor2", "manager", "admin")  # the trainee's work and pages
NOT_REVIEWERS = all_but("mentor", "mentor2", "admin")  # decide, claim, release; never one's own work
NOT_MANAGERS = all_but("manager", "admin")  # cohort A's pages, exports and API
NOT_ADMINS = all_but("admin")
NOT_OWNER = all_but("trainee")
# Every signed-in person may: such a probe has no role to refuse, and checks that nobody signed in is sent to sign
# in (or, by the API, answered 401) and that every role does get in (test_the_owner_and_the_allowed_roles_do_get_in)
NOBODY: tuple[str, ...] = ()


@dataclass(frozen=True)
class Probe:
    object: str
    method: str
    rule: str  # as in the URL map; its <int:...> is the object's id
    target: str  # the World.ids key of the object
    forbidden: tuple[str, ...]
    data: dict = field(default_factory=dict)  # form fields (pages) or JSON body (API); "{name}" from World.ids
    secret: str = ""  # what of the object must not be in the answer

    @property
    def api(self) -> bool:
        return self.rule.startswith("/api/")

    def path(self, world: World) -> str:
        return re.sub(r"<int:\w+>", str(world.ids[self.target]), self.rule)

    def body(self, world: World) -> dict:
        return {k: world.path(v) if isinstance(v, str) else v for k, v in self.data.items()}


def cohort_admin(method: str, rule: str, **data) -> Probe:
    return Probe("cohort", method, "/admin/cohorts/<int:cohort_id>" + rule, "cohort_a", NOT_ADMINS, data)


def account_admin(method: str, rule: str, **data) -> Probe:
    return Probe("account", method, "/admin/users/<int:user_id>" + rule, "trainee", NOT_ADMINS, data)


SUBMISSION = dict(target="submission", secret=SECRET_EVIDENCE)
PRACTICE = dict(target="practice_entry", secret=SECRET_PRACTICE)
READINESS = dict(target="readiness_request", secret=SECRET_PRACTICE)
# Cohort A's round "survey": its people are asked (the manager too), and its opener and the admin run it
SURVEY = dict(target="survey", secret=SECRET_PAIN)
NOT_RESPONDENTS = all_but("trainee", "trainee2", "mentor", "mentor2", "manager")  # one's own answers
NOT_SURVEY_VIEWERS = all_but("trainee", "trainee2", "mentor", "mentor2", "manager", "admin")
# The meetup under way, which the admin planned and organizes, and the trainee's proposal, not decided yet
MEETUP = dict(target="meetup", secret="K7Q2XW")  # its check-in code is for the organizers' screen
PROPOSAL = dict(target="talk_proposal", secret=SECRET_TALK)
NOT_PROPOSERS = all_but("trainee", "admin")  # its proposer, until it is decided, and the organizers
TALK_FORM = {"title": "Taken", "speakers-0-email": "outsider@example.com"}
PROBES = (
    Probe("submission", "GET", "/reviews/<int:attempt_id>", forbidden=NOT_REVIEWERS, **SUBMISSION),
    Probe(
        "submission",
        "POST",
        "/reviews/<int:attempt_id>/decide",
        forbidden=NOT_REVIEWERS,
        data={"outcome": "approve", "comment": "Fine by me."},
        **SUBMISSION,
    ),
    Probe("submission", "POST", "/reviews/<int:attempt_id>/claim", forbidden=NOT_REVIEWERS, **SUBMISSION),
    Probe("submission", "POST", "/reviews/<int:attempt_id>/release", forbidden=NOT_REVIEWERS, **SUBMISSION),
    Probe("submission", "POST", "/lab-attempts/<int:attempt_id>/withdraw", forbidden=NOT_OWNER, **SUBMISSION),
    Probe("submission", "POST", "/api/v1/attempts/<int:attempt_id>/withdraw", forbidden=NOT_OWNER, **SUBMISSION),
    Probe(
        "submission",
        "POST",
        "/api/v1/reviews/<int:attempt_id>/decision",
        forbidden=NOT_REVIEWERS,
        data={"outcome": "approved", "comment": "Fine by me.", "criteria": [0]},
        **SUBMISSION,
    ),
    Probe("attachment", "GET", "/attachments/<int:attachment_id>", "attachment", NOT_VIEWERS, secret=LOG.decode()),
    Probe("attempt", "GET", "/quiz-attempts/<int:attempt_id>", "quiz_attempt", NOT_VIEWERS, secret="Tamsin"),
    Probe("attempt", "GET", "/reviews/<int:attempt_id>", "sent_back", NOT_REVIEWERS, secret="First try."),
    Probe("trainee page", "GET", "/trainees/<int:trainee_id>", "trainee", NOT_VIEWERS, secret="Tamsin"),
    Probe("trainee page", "GET", "/trainees/<int:trainee_id>/progress", "trainee", NOT_VIEWERS, secret="Tamsin"),
    Probe("cohort", "GET", "/cohorts/<int:cohort_id>", "cohort_a", NOT_MANAGERS, secret="Tamsin"),
    Probe("cohort", "GET", "/cohorts/<int:cohort_id>/progress.csv", "cohort_a", NOT_MANAGERS, secret="Tamsin"),
    Probe("cohort", "GET", "/cohorts/<int:cohort_id>/reviews.csv", "cohort_a", NOT_MANAGERS, secret="Tamsin"),
    Probe("cohort", "GET", "/cohorts/<int:cohort_id>/trainees.csv", "cohort_a", NOT_MANAGERS, secret="Tamsin"),
    Probe("cohort", "GET", "/cohorts/<int:cohort_id>/readiness.csv", "cohort_a", NOT_MANAGERS, secret="Tamsin"),
    Probe("cohort", "GET", "/api/v1/cohorts/<int:cohort_id>/progress", "cohort_a", NOT_MANAGERS, secret="Tamsin"),
    Probe("cohort", "GET", "/api/v1/cohorts/<int:cohort_id>/at-risk", "cohort_a", NOT_MANAGERS, secret="Tamsin"),
    Probe("cohort", "GET", "/api/v1/cohorts/<int:cohort_id>/readiness", "cohort_a", NOT_MANAGERS, secret="Tamsin"),
    Probe("trainee page", "GET", "/api/v1/trainees/<int:trainee_id>/readiness", "trainee", NOT_VIEWERS),
    Probe("survey", "GET", "/surveys/<int:round_id>", forbidden=NOT_SURVEY_VIEWERS, **SURVEY),
    Probe("survey", "GET", "/surveys/<int:round_id>/answer", forbidden=NOT_RESPONDENTS, **SURVEY),
    Probe("survey", "POST", "/surveys/<int:round_id>/answer", forbidden=NOT_RESPONDENTS, **SURVEY),
    Probe("survey", "GET", "/surveys/<int:round_id>/edit", forbidden=NOT_MANAGERS, **SURVEY),
    Probe("survey", "POST", "/surveys/<int:round_id>/edit", forbidden=NOT_MANAGERS, data={"title": "Taken"}, **SURVEY),
    Probe("survey", "POST", "/surveys/<int:round_id>/close", forbidden=NOT_MANAGERS, **SURVEY),
    Probe("survey", "POST", "/surveys/<int:round_id>/delete", forbidden=NOT_MANAGERS, **SURVEY),
    Probe("survey", "GET", "/surveys/<int:round_id>/results.csv", forbidden=NOT_MANAGERS, **SURVEY),
    # both ids are the round's: who may not run the round is refused before its pain point is looked up
    Probe(
        "survey",
        "POST",
        "/surveys/<int:round_id>/points/<int:point_id>/strike",
        forbidden=NOT_MANAGERS,
        data={"addressed_by": "team", "what": "Taken"},
        **SURVEY,
    ),
    Probe("survey", "POST", "/surveys/<int:round_id>/points/<int:point_id>/restore", forbidden=NOT_MANAGERS, **SURVEY),
    Probe("survey", "GET", "/api/v1/surveys/<int:round_id>", forbidden=NOT_SURVEY_VIEWERS, **SURVEY),
    Probe("survey", "GET", "/api/v1/surveys/<int:round_id>/answers", forbidden=NOT_RESPONDENTS, **SURVEY),
    Probe(
        "survey",
        "PUT",
        "/api/v1/surveys/<int:round_id>/answers",
        forbidden=NOT_RESPONDENTS,
        data={"answers": []},
        **SURVEY,
    ),
    Probe("survey", "GET", "/api/v1/surveys/<int:round_id>/results", forbidden=NOT_MANAGERS, **SURVEY),
    cohort_admin("GET", ""),
    cohort_admin("POST", "/details", **{"details-name": "Taken", "details-start_date": "2026-01-01"}),
    cohort_admin("POST", "/plan", **{"plan-tracks": "slos"}),
    cohort_admin("POST", "/members", **{"member-email": "newcomer@example.com", "member-role": "trainee"}),
    cohort_admin("POST", "/members/remove", user_id="{trainee2}", role="trainee"),
    cohort_admin("POST", "/mentor", **{"assign-trainee": "{trainee2}", "assign-mentor": "{mentor2}"}),
    cohort_admin("GET", "/import"),
    cohort_admin("POST", "/import", text=CSV, confirm="1"),
    cohort_admin("POST", "/import/links.csv", bundle="not-a-signed-bundle"),  # a real one is checked after the role
    account_admin("GET", ""),
    account_admin("POST", "", display_name="Taken Over", roles="admin"),
    account_admin("POST", "/active", active="0"),
    account_admin("POST", "/password-link"),
    Probe("token", "POST", "/account/tokens/<int:token_id>/revoke", "token", NOT_OWNER),
    Probe("provisioning token", "POST", "/admin/provisioning/<int:token_id>/revoke", "provisioning_token", NOT_ADMINS),
    Probe("practice entry", "GET", "/practicum/entries/<int:entry_id>", forbidden=NOT_VIEWERS, **PRACTICE),
    Probe(
        "practice entry",
        "POST",
        "/practicum/entries/<int:entry_id>/decide",
        forbidden=all_but("mentor", "admin"),  # the trainee's own mentor; mentor2 serves the cohort but is not theirs
        data={"outcome": "confirm"},
        **PRACTICE,
    ),
    Probe("practice entry", "POST", "/practicum/entries/<int:entry_id>/withdraw", forbidden=NOT_OWNER, **PRACTICE),
    Probe("readiness review", "GET", "/readiness/requests/<int:request_id>", forbidden=NOT_VIEWERS, **READINESS),
    Probe(
        "readiness review",
        "POST",
        "/readiness/requests/<int:request_id>/decide",
        forbidden=all_but("mentor", "manager", "admin"),  # the panel and admins
        data={"outcome": "not_yet", "rationale": "Not yet.", "missing": "Drills."},
        **READINESS,
    ),
    Probe(
        "readiness review",
        "POST",
        "/readiness/requests/<int:request_id>/withdraw",
        forbidden=all_but("trainee", "mentor"),  # the trainee and whoever asked
        **READINESS,
    ),
    Probe("notification", "POST", "/notifications/read", "notification", NOT_OWNER, {"id": "{notification}"}),
    Probe(
        "credential",
        "POST",
        "/admin/credentials/revoke",
        "credential",
        NOT_ADMINS,
        {"credential": "{credential}", "reason": "Taken over."},
    ),
    Probe("meetup", "GET", "/meetups/<int:meetup_id>", forbidden=NOBODY, **MEETUP),
    Probe("meetup", "GET", "/meetups/<int:meetup_id>/calendar.ics", forbidden=NOBODY, **MEETUP),
    Probe("meetup", "POST", "/meetups/<int:meetup_id>/reply", forbidden=NOBODY, data={"going": "1"}, **MEETUP),
    Probe("meetup", "POST", "/meetups/<int:meetup_id>/check-in", forbidden=NOBODY, data={"code": "K7Q2XW"}, **MEETUP),
    Probe("meetup", "GET", "/meetups/<int:meetup_id>/edit", forbidden=NOT_ADMINS, **MEETUP),
    Probe(
        "meetup",
        "POST",
        "/meetups/<int:meetup_id>/edit",
        forbidden=NOT_ADMINS,
        data={"title": "Taken", "day": "2027-03-25", "starts": "18:00", "ends": "19:30", "time_zone": "UTC"},
        **MEETUP,
    ),
    Probe("meetup", "GET", "/meetups/<int:meetup_id>/attendance", forbidden=NOT_ADMINS, **MEETUP),
    Probe(
        "meetup",
        "POST",
        "/meetups/<int:meetup_id>/attendance",
        forbidden=NOT_ADMINS,
        data={"present": "{outsider}", "emails": "outsider@example.com"},
        **MEETUP,
    ),
    Probe("meetup", "GET", "/meetups/<int:meetup_id>/talks/new", forbidden=NOT_ADMINS, **MEETUP),
    Probe("meetup", "POST", "/meetups/<int:meetup_id>/talks/new", forbidden=NOT_ADMINS, data=TALK_FORM, **MEETUP),
    Probe("meetup", "GET", "/api/v1/meetups/<int:meetup_id>", forbidden=NOBODY, **MEETUP),
    Probe("talk", "GET", "/meetups/talks/<int:talk_id>", forbidden=NOT_PROPOSERS, **PROPOSAL),
    Probe("talk", "GET", "/meetups/talks/<int:talk_id>/edit", forbidden=NOT_PROPOSERS, **PROPOSAL),
    Probe("talk", "POST", "/meetups/talks/<int:talk_id>/edit", forbidden=NOT_PROPOSERS, data=TALK_FORM, **PROPOSAL),
    Probe(
        "talk",
        "POST",
        "/meetups/talks/<int:talk_id>/decide",
        forbidden=NOT_ADMINS,
        data={"decision": "decline", "comment": "Not for us."},
        **PROPOSAL,
    ),
)


@dataclass(frozen=True)
class Listing:
    """A page or API list that shows many objects: a role that must not see this one gets 403, or a list without it."""

    object: str
    rule: str
    target: str
    forbidden: tuple[str, ...]
    shows: str = ""  # on a page: the text that would show the object; "{name}" from World.ids
    key: str = ""  # in an API list: the item field holding the object's id


LISTINGS = (
    Listing("submission", "/reviews", "submission", NOT_REVIEWERS, shows="/reviews/{submission}"),
    Listing("submission", "/api/v1/reviews", "submission", NOT_REVIEWERS, key="attempt_id"),
    Listing("notification", "/notifications", "notification", NOT_OWNER, shows="Mira Mentor sent back"),
    Listing("token", "/account", "token", NOT_OWNER, shows="trainee laptop"),
    Listing("cohort", "/cohorts", "cohort_a", NOT_MANAGERS, shows="Cohort A"),
    Listing("cohort", "/api/v1/cohorts", "cohort_a", NOT_MANAGERS, key="id"),
    Listing("cohort", "/admin/cohorts", "cohort_a", NOT_ADMINS, shows="Cohort A"),
    Listing("account", "/admin/users", "trainee", NOT_ADMINS, shows="trainee@example.com"),
    Listing("provisioning token", "/admin/provisioning", "provisioning_token", NOT_ADMINS, shows="srap_"),
    Listing("credential", "/admin/credentials", "credential", NOT_ADMINS, shows="/credentials/{credential_public_id}"),
    Listing("credential", "/account", "credential", NOT_OWNER, shows="/credentials/{credential_public_id}"),
    Listing("talk", "/meetups/talks", "talk_proposal", NOT_PROPOSERS, shows=SECRET_TALK),
    Listing("talk", "/meetups", "talk_proposal", EVERYONE, shows=SECRET_TALK),  # agendas hold accepted talks only
    Listing("talk", "/api/v1/talks", "talk_proposal", EVERYONE, key="id"),  # accepted talks only
    Listing("talk", "/api/v1/meetups", "talk_proposal", EVERYONE, shows=SECRET_TALK),
)

# A credential is public by design: whoever has its unguessable address reads it, signed in or not, and changes
# nothing. What is never in these answers: the graduate's e-mail address.
PUBLIC = (
    "/credentials/{credential_public_id}",
    "/credentials/{credential_public_id}/credential.jwt",
    "/credentials/{credential_public_id}/credential.json",
    "/credentials/{credential_public_id}/status",
    "/credentials/status-list",
    "/credentials/issuer",
    "/.well-known/jwks.json",
)


@pytest.fixture(scope="module")
def world(migrated):
    built = World(migrated)
    yield built
    built.close()


def call(world: World, who: str | None, method: str, path: str, data: dict):
    """As `who` (None: nobody signed in): pages with their session, the API with their personal access token."""
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {world.tokens[who]}"} if who else {}
        return world.app.test_client().open(path, method=method, headers=headers, json=data or None)
    return world.client(who).open(path, method=method, data=data)


def tried(world: World, who: str | None, method: str, path: str, data: dict):
    """The answer, and what the request changed (put back afterwards)."""
    if who and not path.startswith("/api/"):
        world.client(who)  # sign in first: the sign-in is not part of the change
    before = world.baseline  # every request starts from it: settle() puts it back
    response = call(world, who, method, path, data)
    after = world.snapshot()
    world.settle(after)
    return response, differences(meaningful(before), meaningful(after))


CASES = [
    pytest.param(probe, who, id=f"{probe.object}: {probe.method} {probe.rule} as {who}")
    for probe in PROBES
    for who in probe.forbidden
]


@pytest.mark.parametrize(("probe", "who"), CASES)
def test_a_role_that_must_not_gets_403_or_404_and_changes_nothing(world, probe, who):
    response, changes = tried(world, who, probe.method, probe.path(world), probe.body(world))

    assert response.status_code in (403, 404), (
        f"answered {response.status_code} {response.headers.get('Location', '')}; changed: {changes or 'nothing'}"
    )
    assert changes == []
    assert not probe.secret or probe.secret not in response.get_data(as_text=True)


@pytest.mark.parametrize("probe", [pytest.param(p, id=f"{p.method} {p.rule}") for p in PROBES])
def test_nobody_signed_in_is_sent_to_sign_in_and_changes_nothing(world, probe):
    response, changes = tried(world, None, probe.method, probe.path(world), probe.body(world))

    if probe.api:
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert changes == []


@pytest.mark.parametrize(
    ("listing", "who"),
    [pytest.param(lst, who, id=f"{lst.object}: GET {lst.rule} as {who}") for lst in LISTINGS for who in lst.forbidden],
)
def test_a_list_never_shows_the_object_to_a_role_that_must_not_see_it(world, listing, who):
    response, changes = tried(world, who, "GET", listing.rule, {})

    assert response.status_code in (200, 403)
    assert changes == []
    if response.status_code == 200 and listing.key:
        items = response.get_json()["items"]
        assert world.ids[listing.target] not in [item[listing.key] for item in items]
    elif response.status_code == 200:
        assert world.path(listing.shows) not in response.get_data(as_text=True)


@pytest.mark.parametrize("who", [None, *EVERYONE])
def test_a_credentials_public_answers_are_the_same_for_everyone_and_change_nothing(world, who):
    for template in PUBLIC:
        response, changes = tried(world, who, "GET", world.path(template), {})
        assert response.status_code == 200, (template, response.status_code, response.headers.get("Location"))
        assert changes == []
        assert "trainee@example.com" not in response.get_data(as_text=True)


def test_the_owner_and_the_allowed_roles_do_get_in(world):
    """The yardstick: the refusals above are about who asks, not about a broken request."""
    for probe in PROBES:
        if probe.method != "GET":
            continue
        allowed = [who for who in EVERYONE if who not in probe.forbidden]
        for who in allowed:
            response, _ = tried(world, who, "GET", probe.path(world), {})
            assert response.status_code == 200, f"{who}: GET {probe.rule} answered {response.status_code}"


def test_every_route_that_names_an_object_is_probed(world):
    """A new route with an object id, page or API, needs its row in PROBES; so does every object type of the issue."""
    routes = {
        (method, rule.rule)
        for rule in world.app.url_map.iter_rules()
        if "<int:" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    probed = {(p.method, p.rule) for p in PROBES}
    assert routes - probed == set(), "routes with an object id that no role is kept out of"
    wanted = {"submission", "attachment", "attempt", "trainee page", "cohort", "token", "notification"}
    wanted |= {"meetup", "talk"}  # the Reliability Meetup's
    wanted |= {"provisioning token"}  # an identity provider's, for SCIM
    assert wanted <= {p.object for p in PROBES}
    api_objects = {p.object for p in PROBES if p.api}
    api_rules = {r.rule for r in world.app.url_map.iter_rules() if r.rule.startswith("/api/v1/")}
    # The API has routes for submissions, cohorts, a trainee's readiness (probed under "trainee page"), survey
    # rounds and meetups only: no attachment, quiz attempt, token or notification route, and a trainee's progress
    # only inside their cohort's. A meetup is read by every token (NOBODY is kept out); talks come only in lists
    # (/api/v1/talks, a meetup's agenda), which hold accepted talks alone (LISTINGS).
    assert api_objects == {"submission", "cohort", "trainee page", "survey", "meetup"}
    assert not [r for r in api_rules if re.search(r"attachment|quiz|token|notification", r)]
    assert [r for r in api_rules if "trainee" in r] == ["/api/v1/trainees/<int:trainee_id>/readiness"]


# ------------------------------------------------------------------ SCIM: an identity provider's, nobody's of the nine

SCIM_PATHS = {
    "user_id": "{trainee}",
    "group_id": "1",
    "name": "User",
    "schema_id": "urn:ietf:params:scim:schemas:core:2.0:User",
}


def scim_routes(world: World) -> list[tuple[str, str]]:
    """(method, path) of every route under /scim/v2, its ids the world's trainee's (and a group's, a schema's)."""
    found = []
    for rule in world.app.url_map.iter_rules():
        if rule.rule.startswith("/scim/"):
            path = world.path(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SCIM_PATHS[m.group(1)], rule.rule))
            found += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


@pytest.mark.parametrize("who", [None, *EVERYONE])
def test_scim_answers_a_provisioning_token_only_and_no_persons_session_or_token(world, who):
    """/scim/v2 creates, changes and deactivates accounts: a person's session cookie or API token, the admin's
    included, gets a 401 there and changes nothing; the provisioning token the admin made does get in."""
    routes = scim_routes(world)
    assert ("DELETE", f"/scim/v2/Users/{world.ids['trainee']}") in routes and len(routes) > 15
    body = {"userName": "taken@example.com", "displayName": "Taken", "Operations": [{"op": "remove", "path": "x"}]}
    for method, path in routes:
        before = world.baseline
        if who is not None:
            cookie = world.client(who).open(path, method=method, json=body)
            assert cookie.status_code == 401, (method, path, cookie.status_code)
        bearer = {"Authorization": f"Bearer {world.tokens[who]}"} if who else {}
        response = world.app.test_client().open(path, method=method, headers=bearer, json=body)
        after = world.snapshot()
        world.settle(after)
        assert response.status_code == 401 and response.mimetype == "application/scim+json", (method, path)
        assert differences(meaningful(before), meaningful(after)) == []


def test_the_provisioning_token_does_get_into_scim(world):
    """The yardstick of the refusals above."""
    headers = {"Authorization": f"Bearer {world.provisioning_token}"}
    for path in ("/scim/v2/Users", f"/scim/v2/Users/{world.ids['trainee']}", "/scim/v2/Schemas"):
        assert world.app.test_client().get(path, headers=headers).status_code == 200, path
    world.settle(world.snapshot())  # the token's last use
