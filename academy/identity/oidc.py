"""Company sign-in with OpenID Connect: the authorization code flow with PKCE, through Authlib.

Authlib keeps `state`, `nonce` and the PKCE verifier in the signed session cookie (any worker can finish a sign-in
another began), checks `state`, exchanges the code, and verifies the ID token's signature against the provider's
JWKS, its issuer, audience, expiry and nonce. The academy then finds the account (signin.py) and starts its own
session, revocable and throttled as every other.
"""

import logging
import re
from urllib.parse import urlencode, urlsplit

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from joserfc.errors import JoseError
from requests import RequestException
from sqlalchemy.exc import IntegrityError

from .. import audit, db, policy
from ..accounts.auth import home_url, safe_next, start_session
from ..accounts.forms import LoginForm
from ..links import external_url
from .groups import parse_role_map
from .signin import Provider, SignInRefused, account_for

bp = Blueprint("oidc", __name__)
log = logging.getLogger(__name__)
CLIENT = "academy.oidc"
DEFAULT_SCOPES = "openid email profile"
DEFAULT_NAME = "your company account"
MAX_KEPT_ID_TOKEN = 2000  # characters: kept in the session cookie (4 KB in all) only when it fits easily
CODE = re.compile(r"[A-Za-z_]{1,40}")
FAILURES = (AuthlibBaseError, JoseError, RequestException, KeyError, TypeError, ValueError)


def configured(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("OIDC_ISSUER"))


def provider_name() -> str:
    return (current_app.config.get("OIDC_NAME") or DEFAULT_NAME).strip()


def check_settings(config) -> None:
    """Refused at start, with what is wrong, rather than a sign-in that fails later."""
    issuer = (config.get("OIDC_ISSUER") or "").strip()
    if issuer:
        parts = urlsplit(issuer)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback) or not parts.hostname:
            raise ValueError(f"ACADEMY_OIDC_ISSUER must be the provider's https address, not {issuer!r}")
        if not config.get("OIDC_CLIENT_ID") or not config.get("OIDC_CLIENT_SECRET"):
            raise ValueError(
                "ACADEMY_OIDC_CLIENT_ID and ACADEMY_OIDC_CLIENT_SECRET must be set with ACADEMY_OIDC_ISSUER"
            )
        if "openid" not in str(config.get("OIDC_SCOPES") or DEFAULT_SCOPES).split():
            raise ValueError("ACADEMY_OIDC_SCOPES must include openid")
    parse_role_map(config.get("OIDC_ROLE_MAP"))
    mode = str(config.get("PASSWORD_SIGN_IN", "on")).strip().lower()
    if mode not in ("on", "off"):
        raise ValueError(f"ACADEMY_PASSWORD_SIGN_IN is on or off, not {mode!r}")
    if mode == "off" and not (issuer and str(config.get("BREAK_GLASS_ADMINS") or "").strip()):
        raise ValueError(
            "ACADEMY_PASSWORD_SIGN_IN=off needs ACADEMY_OIDC_ISSUER (how everyone signs in) and "
            "ACADEMY_BREAK_GLASS_ADMINS (the admin e-mail addresses that keep a password for when the provider is down)"
        )


def init_app(app: Flask) -> None:
    check_settings(app.config)
    app.jinja_env.globals.update(
        company_sign_in=lambda: provider_name() if configured() else None, passwords_off=policy.passwords_off
    )
    if not configured(app):
        return
    oauth = OAuth(app)
    issuer = app.config["OIDC_ISSUER"].strip().rstrip("/")
    client = oauth.register(
        "company",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": app.config.get("OIDC_SCOPES") or DEFAULT_SCOPES, "timeout": 10},
        code_challenge_method="S256",
    )
    app.extensions[CLIENT] = client


def client():
    return current_app.extensions[CLIENT]


def provider() -> Provider:
    config = current_app.config
    return Provider(
        issuer=client().load_server_metadata()["issuer"],
        name=provider_name(),
        role_map=parse_role_map(config.get("OIDC_ROLE_MAP")),
        # set empty, roles stay with the academy's admins (and provisioning): no claim is read
        groups_claim=str(config.get("OIDC_GROUPS_CLAIM", "groups")).strip() or None,
        create_users=str(config.get("OIDC_CREATE_USERS", "")).strip().lower() in ("1", "true", "yes", "on"),
    )


@bp.get("/login/oidc")
def start():
    if not configured():
        return redirect(url_for("accounts.login"))
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    session.pop("oidc_next", None)  # an earlier, abandoned sign-in's page is not this one's
    if target := safe_next(request.args.get("next")):
        session["oidc_next"] = target
    try:
        return client().authorize_redirect(external_url("oidc.callback"))
    except FAILURES as error:  # the provider does not answer: say so on the sign-in page
        log.warning("OpenID Connect: could not reach the provider: %s", error)
        return refused(f"{provider_name()} does not answer just now. Try again in a minute.", status=502)


@bp.get("/login/oidc/callback")
def callback():
    if not configured():
        return redirect(url_for("accounts.login"))
    db.will_write()  # a GET that links or makes an account and records the sign-in
    s, claims = db.session(), None
    try:
        token = client().authorize_access_token()
        claims = token.get("userinfo") if isinstance(token, dict) else None
        if not claims:
            raise SignInRefused(f"{provider_name()} sent no ID token, so the academy cannot tell who you are.")
        user = account_for(s, claims, provider())
    except SignInRefused as refusal:
        s.rollback()
        email = (claims or {}).get("email")
        email = email if isinstance(email, str) else None
        audit.record_coalesced(s, "login.oidc_refused", email or None, via=provider_name(), reason=str(refusal))
        s.commit()
        return refused(str(refusal))
    except FAILURES as error:
        s.rollback()
        log.warning("OpenID Connect sign-in refused: %r", error)
        return refused(
            f"The sign-in with {provider_name()} did not complete ({describe(error)}). Nothing was changed; try again."
        )
    audit.record(s, "login.succeeded", user.email, actor=user.id, via=provider_name())
    try:
        s.commit()
    except IntegrityError:  # the same person's first sign-in, twice at once: the other one linked or made them
        s.rollback()
        return refused(f"The sign-in with {provider_name()} did not complete. Nothing was changed; try again.")
    target = session.pop("oidc_next", None)
    account = start_session(s, user)
    session["signed_in_with"] = "oidc"
    if len(token.get("id_token") or "") <= MAX_KEPT_ID_TOKEN:  # the provider's sign-out asks for it as a hint
        session["oidc_id_token"] = token["id_token"]
    return redirect(target or home_url(account))


def describe(error: Exception) -> str:
    """A refusal's reason as a short code (Authlib's or the provider's, e.g. access_denied), never the text that
    came with it: the callback's query string is anyone's to write, and the page is the academy's."""
    code = getattr(error, "error", None) or type(error).__name__
    return code if isinstance(code, str) and CODE.fullmatch(code) else "refused"


def refused(message: str, status: int = 400):
    return render_template("accounts/login.html", form=LoginForm(), error=message), status


def sign_out_url() -> str | None:
    """The provider's own sign-out (RP-initiated logout), when it offers one and the person came through it."""
    if not configured() or session.get("signed_in_with") != "oidc":
        return None
    try:
        endpoint = client().load_server_metadata().get("end_session_endpoint")
    except FAILURES:
        return None
    if not endpoint:
        return None
    query = {
        "client_id": current_app.config["OIDC_CLIENT_ID"],
        "post_logout_redirect_uri": external_url("accounts.login"),
    }
    if hint := session.get("oidc_id_token"):
        query["id_token_hint"] = hint
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"
