"""CSV exports for spreadsheets: UTF-8 with a header row, and no cell a spreadsheet could run as a formula."""

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime

FORMULA_STARTS = frozenset("=+-@\t\r")


def neutralise(value) -> str:
    """A cell that a spreadsheet would read as a formula gets a leading apostrophe (OWASP's advice)."""
    text = "" if value is None else value if type(value) is str else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return "\ufeff" + out.getvalue()  # the byte-order mark makes spreadsheet programs read UTF-8


def iso(value: date | datetime | None) -> str:
    if not value:
        return ""
    return value.isoformat(timespec="minutes") if isinstance(value, datetime) else value.isoformat()
