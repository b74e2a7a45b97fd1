"""The meetup's figures, drawn as charts on a page everyone signed in can see."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from .. import db
from ..charts import bar_chart, share_chart
from ..local_time import reader_zone
from ..models import utcnow
from ..policy import may_organize_meetups
from .figures import MeetupFigures, meetup_figures

bp = Blueprint("meetup_figures", __name__)


@bp.get("/meetups/figures")
@login_required
def figures():
    found = meetup_figures(db.session(), utcnow())
    return render_template(
        "meetups/figures.html",
        figures=found,
        charts=charts_of(found) if found.held else {},
        organizer=may_organize_meetups(current_user),
    )


def charts_of(found: MeetupFigures) -> dict:
    """The two charts, their dates on the reader's calendar as the `when` filter shows them in the tables."""
    zone = reader_zone()
    days = [m.starts_at.astimezone(zone).date() for m in found.meetups]
    came = [m.came for m in found.meetups]
    return {
        "share": share_chart(
            [(day, m.share) for day, m in zip(days, found.meetups, strict=True)],
            title="Speakers who are not SREs, of all speakers so far, meetup after meetup",
            desc=f"{found.not_sre_words}, after {found.held} {'meetup' if found.held == 1 else 'meetups'}.",
            chart_id="share",
        ),
        "came": bar_chart(
            [(f"{day:%d %b %Y}", n) for day, n in zip(days, came, strict=True)],
            title="People who came to each meetup",
            desc=f"From {min(came)} to {max(came)} people a meetup; {sum(came)} attendances in all.",
            chart_id="came",
        ),
    }
