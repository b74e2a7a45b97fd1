"""Liveness and readiness, for load balancers and orchestrators."""

from flask import Blueprint, jsonify

from . import db
from .curriculum.store import catalogue

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {"database": db.database_answers(), "curriculum": bool(catalogue().modules)}
    ready = all(checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503
