"""academy-lab for trainees: the page that says how to install and use it, and the package itself, which a lab
machine downloads without signing in (it holds no secret: the token is the trainee's to paste)."""

import gzip
import io
import tarfile
from pathlib import Path

from flask import Blueprint, Response, render_template, request

from ..links import base_url, external_url

bp = Blueprint("labchecks", __name__)
TOOL_DIR = Path(__file__).resolve().parents[2] / "tools" / "academy-lab"
ARCHIVE = "academy-lab.tar.gz"


def tool_archive() -> bytes:
    """The tool's source folder as a gzipped tar, as `pip install URL` takes it; the same bytes every time for the
    same files (fixed times and owners), so that a proxy's cache and pip's are both right."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for path in sorted(TOOL_DIR.rglob("*")):
            if "__pycache__" in path.parts or path.suffix == ".pyc" or ".egg-info" in path.as_posix():
                continue
            info = archive.gettarinfo(str(path), arcname=f"academy-lab/{path.relative_to(TOOL_DIR).as_posix()}")
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            info.mode = 0o755 if path.is_dir() else 0o644
            if path.is_dir():
                archive.addfile(info)
            else:
                with path.open("rb") as f:
                    archive.addfile(info, f)
    return buffer.getvalue()


@bp.get(f"/downloads/{ARCHIVE}")
def archive():
    return Response(
        tool_archive(),
        mimetype="application/gzip",
        headers={"Content-Disposition": f"attachment; filename={ARCHIVE}", "Cache-Control": "public, max-age=300"},
    )


@bp.get("/lab-tool")
def tool():
    return render_template(
        "labchecks/tool.html",
        archive_url=external_url("labchecks.archive"),
        site=base_url() or request.host_url.rstrip("/"),
    )
