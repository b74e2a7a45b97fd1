"""A trainee's second attempt starts from the first, and the mentor's ticked criteria are shown to them."""

from sqlmodel import Session, select

from academy.models import Decision
from tests.test_labs import attempts_of, decide, lab_section, open_lab, page, submitted


def test_a_new_attempt_starts_from_the_previous_evidence_and_shows_the_criteria_met(app, as_role, academy):
    lab = open_lab(app)
    trainee = as_role("trainee")
    first = submitted(app, trainee, academy.trainee, lab, evidence="first evidence", links="https://example.com/mr/1")
    decide(app, first, academy.mentor, "changes_requested", comment="Show the exit code too.")
    with Session(app.extensions["academy.engine"]) as s:
        decision = s.exec(select(Decision).where(Decision.attempt_id == first.id)).one()
        decision.criteria = "[0]"
        s.add(decision)
        s.commit()

    card = lab_section(page(trainee, f"/modules/{lab.module_id}"), lab)

    form = card[card.index("Submit a new attempt") :]
    assert "first evidence</textarea>" in form and "https://example.com/mr/1</textarea>" in form
    assert f"(1 of {len(lab.spec.acceptance_criteria)} met)" in card
    assert card.count("✓ Met") == 1 and card.count("✗ Not met") == len(lab.spec.acceptance_criteria) - 1
    assert attempts_of(app, academy.trainee, lab)[0].status == "changes_requested"
