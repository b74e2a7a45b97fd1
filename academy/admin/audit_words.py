"""The audit log in sentences: one template per action code, filled from the entry's target and detail.

The codes stay what is stored, filtered on and exported; a page shows `describe(...)`. A template's fields are
`actor` (who did it; "A server command" when nobody signed in did, as with `flask academy create-user`),
`target` and the detail's keys. A format spec after a count names the noun (`{rows:person}` reads "1 person",
"3 people"); `{flag:yes/no}` picks words by a flag.
"""

import json
import string

from ..formatting import pluralize

SENTENCES = {
    "login.succeeded": "{target} signed in",
    "login.failed": "A sign-in as {target} failed (wrong email or password)",
    "login.throttled": "Sign-in as {target} was paused after too many failed tries",
    "logout": "{target} signed out",
    "login.oidc_refused": "A sign-in with {via} as {target} was refused: {reason}",
    "user.identity_linked": "{actor} linked {target} to its account at the identity provider",
    "authorization.refused": "{actor} was refused {target} ({method})",
    "user.created": "{actor} created the account {target}, role {roles}",
    "user.updated": "{actor} renamed {target} to {display_name}",
    "user.roles_changed": "{actor} changed the roles of {target} from {before} to {after}",
    "user.deactivated": "{actor} deactivated {target}",
    "user.reactivated": "{actor} reactivated {target}",
    "user.invited": "{actor} created an invitation link for {target}",
    "user.password_link": "{actor} created a password-reset link for {target}",
    "user.password_set": "{target} chose a password with an invitation or reset link",
    "user.password_changed": "{target} changed their password",
    "user.reminders_set": "{target} turned the weekly behind-plan reminder {enabled:on/off}",
    "cohort.created": "{actor} created the cohort {target}, {start} to {end}",
    "cohort.updated": "{actor} saved the details of {target}: {start} to {end}",
    "cohort.member_added": "{actor} added {email} to {target} as {role}",
    "cohort.member_removed": "{actor} removed {email} as {role} of {target}",
    "cohort.mentor_assigned": "{actor} set the mentor of {trainee} in {target} to {mentor}",
    "cohort.plan_set": "{actor} set the plan of {target}: {modules:module} from the tracks {tracks}",
    "cohort.imported": "{actor} imported {rows:person} into {target}, {new_accounts:new account}",
    "lab.decided": "{actor} {outcome:approved/asked for changes to} {target} (lab {lab})",
    "token.created": "{actor} created the {scope} API token “{name}” for {target}, valid until {expires_at}",
    "token.revoked": "{actor} revoked the API token “{target}”",
    "provisioning_token.created": "{actor} created the provisioning token “{target}” for an identity provider",
    "provisioning_token.revoked": "{actor} revoked the provisioning token “{target}”",
    "user.email_changed": "{actor} changed the email address of {target} to {email}",
    "user.external_id_set": "{actor} set the identity provider's id of {target} to {external_id}",
    "user.deprovisioned": "{actor} deleted {target}: the account is deactivated and its history kept (it was in "
    "the groups {groups})",
    "user.reprovisioned": "{actor} created {target} again: the account deleted before is back, with its history",
    "scim_group.created": "{actor} created the group “{target}”",
    "scim_group.renamed": "{actor} renamed the group “{before}” to “{target}”",
    "scim_group.external_id_set": "{actor} set the identity provider's id of the group “{target}” to {external_id}",
    "scim_group.members_changed": "{actor} changed the members of the group “{target}”: added {added}, removed "
    "{removed}",
    "scim_group.deleted": "{actor} deleted the group “{target}”, which had {members:member}",
    "mail.gave_up": "The academy gave up e-mailing “{subject}” to {target} after {attempts:try}: {error}",
    "mail.pruned": "The academy removed {removed:e-mail} sent or given up before {before}",
    "files.removed": "The academy removed {files:file} ({bytes:byte}) of {attempts:withdrawn submission}",
    "reminders.sent": "The academy sent the weekly behind-plan reminder to {trainees:trainee}",
    "audit.pruned": "The academy removed {removed:sign-in entry} from before {before}",
    "practice.logged": "{actor} logged practice, {target}, for the requirement {requirement}",
    "practice.withdrawn": "{actor} withdrew practice, {target}",
    "practice.decided": "{actor} decided on practice, {target}: {outcome}",
    "readiness.requested": "{actor} asked for a readiness review, {target}, with the panel of user ids {panel}",
    "readiness.withdrawn": "{actor} withdrew the readiness review {target}",
    "readiness.decided": "{actor} recorded the panel's decision on the readiness review {target}: {outcome}",
    "readiness.overridden": "{actor} overrode an incomplete checklist in the readiness review {target}: {reason} "
    "(missing: {missing})",
    "survey.opened": "{actor} opened the survey round {target}, “{title}”, asking {people:person}",
    "survey.edited": "{actor} edited the survey round {target}, “{title}”{points_changed:, with new pain points/}",
    "survey.closed": "{actor} closed the survey round {target}, “{title}”, before its closing date",
    "survey.deleted": "{actor} deleted the survey round {target}, “{title}”, with the answers of {answered:person}",
    "survey.point_struck": "{actor} struck the pain point {target}, “{title}”, off the list: addressed by {by}",
    "survey.point_restored": "{actor} put the pain point {target}, “{title}”, back on the list",
    "meetup.created": "{actor} planned the meetup {target}, “{title}”",
    "meetup.edited": "{actor} changed the meetup {target}, “{title}”",
    "meetup.attendance": "{actor} recorded who came to the meetup {target}, “{title}”: {attended:person}",
    "talk.proposed": "{actor} proposed the talk {target}, “{title}”",
    "talk.added": "{actor} put the talk {target}, “{title}”, on the agenda of meetup {meetup}",
    "talk.edited": "{actor} edited the talk {target}, “{title}”",
    "talk.decided": "{actor} decided on the talk {target}, “{title}”: {outcome}",
    "calendar_feed.created": "{actor} made a new calendar feed address (any earlier one stopped working)",
    "calendar_feed.revoked": "{actor} revoked their calendar feed address",
    "credential.issued": "{actor} issued the on-call readiness credential of {target} ({cohort})",
    "credential.revoked": "{actor} revoked the on-call readiness credential of {target}: {reason}",
}
# an action whose detail has this key was written by another caller, and reads differently
VARIANTS = {
    ("login.succeeded", "via"): "{target} signed in with {via}",
    ("token.revoked", "reason"): "Every API token of {target} was revoked ({reason}): {tokens}",
}


class _Sentence(string.Formatter):
    def get_value(self, key, args, kwargs):
        return kwargs.get(key, "—")

    def format_field(self, value, spec):
        if "/" in spec and spec.count("/") == 1:  # a flag: "on/off", or an outcome: "approved/asked for changes to"
            yes, no = spec.split("/")
            return yes if value in (True, "approved") else no
        if spec and isinstance(value, int) and not isinstance(value, bool):
            return pluralize(value, spec)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "none"
        if value is None:
            return "none"
        return str(value)


def describe(action: str, target: str | None, detail: str | None, actor: str | None) -> str:
    """The entry as a sentence; an unknown code (from an older version) reads as its code and detail."""
    try:
        fields = json.loads(detail) if detail else {}
    except ValueError:
        fields = {}
    if not isinstance(fields, dict):
        fields = {}
    template = next((t for (code, key), t in VARIANTS.items() if code == action and key in fields), None)
    template = template or SENTENCES.get(action)
    if template is None:
        return f"{action} {target or ''} {detail or ''}".strip()
    provider = fields.get("provider")  # a change the company's identity provider made (sign-in or SCIM)
    fields |= {"actor": actor or (f"The identity provider ({provider})" if provider else "A server command")}
    fields["target"] = target or "—"
    return _Sentence().format(template, **fields) + "."
