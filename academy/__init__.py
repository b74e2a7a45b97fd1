"""SRE Academy: a learning-management system that grows SREs from technical-operations staff."""

import logging
import math
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, jsonify
from flask_openapi3 import Info, OpenAPI

from . import local_time

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "CURRICULUM_DIR": str(REPO_ROOT / "curriculum"),
    "SECURE_COOKIES": False,
    "REVIEW_TARGET_HOURS": 48,
    "REVIEW_OBJECTIVE": 0.9,
    "MAX_ATTACHMENTS": 5,
    "MAX_ATTACHMENT_BYTES": 10_000_000,
    "STORAGE_QUOTA_BYTES": 200_000_000,  # all of one person's lab evidence files
    "WITHDRAWN_FILES_DAYS": 14,
    "SIGN_IN_AUDIT_DAYS": 90,
    "SENT_MAIL_DAYS": 7,  # sent mail holds invitation links, valid as long
    "BEHIND_REMINDERS": True,
    "MAIL_RETRY_SECONDS": 30,  # the first retry of an outbox message; doubling, at most an hour apart
    "TIME_ZONE": "UTC",  # how pages show times to people who did not choose a time zone
    "KEPT_PAGES_BYTES": 16_000_000,  # pages kept per worker (academy/page_cache.py); 0: none
}


BEARER_DESCRIPTION = (
    "A personal access token (`Authorization: Bearer sra_…`), made on the account page or with `flask academy token"
    " create`. A token reads only (GET) or reads and writes, as chosen when it is made: a read-only token gets 403"
    " on every other method. It expires after the 30, 90 (the default) or 365 days chosen, or at the end of a"
    " chosen day, at most a year ahead; it is revoked when its owner's password changes or the account is"
    " deactivated. An expired or revoked token gets 401, with the reason in `detail`."
)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: defaults, then ACADEMY_* environment variables, then `overrides` (tests)."""
    app = OpenAPI(
        __name__,
        info=Info(title="SRE Academy API", version="1.0.0"),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer", "description": BEARER_DESCRIPTION}},
        doc_prefix="/api/v1",
        doc_url="/openapi.json",
        doc_ui=False,
        validation_error_status=422,
        validation_error_callback=api_validation_error,
        instance_relative_config=True,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
    )
    from .inputs import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added: every <int:...> is bounded
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("ACADEMY")
    app.config.update(overrides or {})
    check_settings(app.config)
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_ATTACHMENTS"] * app.config["MAX_ATTACHMENT_BYTES"] + 2**20
    ensure_instance_folder(app)
    app.config.setdefault("DATABASE_URL", f"sqlite:///{Path(app.instance_path) / 'academy.db'}")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path) / "secret_key")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from . import (
        admin,
        catalogue,
        cli,
        cohorts,
        compression,
        db,
        errors,
        health,
        jobs,
        metrics,
        page_cache,
        reviews,
        security,
    )
    from .accounts import auth
    from .accounts.views import bp as accounts_bp
    from .api.docs import bp as api_docs_bp
    from .api.views import api
    from .credentials import bp as credentials_bp
    from .curriculum import store
    from .curriculum.render import render_text
    from .identity import oidc, scim
    from .labchecks.views import bp as labchecks_bp
    from .learning.views import bp as learning_bp
    from .links import href, static_links
    from .meetups import feed_views, figures_views, talk_views
    from .meetups.views import bp as meetups_bp
    from .notifications.views import bp as notifications_bp
    from .practicum.views import bp as practicum_bp
    from .readiness.views import bp as readiness_bp
    from .surveys.views import bp as surveys_bp

    compression.init_app(app)  # first: its after_request then runs last, on the response as sent
    db.init_app(app)
    jobs.init_app(app)
    store.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    page_cache.init_app(app)
    for blueprint in (
        health.bp,
        accounts_bp,
        catalogue.bp,
        learning_bp,
        reviews.bp,
        cohorts.bp,
        admin.bp,
        notifications_bp,
        api_docs_bp,
        credentials_bp,
        practicum_bp,
        readiness_bp,
        labchecks_bp,
        surveys_bp,
        meetups_bp,
        talk_views.bp,
        feed_views.bp,
        figures_views.bp,
        oidc.bp,
        scim.bp,
    ):
        app.register_blueprint(blueprint)
    if proxies := int(app.config.get("TRUSTED_PROXIES") or 0):  # behind nginx: the client's address and scheme
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)  # a Host is never believed
    app.register_api(api)
    security.csrf.exempt(api)  # bearer tokens, never cookies: nothing for a forged form to ride on
    security.csrf.exempt(scim.bp)
    oidc.init_app(app)
    cli.init_app(app)
    metrics.init_app(app)
    app.jinja_env.filters["user_markdown"] = render_text  # evidence and comments: Markdown, safely
    app.jinja_env.filters["href"] = href  # evidence links as typed: a valid URL in the href
    app.jinja_env.globals["static_links"] = static_links
    from . import formatting, policy

    formatting.init_app(app)  # plurals, file kinds and sizes, evidence words
    app.jinja_env.globals.update(
        may_use_review_queue=policy.may_use_review_queue,
        may_follow_cohorts=policy.may_follow_cohorts,
        may_run_surveys=policy.may_run_surveys,
    )
    local_time.init_app(app)  # `when`: every time on a page, in the reader's time zone
    from .navigation import navigation_counts, site_header

    app.context_processor(navigation_counts)
    app.jinja_env.globals["site_header"] = site_header
    app.jinja_env.globals["timedelta"] = timedelta
    return app


def check_settings(config) -> None:
    """Settings that people type: refused at start, with what is wrong, rather than a broken page later."""
    if not local_time.valid_time_zone(config.get("TIME_ZONE")):
        zone = config.get("TIME_ZONE")
        raise ValueError(f"ACADEMY_TIME_ZONE must be a time zone name such as Europe/Lisbon, not {zone!r}")
    try:
        objective, target = float(config["REVIEW_OBJECTIVE"]), float(config["REVIEW_TARGET_HOURS"])
    except (TypeError, ValueError):
        raise ValueError("ACADEMY_REVIEW_OBJECTIVE and ACADEMY_REVIEW_TARGET_HOURS must be numbers") from None
    if not 0 < objective < 1:  # 1 would leave no error budget at all: one late review, an infinite overspend
        raise ValueError(f"ACADEMY_REVIEW_OBJECTIVE must be above 0 and below 1 (0.9 means 90 %), not {objective}")
    if not (target > 0 and math.isfinite(target)):
        raise ValueError(f"ACADEMY_REVIEW_TARGET_HOURS must be a positive number of hours, not {target}")
    kept = str(config.get("KEPT_PAGES_BYTES") or 0).strip()
    if not kept.isdigit():
        raise ValueError(f"ACADEMY_KEPT_PAGES_BYTES must be a whole number of bytes (0 keeps none), not {kept!r}")
    config["KEPT_PAGES_BYTES"] = int(kept)
    check_base_url(config.get("BASE_URL"), mail=bool(config.get("SMTP_HOST")))


def check_base_url(base_url: str | None, *, mail: bool) -> None:
    """Links in e-mail come from this setting, never from a request's Host header, which a client chooses."""
    if not base_url:
        if mail:
            raise ValueError(
                "ACADEMY_BASE_URL must be set when ACADEMY_SMTP_HOST is: the academy's public address, "
                "e.g. https://academy.example.com, from which the links in e-mail are built"
            )
        return
    parts = urlsplit(str(base_url).strip())
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    has_host = bool(parts.hostname) and "@" not in parts.netloc and not any(c.isspace() for c in parts.netloc)
    if parts.scheme not in ("http", "https") or not (has_host and port_ok) or parts.query or parts.fragment:
        raise ValueError(
            "ACADEMY_BASE_URL must be an http or https address with a host and no query or fragment, "
            f"e.g. https://academy.example.com, not {base_url!r}"
        )


def ensure_instance_folder(app: Flask) -> None:
    """The instance folder holds what the settings leave to it: the SQLite database, the secret key, the queue
    file. Made only when one of them needs it; a service user that may not create it is told what to do."""
    defaults = [f"ACADEMY_{name}" for name in ("DATABASE_URL", "SECRET_KEY", "QUEUE_URL") if not app.config.get(name)]
    folder = Path(app.instance_path)
    if not defaults or folder.is_dir():
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RuntimeError(
            f"The instance folder {folder} does not exist and cannot be made ({error.strerror}): create it, writable "
            f"by the user the academy runs as (README, Production), or set {', '.join(defaults)}"
        ) from None


def instance_secret_key(path: Path) -> str:
    """The key kept in the instance folder, made once; safe when several workers start together."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        key = secrets.token_hex(32)
        f.write(key)
    return key


def api_validation_error(error):
    """A request the API's models refuse: 422 with each problem, in the API's error shape."""
    problems = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in error.errors()]
    response = jsonify(error="Invalid request", detail=problems)
    response.status_code = 422
    return response
