"""CSV exports for spreadsheets: UTF-8 with a header row, and no cell a spreadsheet could run as a formula."""

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime

from flask import Response

FORMULA_STARTS = frozenset("=+-@\t\r")
# a spreadsheet set to split on ";" (or tabs, or lines, ignoring quotes) starts a cell after any of these
SEPARATORS = frozenset(",;\t\r\n")
EMBEDDED_FORMULA = re.compile(r"([,;\t\r\n])([=+\-@])")


def neutralise(value) -> str:
    """A cell that a spreadsheet would read as a formula gets a leading apostrophe (OWASP's advice), and so does
    a formula right after a separator inside the cell, where a spreadsheet splitting differently starts one."""
    text = "" if value is None else value if type(value) is str else str(value)
    if not SEPARATORS.isdisjoint(text):  # most cells have none: the substitution is the slow part of an export
        text = EMBEDDED_FORMULA.sub(r"\1'\2", text)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)  # a quoted cell is text, whatever splits
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return "\ufeff" + out.getvalue()  # the byte-order mark makes spreadsheet programs read UTF-8


def iso(value: date | datetime | None) -> str:
    if not value:
        return ""
    return value.isoformat(timespec="minutes") if isinstance(value, datetime) else value.isoformat()


def csv_response(text: str, name: str) -> Response:
    """A download named after what it holds, reduced to characters every file system and browser accepts."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "export"
    response = Response(text, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}.csv"'
    return response
