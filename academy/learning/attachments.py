"""What a trainee may attach to lab evidence: checked by content as well as by name."""

import hashlib
from dataclasses import dataclass

TEXT_SUFFIXES = {
    "txt",
    "log",
    "md",
    "yaml",
    "yml",
    "json",
    "conf",
    "cfg",
    "ini",
    "toml",
    "csv",
    "py",
    "sh",
    "out",
    "promql",
    "tf",
    "rules",
}
IMAGE_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
}
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
ACCEPTED = ", ".join(sorted({f".{s}" for s in TEXT_SUFFIXES | set(IMAGE_TYPES)} | {".pdf"}))


class AttachmentRefused(ValueError):
    """Why a file cannot be attached, in words the trainee can act on."""


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def check_file(name: str, data: bytes, *, max_bytes: int) -> CheckedFile:
    if not name or "/" in name or "\\" in name or name.startswith(".") or ".." in name or len(name) > 200:
        raise AttachmentRefused(f"“{name[:80]}” is not a plain file name; rename the file and attach it again.")
    if any(ord(c) < 32 for c in name):
        raise AttachmentRefused("The file name contains control characters; rename the file.")
    if len(data) > max_bytes:
        raise AttachmentRefused(f"“{name}” is larger than {max_bytes // 1_000_000} MB.")
    if not data:
        raise AttachmentRefused(f"“{name}” is empty.")
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in IMAGE_TYPES:
        if not data.startswith(IMAGE_MAGIC[suffix]) or (suffix == "webp" and data[8:12] != b"WEBP"):
            raise AttachmentRefused(f"“{name}” does not contain a {suffix.upper()} image.")
        return CheckedFile(name, IMAGE_TYPES[suffix], data)
    if suffix == "pdf":
        if not data.startswith(b"%PDF-"):
            raise AttachmentRefused(f"“{name}” does not contain a PDF document.")
        return CheckedFile(name, "application/pdf", data)
    if suffix in TEXT_SUFFIXES:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AttachmentRefused(f"“{name}” is not UTF-8 text.") from exc
        if b"\x00" in data:
            raise AttachmentRefused(f"“{name}” is not plain text.")
        return CheckedFile(name, "text/plain; charset=utf-8", data)
    raise AttachmentRefused(f"Files like “{name}” cannot be attached. Accepted: {ACCEPTED}.")
