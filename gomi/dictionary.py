"""「これは何ごみ？」: finding a resident's words for a thing in the municipality's sorting dictionary (target.csv).

Residents write the thing as they call it — 「すぷれーかん」, 「でんち」, 「たたみ」 — without the qualifiers the
dictionary files it under (``畳70cm超える`` / ``畳70cm以下``, ``スプレー缶(スプレー)``). So each entry is compared
by its whole name, its head (before a bracket), and their readings in hiragana (SudachiPy, computed at import),
against the question with its framing removed (「…は何ごみ？」「…を捨てたい」) and its own reading: an exact
match first, then a name that starts with the words, then one that contains them, then a near spelling
(rapidfuzz) for typos. Entries with the same head under several types (size or material decides) come back
together, so the bot shows each case instead of choosing one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from gomi.models import GomiItem
from search.normalize import hiragana_rendering
from search.reading import to_hiragana

_BRACKET = re.compile(r"[（(【\[].*$")
# The framing around the thing: 「スプレー缶は何ごみ？」「電池の捨て方」「布団を捨てたい」「テレビってどうやって出すの」
_FRAMING = re.compile(
    r"(って|は|の|を|も)?\s*(何|なに|なん|どの)\s*(ごみ|ゴミ|の日|曜日)?.*$"
    r"|(の|を|は|って)?\s*(捨て方|すてかた|出し方|だしかた|処分|分別|ぶんべつ)(方法)?.*$"
    r"|(を|は|って)?\s*(捨て|すて|出し|だし|処分し)(たい|る|ます|ても|方).*$"
    r"|(って|は)?\s*(どう|どうやって|どこに|どこへ|いつ).*$")
_PUNCT = re.compile(r"[\s、。,.!?！？「」『』・~〜ー-]+$")


def clean_query(text: str) -> str:
    """The thing the resident names, without the question around it (「スプレー缶は何ごみ？」 → 「スプレー缶」)."""
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"^(これ|この|あの)\s*", "", text)
    stripped = _FRAMING.sub("", text)
    stripped = _PUNCT.sub("", stripped) if stripped else stripped
    return stripped or _PUNCT.sub("", text)


def comparable(text: str) -> str:
    """Width and case folded, katakana as hiragana, spaces removed: スプレー缶 and すぷれー缶 compare equal."""
    return to_hiragana(unicodedata.normalize("NFKC", text).lower()).replace(" ", "").replace("　", "")


def reading_of(text: str) -> str:
    try:
        return comparable(hiragana_rendering(text))
    except Exception:  # an odd string the tokenizer refuses: no reading, the spelling still counts
        return ""


@dataclass(frozen=True)
class Entry:
    name: str
    type_label: str
    notice: str = ""
    reading: str = ""


@dataclass
class Match:
    """One thing as residents name it (the head of the entries' names) and how it is sorted."""

    head: str
    score: float
    entries: list[Entry] = field(default_factory=list)

    @property
    def types(self) -> list[str]:
        return list(dict.fromkeys(e.type_label for e in self.entries))

    @property
    def several_types(self) -> bool:
        return len(self.types) > 1


def _score(query: str, form: str) -> float:
    if not query or not form:
        return 0.0
    if form == query:
        return 1.0
    if form.startswith(query):
        return 0.9 + 0.08 * len(query) / len(form)
    if query in form and len(query) >= 2:
        return 0.7 + 0.15 * len(query) / len(form)
    if len(query) >= 2:
        return 0.8 * fuzz.ratio(query, form) / 100
    return 0.0


class Dictionary:
    def __init__(self, entries: Iterable[Entry]) -> None:
        self._forms: list[tuple[Entry, str, tuple[str, ...]]] = []
        for entry in entries:
            head = _BRACKET.sub("", entry.name).strip() or entry.name
            reading = entry.reading or reading_of(entry.name)
            forms = {comparable(entry.name), comparable(head), reading, _BRACKET.sub("", reading)}
            forms |= {f.replace("ー", "") for f in forms}  # ソファベッド / ソファーベッド
            self._forms.append((entry, head, tuple(f for f in forms if f)))

    def __len__(self) -> int:
        return len(self._forms)

    def search(self, question: str, limit: int = 5, floor: float = 0.55) -> list[Match]:
        """The things that best fit the question, best first (each with every type it is filed under)."""
        words = clean_query(question)
        queries = {comparable(words)}
        reading = reading_of(words)
        if reading:
            queries.add(reading)
        queries |= {q.replace("ー", "") for q in queries}
        queries.discard("")
        if not queries:
            return []
        by_head: dict[str, Match] = {}
        for entry, head, forms in self._forms:
            score = max(_score(q, f) for q in queries for f in forms)
            if score < floor:
                continue
            key = comparable(head)
            match = by_head.get(key)
            if match is None:
                match = by_head[key] = Match(head, score)
            match.score = max(match.score, score)
            match.entries.append(entry)
        ranked = sorted(by_head.values(), key=lambda m: (-m.score, len(m.head)))
        for match in ranked:  # the entry that fits best first within a thing
            match.entries.sort(key=lambda e: -max(_score(q, f) for q in queries for f in (comparable(e.name),)))
        return ranked[:limit]

    def types_for(self, question: str) -> list[str]:
        """The types, most likely first (for evaluation: is the right type first, among the top three?)."""
        types: list[str] = []
        for match in self.search(question, limit=5):
            for label in match.types:
                if label not in types:
                    types.append(label)
        return types


def load_dictionary(session: Session, municipality_id: int) -> Dictionary:
    rows = session.execute(select(GomiItem.name, GomiItem.type_label, GomiItem.notice, GomiItem.reading)
                           .where(GomiItem.municipality_id == municipality_id).order_by(GomiItem.id)).all()
    return Dictionary(Entry(name, label, notice, comparable(reading)) for name, label, notice, reading in rows)
