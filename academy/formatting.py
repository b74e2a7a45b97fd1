"""Words for numbers, files and curriculum keys on pages: one place, registered as Jinja filters by create_app."""

IRREGULAR = {"person": "people", "entry": "entries", "is": "are", "was": "were"}

FILE_KINDS = {
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "application/pdf": "PDF document",
}

EVIDENCE_WORDS = {
    "link": "a link",
    "command-output": "command output",
    "write-up": "a write-up",
    "screenshot": "a screenshot",
    "config": "a configuration file",
    "file": "a file",
}


def plural(noun: str, n: int) -> str:
    """The noun for n of it: plural('mentor', 1) is 'mentor', plural('person', 3) 'people'."""
    if n == 1:
        return noun
    if noun in IRREGULAR:
        return IRREGULAR[noun]
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")


def pluralize(n: int, noun: str) -> str:
    """'1 mentor', '3 managers', '0 people': in templates `{{ n|pluralize('mentor') }}`."""
    return f"{n} {plural(noun, n)}"


def file_kind(content_type: str) -> str:
    """An attachment's kind in words; every accepted file that is not an image or a PDF is text."""
    return FILE_KINDS.get(content_type) or ("image" if content_type.startswith("image/") else "text file")


def file_size(size: int) -> str:
    """Bytes as a person reads them: '820 bytes', '12 KB', '1.4 MB' (decimal units, as the upload limit is)."""
    if size < 1000:
        return pluralize(size, "byte")
    if size < 1_000_000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1_000_000:.1f} MB"


def evidence_words(kinds) -> str:
    """The curriculum's evidence keys as a phrase: 'a link, command output and a write-up'."""
    words = [EVIDENCE_WORDS.get(k, k.replace("-", " ")) for k in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def init_app(app) -> None:
    app.jinja_env.filters.update(
        plural=plural, pluralize=pluralize, file_kind=file_kind, file_size=file_size, evidence_words=evidence_words
    )
