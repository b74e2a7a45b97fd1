"""Company sign-in through a real OpenID Connect provider on 127.0.0.1 (tests/oidc_provider.py)."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from academy.accounts.services import roles_of
from academy.models import AuditEntry, ExternalIdentity, User
from tests.conftest import PASSWORD, People, own_app, sign_in
from tests.oidc_provider import callback_path, running_provider


@pytest.fixture(scope="module")
def provider():
    with running_provider() as running:
        yield running


@pytest.fixture
def sso(migrated, provider):
    with own_app(migrated, **provider.settings()) as app:
        yield app


@pytest.fixture
def staff(sso):
    return People(sso)


def start(client) -> str:
    """The academy's redirect to the provider, checked for PKCE, state and nonce."""
    answer = client.get("/login/oidc")
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.location).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and "openid" in query["scope"][0].split()
    return answer.location


def sign_in_as(client, provider, subject: str):
    """The whole round trip: the academy's answer to the provider's redirect back."""
    return client.get(callback_path(provider.authorize(start(client), subject)))


def home_of(client) -> str:
    return client.get("/", follow_redirects=False).location


def audit_rows(app, action: str) -> list[AuditEntry]:
    with People(app).session() as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_without_settings_the_sign_in_page_has_no_provider_button_and_the_route_goes_back(client):
    page = client.get("/login").get_data(as_text=True)
    assert "/login/oidc" not in page and "Sign in with your" not in page and 'name="password"' in page
    assert client.get("/login/oidc").location.endswith("/login")


def test_the_sign_in_page_offers_the_provider_by_its_name(sso):
    page = sso.test_client().get("/login?next=/learn").get_data(as_text=True)
    assert "Sign in with Example SSO" in page and "/login/oidc?next=/learn" in page
    assert 'name="password"' in page  # passwords stay on unless turned off


def test_a_known_verified_email_is_linked_on_first_sign_in_and_lands_on_the_role_home(sso, staff, provider):
    mentor = staff.user("ada@example.com", "mentor")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-mentors"])
    client = sso.test_client()
    answer = sign_in_as(client, provider, "sub-ada")
    assert answer.status_code == 302 and answer.location == "/reviews"
    assert home_of(client) == "/reviews"
    with staff.session() as s:
        link = s.exec(select(ExternalIdentity).where(ExternalIdentity.user_id == mentor.id)).one()
        assert (link.issuer, link.subject) == (provider.issuer, "sub-ada") and link.last_sign_in_at
    sentences = [json.loads(r.detail or "{}").get("via") for r in audit_rows(sso, "login.succeeded")]
    assert sentences == ["Example SSO"]
    assert [r.target for r in audit_rows(sso, "user.identity_linked")] == ["ada@example.com"]


def test_the_next_page_survives_the_round_trip_and_an_abandoned_ones_does_not(sso, staff, provider):
    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    client = sso.test_client()
    client.get("/login/oidc?next=/catalogue")  # started, never finished
    there = client.get("/login/oidc?next=/search").location
    assert client.get(callback_path(provider.authorize(there, "sub-ada"))).location == "/search"
    client.post("/logout")
    client.get("/login/oidc?next=/catalogue")  # abandoned again; the next sign-in names no page
    assert sign_in_as(client, provider, "sub-ada").location == "/learn"


def test_an_unsafe_next_is_ignored(sso, staff, provider):
    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    client = sso.test_client()
    client.get("/login/oidc?next=//evil.example.com/")
    assert sign_in_as(client, provider, "sub-ada").location == "/learn"


def test_later_sign_ins_match_the_subject_not_the_email(sso, staff, provider):
    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    assert sign_in_as(sso.test_client(), provider, "sub-ada").status_code == 302
    # the provider now says another address for the same person: still the same account
    provider.set_user("sub-ada", email="ada.lovelace@example.com", email_verified=True, groups=["sre-academy-trainees"])
    client = sso.test_client()
    assert sign_in_as(client, provider, "sub-ada").location == "/learn"
    assert "ada@example.com" in client.get("/account").get_data(as_text=True)


def test_another_subject_with_a_linked_address_is_refused(sso, staff, provider):
    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    assert sign_in_as(sso.test_client(), provider, "sub-ada").status_code == 302
    # the address was given to someone new at the company: they are not Ada
    provider.set_user("sub-newcomer", email="ada@example.com", email_verified=True)
    client = sso.test_client()
    answer = sign_in_as(client, provider, "sub-newcomer")
    assert answer.status_code == 400 and "already linked" in answer.get_data(as_text=True)
    assert client.get("/learn").status_code == 302  # not signed in


def test_an_unverified_email_that_matches_an_account_is_refused_and_not_linked(sso, staff, provider):
    staff.user("ada@example.com", "admin")
    provider.set_user("sub-mallory", email="ada@example.com", email_verified=False, groups=[])
    client = sso.test_client()
    answer = sign_in_as(client, provider, "sub-mallory")
    assert answer.status_code == 400 and "not say that ada@example.com is verified" in answer.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    with staff.session() as s:
        assert s.exec(select(ExternalIdentity)).all() == []
    refusals = audit_rows(sso, "login.oidc_refused")
    assert [r.target for r in refusals] == ["ada@example.com"]


def test_an_email_without_the_verified_claim_is_not_trusted_either(sso, staff, provider):
    staff.user("ada@example.com", "admin")
    provider.set_user("sub-mallory", email="ada@example.com")
    assert sign_in_as(sso.test_client(), provider, "sub-mallory").status_code == 400


def test_an_unknown_person_is_refused_unless_the_installation_creates_accounts(migrated, provider):
    provider.set_user(
        "sub-new", email="new@example.com", email_verified=True, name="New Person", groups=["sre-academy-mentors"]
    )
    with own_app(migrated, **provider.settings()) as app:
        answer = sign_in_as(app.test_client(), provider, "sub-new")
        assert answer.status_code == 400 and "no academy account for new@example.com" in answer.get_data(as_text=True)
        with People(app).session() as s:
            assert s.exec(select(User)).all() == []
    with own_app(migrated, **provider.settings(OIDC_CREATE_USERS="true")) as app:
        client = app.test_client()
        assert sign_in_as(client, provider, "sub-new").location == "/reviews"
        with People(app).session() as s:
            user = s.exec(select(User)).one()
            assert (user.email, user.display_name, user.password_hash) == ("new@example.com", "New Person", None)
            assert roles_of(s, user.id) == {"mentor"}
        created = audit_rows(app, "user.created")
        assert json.loads(created[0].detail)["provider"] == "Example SSO"


def test_roles_follow_the_groups_at_each_sign_in_and_every_change_is_audited(sso, staff, provider):
    person = staff.user("ada@example.com", "trainee", "organizer")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["SRE-Academy-Mentors"])
    assert sign_in_as(sso.test_client(), provider, "sub-ada").location == "/reviews"
    with staff.session() as s:
        assert roles_of(s, person.id) == {"mentor", "organizer"}  # organizer: not in the map, kept
    provider.set_user(
        "sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-managers", "unrelated"]
    )
    assert sign_in_as(sso.test_client(), provider, "sub-ada").location == "/cohorts"
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-managers"])
    sign_in_as(sso.test_client(), provider, "sub-ada")  # nothing changed: nothing audited
    changes = [json.loads(r.detail) for r in audit_rows(sso, "user.roles_changed")]
    assert [(c["before"], c["after"], c["provider"]) for c in changes] == [
        (["organizer", "trainee"], ["mentor", "organizer"], "Example SSO"),
        (["mentor", "organizer"], ["manager", "organizer"], "Example SSO"),
    ]
    with staff.session() as s:
        assert roles_of(s, person.id) == {"manager", "organizer"}


def test_a_person_whose_groups_are_gone_loses_the_mapped_roles(sso, staff, provider):
    person = staff.user("ada@example.com", "mentor")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True)  # no groups claim at all
    sign_in_as(sso.test_client(), provider, "sub-ada")
    with staff.session() as s:
        assert roles_of(s, person.id) == set()


def test_a_deactivated_account_is_refused(sso, staff, provider):
    person = staff.user("ada@example.com", "trainee")
    with staff.session() as s:
        user = s.get(User, person.id)
        user.is_active = False
        s.add(user)
        s.commit()
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    answer = sign_in_as(sso.test_client(), provider, "sub-ada")
    assert answer.status_code == 400 and "deactivated" in answer.get_data(as_text=True)


def test_a_wrong_state_is_refused(sso, staff, provider):
    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    client = sso.test_client()
    back = provider.authorize(start(client), "sub-ada")
    forged = back.replace("state=", "state=forged")
    answer = client.get(callback_path(forged))
    assert answer.status_code == 400 and "did not complete" in answer.get_data(as_text=True)
    assert client.get("/learn").status_code == 302
    # a browser that never started a sign-in (a link sent by someone else) is refused the same way
    assert sso.test_client().get(callback_path(back)).status_code == 400


def test_a_replayed_code_is_refused(sso, staff, provider):
    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    first = sso.test_client()
    back = provider.authorize(start(first), "sub-ada")
    assert first.get(callback_path(back)).status_code == 302
    code = parse_qs(urlsplit(back).query)["code"][0]
    # someone who saw the first redirect tries its code with a sign-in of their own
    thief = sso.test_client()
    theirs = provider.authorize(start(thief), "sub-ada")
    state = parse_qs(urlsplit(theirs).query)["state"][0]
    answer = thief.get(f"/login/oidc/callback?code={code}&state={state}")
    assert answer.status_code == 400
    assert thief.get("/learn").status_code == 302


@pytest.mark.parametrize(
    ("mode", "claims"),
    [
        ("other-key", {}),
        ("claims", {"nonce": "not-the-one-sent"}),
        ("claims", {"aud": "another-client"}),
        ("claims", {"iss": "https://impostor.example.com"}),
        ("claims", {"exp": 1_000_000_000, "iat": 999_999_000}),
    ],
    ids=["signed-by-another-key", "wrong-nonce", "wrong-audience", "wrong-issuer", "expired"],
)
def test_an_id_token_that_does_not_verify_is_refused(sso, staff, provider, mode, claims):
    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    client = sso.test_client()
    with provider.spoiled(mode, **claims):
        answer = sign_in_as(client, provider, "sub-ada")
    assert answer.status_code == 400 and "did not complete" in answer.get_data(as_text=True)
    assert client.get("/learn").status_code == 302
    with staff.session() as s:
        assert s.exec(select(ExternalIdentity)).all() == []


def test_the_code_is_exchanged_with_its_pkce_verifier(sso, staff, provider):
    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    provider.spoiler.token_requests.clear()
    sign_in_as(sso.test_client(), provider, "sub-ada")
    (exchange,) = provider.spoiler.token_requests
    assert exchange["grant_type"] == "authorization_code" and len(exchange["code_verifier"]) >= 43


def test_a_cancelled_sign_in_at_the_provider_says_so_in_its_own_words(sso):
    client = sso.test_client()
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    answer = client.get(f"/login/oidc/callback?error=access_denied&error_description=Call+0800+now&state={state}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "(access_denied)" in page
    assert "0800" not in page  # the query string is anyone's to write: its words never reach the academy's page


def test_a_provider_that_does_not_answer_is_a_clear_page_not_an_error(migrated):
    settings = {"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "x", "OIDC_CLIENT_SECRET": "y"}
    with own_app(migrated, **settings) as app:
        answer = app.test_client().get("/login/oidc")
        assert answer.status_code == 502 and "does not answer" in answer.get_data(as_text=True)


def test_sign_out_ends_the_academy_session_and_offers_the_providers(sso, staff, provider):
    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    client = sso.test_client()
    sign_in_as(client, provider, "sub-ada")
    cookie_before = client.get_cookie("session")
    assert client.post("/logout").location == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert f"{provider.issuer}/oauth2/end_session?client_id=sre-academy" in page
    assert "post_logout_redirect_uri=http%3A%2F%2Flocalhost%2Flogin" in page
    assert "Sign out of Example SSO too" in page
    assert "Sign out of" not in client.get("/login").get_data(as_text=True)  # offered once
    # the old cookie no longer works anywhere
    thief = sso.test_client()
    thief.set_cookie("session", cookie_before.value)
    assert thief.get("/learn").status_code == 302


def test_a_password_sign_in_offers_no_provider_sign_out(sso, staff):
    staff.user("ada@example.com", "trainee")
    client = sso.test_client()
    assert sign_in(client, "ada@example.com").status_code == 302
    client.post("/logout")
    assert "Sign out of" not in client.get("/login").get_data(as_text=True)


# ------------------------------------------------------------------ passwords off, a break-glass admin


@pytest.fixture
def passwordless(migrated, provider):
    settings = provider.settings(PASSWORD_SIGN_IN="off", BREAK_GLASS_ADMINS="root@example.com")
    with own_app(migrated, **settings) as app:
        yield app


def test_with_passwords_off_only_the_break_glass_admin_signs_in_with_one(passwordless):
    staff = People(passwordless)
    staff.user("root@example.com", "admin")
    staff.user("ada@example.com", "admin", "mentor")
    client = passwordless.test_client()
    answer = sign_in(client, "ada@example.com")
    assert answer.status_code == 401 and "do not match one" in answer.get_data(as_text=True)
    assert 'value="ada@example.com"' in answer.get_data(as_text=True)  # what was typed stays
    assert client.get("/admin/").status_code == 302
    assert sign_in(client, "root@example.com").location == "/admin/"


def test_a_break_glass_address_that_is_no_longer_an_admin_is_refused(passwordless):
    People(passwordless).user("root@example.com", "trainee")
    answer = sign_in(passwordless.test_client(), "root@example.com")
    assert answer.status_code == 401 and "do not match one" in answer.get_data(as_text=True)


def test_with_passwords_off_the_page_leads_with_the_provider(passwordless):
    page = passwordless.test_client().get("/login").get_data(as_text=True)
    assert page.index("Sign in with Example SSO") < page.index("Break-glass administrator sign-in")
    assert "<details" in page and "Forgot your password" not in page


def test_wrong_password_of_the_break_glass_admin_is_still_throttled(passwordless):
    People(passwordless).user("root@example.com", "admin")
    client = passwordless.test_client()
    for _ in range(10):
        sign_in(client, "root@example.com", "wrong password")
    assert sign_in(client, "root@example.com", PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"OIDC_ISSUER": "ftp://sso.example.com"}, "OIDC_ISSUER must be the provider's https address"),
        ({"OIDC_ISSUER": "http://sso.example.com"}, "OIDC_ISSUER must be the provider's https address"),
        ({"OIDC_ISSUER": "https://sso.example.com"}, "OIDC_CLIENT_ID and ACADEMY_OIDC_CLIENT_SECRET"),
        (
            {
                "OIDC_ISSUER": "https://sso.example.com",
                "OIDC_CLIENT_ID": "a",
                "OIDC_CLIENT_SECRET": "b",
                "OIDC_SCOPES": "email",
            },
            "must include openid",
        ),
        ({"OIDC_ROLE_MAP": "mentors=wizard"}, "unknown role 'wizard'"),
        ({"OIDC_ROLE_MAP": "mentors"}, "group=role pairs"),
        ({"OIDC_ROLE_MAP": "it-admins=admin"}, "cannot give admin"),
        ({"OIDC_ROLE_MAP": "a=mentor,A=manager"}, "two roles"),
        ({"PASSWORD_SIGN_IN": "maybe"}, "on or off"),
        ({"PASSWORD_SIGN_IN": "off"}, "needs ACADEMY_OIDC_ISSUER"),
    ],
)
def test_settings_that_cannot_work_are_refused_at_start(migrated, settings, problem):
    with pytest.raises(ValueError, match=problem), own_app(migrated, **settings):
        pass


@pytest.mark.parametrize(
    "query",
    [
        "",
        "code=abc",
        "state=abc",
        "code=abc&state=abc",
        "code=" + "x" * 5000 + "&state=" + "y" * 5000,
        "error=" + "%E2%80%AE" * 50,
        "code=%FF%FE&state=%00",
        "code[]=1&state[]=2",
    ],
    ids=["nothing", "code-only", "state-only", "unknown-state", "huge", "odd-error", "bad-bytes", "brackets"],
)
def test_whatever_comes_back_to_the_callback_is_a_clear_refusal(sso, query):
    client = sso.test_client()
    start(client)  # a sign-in under way, so that the session holds a state to compare with
    answer = client.get(f"/login/oidc/callback?{query}")
    assert answer.status_code == 400
    assert client.get("/learn").status_code == 302


def test_a_wrong_password_and_an_address_that_is_not_break_glass_get_the_same_answer(passwordless):
    staff = People(passwordless)
    staff.user("root@example.com", "admin")
    staff.user("ada@example.com", "admin")
    answers = [
        sign_in(passwordless.test_client(), "root@example.com", "a wrong but long password"),
        sign_in(passwordless.test_client(), "ada@example.com"),  # her right password: not a break-glass address
        sign_in(passwordless.test_client(), "nobody@example.com"),
    ]
    errors = [a.get_data(as_text=True).split('role="alert">')[1].split("<")[0] for a in answers]
    assert [a.status_code for a in answers] == [401, 401, 401] and len(set(errors)) == 1
    assert [json.loads(r.detail or "{}") for r in audit_rows(passwordless, "login.succeeded")] == []


def test_an_unknown_person_with_an_unverified_address_gets_no_account_even_when_accounts_are_made(migrated, provider):
    provider.set_user("sub-new", email="new@example.com", email_verified=False, groups=["sre-academy-mentors"])
    with own_app(migrated, **provider.settings(OIDC_CREATE_USERS="true")) as app:
        answer = sign_in_as(app.test_client(), provider, "sub-new")
        assert answer.status_code == 400 and "is verified" in answer.get_data(as_text=True)
        with People(app).session() as s:
            assert s.exec(select(User)).all() == []


def test_with_the_groups_claim_set_empty_roles_stay_as_admins_set_them(migrated, provider):
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True)  # no groups at all
    with own_app(migrated, **provider.settings(OIDC_GROUPS_CLAIM="")) as app:
        person = People(app).user("ada@example.com", "mentor")
        assert sign_in_as(app.test_client(), provider, "sub-ada").location == "/reviews"
        with People(app).session() as s:
            assert roles_of(s, person.id) == {"mentor"}


def test_roles_of_a_person_that_provisioning_manages_are_not_changed_by_signing_in(sso, staff, provider):
    person = staff.user("ada@example.com", "mentor")
    with staff.session() as s:
        user = s.get(User, person.id)
        user.external_id = "00u-ada"  # SCIM knows her: its groups give her roles
        s.add(user)
        s.commit()
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    assert sign_in_as(sso.test_client(), provider, "sub-ada").location == "/reviews"
    with staff.session() as s:
        assert roles_of(s, person.id) == {"mentor"}
    assert audit_rows(sso, "user.roles_changed") == []


def test_the_providers_sign_out_gets_the_id_token_as_a_hint(sso, staff, provider):
    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    client = sso.test_client()
    sign_in_as(client, provider, "sub-ada")
    client.post("/logout")
    page = client.get("/login").get_data(as_text=True)
    hint = page.split("id_token_hint=")[1].split('"')[0]
    assert hint.count(".") == 2 and len(hint) > 100  # a JWT: header, claims, signature


def test_a_provider_without_its_own_sign_out_is_not_offered(sso, staff, provider, monkeypatch):
    from academy.identity import oidc

    staff.user("ada@example.com", "trainee")
    provider.set_user("sub-ada", email="ada@example.com", email_verified=True, groups=["sre-academy-trainees"])
    client = sso.test_client()
    sign_in_as(client, provider, "sub-ada")
    with sso.app_context():
        metadata = oidc.client().load_server_metadata()
        monkeypatch.setitem(metadata, "end_session_endpoint", None)
    client.post("/logout")
    page = client.get("/login").get_data(as_text=True)
    assert "Sign out of" not in page and "You have signed out." in page
