"""Absolute links the academy writes into e-mail and invitations: built from ACADEMY_BASE_URL, never from a
request's Host or X-Forwarded-Host header, which any client can set to a host of its choosing. And `href`, for the
links people type."""

import re
from urllib.parse import quote, urlsplit, urlunsplit

from flask import current_app, has_request_context, request, url_for
from markupsafe import Markup

from .page_cache import drawn_once


def base_url() -> str | None:
    """The academy's public address without a trailing slash, or None when it is not configured."""
    base = (current_app.config.get("BASE_URL") or "").strip()
    return base.rstrip("/") or None


def external_url(endpoint: str, **values) -> str:
    """An absolute link to `endpoint`; works outside a request (a mail worker) when BASE_URL is set."""
    if base := base_url():
        return base + app_path(endpoint, **values)
    if not has_request_context():
        raise RuntimeError("ACADEMY_BASE_URL is needed to build an absolute link outside a request")
    return url_for(endpoint, _external=True, **values)


def external_path(path: str) -> str:
    """An absolute link to a path the academy built itself, such as a notification's "/review/12"."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"not a path inside the academy: {path!r}")
    if base := base_url():
        return base + path
    if not has_request_context():
        raise RuntimeError("ACADEMY_BASE_URL is needed to build an absolute link outside a request")
    return request.url_root.rstrip("/") + path


def static_links() -> Markup:
    """The stylesheets, icon and script every page's head links (templates/_static_links.html), drawn once per
    process and script root: building their four addresses on each page was 5 % of the smallest signed-in page's
    time (bench/results.md)."""
    # the template alone, without the context processors (the reader's numbers) that render_template runs;
    # script roots come from the server's set-up: one or a handful
    drawn = drawn_once(
        "academy.static_links",
        request.script_root,
        lambda: current_app.jinja_env.get_template("_static_links.html").render(),
        limit=64,
    )
    return Markup(drawn)  # noqa: S704 - our template's output, escaped when drawn


def app_path(endpoint: str, **values) -> str:
    """The path of `endpoint` from the academy's root, without a request (a bare adapter, no Host involved)."""
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return f"{path}#{anchor}" if anchor else path


# the characters a URL may hold as they are (the URL Standard's URL code points), besides letters and digits; `%`
# stays for escapes already there, `[` and `]` only in the host (an IPv6 address)
URL_CHARACTERS = "!$&'()*+,-./:;=?@_~%"


def href(url: str) -> str:
    """`url` as an href that is a valid URL: what a person typed (evidence links) may hold a quote, `<`, `>`, a
    space or a second `#`, which browsers forgive and the HTML standard does not; those are percent-encoded. A
    valid address comes back unchanged. The text shown beside it stays as typed."""
    parts = urlsplit(url)

    def encoded(text: str, also: str = "") -> str:
        return quote(re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", text), safe=URL_CHARACTERS + also)

    return urlunsplit(
        (parts.scheme, encoded(parts.netloc, "[]"), encoded(parts.path), encoded(parts.query), encoded(parts.fragment))
    )
