"""Every role's main pages read on a phone, with long names and a wide piece of evidence: nothing makes the page
scroll sideways, the navigation stays one row until opened, data tables become lists whose cells are neither cut
off nor squeezed (see `phone_problems`), and each page passes axe at phone width too."""

from datetime import timedelta

import pytest

from academy.models import LabAttempt, Meetup, MeetupAttendee, ModuleProgress, Talk, TalkSpeaker, utcnow
from tests.e2e.conftest import phone_problems, sign_in_as, visit

MEETUP_PAGES = [  # meetup 1 was held last week; talk 1 was given there
    "/meetups",
    "/meetups/1",
    "/meetups/talks",
    "/meetups/talks/1",
    "/meetups/talks/new",
    "/meetups/calendar",
    "/meetups/figures",
]
PAGES = {
    "trainee": [
        *("/learn", "/catalogue", "/modules/slo-generation", "/search?q=burn+rate", "/notifications", "/account"),
        *MEETUP_PAGES,
    ],
    "mentor": ["/reviews", "/reviews/1"],
    "manager": ["/cohorts", "/cohorts/1", "/cohorts/1?sort=progress", "/surveys", "/surveys/new"],
    "admin": ["/admin/", "/admin/users", "/admin/cohorts/1", "/admin/audit", "/api/docs", "/meetups/1/attendance"],
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
        held = now.replace(microsecond=0) - timedelta(days=7)
        meetup = Meetup(
            title="Reliability Meetup with a long title about error budgets, on-call and the product teams",
            starts_at=held,
            ends_at=held + timedelta(hours=1, minutes=30),
            time_zone="Europe/Berlin",
            place="Auditorium 2, second floor, the room behind the cafeteria",
            video_url="https://video.example.com/reliability-meetup/a-rather-long-address-for-the-recording",
            check_in_code="K7Q2XW",
            created_by=staff["admin"].id,
        )
        s.add(meetup)
        s.flush()
        talk = Talk(
            meetup_id=meetup.id,
            position=1,
            title="What three quarters of burn-rate alerts taught the checkout and payments teams",
            abstract="```\n" + "y" * 400 + "\n```",
            state="accepted",
            slides_url="https://slides.example.com/reliability-meetup/" + "z" * 80,
            proposed_by=trainees[0].id,
            decided_by=staff["admin"].id,
            decided_at=held - timedelta(days=20),
        )
        s.add(talk)
        s.flush()
        s.add(TalkSpeaker(talk_id=talk.id, position=1, user_id=trainees[0].id))
        s.add(TalkSpeaker(talk_id=talk.id, position=2, guest_name="A guest with a long name", guest_team="Payments"))
        for t in trainees:
            s.add(
                MeetupAttendee(meetup_id=meetup.id, user_id=t.id, going_at=held - timedelta(days=2), attended_at=held)
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
