"""Reading check results back for the people who review an attempt."""

from sqlmodel import Session, select

from ..models import CheckResult


def results_of(session: Session, attempt_ids: list[int]) -> dict[int, list[CheckResult]]:
    """Each attempt's reported check results, in the curriculum's order; one query for any number of attempts."""
    found: dict[int, list[CheckResult]] = {i: [] for i in attempt_ids}
    if not attempt_ids:
        return found
    rows = session.exec(
        select(CheckResult)
        .where(CheckResult.attempt_id.in_(attempt_ids))
        .order_by(CheckResult.attempt_id, CheckResult.position)
    ).all()
    for row in rows:
        found[row.attempt_id].append(row)
    return found
