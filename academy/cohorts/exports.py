"""CSV exports for spreadsheets: UTF-8 with a header row, and no cell a spreadsheet could run as a formula."""

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell that a spreadsheet would read as a formula gets a leading apostrophe (OWASP's advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return "\ufeff" + out.getvalue()  # the byte-order mark makes spreadsheet programs read UTF-8


def iso(value) -> str:
    return value.isoformat(timespec="minutes") if hasattr(value, "hour") else (value.isoformat() if value else "")
