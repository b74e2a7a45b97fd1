"""A real OpenID Connect provider on 127.0.0.1 for the sign-in tests (oidc-provider-mock, an Authlib server), with a
way to spoil the ID tokens its token endpoint answers: signed by another key, or with a claim changed and signed
again with the provider's own key (a wrong nonce, audience, issuer or expiry)."""

import base64
import json
import threading
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import flask
import oidc_provider_mock
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server


class SpoilTokens:
    """WSGI middleware around the provider: when `mode` is set, the next token answers carry a spoiled ID token."""

    def __init__(self, app, provider_key):
        self.app, self.provider_key = app, provider_key
        self.mode: str | None = None
        self.claims: dict = {}
        self.token_requests: list[dict] = []

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != "/oauth2/token":
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.token_requests.append({k: v[0] for k, v in parse_qs(body.decode()).items()})
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        captured = {}

        def keep(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        answer = b"".join(self.app(environ, keep))
        if self.mode and captured["status"].startswith("200"):
            token = json.loads(answer)
            token["id_token"] = self.spoil(token["id_token"])
            answer = json.dumps(token).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(answer)))])
        return [answer]

    def spoil(self, id_token: str) -> str:
        header_part, claims_part, _ = id_token.split(".")
        header = json.loads(base64.urlsafe_b64decode(header_part + "=="))
        claims = json.loads(base64.urlsafe_b64decode(claims_part + "=="))
        if self.mode == "other-key":
            return jwt.encode(header, claims, RSAKey.generate_key(2048, private=True))
        return jwt.encode(header, claims | self.claims, self.provider_key)


class Provider:
    def __init__(self, server, spoiler: SpoilTokens):
        self.server, self.spoiler = server, spoiler
        self.issuer = f"http://127.0.0.1:{server.server_port}"

    def settings(self, **more) -> dict:
        """The academy's settings for this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": "sre-academy",
            "OIDC_CLIENT_SECRET": "academy-client-secret",
            "OIDC_NAME": "Example SSO",
            "OIDC_ROLE_MAP": "sre-academy-mentors=mentor,sre-academy-managers=manager,sre-academy-trainees=trainee",
            **more,
        }

    def set_user(self, subject: str, **claims) -> None:
        answer = requests.put(f"{self.issuer}/users/{subject}", json=claims, timeout=10)
        assert answer.status_code == 204, answer.text

    def authorize(self, authorize_url: str, subject: str) -> str:
        """The person signs in at the provider as `subject`: where the provider sends the browser back to."""
        assert authorize_url.startswith(self.issuer), authorize_url
        answer = requests.post(authorize_url, data={"sub": subject}, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["Location"]

    @contextmanager
    def spoiled(self, mode: str, **claims):
        self.spoiler.mode, self.spoiler.claims = mode, claims
        try:
            yield
        finally:
            self.spoiler.mode, self.spoiler.claims = None, {}


@contextmanager
def running_provider():
    app = oidc_provider_mock.app(require_nonce=True)
    with app.test_request_context():
        app.preprocess_request()  # sets the provider's storage on `g`: its signing key
        key = RSAKey.import_key(flask.g.oidc_provider_mock_storage.jwk.as_dict(is_private=True))
    spoiler = SpoilTokens(app.wsgi_app, key)
    app.wsgi_app = spoiler
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Provider(server, spoiler)
    finally:
        server.shutdown()
        thread.join(5)


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"
