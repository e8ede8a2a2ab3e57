"""Near-duplicate questions in a municipality's knowledge base (FAQ entries, procedures, facilities).

Two entries that share a phrasing cost residents twice: a question equal to it cannot be answered outright
(the matcher does not know which of the two is meant, search/index.py ``exact``), and even a close paraphrase
ends as a もしかして list of near-twins. ``machimado faq lint`` lists such pairs; the console warns when an
entry is saved with a question that is one of them.

A pair is near-identical when two phrasings ask the same after normalization (same words, both negated or
neither: 児童手当の申請 / 児童手当を申請したい) or differ in a few characters *added* to one of them (rapidfuzz
ratio ≥ 85 of the folded texts and one's words within the other's: マイナンバーカードの更新 / マイナンバーカードの
申請・更新). 転入届 / 転出届 differ in a few characters too, but in a word: they are not near-identical. Only
pairs with an FAQ entry on one side are listed: the national procedures catalog is not the staff's to edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from core.tenancy import MunicipalityConfig
from directory.texts import facility_texts, procedure_texts
from faq.kb import build_normalizer, faq_texts, knowledge_rows, staff_synonyms
from search.index import word_identity
from search.normalize import Normalizer

ALIKE = 85.0


@dataclass(frozen=True)
class Phrasing:
    key: str  # "faq:<key>", "proc:<key>", "place:<id>"
    question: str  # the entry's main question (for people)
    text: str  # this phrasing


@dataclass(frozen=True)
class NearDuplicate:
    first: Phrasing
    second: Phrasing
    why: str  # "same words" | "NN% alike"

    def describe(self) -> str:
        return (f"{self.first.key} 「{self.first.text}」 ~ {self.second.key} 「{self.second.text}」 ({self.why})")


def phrasings(session: Session, municipality_id: int) -> list[Phrasing]:
    """Every phrasing the matcher indexes for this municipality, with the entry it belongs to."""
    entries, procedures, places = knowledge_rows(session, municipality_id)
    out = [Phrasing(f"faq:{e.key}", e.question, p) for e in entries for p in faq_texts(e)[0]]
    out += [Phrasing(f"proc:{p.key}", p.name, t) for p in procedures for t in procedure_texts(p)[0]]
    out += [Phrasing(f"place:{p.id}", p.name, t) for p in places for t in facility_texts(p)[0]]
    return out


def near_duplicates(items: list[Phrasing], normalizer: Normalizer,
                    against: list[Phrasing] | None = None) -> list[NearDuplicate]:
    """Pairs of phrasings of *different* entries that are near-identical: among ``items``, or between
    ``items`` and ``against`` when given (a new question checked against the knowledge base)."""
    others = items if against is None else against
    analyses = {p.text: normalizer.analyze(p.text) for p in [*items, *others]}
    folded = [analyses[p.text].folded.replace(" ", "") for p in items]
    other_folded = folded if against is None else [analyses[p.text].folded.replace(" ", "") for p in others]
    ratios = process.cdist(folded, other_folded, scorer=fuzz.ratio, score_cutoff=ALIKE, workers=-1)
    found: dict[tuple[str, str], NearDuplicate] = {}
    for i, a in enumerate(items):
        identity = word_identity(analyses[a.text])
        for j, b in enumerate(others):
            if a.key == b.key or (against is None and j <= i) or \
                    not (a.key.startswith("faq:") or b.key.startswith("faq:")):
                continue
            other = word_identity(analyses[b.text])
            same = identity is not None and identity == other
            ratio = float(ratios[i][j])
            within = identity is not None and other is not None and identity[1] == other[1] and \
                (identity[0] <= other[0] or other[0] <= identity[0])
            if same or (ratio >= ALIKE and within):
                pair = (a.key, b.key) if a.key < b.key else (b.key, a.key)
                if pair not in found:
                    found[pair] = NearDuplicate(a, b, "same words" if same else f"{ratio:.0f}% alike")
    return sorted(found.values(), key=lambda d: (d.first.key, d.second.key))


def lint(session: Session, municipality_id: int, config: MunicipalityConfig) -> list[NearDuplicate]:
    """Near-duplicate pairs in this municipality's knowledge base, as the matcher sees them."""
    normalizer = build_normalizer(config, staff_synonyms(session, municipality_id)[1])
    return near_duplicates(phrasings(session, municipality_id), normalizer)


def duplicates_of(session: Session, municipality_id: int, config: MunicipalityConfig, key: str,
                  texts: list[str]) -> list[NearDuplicate]:
    """The knowledge base's phrasings near-identical to ``texts`` (the phrasings of entry ``key`` being saved)."""
    normalizer = build_normalizer(config, staff_synonyms(session, municipality_id)[1])
    mine = [Phrasing(key, texts[0], t) for t in texts if t.strip()]
    return near_duplicates(mine, normalizer, [p for p in phrasings(session, municipality_id) if p.key != key])


def unfilled_placeholders(session: Session, municipality_id: int, config: MunicipalityConfig) -> dict[str, list[str]]:
    """Placeholder -> keys of the FAQ entries using a ``{marker}`` this municipality has no value for (residents
    see the main desk instead: core.tenancy.MunicipalityConfig.fill); add it to ``placeholders`` in the config."""
    entries, _, _ = knowledge_rows(session, municipality_id)
    found: dict[str, list[str]] = {}
    for entry in entries:
        texts = [entry.answer, entry.contact, *(link.get("url", "") for link in entry.links or [])]
        for name in sorted({n for t in texts for n in config.unfilled(t)}):
            found.setdefault(name, []).append(entry.key)
    return found
