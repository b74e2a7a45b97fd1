"""Forecasts: the day some work is done if it goes on at the pace measured so far. Pure functions of counts and
dates, shared by the cohort pages, their exports, the API and a trainee's own page."""

from datetime import date, timedelta
from math import ceil


def forecast_finish(start: date, today: date, done: int, total: int) -> date | None:
    """At the average pace since the start: the day the last of `total` is done. None without any pace yet."""
    if total and done >= total:
        return today
    elapsed = (today - start).days
    if done == 0 or elapsed <= 0:
        return None
    per_day = done / elapsed
    return today + timedelta(days=ceil((total - done) / per_day))


def at_cadence(since: date | None, today: date, done: int, remaining: int) -> date | None:
    """The day `remaining` more are done at the rate of `done` since `since`: today when none remain, None when
    there is no rate to go by (nothing done yet, or no whole day since the first)."""
    if remaining <= 0:
        return today
    elapsed = (today - since).days if since else 0
    if done <= 0 or elapsed <= 0:
        return None
    return today + timedelta(days=ceil(remaining * elapsed / done))


def checklist_forecast(
    *,
    today: date,
    cohort_start: date | None,
    modules_done: int,
    modules_total: int,
    first_entry: date | None,
    entries_confirmed: int,
    entries_missing: int,
) -> date | None:
    """The day a trainee's readiness checklist is complete at their own pace: the plan's modules (each with its
    labs) at their pace since the cohort started, the practicum's missing entries at their cadence of confirmed
    entries since their first entry; the later of the two. None when a part with work left has no pace yet.

    It ignores what unlocks what (a reverse-shadow shift waits for shadow shifts): a forecast, not a plan."""
    if modules_done >= modules_total:
        modules = today
    elif cohort_start is None:
        modules = None
    else:
        modules = forecast_finish(cohort_start, today, modules_done, modules_total)
    practice = at_cadence(first_entry, today, entries_confirmed, entries_missing)
    if modules is None or practice is None:
        return None
    return max(modules, practice)


HOW_IT_IS_COMPUTED = (
    "The forecast is the day a trainee's checklist would be complete at their own pace: the plan's remaining "
    "modules at the pace they have finished modules since the cohort started, and the practice entries still "
    "required at the rate their entries were confirmed since their first one; whichever comes later. Without a "
    "module finished or an entry confirmed yet, there is not enough activity to tell."
)
