"""A graduate's credential: a public page anyone with the address may read, and the same as an Open Badges 3.0
credential signed as a VC-JWT with the installation's own Ed25519 key. Checked here with code that shares nothing
with the signer: PyJWT against the JWKS the app publishes, and openbadgeslib's OB3 verifier (with its revocation
check, which reads the app's status list through the test client: no network)."""

import base64
import hashlib
import json
import secrets
import threading
from datetime import UTC, datetime
from urllib.parse import urlsplit

import jwt
import pytest
from joserfc.jwk import OKPKey
from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier
from sqlmodel import Session, select

from academy.credentials import keys
from academy.credentials.services import CredentialError, issue_credential, revoke_credential
from academy.models import AuditEntry, Credential, ReadinessDecision, ReadinessRequest
from tests.conftest import make_app

COMPLETED = ["Linux shell lab", "SLOs and error budgets", "Three shadow on-call shifts", "Incident drill as scribe"]
DECIDERS = ["Mira Mentor", "Max Manager", "Ada Admin"]
PROGRAMME = "SRE Academy on-call readiness"
CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


# ------------------------------------------------------------------ making a graduate without the readiness pages


def ready_decision(s: Session, trainee, decider, outcome: str = "ready") -> ReadinessDecision:
    """The rows the readiness service writes when a panel decides: a decided request and its decision."""
    request = ReadinessRequest(trainee_id=trainee.id, requested_by=trainee.id, status="decided")
    s.add(request)
    s.flush()
    decision = ReadinessDecision(request_id=request.id, decided_by=decider.id, outcome=outcome, rationale="Calm.")
    s.add(decision)
    s.flush()
    return decision


def graduate(app, academy, trainee=None, **kwargs) -> Credential:
    """Issue the credential of `trainee` (default: the academy's trainee) and commit, as the readiness service does."""
    trainee = trainee or academy.trainee
    with app.test_request_context(), Session(app.extensions["academy.engine"], expire_on_commit=False) as s:
        credential = issue_credential(
            s,
            trainee=trainee,
            decision=ready_decision(s, trainee, academy.mentor),
            cohort_name=kwargs.get("cohort_name", "Cohort A"),
            completed=kwargs.get("completed", COMPLETED),
            decided_by=kwargs.get("decided_by", DECIDERS),
        )
        s.commit()
        return credential


def fresh(app, credential_id: int) -> Credential:
    with Session(app.extensions["academy.engine"]) as s:
        return s.get(Credential, credential_id)


def fetch(client):
    """openbadgeslib's `download` hook: its fetches of our URLs go to the test client instead of the network."""

    def download(url: str) -> bytes:
        response = client.get(urlsplit(url).path)
        assert response.status_code == 200, (url, response.status_code)
        return response.data

    return download


def published_keys(client) -> dict:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200 and response.mimetype == "application/jwk-set+json"
    return response.get_json()


def pyjwt_claims(token: str, jwks: dict, required=("iss", "sub", "jti", "nbf")) -> dict:
    """PyJWT's verification: the key the token's kid names in the published set, EdDSA only."""
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(token, key=key, algorithms=["EdDSA"], options={"require": list(required)})


def ob3_verifier(jwks: dict) -> OB3Verifier:
    """openbadgeslib's verifier, given the published key (its did:web resolver would go to the network)."""
    return OB3Verifier(pubkey_pem=jwt.PyJWK(jwks["keys"][0]).key)


def ob3_verified(client, token: str):
    verifier = ob3_verifier(published_keys(client))
    return verifier.verify(token, check_status=True, verify_status_list=True, download=fetch(client))


def payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def with_payload(token: str, claims: dict) -> str:
    """The same header and signature around another payload: what someone editing the file would make."""
    header, _, signature = token.split(".")
    body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{header}.{body}.{signature}"


# ------------------------------------------------------------------ the public page


def test_the_public_page_shows_the_credential_to_anyone_without_signing_in(app, academy):
    credential = graduate(app, academy)
    response = app.test_client().get(f"/credentials/{credential.public_id}")

    assert response.status_code == 200, response.headers.get("Location")
    html = response.get_data(as_text=True)
    for text in ("Trainee", PROGRAMME, "Cohort A", credential.issued_at.strftime("%d %b %Y"), *COMPLETED):
        assert text in html
    assert "Mira Mentor, Max Manager, Ada Admin" in html
    assert "Valid" in html and "Revoked" not in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert '<meta name="robots" content="noindex">' in html


def test_the_public_address_is_unguessable(app, academy):
    first, second = graduate(app, academy), graduate(app, academy, trainee=academy.trainee2)
    assert first.public_id != second.public_id
    assert len(first.public_id) >= 43  # 32 random bytes
    assert app.test_client().get(f"/credentials/{first.id}").status_code == 404  # the row number finds nothing


@pytest.mark.parametrize(
    "path",
    [
        "/credentials/{unknown}",
        "/credentials/{unknown}/credential.jwt",
        "/credentials/{unknown}/credential.json",
        "/credentials/{unknown}/status",
        "/credentials/short",
        "/credentials/" + "a" * 500,
        "/credentials/..%2F..%2Fetc",
    ],
)
def test_an_unknown_address_answers_404(app, academy, path):
    graduate(app, academy)
    response = app.test_client().get(path.format(unknown=secrets.token_urlsafe(32)))
    assert response.status_code == 404
    if path.endswith(("/status", ".json")):
        assert response.is_json and response.get_json()["error"] == "Page not found"


# ------------------------------------------------------------------ the signed credential


def test_the_vc_jwt_verifies_with_pyjwt_against_the_published_key_set(app, academy):
    credential = graduate(app, academy)
    client = app.test_client()
    jwks = published_keys(client)

    claims = pyjwt_claims(credential.jwt, jwks)
    header = jwt.get_unverified_header(credential.jwt)
    assert header["alg"] == "EdDSA" and header["typ"] == "JWT"
    assert [k["kid"] for k in jwks["keys"]] == [header["kid"]]
    assert header["kid"].startswith("http://localhost/.well-known/jwks.json#")
    assert {(k["kty"], k["crv"], k["alg"], k["use"]) for k in jwks["keys"]} == {("OKP", "Ed25519", "EdDSA", "sig")}
    assert "d" not in jwks["keys"][0]  # never the private half
    assert claims["iss"] == claims["issuer"]["id"]
    assert claims["jti"] == claims["id"] == f"http://localhost/credentials/{credential.public_id}"
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["nbf"] == int(datetime.fromisoformat(claims["validFrom"]).timestamp())


def test_it_passes_openbadgeslibs_ob3_verification_with_its_revocation_status(app, academy):
    credential = graduate(app, academy)
    verified = ob3_verified(app.test_client(), credential.jwt)

    assert verified.achievement.name == PROGRAMME
    assert verified.issuer.id == "http://localhost/credentials/issuer" and verified.issuer.name == "SRE Academy"
    assert verified.id == f"http://localhost/credentials/{credential.public_id}"


def test_the_credential_holds_the_open_badges_3_fields(app, academy):
    credential = graduate(app, academy)
    vc = payload(credential.jwt)

    assert vc["@context"] == CONTEXT
    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(vc["type"])
    assert vc["issuer"] == {"id": "http://localhost/credentials/issuer", "type": ["Profile"], "name": "SRE Academy"}
    assert vc["validFrom"] == credential.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert vc["name"] == PROGRAMME
    subject = vc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"] and subject["term"] == "Cohort A"
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"] and achievement["name"] == PROGRAMME
    assert achievement["id"] and achievement["description"] and achievement["criteria"]["narrative"]
    name, email = subject["identifier"]
    assert (name["identityType"], name["hashed"], name["identityHash"]) == ("name", False, "Trainee")
    assert email["hashed"] is True and "trainee@example.com" not in credential.jwt
    digest = hashlib.sha256(("trainee@example.com" + email["salt"]).encode()).hexdigest()
    assert email["identityHash"] == f"sha256${digest}"  # the graduate can prove it is their address
    completed, decided = vc["evidence"]
    assert completed["narrative"] == "\n".join(f"- {item}" for item in COMPLETED)
    assert decided["narrative"] == ", ".join(DECIDERS)
    assert vc["credentialStatus"] == {
        "id": f"http://localhost/credentials/status-list#{credential.id}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(credential.id),
        "statusListCredential": "http://localhost/credentials/status-list",
    }


def test_addresses_in_the_credential_come_from_the_academys_base_url_not_the_request(migrated, people):
    app = make_app(migrated, BASE_URL="https://academy.example.com")
    trainee, mentor = people.user("grad@example.com", "trainee"), people.user("m@example.com", "mentor")
    with app.test_request_context(headers={"Host": "evil.example"}), Session(app.extensions["academy.engine"]) as s:
        credential = issue_credential(
            s, trainee=trainee, decision=ready_decision(s, trainee, mentor), cohort_name="", completed=[], decided_by=[]
        )
        token = credential.jwt
        s.commit()
    vc, header = payload(token), jwt.get_unverified_header(token)
    assert vc["id"].startswith("https://academy.example.com/credentials/")
    assert vc["issuer"]["url"] == "https://academy.example.com/" and "term" not in vc["credentialSubject"]
    assert header["kid"].startswith("https://academy.example.com/.well-known/jwks.json#")
    assert "evil.example" not in json.dumps(vc)
    app.extensions["academy.engine"].dispose()


def test_a_tampered_credential_fails_both_verifications(app, academy):
    credential = graduate(app, academy)
    client = app.test_client()
    jwks = published_keys(client)
    claims = payload(credential.jwt)
    assert "Trainee" in json.dumps(claims)
    forged = with_payload(credential.jwt, json.loads(json.dumps(claims).replace('"Trainee"', '"Trainer"')))

    with pytest.raises(jwt.InvalidSignatureError):
        pyjwt_claims(forged, jwks)
    with pytest.raises(OB3VerificationError, match="Invalid signature"):
        ob3_verifier(jwks).verify(forged)
    # and one character of the original payload changed, as a careless edit of the file would
    header, body, signature = credential.jwt.split(".")
    flipped = f"{header}.{body[:40]}{'A' if body[40] != 'A' else 'B'}{body[41:]}.{signature}"
    with pytest.raises(jwt.InvalidTokenError):
        pyjwt_claims(flipped, jwks)
    with pytest.raises(OB3VerificationError):
        ob3_verifier(jwks).verify(flipped)


def test_a_credential_signed_by_another_key_fails_both_verifications(app, academy):
    credential = graduate(app, academy)
    jwks = published_keys(app.test_client())
    from joserfc import jwt as jose_jwt

    header = jwt.get_unverified_header(credential.jwt)
    impostor = jose_jwt.encode(header, payload(credential.jwt), OKPKey.generate_key("Ed25519"), algorithms=["EdDSA"])
    with pytest.raises(jwt.InvalidSignatureError):
        pyjwt_claims(impostor, jwks)
    with pytest.raises(OB3VerificationError, match="Invalid signature"):
        ob3_verifier(jwks).verify(impostor)


# ------------------------------------------------------------------ the signing key


def key_in(instance, migrated, monkeypatch):
    """The signing key of an app whose instance folder is `instance` (as in production: no key file setting)."""
    monkeypatch.delenv("ACADEMY_CREDENTIAL_KEY_FILE", raising=False)
    app = make_app(migrated)
    app.instance_path = str(instance)
    try:
        return keys.signing_key(app)
    finally:
        app.extensions["academy.engine"].dispose()


def test_the_signing_key_is_made_once_into_the_instance_folder_and_kept(migrated, monkeypatch, tmp_path):
    first = key_in(tmp_path / "instance", migrated, monkeypatch)
    path = tmp_path / "instance" / keys.KEY_FILE

    assert path.is_file() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert b"PRIVATE KEY" in path.read_bytes()
    assert key_in(tmp_path / "instance", migrated, monkeypatch).thumbprint() == first.thumbprint()  # a restart
    assert key_in(tmp_path / "other", migrated, monkeypatch).thumbprint() != first.thumbprint()  # a new installation
    assert [p.name for p in (tmp_path / "instance").iterdir()] == [keys.KEY_FILE]  # no draft left behind


def test_workers_starting_together_share_one_key(tmp_path):
    path, found, start = tmp_path / keys.KEY_FILE, [], threading.Barrier(8)

    def worker():
        start.wait()
        found.append(keys.read_or_make(path).thumbprint())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 8 and len(set(found)) == 1
    assert OKPKey.import_key(path.read_bytes()).thumbprint() == found[0]


def test_credentials_signed_before_a_restart_verify_with_the_key_published_after_it(app, academy, migrated):
    credential = graduate(app, academy)
    restarted = make_app(migrated)  # the same key file, as every worker and restart reads it
    try:
        assert pyjwt_claims(credential.jwt, published_keys(restarted.test_client()))["jti"].endswith(
            credential.public_id
        )
    finally:
        restarted.extensions["academy.engine"].dispose()


def test_the_key_is_not_in_the_code():
    from pathlib import Path

    for source in (Path(__file__).resolve().parent.parent / "academy").rglob("*.py"):
        assert "PRIVATE KEY-----" not in source.read_text(), source


# ------------------------------------------------------------------ issuing, in the caller's transaction


def test_issuing_adds_to_the_callers_transaction_and_audits(app, academy):
    with app.test_request_context(), Session(app.extensions["academy.engine"]) as s:
        decision = ready_decision(s, academy.trainee, academy.mentor)
        credential = issue_credential(
            s, trainee=academy.trainee, decision=decision, cohort_name="Cohort A", completed=[], decided_by=[]
        )
        assert credential.decision_id == decision.id and credential.trainee_id == academy.trainee.id
        assert json.loads(credential.summary) == {"completed": [], "decided_by": []}
        issued = s.exec(select(AuditEntry).where(AuditEntry.action == "credential.issued")).one()
        assert issued.target == "trainee@example.com" and json.loads(issued.detail)["credential"] == credential.id
        s.rollback()  # the caller's decision failed: nothing of the credential stays
    with Session(app.extensions["academy.engine"]) as s:
        assert s.exec(select(Credential)).all() == []
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "credential.issued")).all() == []


@pytest.mark.parametrize("case", ["not yet", "someone else's decision"])
def test_a_credential_is_only_for_a_ready_decision_about_that_trainee(app, academy, case):
    with app.test_request_context(), Session(app.extensions["academy.engine"]) as s:
        if case == "not yet":
            decision = ready_decision(s, academy.trainee, academy.mentor, outcome="not_yet")
        else:
            decision = ready_decision(s, academy.trainee2, academy.mentor)
        with pytest.raises(CredentialError, match="only for a panel"):
            issue_credential(
                s, trainee=academy.trainee, decision=decision, cohort_name="A", completed=[], decided_by=[]
            )
        assert s.exec(select(Credential)).all() == []


# ------------------------------------------------------------------ revoking


def revoke(client, credential, reason: str):
    return client.post("/admin/credentials/revoke", data={"credential": str(credential.id), "reason": reason})


@pytest.mark.parametrize("who", ["trainee", "trainee2", "mentor", "manager"])
def test_only_an_admin_may_revoke(app, academy, as_role, who):
    credential = graduate(app, academy)
    client = as_role(who)

    assert revoke(client, credential, "Mistake.").status_code == 403
    assert client.get("/admin/credentials").status_code == 403
    assert fresh(app, credential.id).revoked_at is None


def test_nobody_signed_in_is_sent_to_sign_in(app, academy):
    credential = graduate(app, academy)
    response = revoke(app.test_client(), credential, "Mistake.")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert fresh(app, credential.id).revoked_at is None


def test_an_admin_revokes_with_a_reason_and_everyone_sees_it_is_revoked(app, academy, as_role):
    credential = graduate(app, academy)
    admin, public = as_role("admin"), app.test_client()
    page = admin.get("/admin/credentials").get_data(as_text=True)
    assert "trainee@example.com" in page and f'name="credential" value="{credential.id}"' in page

    response = revoke(admin, credential, "Issued to the wrong person.")

    assert response.status_code == 302
    assert "is revoked" in admin.get(response.headers["Location"]).get_data(as_text=True)
    row = fresh(app, credential.id)
    assert row.revoked_at and row.revoked_by == academy.admin.id and row.revoke_reason == "Issued to the wrong person."
    with Session(app.extensions["academy.engine"]) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "credential.revoked")).one()
    assert entry.actor_id == academy.admin.id and entry.target == "trainee@example.com"
    assert json.loads(entry.detail) == {"credential": credential.id, "reason": "Issued to the wrong person."}
    html = public.get(f"/credentials/{credential.public_id}").get_data(as_text=True)
    assert "Revoked." in html and "Valid" not in html and "wrong person" not in html  # the reason stays inside
    status = public.get(f"/credentials/{credential.public_id}/status")
    assert status.mimetype == "application/json"
    assert status.get_json()["status"] == "revoked"
    assert datetime.fromisoformat(status.get_json()["revoked_at"]) == row.revoked_at.replace(microsecond=0, tzinfo=UTC)
    with pytest.raises(OB3VerificationError, match="revocation"):
        ob3_verified(public, credential.jwt)
    pyjwt_claims(credential.jwt, published_keys(public))  # still our signature: revoked is a status, not a forgery


def test_the_status_says_valid_until_then(app, academy):
    credential = graduate(app, academy)
    status = app.test_client().get(f"/credentials/{credential.public_id}/status").get_json()
    assert status["status"] == "valid" and status["revoked_at"] is None


@pytest.mark.parametrize("reason", ["", "   \n  ", "x" * 1001])
def test_a_revocation_without_a_fitting_reason_is_refused_and_keeps_what_was_typed(app, academy, as_role, reason):
    credential = graduate(app, academy)

    response = revoke(as_role("admin"), credential, reason)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    top = html.index('<div class="flash flash-error" role="alert">')
    assert html.index("The credential was not revoked.", top) < html.index("<table")  # said at the top
    message = "Keep the reason under 1,000 characters." if reason.strip() else "Give the reason for revoking it"
    assert message in html[top : html.index("<table")] and message in html[html.index("<table") :]  # and at the field
    assert f'aria-invalid="true">{reason}</textarea>' in html
    assert fresh(app, credential.id).revoked_at is None
    with Session(app.extensions["academy.engine"]) as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "credential.revoked")).all() == []


def test_revoking_twice_is_refused_with_a_message(app, academy, as_role):
    credential = graduate(app, academy)
    admin = as_role("admin")
    assert revoke(admin, credential, "First time.").status_code == 302
    first = fresh(app, credential.id)

    again = revoke(admin, credential, "Second time.")

    assert again.status_code == 409
    assert "was already revoked on" in again.get_data(as_text=True)
    assert fresh(app, credential.id).revoke_reason == "First time." and fresh(app, credential.id) == first


def test_the_service_refuses_with_a_value_error_for_the_person(app, academy):
    credential = graduate(app, academy)
    with Session(app.extensions["academy.engine"]) as s:
        row = s.get(Credential, credential.id)
        with pytest.raises(ValueError, match="Give the reason"):
            revoke_credential(s, credential=row, admin=academy.admin, reason=" ")
        revoke_credential(s, credential=row, admin=academy.admin, reason="Fraud.")
        with pytest.raises(CredentialError, match="already revoked"):
            revoke_credential(s, credential=row, admin=academy.admin, reason="Again.")


def test_of_two_admins_revoking_at_once_the_second_is_told_it_is_done(app, academy):
    credential = graduate(app, academy)
    engine = app.extensions["academy.engine"]
    with Session(engine, expire_on_commit=False) as late, Session(engine) as first:
        seen_unrevoked = late.get(Credential, credential.id)  # the page the second admin had open
        late.commit()
        revoke_credential(first, credential=first.get(Credential, credential.id), admin=academy.admin, reason="One.")
        first.commit()
        assert seen_unrevoked.revoked_at is None
        with pytest.raises(CredentialError, match="already revoked"):
            revoke_credential(late, credential=seen_unrevoked, admin=academy.admin, reason="Two.")
    assert fresh(app, credential.id).revoke_reason == "One."


def test_a_decision_gets_one_credential(app, academy):
    with app.test_request_context(), Session(app.extensions["academy.engine"]) as s:
        decision = ready_decision(s, academy.trainee, academy.mentor)
        issue = dict(trainee=academy.trainee, decision=decision, cohort_name="A", completed=[], decided_by=[])
        issue_credential(s, **issue)
        with pytest.raises(CredentialError, match="already issued"):
            issue_credential(s, **issue)


@pytest.mark.parametrize(("credential", "status"), [("999999", 404), ("", 400), ("one", 400), ("9" * 30, 400)])
def test_revoking_an_unknown_credential_changes_nothing(app, academy, as_role, credential, status):
    known = graduate(app, academy)
    response = as_role("admin").post("/admin/credentials/revoke", data={"credential": credential, "reason": "x"})
    assert response.status_code == status
    assert fresh(app, known.id).revoked_at is None


# ------------------------------------------------------------------ the graduate's account page


def test_the_graduate_finds_and_downloads_their_credential_on_their_account_page(app, academy, as_role):
    credential = graduate(app, academy)
    trainee = as_role("trainee")
    html = trainee.get("/account").get_data(as_text=True)
    links = [
        f"/credentials/{credential.public_id}",
        f"/credentials/{credential.public_id}/credential.jwt",
        f"/credentials/{credential.public_id}/credential.json",
    ]
    for link in links:
        assert f'href="{link}"' in html
    assert credential.public_id not in as_role("trainee2").get("/account").get_data(as_text=True)

    download = trainee.get(links[1])
    assert download.mimetype == "application/jwt" and download.get_data(as_text=True) == credential.jwt
    assert download.headers["Content-Disposition"] == 'attachment; filename="sre-academy-on-call-readiness.jwt"'
    view = trainee.get(links[2])
    assert view.mimetype == "application/json" and view.get_json() == payload(credential.jwt)


# ------------------------------------------------------------------ what verifiers fetch


def test_what_verifiers_fetch_answers_in_its_own_type_to_any_origin(app, academy):
    credential = graduate(app, academy)
    client = app.test_client()
    answers = {
        "/.well-known/jwks.json": "application/jwk-set+json",
        "/credentials/issuer": "application/json",
        "/credentials/status-list": "application/jwt",
        f"/credentials/{credential.public_id}/status": "application/json",
        f"/credentials/{credential.public_id}/credential.json": "application/json",
        f"/credentials/{credential.public_id}/credential.jwt": "application/jwt",
    }
    for path, mimetype in answers.items():
        response = client.get(path)
        assert (response.status_code, response.mimetype) == (200, mimetype), path
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
    assert client.get("/.well-known/jwks.json").headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/credentials/issuer").get_json()["id"] == payload(credential.jwt)["issuer"]["id"]


def test_the_status_list_is_signed_and_sets_only_the_revoked_credentials_bit(app, academy, as_role):
    from openbadgeslib.ob3 import decode_encoded_list, set_indices

    kept, revoked = graduate(app, academy), graduate(app, academy, trainee=academy.trainee2)
    revoke(as_role("admin"), revoked, "Withdrawn by the panel.")
    token = app.test_client().get("/credentials/status-list").get_data(as_text=True)

    claims = pyjwt_claims(token, published_keys(app.test_client()), required=("iss", "jti", "nbf", "exp"))
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    bits = decode_encoded_list(claims["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == 131_072 and set_indices(bits) == {revoked.id} and kept.id != revoked.id
    assert claims["exp"] - claims["nbf"] == 3600  # an old copy cannot hide a revocation for long


# ------------------------------------------------------------------ export and restore


def test_export_user_holds_the_credential_and_a_revoked_one_stays_revoked(app, academy, as_role, runner):
    credential = graduate(app, academy)
    revoke(as_role("admin"), credential, "Issued in error.")

    result = runner.invoke(args=["academy", "export-user", "trainee@example.com"])

    assert result.exit_code == 0, result.output
    [exported] = json.loads(result.output)["credentials"]
    assert exported["public_id"] == credential.public_id and exported["jwt"] == credential.jwt
    assert exported["revoked_at"] and exported["revoke_reason"] == "Issued in error."
    assert "PRIVATE KEY" not in result.output
    assert keys.signing_key(app).as_dict(private=True)["d"] not in result.output
    assert (
        json.loads(runner.invoke(args=["academy", "export-user", "trainee2@example.com"]).output)["credentials"] == []
    )


def test_a_revoked_credential_is_still_revoked_after_a_restore(app, academy, as_role, runner, tmp_path):
    credential = graduate(app, academy)
    revoke(as_role("admin"), credential, "Issued in error.")
    backup = tmp_path / "academy.backup"
    assert runner.invoke(args=["academy", "backup", str(backup)]).exit_code == 0
    with app.extensions["academy.engine"].begin() as conn:  # lost after the backup
        conn.execute(Credential.__table__.update().values(revoked_at=None, revoked_by=None, revoke_reason=None))
    assert app.test_client().get(f"/credentials/{credential.public_id}/status").get_json()["status"] == "valid"

    assert runner.invoke(args=["academy", "restore", "--yes", str(backup)]).exit_code == 0

    client = app.test_client()
    assert client.get(f"/credentials/{credential.public_id}/status").get_json()["status"] == "revoked"
    with pytest.raises(OB3VerificationError, match="revocation"):
        ob3_verified(client, credential.jwt)
