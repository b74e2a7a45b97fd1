"""Times as the reader reads them (issue 14): every instant a page shows goes through the `when` filter, in the
reader's time zone (their account's, else ACADEMY_TIME_ZONE); only calendar dates are formatted as they are."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from academy.api import tokens
from academy.models import CohortModule, LabAttempt, User, utcnow

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# A template formatting a value itself: value.strftime(...) / value.isoformat(...) (the value's name is kept, or ")"
# for an expression), an `|iso` filter, or a literal "UTC" written after a value.
SELF_FORMATTED = re.compile(
    r"([\w.]+|\))\s*\.\s*(?:strftime|isoformat)\s*\(|(\|\s*iso\b)|((?:\}\}|~)\s*['\"]?\s*UTC\b)"
)

# The only values a template may format itself: calendar dates, the same day wherever one reads them, so no zone.
CALENDAR_DATES = {
    # a cohort's start and planned end: days of the plan an admin typed in
    ("admin/cohorts.html", "c.start_date"),
    ("admin/cohorts.html", "c.end_date"),
    ("admin/cohort.html", "cohort.start_date"),
    ("admin/cohort.html", "cohort.end_date"),
    ("cohorts/index.html", "c.start_date"),
    ("cohorts/index.html", "c.end_date"),
    ("cohorts/cohort.html", "cohort.start_date"),
    ("cohorts/cohort.html", "cohort.end_date"),
    ("learning/trainee.html", "path.cohort.start_date"),
    ("learning/trainee.html", "path.cohort.end_date"),
    # a module's due date in the cohort's plan (CohortModule.due_date is a date)
    ("cohorts/cohort.html", "due"),
    ("learning/_due.html", "due"),
    ("learning/path.html", "path.next_due"),
    ("learning/path.html", "path.next_item.due"),
    # forecasts are days (cohorts.queries.forecast_finish returns a date)
    ("cohorts/cohort.html", "burn.forecast"),
    ("learning/trainee.html", "forecast"),
    # the burn-up table's "week ending" days (cohorts.queries.weeks yields dates)
    ("cohorts/cohort.html", "d"),
}


def self_formatted(text: str) -> list[str]:
    """What a template formats itself: the value's name, ")" for an expression, "|iso" or "UTC"."""
    return [" ".join((name or iso or utc).split()) for name, iso, utc in SELF_FORMATTED.findall(text)]


def test_the_scan_finds_a_time_formatted_by_hand_and_lets_when_pass():
    sample = (
        "{{ a.submitted_at.strftime('%d %b %Y %H:%M') }} UTC {{ (x + timedelta(hours=2)).strftime('%H:%M') }}"
        " {{ t.created_at.isoformat() }} {{ n.read_at|iso }} {{ e.at ~ ' UTC' }} {{ a.submitted_at|when('ago') }}"
    )
    assert self_formatted(sample) == ["a.submitted_at", "}} UTC", ")", "t.created_at", "|iso", "~ ' UTC"]
    assert self_formatted("{{ a.decided_at|when('date') }} {{ due.strftime('%d %b') }}") == ["due"]


def test_no_template_formats_an_instant_itself():
    found = {
        (path.relative_to(TEMPLATES).as_posix(), value)
        for path in TEMPLATES.rglob("*.html")
        for value in self_formatted(path.read_text(encoding="utf-8"))
    }
    assert found, "the scan reads the templates"
    assert found - CALENDAR_DATES == set(), "show instants with {{ value|when }} (or when('date'), when('ago'))"


# ------------------------------------------------------------------ in the person's zone


def text_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True))).split())


def set_zone(people, user, name: str) -> None:
    with people.session() as s:
        s.get(User, user.id).time_zone = name
        s.commit()


def zone_of(people, user) -> str | None:
    with people.session() as s:
        return s.get(User, user.id).time_zone


def test_a_trainee_in_tokyo_sees_submission_and_decision_nine_hours_ahead_of_utc(people, academy, as_role):
    submitted = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo, the same day
    decided = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # 03:30 on 21 Nov in Tokyo
    people.decided_attempt(academy.trainee, academy.mentor, submitted_at=submitted, decided_at=decided)
    set_zone(people, academy.trainee, "Asia/Tokyo")
    trainee = as_role("trainee")

    module = trainee.get("/modules/linux-shell")
    assert "submitted 20 Nov 2026 23:30 JST" in text_of(module)
    assert "Mentor approved this on 21 Nov 2026" in text_of(module)
    assert 'title="21 Nov 2026 03:30 JST"' in module.get_data(as_text=True)
    assert "(approved, 21 Nov 2026)" in text_of(trainee.get("/learn"))

    # their mentor reads the same moments in the installation's zone, UTC here
    record = text_of(as_role("mentor").get(f"/trainees/{academy.trainee.id}"))
    assert "submitted 20 Nov 2026 14:30 UTC" in record and "Mentor approved this on 20 Nov 2026" in record


def test_a_mentor_sees_a_new_submission_just_now_in_their_zone(people, academy, as_role):
    now = utcnow()
    with people.session() as s:
        attempt = LabAttempt(
            trainee_id=academy.trainee.id,
            module_id="linux-shell",
            lab_id="linux-shell-lab",
            number=1,
            status="submitted",
            evidence="Done.",
            request_key="tz-2",
            submitted_at=now,
        )
        s.add(attempt)
        s.commit()
    set_zone(people, academy.mentor, "America/New_York")
    local = now.astimezone(ZoneInfo("America/New_York"))
    page = text_of(as_role("mentor").get(f"/reviews/{attempt.id}"))
    assert f"submitted {local:%d %b %Y %H:%M} {local.tzname()} (just now)" in page
    assert "submitted just now" in text_of(as_role("mentor2").get("/reviews"))


def test_a_token_chosen_until_a_day_lasts_until_that_day_ends_in_the_persons_zone():
    until = date.today() + timedelta(days=10)
    ends = tokens.expiry(until=until, zone=ZoneInfo("Asia/Tokyo"))
    assert ends == datetime.combine(until, datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=23 - 9, minutes=59, seconds=59
    )


def test_choosing_a_time_zone_saves_it_and_an_unknown_one_is_refused_at_the_form(people, academy, as_role):
    trainee = as_role("trainee")
    saved = trainee.post("/account/time-zone", data={"time_zone": "Asia/Tokyo"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/account#time-zone")
    assert zone_of(people, academy.trainee) == "Asia/Tokyo"

    refused = trainee.post("/account/time-zone", data={"time_zone": "Mars/Olympus_Mons"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "“Mars/Olympus_Mons” is not a time zone we know" in page
    assert 'aria-describedby="time-zone-choice-error"' in page
    assert zone_of(people, academy.trainee) == "Asia/Tokyo", "nothing changed"


# Pago Pago is UTC-11 and Kiritimati UTC+14: 25 hours apart, so at any moment Kiritimati's date is a day or two
# past Pago Pago's, and UTC's date is the same as one of theirs at most.
BEHIND, AHEAD = "Pacific/Pago_Pago", "Pacific/Kiritimati"
FIRST_THREE = ("linux-shell", "files-permissions", "networking")


def due_today_where_it_is_earliest(people, academy) -> date:
    """The cohort's plan: three modules due today in Pago Pago, every other module far in the future."""
    due = datetime.now(ZoneInfo(BEHIND)).date()
    with people.session() as s:
        for row in s.exec(select(CohortModule).where(CohortModule.cohort_id == academy.cohort.id)).all():
            row.due_date = due if row.module_id in FIRST_THREE else date(2099, 1, 1)
        s.commit()
    return due


def test_a_due_date_has_passed_when_the_readers_own_calendar_says_so(people, academy, as_role):
    due = due_today_where_it_is_earliest(people, academy)
    overdue = f"Overdue since {due:%d %b %Y}"

    set_zone(people, academy.trainee, AHEAD)
    trainee = as_role("trainee")
    assert overdue in text_of(trainee.get("/learn"))
    assert overdue in text_of(trainee.get("/modules/linux-shell"))

    set_zone(people, academy.trainee, BEHIND)
    assert overdue not in text_of(trainee.get("/learn"))
    assert f"Due in your cohort's plan: {due:%d %b %Y}" in text_of(trainee.get("/modules/linux-shell"))


def test_a_manager_sees_trainees_behind_by_their_own_calendar(people, academy, as_role):
    due_today_where_it_is_earliest(people, academy)
    behind = "behind the plan by 3 modules"  # more than two: at risk

    set_zone(people, academy.manager, AHEAD)
    assert behind in text_of(as_role("manager").get(f"/cohorts/{academy.cohort.id}"))
    set_zone(people, academy.manager, BEHIND)
    assert behind not in text_of(as_role("manager").get(f"/cohorts/{academy.cohort.id}"))
