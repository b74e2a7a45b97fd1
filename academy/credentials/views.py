"""A graduate's credential in public, without signing in: the page anyone with its address may read, the signed
VC-JWT and its JSON, its status, and what a verifier needs to check it (the status list, the issuer, the keys).
And the admins' list, where a credential is revoked."""

import json
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from .. import db
from ..inputs import id_or_400, page_number
from ..links import external_url
from ..models import Credential, User, utcnow
from ..policy import admins_only
from . import queries, services
from .forms import RevokeForm
from .keys import key_set, signing_key
from .openbadge import CONTEXT, PROGRAMME, claims_of, iso, issuer_profile, signed
from .status_list import status_list_claims

bp = Blueprint("credentials", __name__)
NOT_FOUND = "There is no credential at this address. Check that the link was copied whole."
FILE_NAME = "sre-academy-on-call-readiness"


def public_or_404(public_id: str, *, as_json: bool = False) -> Credential:
    credential = queries.by_public_id(db.session(), public_id)
    if credential is None and as_json:
        abort(json_answer({"error": "Page not found", "detail": NOT_FOUND}, status=404))
    if credential is None:
        abort(404, description=NOT_FOUND)
    return credential


def json_answer(body: dict, *, status: int = 200, mimetype: str = "application/json") -> Response:
    """For verifiers, which may run in another site's page: readable from any origin, since it is public anyway."""
    response = jsonify(body)
    response.status_code, response.mimetype = status, mimetype
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def jwt_answer(token: str, *, download: bool = False) -> Response:
    response = Response(token, mimetype="application/jwt")
    response.headers["Access-Control-Allow-Origin"] = "*"
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{FILE_NAME}.jwt"'
    return response


# ------------------------------------------------------------------ in public


@bp.get("/credentials/<public_id>")
def public(public_id: str):
    credential = public_or_404(public_id)
    summary = json.loads(credential.summary)
    return render_template("credentials/public.html", credential=credential, summary=summary, programme=PROGRAMME)


@bp.get("/credentials/<public_id>/credential.jwt")
def credential_jwt(public_id: str):
    """The signed credential as a file the graduate keeps, or loads into a wallet."""
    return jwt_answer(public_or_404(public_id).jwt, download=True)


@bp.get("/credentials/<public_id>/credential.json")
def credential_json(public_id: str):
    """What the signed credential says, readable: the JWT's payload."""
    return json_answer(claims_of(public_or_404(public_id, as_json=True).jwt))


@bp.get("/credentials/<public_id>/status")
def status(public_id: str):
    credential = public_or_404(public_id, as_json=True)
    revoked_at = iso(credential.revoked_at) if credential.revoked_at else None
    return json_answer(
        {
            "id": external_url("credentials.public", public_id=credential.public_id),
            "status": "revoked" if revoked_at else "valid",
            "revoked_at": revoked_at,
        }
    )


@bp.get("/credentials/status-list")
def status_list():
    """The Bitstring Status List every credential's `credentialStatus` points at, signed now."""
    revoked, highest = queries.revocations(db.session())
    claims = status_list_claims(
        revoked=revoked, highest_id=highest, issuer_id=issuer_profile()["id"], now=utcnow().replace(microsecond=0)
    )
    return jwt_answer(signed(claims))


@bp.get("/credentials/issuer")
def issuer():
    """The issuer's Open Badges Profile: the address every credential names as its issuer."""
    return json_answer({"@context": CONTEXT, **issuer_profile()})


@bp.get("/.well-known/jwks.json")
def jwks():
    """The public key that signs credentials and the status list; it changes only if the key file does."""
    response = json_answer(key_set(signing_key(current_app)), mimetype="application/jwk-set+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# ------------------------------------------------------------------ administration


@dataclass(frozen=True)
class Refused:
    """A revocation the service refused: which credential, what the admin typed, and why."""

    credential_id: int
    reason: str
    message: str
    field: str | None


def admin_page(*, refused: Refused | None = None, status: int = 200):
    found = queries.credentials_page(db.session(), page=page_number(request.args.get("page")))
    return render_template("credentials/admin.html", page=found, refused=refused), status


@bp.get("/admin/credentials")
@admins_only
def admin_list():
    return admin_page()


@bp.post("/admin/credentials/revoke")
@admins_only
def revoke():
    """The credential's id comes in the form, as the list page's row sends it."""
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again. Nothing was changed.")
    s = db.session()
    credential_id = id_or_400(form.credential.data, "credential")
    credential = s.get(Credential, credential_id)
    if credential is None:
        abort(404, description="There is no such credential. Nothing was changed.")
    try:
        services.revoke_credential(
            s, credential=credential, admin=s.get(User, current_user.id), reason=form.reason.data
        )
    except services.CredentialError as error:
        s.rollback()
        refused = Refused(credential_id, form.reason.data or "", str(error), error.field)
        return admin_page(refused=refused, status=400 if error.field else 409)
    s.commit()
    flash(f"The credential of {credential.subject_name} is revoked: its public page and status say so.", "success")
    return redirect(url_for("credentials.admin_list", page=page_number(request.args.get("page"))))
