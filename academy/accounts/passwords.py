"""The password rule: at least 12 characters, and not guessable.

zxcvbn (Dropbox's estimator) checks against its list of the 30,000 most common passwords, dictionary
words, keyboard patterns, dates and the account's own name and email.
"""

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn: 0 too guessable ... 4 very unguessable


def password_problem(password: str, *, email: str = "", display_name: str = "") -> str | None:
    """Why this password is refused, in words a person can act on, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in password.lower():
        return "Do not put your email address in your password."
    inputs = [part for part in (email, email.split("@")[0], *display_name.split()) if part]
    result = zxcvbn(password[:72], user_inputs=inputs)  # zxcvbn reads at most 72; the rest only adds strength
    if result["score"] >= MIN_SCORE:
        return None
    warning = result["feedback"].get("warning") or "This password is too easy to guess."
    return f"{warning.rstrip('.')}. Try a few unrelated words together."
