"""Storing the check results a trainee's machine reports with a lab attempt.

The commands come only from the curriculum; the machine sends back, per check id, whether it passed and what it
printed. The names and the order are the curriculum's, never the sender's; the output is kept as text, cut to
`MAX_OUTPUT` characters, and only ever shown escaped.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from ..curriculum.loader import RenderedLab
from ..inputs import InputError
from ..models import CheckResult, LabAttempt, utcnow

MAX_OUTPUT = 4_000
MAX_HOST = 80
CLOCK_SKEW = timedelta(minutes=5)  # a lab machine's clock a little ahead of the server's is not "in the future"


class CheckReportRefused(InputError):
    """Why a reported set of check results was refused; nothing is stored."""


@dataclass(frozen=True)
class ReportedCheck:
    check_id: str
    passed: bool
    exit_status: int | None
    timed_out: bool
    seconds: float
    output: str


@dataclass(frozen=True)
class CheckReport:
    run_at: datetime
    host: str
    results: tuple[ReportedCheck, ...]


def check_report(lab: RenderedLab, report: CheckReport) -> None:
    """Refuse a report that does not fit the lab's checks as the curriculum declares them."""
    declared = [c.id for c in lab.spec.checks]
    if not declared:
        raise CheckReportRefused(f"The lab “{lab.title}” has no checks; submit it without check results.", "checks")
    ids = [r.check_id for r in report.results]
    unknown = sorted(set(ids) - set(declared))
    if unknown:
        raise CheckReportRefused(
            f"The lab “{lab.title}” has no check {', '.join(unknown)}; its checks are {', '.join(declared)}. "
            "Update academy-lab's copy of the checks by running `academy-lab check` again.",
            "checks",
        )
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise CheckReportRefused(f"Check {', '.join(repeated)} is reported more than once.", "checks")
    host = report.host.strip()
    if not host or len(host) > MAX_HOST or not host.isprintable():
        raise CheckReportRefused(
            f"Name the machine the checks ran on in 1 to {MAX_HOST} printable characters.", "checks"
        )
    if report.run_at > utcnow() + CLOCK_SKEW:
        raise CheckReportRefused("The checks' run time is in the future: check the lab machine's clock.", "checks")
    for result in report.results:
        if result.timed_out and result.passed:
            raise CheckReportRefused(f"Check {result.check_id} timed out, so it cannot have passed.", "checks")


def record_results(session: Session, *, attempt: LabAttempt, lab: RenderedLab, report: CheckReport) -> None:
    """Keep the report with the attempt, in the caller's transaction; checks not reported count as not passed."""
    check_report(lab, report)
    by_id = {r.check_id: r for r in report.results}
    for position, check in enumerate(lab.spec.checks):
        result = by_id.get(check.id)
        if result is None:
            continue
        session.add(
            CheckResult(
                attempt_id=attempt.id,
                position=position,
                check_id=check.id,
                name=check.name,
                passed=result.passed,
                timed_out=result.timed_out,
                exit_status=result.exit_status,
                seconds=result.seconds,
                output=result.output[-MAX_OUTPUT:],
            )
        )
    attempt.checks_passed = sum(1 for r in report.results if r.passed)
    attempt.checks_total = len(lab.spec.checks)
    attempt.checks_run_at = report.run_at
    attempt.checks_host = report.host.strip()
    session.add(attempt)
