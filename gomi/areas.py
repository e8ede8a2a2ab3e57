"""Which area a resident means when they type their 町名: 「本町2丁目」, 「本町２丁目」, 「本町二丁目」, 「ほんまち」.

Compared on the label as written, its NFKC form with kanji numerals as digits, and its hiragana reading
(computed at import): an exact match is one area; a prefix (「本町」 → 本町1丁目, 本町2丁目) or a reading prefix
gives the short list to choose from; a near spelling (rapidfuzz) catches typos. Nothing above a low bar: no list.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from gomi.calendar import AreaCalendar, Calendar
from search.reading import to_hiragana

_NUMERALS = str.maketrans("一二三四五六七八九〇", "1234567890")
_NOISE = re.compile(r"[\s、。,.!?！？「」『』()（）・]+")
_FRAMING = re.compile(r"(に|で)?(住んで|すんで|在住|です|だよ|だ|に住んでいます|に住んでる).*$")


def key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().translate(_NUMERALS)
    text = _NOISE.sub("", text)
    text = text.replace("丁目", "ちょうめ").replace("番地", "")
    return to_hiragana(text)


def match(calendar: Calendar, typed: str, limit: int = 10) -> list[AreaCalendar]:
    """The areas that fit what the resident typed, best first; one when it is unambiguous."""
    wanted = key(_FRAMING.sub("", unicodedata.normalize("NFKC", typed).strip()) or typed)
    if not wanted:
        return []
    scored: list[tuple[float, int, AreaCalendar]] = []
    for position, area in enumerate(calendar.areas.values()):
        forms = {key(area.name), key(area.raw_name), *(key(r) for r in area.reading.split("|"))}
        forms.discard("")
        if wanted in forms:
            return [area]
        score = 0.0
        for form in forms:
            if form.startswith(wanted):
                score = max(score, 0.9)
            elif wanted in form and len(wanted) >= 2:
                score = max(score, 0.75)
            elif len(wanted) >= 2:
                score = max(score, 0.8 * fuzz.ratio(wanted, form) / 100)
        if score >= 0.6:
            scored.append((score, position, area))
    scored.sort(key=lambda s: (-s[0], s[1]))
    if scored and scored[0][0] < 0.75:  # only near spellings: the closest few
        scored = [s for s in scored if s[0] >= scored[0][0] - 0.05][:3]
    return [area for _, _, area in scored[:limit]]


def districts(calendar: Calendar) -> list[str]:
    """The groups to choose an area from (the data's 地区 column, else the centres), in the data's order."""
    found = [a.district for a in calendar.areas.values() if a.district]
    if not found:
        found = [a.centre for a in calendar.areas.values() if a.centre]
    return list(dict.fromkeys(found))


def in_district(calendar: Calendar, district: str) -> list[AreaCalendar]:
    return [a for a in calendar.areas.values() if district in (a.district or a.centre,)]
