"""Background work on huey: sending the outbox's e-mail, and the scheduled jobs (mentor digests, reminders
to trainees behind the plan, removing withdrawn attempts' files, pruning sign-in noise from the audit log).

The web processes only enqueue; `flask academy worker` runs the tasks and the schedule, each inside an app
context of the app it was started with. Nothing depends on a queued message surviving: the outbox and the
tables the jobs read are the truth, and the periodic tasks pick up whatever a lost message left behind.
"""

from .queue import init_app

__all__ = ["init_app"]
