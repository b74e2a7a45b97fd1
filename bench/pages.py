"""What a browser would do with the academy's pages: read their forms, sign in with the CSRF token.

Shared by the read benchmark (which signs clients in before handing their cookie to wrk) and the locustfile
(whose trainees submit the forms they find on module pages, as a person would)."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

import requests

PASSWORD = "academy-synth"  # noqa: S105 - what `flask academy synth` gives every synthetic account
TIMEOUT = 30


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden inputs and textareas: name -> value
    choices: dict[str, list[str]] = field(default_factory=dict)  # radio and checkbox groups: name -> values


class FormReader(HTMLParser):
    """The POST forms of a page, with their hidden fields, text areas and choice groups."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = Form(action=a.get("action") or "")
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                self._form.choices.setdefault(a["name"], []).append(a.get("value") or "on")
            elif kind in ("hidden", "text"):
                self._form.fields[a["name"]] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms_of(html: str) -> list[Form]:
    reader = FormReader()
    reader.feed(html)
    return reader.forms


def form_to(html: str, action_prefix: str) -> Form | None:
    """The first POST form whose action starts with `action_prefix`."""
    return next((f for f in forms_of(html) if f.action.startswith(action_prefix)), None)


class SignInFailed(RuntimeError):
    pass


def sign_in(base_url: str, email: str, password: str = PASSWORD) -> requests.Session:
    """A session signed in through the login form, as a browser does: GET for the CSRF token, then POST."""
    client = requests.Session()
    page = client.get(f"{base_url}/login", timeout=TIMEOUT)
    form = form_to(page.text, "") if page.ok else None
    if form is None or "csrf_token" not in form.fields:
        raise SignInFailed(f"/login answered {page.status_code} without a sign-in form")
    answer = client.post(
        f"{base_url}/login",
        data={**form.fields, "email": email, "password": password},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if answer.status_code != 302 or "session" not in client.cookies:
        raise SignInFailed(f"signing in as {email} answered {answer.status_code}")
    return client


def cookie_header(client: requests.Session) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())
