"""The credential as an Open Badges 3.0 OpenBadgeCredential (a W3C Verifiable Credential), signed as a VC-JWT in
the form of the specification's section 8.2: the credential JSON is the JWT's payload, beside the registered
claims iss, sub, jti and nbf, under a JOSE header of alg EdDSA, typ JWT and the kid of our published key."""

import hashlib
import json
import secrets
import uuid
import warnings
from datetime import UTC, datetime

from flask import current_app
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jws import extract_compact

from ..links import base_url, external_url
from ..models import Credential
from .keys import key_id, signing_key
from .status_list import status_entry

# Open Badges 3.0 and its verifiers name the Ed25519 signature "EdDSA"; RFC 9864's newer name, "Ed25519", which
# joserfc prefers, is one they do not read yet.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
PROGRAMME = "SRE Academy on-call readiness"
ISSUER_NAME = "SRE Academy"
DESCRIPTION = (
    "Awarded to a graduate of SRE Academy whom a readiness panel decided is ready to join an on-call rotation as a "
    "Site Reliability Engineer."
)
CRITERIA = (
    "Complete the SRE Academy curriculum (modules, knowledge checks and hands-on labs signed off by mentors) and its "
    "practicum (shadow shifts, incident drills and on-call practice confirmed by mentors), then be decided ready for "
    "on-call by a readiness panel."
)


def issuer_profile() -> dict:
    """The issuer as an Open Badges Profile; its id is the address that serves this same profile."""
    profile = {"id": external_url("credentials.issuer"), "type": ["Profile"], "name": ISSUER_NAME}
    if base := base_url():
        profile["url"] = base + "/"
    return profile


def achievement() -> dict:
    return {
        "id": f"{external_url('credentials.issuer')}#on-call-readiness",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": PROGRAMME,
        "description": DESCRIPTION,
        "criteria": {"narrative": CRITERIA},
    }


def subject(credential: Credential, email: str) -> dict:
    """The graduate has no DID of their own: a random URN names them in this credential; `identifier` carries their
    name, and their e-mail address salted and hashed, which they can prove and nobody can read off."""
    salt = secrets.token_hex(16)
    email_hash = hashlib.sha256((email + salt).encode()).hexdigest()
    found = {
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": credential.subject_name,
            },
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": f"sha256${email_hash}",
                "salt": salt,
            },
        ],
        "achievement": achievement(),
    }
    if credential.cohort_name:
        found["term"] = credential.cohort_name
    return found


def evidence(summary: dict) -> list[dict]:
    """What was completed, and who decided: the same words the public page shows."""
    completed = "\n".join(f"- {item}" for item in summary["completed"]) or "—"
    return [
        {"type": ["Evidence"], "name": "What was completed", "narrative": completed},
        {"type": ["Evidence"], "name": "Who decided", "narrative": ", ".join(summary["decided_by"]) or "—"},
    ]


def credential_claims(credential: Credential, *, email: str) -> dict:
    """The OpenBadgeCredential with the JWT's registered claims; the credential must have its id (a flushed row),
    which is its place in the status list."""
    issued = iso(credential.issued_at)
    document = {
        "@context": CONTEXT,
        "id": external_url("credentials.public", public_id=credential.public_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(),
        "validFrom": issued,
        "name": PROGRAMME,
        "description": DESCRIPTION,
        "credentialSubject": subject(credential, email),
        "evidence": evidence(json.loads(credential.summary)),
        "credentialStatus": status_entry(credential.id),
    }
    registered = {
        "iss": document["issuer"]["id"],
        "sub": document["credentialSubject"]["id"],
        "jti": document["id"],
        "nbf": int(as_utc(credential.issued_at).timestamp()),
    }
    return document | registered


def signed(claims: dict) -> str:
    """A compact JWS of `claims` with the installation's key."""
    key = signing_key(current_app)
    header = {"alg": "EdDSA", "typ": "JWT", "kid": key_id(key)}
    return jwt.encode(header, claims, key, algorithms=["EdDSA"])


def claims_of(token: str) -> dict:
    """The payload of a token the academy signed and stored itself: read, not verified (verifying is for others)."""
    return json.loads(extract_compact(token.encode()).payload)


def as_utc(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite hands some back without their zone."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """A time as Verifiable Credentials write it: UTC, to the second, with a Z."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
