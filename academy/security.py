"""Secure by default: sign-in required, CSRF on every form, no state change on GET, strict headers."""

from flask import Flask, abort, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from .errors import render_error

csrf = CSRFProtect()
PUBLIC_ENDPOINTS = {"static", "health.healthz", "health.readyz", "accounts.login", "accounts.welcome", "metrics.scrape"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def require_sign_in():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None or current_user.is_authenticated:
        return None
    if request.blueprint == "api" or request.endpoint == "api_docs.openapi":
        return None  # the API authenticates every request with its own bearer token
    from .accounts.auth import login_manager

    return login_manager.unauthorized()


def refuse_nul_characters():
    """No text field may carry a NUL character: PostgreSQL cannot store one, and no person types it."""
    for values in (request.args, request.form):
        if any("\x00" in value for _, value in values.items(multi=True)):
            abort(400, description="The request contains a NUL character, not allowed in text. Nothing changed.")


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
    app.before_request(refuse_nul_characters)
    app.before_request(require_sign_in)
    app.after_request(security_headers)
    if app.config.get("SECURE_COOKIES"):
        app.after_request(hsts)
    app.register_error_handler(CSRFError, csrf_refused)
