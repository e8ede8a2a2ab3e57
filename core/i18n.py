"""Residents' languages: which ones the bot speaks, how a LINE profile's language maps to one, and catalogs of
fixed texts per language.

Foreign residents (technical interns in farming and fishing, students, spouses) are a growing share of small
cities, and the bot must not leave them with Japanese-only replies. Every fixed text a resident reads lives in
a catalog — one YAML file per language, the same keys in each (a test fails on a missing key) — never in code.
やさしい日本語 (``ja-easy``) is a language of its own: short sentences and simple words, what municipalities use for
foreign residents in disasters. A language the bot does not speak gets やさしい日本語 followed by English
(``ja-easy+en``).

The language of the reply being built is a context variable set per event (``using``): handlers and the
wording they call read it with ``current()`` instead of passing it through every function.
"""

from __future__ import annotations

import contextvars
import string
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

JA = "ja"
EASY = "ja-easy"
MIXED = "ja-easy+en"  # a language the bot does not speak: やさしい日本語, then English
# code -> the language's own name (what a resident recognises in the language menu)
LANGUAGES: dict[str, str] = {
    "ja": "日本語",
    "ja-easy": "やさしい にほんご",
    "en": "English",
    "zh-Hans": "简体中文",
    "zh-Hant": "繁體中文",
    "ko": "한국어",
    "vi": "Tiếng Việt",
    "pt": "Português",
    "tl": "Tagalog",
    "ne": "नेपाली",
    "id": "Bahasa Indonesia",
}
# LINE profile tags that name a language the bot speaks under another code
_ALIASES = {
    "zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-hans": "zh-Hans",
    "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "zh-hant": "zh-Hant",
    "fil": "tl", "in": "id", "pt-br": "pt", "pt-pt": "pt", "ja-jp": "ja", "ko-kr": "ko", "vi-vn": "vi",
    "ne-np": "ne", "id-id": "id", "tl-ph": "tl", "fil-ph": "tl",
}


def resolve(tag: str | None) -> str:
    """A LINE profile's language (a BCP 47 tag: ``en``, ``zh-Hant``, ``pt-BR``…) as one the bot speaks;
    ``ja`` when there is none (LINE leaves it out without the user's consent), ``ja-easy+en`` when the bot does
    not speak it."""
    if not tag or not isinstance(tag, str):
        return JA
    cleaned = tag.strip().replace("_", "-")
    if cleaned in LANGUAGES or cleaned == MIXED:
        return cleaned
    lowered = cleaned.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    for code in LANGUAGES:
        if code.lower() == lowered:
            return code
    parts = lowered.split("-")
    base = parts[0]
    if base == "zh":  # zh-Hant-TW, zh-Hans-CN, zh-TW-x…: the script or the region decides (#26: Taiwan got Simplified)
        traditional = {"hant", "tw", "hk", "mo"} & set(parts[1:])
        return "zh-Hant" if traditional else "zh-Hans"
    if base in _ALIASES:
        return _ALIASES[base]
    if base in LANGUAGES and base != "ja":
        return base
    if base == "ja":
        return JA
    return MIXED


def chain(lang: str) -> tuple[str, ...]:
    """The catalog languages to read for ``lang``, best first (a mixed reply reads two)."""
    return (EASY, "en") if lang == MIXED else (lang,)


def best(language: str | None, available: Iterable[str]) -> str | None:
    """The first of ``language``'s catalog languages (``chain``; a LINE tag is resolved first) that is in
    ``available`` — a translation, a menu, a heading — or None (then the Japanese is used)."""
    offered = set(available)
    return next((code for code in chain(resolve(language)) if code in offered), None)


_current: contextvars.ContextVar[str] = contextvars.ContextVar("machimado_language", default=JA)
# The language the resident's question was written in, when it can be told (English, Korean…): an answer's
# translation is chosen in it first (a resident whose profile says Vietnamese but who writes English reads English).
_written: contextvars.ContextVar[str | None] = contextvars.ContextVar("machimado_written", default=None)


@contextmanager
def writing(lang: str | None) -> Iterator[None]:
    token = _written.set(lang if lang in LANGUAGES else None)
    try:
        yield
    finally:
        _written.reset(token)


def note_written(lang: str | None) -> None:
    """The current event's question was written in ``lang`` (inside ``writing``, which ends it with the event)."""
    _written.set(lang if lang in LANGUAGES else None)


def content_chain(language: str | None) -> tuple[str, ...]:
    """Which translation of an answer to read, best first: the language the question was written in, the
    resident's language (chosen or from the profile), English when they wrote English, やさしい日本語 for anyone
    who does not read Japanese; nothing left means the Japanese (#26)."""
    lang = resolve(language)
    written = _written.get()
    codes = ([written] if written else []) + list(chain(lang))
    if lang != JA:
        codes.append(EASY)
    return tuple(code for code in dict.fromkeys(codes) if code != JA)


def current() -> str:
    """The language of the reply being built (``ja`` outside an event)."""
    return _current.get()


@contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Build replies in ``lang`` inside the block (an unknown code reads as by ``resolve``)."""
    resolved = resolve(lang) if lang else JA
    token = _current.set(resolved)
    try:
        yield resolved
    finally:
        _current.reset(token)


class Mixed(str):
    """A text in two languages one after the other (``ja-easy+en``) that remembers each part, so a mixed text
    used as a field of another is filled part by part (not both languages inside each), and stays so when
    text is added before or after it."""

    parts: dict[str, str]

    def __new__(cls, parts: dict[str, str]) -> Mixed:
        made = super().__new__(cls, "\n\n".join(dict.fromkeys(parts.values())))
        made.parts = dict(parts)
        return made

    def __add__(self, other: str) -> Mixed:
        return Mixed({code: text + (other.parts[code] if isinstance(other, Mixed) else other)
                      for code, text in self.parts.items()})

    def __radd__(self, other: str) -> Mixed:
        return Mixed({code: other + text for code, text in self.parts.items()})


def part(value: Any, code: str) -> Any:
    return value.parts.get(code, str(value)) if isinstance(value, Mixed) else value


class CatalogError(ValueError):
    """A catalog file is missing, not YAML, or not a mapping of keys to texts."""


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(data, dict):
        raise CatalogError(f"{prefix or 'catalog'}: expected a mapping")
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, name))
        elif isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            out[name] = value
        else:
            raise CatalogError(f"{name}: a text or a list of texts expected")
    return out


def fields_of(text: str) -> set[str]:
    """The ``{placeholders}`` a text uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Catalog:
    """Fixed texts in every supported language, read from ``<directory>/<code>.yaml`` once.

    Texts may hold ``{placeholders}`` filled by keyword; lists (``words.*``) are the words residents type for
    a command, in that language. A key missing in one language reads the Japanese text (a test keeps that from
    happening in what ships)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._texts: dict[str, dict[str, Any]] = {}
        for code in (*LANGUAGES,):
            path = directory / f"{code}.yaml"
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except FileNotFoundError as exc:
                raise CatalogError(f"{path}: missing") from exc
            except yaml.YAMLError as exc:
                raise CatalogError(f"{path}: not valid YAML ({exc})") from exc
            self._texts[code] = _flatten(data or {})
        self._words: dict[str, frozenset[str]] = {}

    def keys(self, lang: str = JA) -> set[str]:
        return set(self._texts[lang])

    def raw(self, lang: str, key: str) -> Any:
        texts = self._texts.get(lang) or self._texts[JA]
        return texts[key] if key in texts else self._texts[JA][key]

    def text(self, key: str, lang: str | None = None, **fields: Any) -> str:
        """The text of ``key`` in ``lang`` (default: the current reply's language) with its fields filled; a
        mixed language gives やさしい日本語 and English one after the other."""
        codes = chain(lang or current())
        if len(codes) == 1:
            return self._fill(self.raw(codes[0], key), {k: part(v, codes[0]) for k, v in fields.items()})
        return Mixed({code: self._fill(self.raw(code, key), {k: part(v, code) for k, v in fields.items()})
                      for code in codes})

    def label(self, key: str, lang: str | None = None, **fields: Any) -> str:
        """A short text (a button, a quick reply): one language only, the last of a mixed reply's (English)."""
        code = chain(lang or current())[-1]
        return self._fill(self.raw(code, key), {k: part(v, code) for k, v in fields.items()})

    def words(self, key: str) -> frozenset[str]:
        """The words of ``words.<key>`` in every language (a resident may type ``menu`` whatever language they
        chose)."""
        if key not in self._words:
            self._words[key] = frozenset(w for texts in self._texts.values() for w in texts.get(f"words.{key}", []))
        return self._words[key]

    @staticmethod
    def _fill(template: Any, fields: dict[str, Any]) -> str:
        if not isinstance(template, str):
            raise CatalogError("a list of words is not a text")
        return template.format_map(fields) if fields else template
