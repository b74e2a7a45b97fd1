"""Every role's main pages read on a phone, with long names and a wide piece of evidence: nothing makes the page
scroll sideways, the navigation stays one row until opened, data tables become lists whose cells are neither cut
off nor squeezed (see `phone_problems`), and each page passes axe at phone width too."""

import pytest

from academy.models import LabAttempt, ModuleProgress, utcnow
from tests.e2e.conftest import phone_problems, sign_in_as, visit

PAGES = {
    "trainee": ["/learn", "/catalogue", "/modules/slo-generation", "/search?q=burn+rate", "/notifications", "/account"],
    "mentor": ["/reviews", "/reviews/1"],
    "manager": ["/cohorts", "/cohorts/1", "/cohorts/1?sort=progress", "/surveys", "/surveys/new"],
    "admin": ["/admin/", "/admin/users", "/admin/cohorts/1", "/admin/audit", "/api/docs"],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_main_pages_fit_a_phone(live_server, browser, people, role):
    trainees = [people.user(f"t{i}@example.com", "trainee", name=f"Trainee with a long name {i}") for i in range(6)]
    staff = {r: people.user(f"{r}@example.com", r) for r in ("mentor", "manager", "admin")}
    people.cohort("Phone cohort", trainees=trainees, mentors=[staff["mentor"]], managers=[staff["manager"]])
    with people.session() as s:
        now = utcnow()
        s.add(
            ModuleProgress(
                trainee_id=trainees[0].id, module_id="linux-shell", opened_at=now, read_at=now, completed_at=now
            )
        )
        s.add(
            LabAttempt(
                trainee_id=trainees[1].id,
                module_id="linux-shell",
                lab_id="linux-shell-lab",
                number=1,
                evidence="```\n" + "x" * 400 + "\n```",
                request_key="k1",
                submitted_at=now,
            )
        )
        s.commit()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in_as(page, live_server, "t0@example.com" if role == "trainee" else f"{role}@example.com")
    problems = []
    for path in PAGES[role]:
        visit(page, f"{live_server}{path}")
        problems += [f"{path}: {p}" for p in phone_problems(page)]
    context.close()
    assert not problems, "\n".join(problems)
