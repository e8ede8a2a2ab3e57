"""Reading real municipal CSV files: encodings, line ends, quoted newlines, messy headers.

Observed in the wild (see tests/data/SOURCES.md and the files in tests/data/opendata): Shift_JIS/cp932, UTF-8 with or without
BOM, CRLF and LF mixed with newlines inside quoted cells, half-width katakana, blank header cells,
trailing unnamed columns and a missing final newline. ``read_table`` returns normalized headers and
rows as lists of strings, or raises :class:`CsvError` naming what could not be understood.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass


class CsvError(ValueError):
    """The file cannot be understood; the message names the row/column where possible."""


@dataclass(frozen=True)
class Table:
    headers: list[str]  # NFKC-normalized, stripped; blank cells become "" (never matched)
    rows: list[list[str]]  # each padded/truncated to len(headers); row i is file data row i + 1
    encoding: str


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError as exc:
        raise CsvError(f"not UTF-8 or Shift_JIS text (undecodable byte at offset {exc.start})") from exc


def normalize_header(cell: str) -> str:
    return unicodedata.normalize("NFKC", cell).strip().lstrip("#").strip()


def read_table(data: bytes) -> Table:
    text, encoding = decode(data)
    if not text.strip():
        raise CsvError("the file is empty")
    if "\x00" in text:
        raise CsvError(f"a NUL character at offset {text.index(chr(0))}: not a text CSV (or a damaged one)")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise CsvError(f"not a readable CSV: {exc}") from exc
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise CsvError("the file has only empty rows")
    headers = [normalize_header(h) for h in rows[0]]
    while headers and not headers[-1]:
        headers.pop()  # trailing unnamed columns
    width = len(headers)
    body = []
    for row in rows[1:]:
        row = [cell.strip() for cell in row[:width]] + [""] * max(0, width - len(row))
        body.append(row)
    return Table(headers, body, encoding)


def to_number(value: str) -> float | None:
    """'50,700 ' → 50700.0; '' → None; raises ValueError otherwise."""
    cleaned = unicodedata.normalize("NFKC", value).replace(",", "").replace(" ", "").strip()
    if cleaned in ("", "-", "ー", "―"):
        return None
    return float(cleaned)


YES = {"1", "○", "◯", "〇", "有", "あり", "有り", "可", "true", "yes", "y", "●", "◎"}
CONDITIONAL = {"△", "▲", "条件付", "一部"}


def flag(value: str) -> str:
    """Disaster-type and yes/no flags → 'yes' | 'conditional' | 'no'."""
    v = unicodedata.normalize("NFKC", value).strip().lower()
    if v in YES:
        return "yes"
    if v in CONDITIONAL:
        return "conditional"
    return "no"
