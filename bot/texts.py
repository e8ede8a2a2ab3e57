"""The bot's fixed texts, read from its catalogs (bot/catalog/<language>.yaml) in the reply's language.

``t`` for a text (a mixed language gives やさしい日本語 then English), ``label`` for a button or quick reply
(one language, LINE's 20-character labels), ``words`` for what residents type for a command in any language,
folded as their messages are.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from core import i18n
from search.normalize import fold

CATALOG = i18n.Catalog(Path(__file__).parent / "catalog")


def t(key: str, **fields: Any) -> str:
    return CATALOG.text(key, **fields)


def label(key: str, **fields: Any) -> str:
    return CATALOG.label(key, **fields)


@cache
def words(key: str) -> frozenset[str]:
    return frozenset(fold(w).replace(" ", "") for w in CATALOG.words(key))


def japanese() -> bool:
    """Is the reply in plain Japanese (where the municipality's own wording, e.g. its greeting, is used)?"""
    return i18n.current() == i18n.JA
