"""Liveness and readiness, for load balancers and orchestrators."""

from flask import Blueprint, jsonify

from . import db, migrate
from .curriculum.store import catalogue

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    answers = db.database_answers()
    checks = {
        "database": answers,
        "schema": answers and not migrate.schema_missing(db.engine()),  # an unmigrated database serves nothing
        "curriculum": bool(catalogue().modules),
    }
    ready = all(checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503
