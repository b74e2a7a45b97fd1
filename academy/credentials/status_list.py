"""Revocation that any Open Badges 3.0 verifier can check: a W3C Bitstring Status List with one bit a credential (at
the credential's id), set when it is revoked. The list is a credential too, signed afresh for each request and valid
for an hour, so that an old copy cannot hide a revocation for longer than that."""

import base64
import gzip
from collections.abc import Iterable
from datetime import datetime, timedelta

from ..links import external_url

LIST_BITS = 131_072  # the specification's smallest list: a revoked bit hides among many
VALID_FOR = timedelta(hours=1)


def status_entry(credential_id: int) -> dict:
    """The credential's `credentialStatus`: which bit of which list tells whether it is revoked."""
    url = external_url("credentials.status_list")
    return {
        "id": f"{url}#{credential_id}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(credential_id),
        "statusListCredential": url,
    }


def list_size(highest_id: int) -> int:
    """Bits enough for every credential issued so far, in whole lists of the smallest size."""
    return (highest_id // LIST_BITS + 1) * LIST_BITS


def encoded_list(revoked: Iterable[int], size: int) -> str:
    """The bits, first bit first, gzipped and base64url-encoded with multibase's "u" in front."""
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def status_list_claims(*, revoked: list[int], highest_id: int, issuer_id: str, now: datetime) -> dict:
    """The BitstringStatusListCredential, with the registered claims of a VC-JWT, ready to sign."""
    url = external_url("credentials.status_list")
    until = now + VALID_FOR
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "validUntil": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list(revoked, list_size(highest_id)),
        },
        "iss": issuer_id,
        "jti": url,
        "nbf": int(now.timestamp()),
        "exp": int(until.timestamp()),
    }
