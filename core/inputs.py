"""Untrusted numbers: ids from residents' postbacks and staff forms read as "no value" when they are not
plain ASCII digits that fit a database integer, never an exception deep inside a handler (``int("²")``
raises; 10^23 overflows PostgreSQL's ``integer``). Webhook text is cleaned in line/events.py."""

from __future__ import annotations

MAX_DB_INT = 2**31 - 1  # PostgreSQL ``integer``


def whole_number(value: object) -> int | None:
    """``value`` as a non-negative int when it is written in ASCII digits and fits a database integer (``²``,
    ``１２``, ``-1``, ``1e3`` and 10^23 are None)."""
    text = value if isinstance(value, str) else ""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_DB_INT else None
