"""The call for talks: proposing a talk, editing it until it is decided, the organizers' decisions, a talk's page
and the archive of past talks."""

from flask import Blueprint

bp = Blueprint("talks", __name__)
