"""The audit log reads as sentences ("Ann Admin added bo@example.com to Lisbon 2026 as trainee."), one template per
action code; the codes stay for the filter and the CSV export of the filtered log."""

import ast
import csv
import io
import json
from pathlib import Path

from academy.admin.audit_words import SENTENCES, describe
from tests.conftest import sign_in
from tests.test_labs import page

ACADEMY = Path(__file__).resolve().parent.parent / "academy"
RECORDERS = {"record": 1, "record_coalesced": 1, "record_now": 0}  # the action's position among the arguments


def strings_in(node) -> set[str]:
    """The strings an expression can evaluate to: a literal, or either branch of `a if condition else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return strings_in(node.body) | strings_in(node.orelse)
    assert isinstance(node, ast.Name), f"an action the test cannot read: {ast.unparse(node)}"
    return set()


def recorded_action(call) -> ast.expr | None:
    """The action argument of a call to audit.record, record_coalesced or record_now."""
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute | ast.Name):
        name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id
        if name in RECORDERS and len(call.args) > RECORDERS[name]:
            return call.args[RECORDERS[name]]
    return None


def action_codes_written() -> set[str]:
    """Every string that can reach the action argument of a recording call; a function that passes on an action
    parameter (set_password(..., action="user.password_set")) is followed to its default and its callers."""
    codes, relays, trees = set(), set(), [ast.parse(p.read_text()) for p in ACADEMY.rglob("*.py")]
    for tree in trees:
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            params = {a.arg for a in function.args.args + function.args.kwonlyargs}
            for call in ast.walk(function):
                argument = recorded_action(call)
                if isinstance(argument, ast.Name) and argument.id in params:
                    relays.add((function.name, argument.id))
                    defaults = zip(function.args.kwonlyargs, function.args.kw_defaults)
                    codes |= {c for a, d in defaults if a.arg == argument.id and d is not None for c in strings_in(d)}
                elif argument is not None:
                    codes |= strings_in(argument)
    for tree in trees:
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = getattr(call.func, "attr", getattr(call.func, "id", None))
            codes |= {c for k in call.keywords if (name, k.arg) in relays for c in strings_in(k.value)}
    return codes


def test_every_action_code_written_anywhere_has_a_sentence():
    written = action_codes_written()
    assert {"cohort.member_added", "user.password_changed", "login.failed", "mail.pruned", "logout"} <= written
    assert written - set(SENTENCES) == set()


def test_sentences_fill_from_the_detail_as_written():
    assert (
        describe(
            "cohort.member_added",
            "Lisbon 2026",
            json.dumps({"email": "bo@example.com", "role": "trainee"}),
            "Ann Admin",
        )
        == "Ann Admin added bo@example.com to Lisbon 2026 as trainee."
    )
    assert describe("cohort.imported", "Lisbon 2026", json.dumps({"rows": 1, "new_accounts": 3}), "Ann Admin") == (
        "Ann Admin imported 1 person into Lisbon 2026, 3 new accounts."
    )
    assert describe("user.created", "bo@example.com", json.dumps({"roles": ["admin"]}), None) == (
        "A server command created the account bo@example.com, role admin."
    )
    assert (
        describe("token.revoked", "bo@example.com", json.dumps({"reason": "password set", "tokens": ["ci"]}), "Bo")
        == "Every API token of bo@example.com was revoked (password set): ci."
    )
    assert describe("some.future_code", "x", None, "Bo") == "some.future_code x"


def added_bo(app, people):
    """Ann Admin, signed in, has added Bo to Lisbon 2026 as a trainee."""
    people.user("ann@example.com", "admin", name="Ann Admin")
    people.user("bo@example.com", "trainee", name="Bo")
    cohort = people.cohort("Lisbon 2026")
    admin = app.test_client()
    assert sign_in(admin, "ann@example.com").status_code == 302
    form = {"member-email": "bo@example.com", "member-role": "trainee", "member-mentor": ""}
    assert admin.post(f"/admin/cohorts/{cohort.id}/members", data=form).status_code == 302
    return admin


def test_the_audit_page_shows_sentences_not_codes_and_json(app, people):
    admin = added_bo(app, people)
    html = page(admin, "/admin/audit")
    assert "Ann Admin added bo@example.com to Lisbon 2026 as trainee." in html
    assert "{&#34;email&#34;" not in html and '{"email"' not in html
    filtered = page(admin, "/admin/audit?action=cohort.member_added")
    assert "Ann Admin added bo@example.com" in filtered and "signed in." not in filtered
    assert '<option value="cohort.member_added" selected>' in filtered


def test_the_filtered_log_downloads_as_csv_with_codes_and_sentences(app, people):
    admin = added_bo(app, people)
    response = admin.get("/admin/audit.csv?action=cohort.member_added")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith('\ufeff"at_utc","action","what_happened"')
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["action"], r["what_happened"], r["by_email"]) for r in rows] == [
        ("cohort.member_added", "Ann Admin added bo@example.com to Lisbon 2026 as trainee.", "ann@example.com")
    ]
    assert json.loads(rows[0]["detail"]) == {"email": "bo@example.com", "role": "trainee"}
    trainee = app.test_client()
    sign_in(trainee, "bo@example.com")
    assert trainee.get("/admin/audit.csv").status_code == 403
