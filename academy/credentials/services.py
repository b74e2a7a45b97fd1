"""Issuing a graduate's credential and revoking it. Each function works in the caller's transaction: the readiness
decision and its credential are stored together, or neither is."""

import json
import secrets

from sqlmodel import Session, select, update

from .. import audit
from ..inputs import InputError
from ..models import Credential, ReadinessDecision, ReadinessRequest, User, utcnow
from .openbadge import credential_claims, signed

MAX_REASON = 1000


class CredentialError(InputError):
    """Why a credential could not be issued or revoked, in words for the person; `field` names the form field."""


def issue_credential(
    session: Session,
    *,
    trainee: User,
    decision: ReadinessDecision,
    cohort_name: str,
    completed: list[str],
    decided_by: list[str],
) -> Credential:
    """The credential for a "ready" decision: its summary, its signed VC-JWT and an unguessable public address.
    Added to `session`, not committed."""
    session.flush()  # the decision, added by the caller in this transaction, gets its id
    check_ready(session, trainee, decision)
    credential = Credential(
        public_id=secrets.token_urlsafe(32),
        trainee_id=trainee.id,
        decision_id=decision.id,
        subject_name=trainee.display_name,
        cohort_name=cohort_name[:120],
        summary=json.dumps({"completed": list(completed), "decided_by": list(decided_by)}, ensure_ascii=False),
        jwt="",
        issued_at=utcnow().replace(microsecond=0),
    )
    session.add(credential)
    session.flush()  # the id is the credential's bit in the status list, which the signed credential names
    credential.jwt = signed(credential_claims(credential, email=trainee.email))
    audit.record(session, "credential.issued", trainee.email, credential=credential.id, cohort=cohort_name or None)
    return credential


def check_ready(session: Session, trainee: User, decision: ReadinessDecision) -> None:
    """A credential says a panel decided this trainee is ready: anything else is a caller's mistake."""
    request = session.get(ReadinessRequest, decision.request_id)
    if decision.outcome != "ready" or request is None or request.trainee_id != trainee.id:
        raise CredentialError("A credential is issued only for a panel's “ready” decision about this trainee.")
    if session.exec(select(Credential.id).where(Credential.decision_id == decision.id)).first() is not None:
        raise CredentialError("This decision's credential is already issued.")


def revoke_credential(session: Session, *, credential: Credential, admin: User, reason: str) -> None:
    """Revoked for good, with the admin's reason (kept for the audit log, never shown on the public page). A
    conditional update: of two admins revoking at once, the second is told it is already done."""
    reason = (reason or "").strip()
    if credential.revoked_at is not None:
        raise already_revoked(credential)
    if not reason:
        raise CredentialError("Give the reason for revoking it: the audit log keeps it.", "reason")
    if len(reason) > MAX_REASON:
        raise CredentialError(f"Keep the reason under {MAX_REASON:,} characters.", "reason")
    revoked = session.exec(
        update(Credential)
        .where(Credential.id == credential.id, Credential.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by=admin.id, revoke_reason=reason)
    ).rowcount
    session.refresh(credential)
    if not revoked:
        raise already_revoked(credential)
    trainee = session.get(User, credential.trainee_id)
    audit.record(session, "credential.revoked", trainee.email, actor=admin.id, credential=credential.id, reason=reason)


def already_revoked(credential: Credential) -> CredentialError:
    when = credential.revoked_at.strftime("%d %b %Y")
    return CredentialError(f"The credential of {credential.subject_name} was already revoked on {when}.")
