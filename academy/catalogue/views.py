from flask import Blueprint, render_template

from ..curriculum.store import catalogue, module_or_404

bp = Blueprint("catalogue", __name__)


@bp.get("/catalogue")
def index():
    cat = catalogue()
    tracks = [(track, cat.modules_in(track.id)) for track in cat.tracks]
    return render_template(
        "catalogue/index.html", tracks=tracks, total_minutes=sum(m.estimated_minutes for m in cat.modules.values())
    )


@bp.get("/modules/<module_id>")
def module(module_id: str):
    cat = catalogue()
    mod = module_or_404(module_id)
    prerequisites = [cat.get(p) or p for p in mod.prerequisites]
    return render_template("catalogue/module.html", module=mod, track=cat.track(mod.track), prerequisites=prerequisites)
