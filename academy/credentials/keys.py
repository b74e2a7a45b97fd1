"""The installation's own signing key for credentials: Ed25519, made once into the instance folder like the secret
key (ACADEMY_CREDENTIAL_KEY_FILE puts it elsewhere), never in the code. Every worker and every restart read the
same file, so a credential signed by one worker verifies against the key the others publish."""

import os
import tempfile
from pathlib import Path

from flask import Flask
from joserfc.jwk import OKPKey

from ..links import external_url

KEY_FILE = "credential_signing_key.pem"


def key_path(app: Flask) -> Path:
    return Path(app.config.get("CREDENTIAL_KEY_FILE") or Path(app.instance_path) / KEY_FILE)


def signing_key(app: Flask) -> OKPKey:
    """The key, read once per app; made on first use, when no file exists yet (a credential, or the JWKS)."""
    key = app.extensions.get("academy.credential_key")
    if key is None:
        key = app.extensions["academy.credential_key"] = read_or_make(key_path(app))
    return key


def read_or_make(path: Path) -> OKPKey:
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        pem = make_key_file(path)
    key = OKPKey.import_key(pem)
    if key.curve_name != "Ed25519" or not key.is_private:
        raise RuntimeError(f"{path} must hold an Ed25519 private key in PEM, as the academy makes it")
    return key


def make_key_file(path: Path) -> bytes:
    """Written whole to a private temporary file (mode 0600), then linked into place: a worker starting at the same
    moment finds no file or the whole key, never half of one. The first link wins; every worker uses its key."""
    pem = OKPKey.generate_key("Ed25519").as_pem(private=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise RuntimeError(
            f"The credential signing key {path} does not exist and cannot be made ({error.strerror}): make its "
            "folder writable by the user the academy runs as, or set ACADEMY_CREDENTIAL_KEY_FILE"
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        os.link(draft, path)
    except FileExistsError:
        return path.read_bytes()
    finally:
        os.unlink(draft)
    return pem


def key_id(key: OKPKey) -> str:
    """The `kid` of the JOSE header and of the key in the JWKS: where the key is published, and which one it is
    (its RFC 7638 thumbprint), so a verifier can fetch the set and pick the key."""
    return f"{external_url('credentials.jwks')}#{key.thumbprint()}"


def key_set(key: OKPKey) -> dict:
    """The public half as a JSON Web Key Set; never the private `d`."""
    return {"keys": [{**key.as_dict(private=False), "kid": key_id(key), "use": "sig", "alg": "EdDSA"}]}
