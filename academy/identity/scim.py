"""SCIM 2.0 provisioning (RFC 7643 and 7644): the Users and Groups an identity provider pushes, at /scim/v2."""

from flask import Blueprint

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
