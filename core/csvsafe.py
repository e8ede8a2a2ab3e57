"""CSV cells that spreadsheets will not run as formulas (OWASP "CSV injection").

Residents' messages and FAQ texts reach staff's Excel through CSV downloads; a cell that starts with
``= + - @``, a tab or a carriage return is a formula there (``=HYPERLINK(...)`` from a resident would be a
live link). Such cells are written with a leading apostrophe; importing strips exactly that one apostrophe,
so export → import gives back the same text (a text that itself starts with apostrophes before one of those
characters gets one more on export and loses it on import).
"""

from __future__ import annotations

import re
from typing import Any

# the formula starters, also full-width (Excel with a Japanese IME reads ＝ as =) and after leading spaces (#26)
_START = r"[ \u3000]*[=+\-@\t\r＝＋－＠]"
_NEEDS_QUOTE = re.compile(r"'*" + _START)
_QUOTED = re.compile(r"'+" + _START)


def neutralise(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet (non-strings are left as they are)."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The text :func:`neutralise` was given."""
    return value[1:] if _QUOTED.match(value) else value
