"""Secure by default: sign-in required, CSRF on every form, no state change on GET, strict headers."""

import re
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from .errors import render_error

csrf = CSRFProtect()
PUBLIC_ENDPOINTS = {"static", "health.healthz", "health.readyz", "accounts.login", "accounts.welcome", "metrics.scrape"}
# a graduate's credential is shown to whoever has its address, and checked by verifiers that have no account
PUBLIC_ENDPOINTS |= {
    f"credentials.{view}"
    for view in ("public", "credential_jwt", "credential_json", "status", "status_list", "issuer", "jwks")
}
# academy-lab is downloaded by a lab machine's pip, which has no session
PUBLIC_ENDPOINTS.add("labchecks.archive")
# a calendar app fetches a person's meetup feed without an account or a cookie: the secret in its address is the key
PUBLIC_ENDPOINTS.add("meetup_calendar.feed")
# company sign-in: the way to the identity provider and back starts signed out
PUBLIC_ENDPOINTS |= {"oidc.start", "oidc.callback"}
# blueprints that authenticate every request with a bearer token of their own, never a cookie
BEARER_BLUEPRINTS = {"api", "scim"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def require_sign_in():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None or current_user.is_authenticated:
        return None
    if request.blueprint in BEARER_BLUEPRINTS or request.endpoint == "api_docs.openapi":
        return None  # the API and SCIM authenticate every request with their own bearer tokens
    from .accounts.auth import login_manager

    return login_manager.unauthorized()


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab, newline and carriage return are text
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def refuse(message: str):
    abort(400, description=message + " Nothing was changed.")


def refuse_bad_text():
    """Text people type is UTF-8 without control characters: anything else is refused before a view sees it.
    PostgreSQL cannot store NUL at all, and a mail header with a stray CR/LF is an injection."""
    if request.routing_exception is not None:
        return  # no such page (404, 405): that answer comes first, whatever the body
    if request.method == "POST" and request.blueprint not in BEARER_BLUEPRINTS and request.endpoint != "metrics.scrape":
        if request.mimetype not in FORM_TYPES and (request.content_length or request.mimetype):
            refuse("This page takes a form submission (application/x-www-form-urlencoded or multipart/form-data).")
        if request.mimetype == "application/x-www-form-urlencoded" and not urlencoded_is_utf8(
            request.get_data(cache=True)
        ):
            refuse("The form is not valid UTF-8 text.")
    if request.is_json and (b"\\u0000" in request.get_data(cache=True) or b"\x00" in request.get_data(cache=True)):
        refuse("The request contains a NUL character, which text may not hold.")
    for values in (request.args, request.form) if request.mimetype else (request.args,):  # no type: no form
        for _, value in values.items(multi=True):
            if "\x00" in value:
                refuse("The request contains a NUL character, which text may not hold.")
            if CONTROL.search(value):
                refuse("The request contains control characters, which text may not hold.")
            if "\ufffd" in value:
                refuse("The request is not valid UTF-8 text.")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested deeper than the parser's recursion allows is a 400, not a 500
    (Request.get_json turns only a ValueError into a refusal)."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            abort(400, description="The JSON is nested too deeply. Nothing was changed.")


def urlencoded_is_utf8(body: bytes) -> bool:
    try:
        for pair in body.split(b"&"):
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)  # a stricter one set by a view stays
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def hsts(response):
    response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def csrf_refused(error: CSRFError):
    return render_error(
        400,
        "This form has expired or did not come from this site. Go back, reload the page "
        "and try again; nothing was changed.",
    )


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    csrf.init_app(app)
    app.json = JSONProvider(app)
    app.before_request(require_sign_in)
    app.before_request(refuse_bad_text)
    app.after_request(security_headers)
    if app.config.get("SECURE_COOKIES"):
        app.after_request(hsts)
    app.register_error_handler(CSRFError, csrf_refused)
