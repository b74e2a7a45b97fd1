"""The academy's REST API as academy-lab uses it: JSON over urllib, a bearer token, clear errors."""

from __future__ import annotations

import http.client
import json
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from . import __version__

TIMEOUT_SECONDS = 30
RETRY_DELAYS = (0.5, 1.0, 2.0)  # seconds before each retry of a submission that did not get an answer
TRANSIENT_STATUSES = (502, 503, 504)  # a proxy in front of the academy that could not reach it this time
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
PER_PAGE = 100


class ApiError(Exception):
    """The academy answered, and said no: the message is for the trainee, as the server worded it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class NetworkError(Exception):
    """No answer came back: the request may or may not have reached the academy."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would forward the token to wherever a redirect points: stop and tell the trainee instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def check_url(url: str) -> str:
    """The academy's base address without a trailing slash; raises ValueError when it is not http(s)."""
    url = url.strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not the academy's address: give it as https://academy.example.org")
    return url


def travels_in_clear_text(url: str) -> bool:
    """True for http:// to another machine, where anyone on the way can read the token."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS


class Academy:
    """One academy, one token. Every method returns the decoded JSON or raises ApiError / NetworkError."""

    def __init__(self, url: str, token: str):
        self.url = check_url(url)
        self.token = token
        # the default context verifies certificates and host names; never turn that off
        https = urllib.request.HTTPSHandler(context=ssl.create_default_context())
        self._opener = urllib.request.build_opener(https, _NoRedirects)
        if travels_in_clear_text(self.url):
            print(f"Warning: {self.url} is not https: your token travels in clear text.", file=sys.stderr)

    def me(self) -> dict:
        return self._call("GET", "/api/v1/me")

    def my_labs(self) -> list[dict]:
        """Every lab of the caller, page after page (the server may give fewer per page than asked)."""
        items: list[dict] = []
        page = 1
        while True:
            answer = self._call("GET", f"/api/v1/me/labs?page={page}&per_page={PER_PAGE}")
            items += answer.get("items") or []
            if not answer.get("items") or len(items) >= answer.get("total", 0):
                return items
            page += 1

    def lab_checks(self, lab_id: str) -> dict:
        return self._call("GET", f"/api/v1/labs/{quoted(lab_id)}/checks")

    def submit_attempt(self, lab_id: str, body: dict) -> dict:
        """POST the attempt, retrying when no answer came: the body's request_key makes a repeat harmless."""
        path = f"/api/v1/labs/{quoted(lab_id)}/attempts"
        for delay in RETRY_DELAYS:
            try:
                return self._call("POST", path, body)
            except NetworkError as problem:
                print(f"{problem}; trying again in {delay:g} s.", file=sys.stderr)
                time.sleep(delay)
        return self._call("POST", path, body)

    def withdraw_attempt(self, attempt_id: int) -> dict:
        return self._call("POST", f"/api/v1/attempts/{int(attempt_id)}/withdraw")

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(  # noqa: S310 - check_url allows http and https only
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers=self._headers(body is not None),
        )
        try:
            with self._opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return self._json(response.status, response.read())
        except urllib.error.HTTPError as answer:
            raise self._refusal(answer) from None
        except (OSError, http.client.HTTPException) as problem:
            raise NetworkError(f"No answer from {self.url} ({describe_network_problem(problem)})") from None

    def _headers(self, has_body: bool) -> dict:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "User-Agent": f"academy-lab/{__version__}",
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _json(self, status: int, raw: bytes) -> dict:
        try:
            payload = json.loads(raw.decode("utf-8"))
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise ApiError(status, f"{self.url} did not answer in JSON (HTTP {status}): is it the academy?")
        return payload

    def _refusal(self, answer: urllib.error.HTTPError) -> Exception:
        """The exception for an HTTP error status: the server's own words when it sent some."""
        if answer.code in TRANSIENT_STATUSES:
            return NetworkError(f"No answer from {self.url} (HTTP {answer.code} from a proxy in front of it)")
        if 300 <= answer.code < 400:
            where = (answer.headers.get("Location") or "another address").split("/api/v1/")[0]
            return ApiError(answer.code, f"The academy redirects to {where}: run `academy-lab login {where}`.")
        try:
            payload = json.loads(answer.read().decode("utf-8"))
        except (ValueError, OSError, http.client.HTTPException):
            payload = None
        if not isinstance(payload, dict):
            return ApiError(answer.code, f"HTTP {answer.code} from {self.url}: is it the academy?")
        return ApiError(answer.code, explain(payload) or f"HTTP {answer.code}")


def explain(payload: dict) -> str:
    """The error body `{"error": ..., "detail": ...}` as one plain message: the detail when there is one."""
    detail = payload.get("detail")
    if isinstance(detail, list):
        detail = "; ".join(_detail_item(item) for item in detail)
    return str(detail or payload.get("error") or "")


def _detail_item(item) -> str:
    """A validation error may come as {"loc": [...], "msg": "..."}: show where, then what."""
    if isinstance(item, dict) and "msg" in item:
        where = ".".join(str(part) for part in item.get("loc") or [] if part != "body")
        return f"{where}: {item['msg']}" if where else str(item["msg"])
    return str(item)


def describe_network_problem(problem: BaseException) -> str:
    reason = getattr(problem, "reason", None) or problem
    return str(reason) or type(reason).__name__


def quoted(lab_id: str) -> str:
    return urllib.parse.quote(lab_id, safe="")
