"""In-memory inverted index over a knowledge base: narrows candidates, then scores them.

Each entry is indexed in four fields, each a BM25 index with precomputed per-posting weights:

- ``q``: every phrasing (the question and its alternatives) as its own unit; an entry scores the
  best of its phrasings, so adding phrasings never dilutes the others;
- ``r``: character bigrams of each phrasing's katakana reading (kana/kanji variants, typos);
- ``k``: keywords and category;
- ``a``: the answer text (residents often ask with words that only the answer uses).

Field scores are divided by the query's own weight in that field (the sum of its terms' IDF), which
makes them comparable across queries: ~1.0 means "every query term found", the basis of the
confidence the policy uses. Only postings of the query's terms are touched (numpy scatter-add), so
the cost follows the query, not the size of the knowledge base.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from search.normalize import Analysis, char_ngrams

K1 = 1.2
B = 0.75
# Reading bigrams found in more than this share of phrasings (シタ, マス, ニツ…) are not indexed: their
# IDF is low and their posting lists are the longest — most of a query's time at 100k entries — while
# they hardly change the order (measured: docs/faq-engine.md).
COMMON_READING_SHARE = 0.05


class FieldIndex:
    """BM25 postings for one field; units map to entries through ``unit_entry``."""

    def __init__(self, units: Sequence[Sequence[str]], unit_entry: Sequence[int], n_entries: int,
                 common_share: float = 1.0):
        self.n_units = len(units)
        self.n_entries = n_entries
        self.unit_entry = np.asarray(unit_entry, dtype=np.int32)
        lengths = np.array([len(u) for u in units], dtype=np.float32)
        avgdl = float(lengths.mean()) if self.n_units and lengths.mean() > 0 else 1.0
        df: Counter[str] = Counter()
        for unit in units:
            df.update(set(unit))
        n = max(self.n_units, 1)
        self.idf = {t: math.log(1.0 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.max_idf = math.log(1.0 + (n + 0.5) / 0.5)
        ids: dict[str, list[int]] = {}
        weights: dict[str, list[float]] = {}
        for uid, unit in enumerate(units):
            norm = K1 * (1 - B + B * lengths[uid] / avgdl)
            for term, tf in Counter(unit).items():
                ids.setdefault(term, []).append(uid)
                weights.setdefault(term, []).append(self.idf[term] * tf * (K1 + 1) / (tf + norm))
        # Terms in more than ``common_share`` of the units are left out of postings and query weights.
        self.common = frozenset(t for t, f in df.items() if f > common_share * n)
        self.postings = {t: (np.asarray(ids[t], dtype=np.int32), np.asarray(weights[t], dtype=np.float32))
                         for t in ids if t not in self.common}
        self.one_unit_per_entry = self.n_units == n_entries and bool(
            np.array_equal(self.unit_entry, np.arange(n_entries)))

    def query_weight(self, terms: Sequence[str]) -> float:
        """Upper bound of a query's score here: unknown terms count at maximum IDF."""
        return sum(self.idf.get(t, self.max_idf) for t in set(terms) if t not in self.common) or 1.0

    def score(self, terms: Sequence[str]) -> np.ndarray:
        """Per-entry score (best unit per entry), normalized by the query weight.

        Only the query terms' postings are touched: scatter-add into units, then a scatter-max into
        entries over the touched units (numpy's unbuffered ``ufunc.at``), so the cost follows the
        postings, not the size of the knowledge base.
        """
        found = [self.postings[t] for t in set(terms) if t in self.postings]
        entry_scores = np.zeros(self.n_entries, dtype=np.float32)
        if not found:
            return entry_scores
        ids = np.concatenate([p[0] for p in found]) if len(found) > 1 else found[0][0]
        weights = np.concatenate([p[1] for p in found]) if len(found) > 1 else found[0][1]
        if self.one_unit_per_entry:
            np.add.at(entry_scores, ids, weights)
        else:
            unit_scores = np.zeros(self.n_units, dtype=np.float32)
            np.add.at(unit_scores, ids, weights)
            np.maximum.at(entry_scores, self.unit_entry[ids], unit_scores[ids])
        entry_scores /= np.float32(self.query_weight(terms))
        return np.minimum(entry_scores, np.float32(1.0), out=entry_scores)


@dataclass(frozen=True)
class IndexedEntry:
    entry_id: int  # row id within its kind
    key: str  # unique across kinds: FAQ key, "proc:<key>", "place:<id>"
    question: str
    category: str
    phrasings: tuple[Analysis, ...]
    keywords: tuple[str, ...]
    answer_words: tuple[str, ...]
    kind: str = "faq"  # faq | procedure | facility
    label: frozenset[str] = frozenset()  # words of a leading 【label】 in the question (see matcher)


@dataclass(slots=True)  # not frozen: 40 per question, and a frozen dataclass is slow to create
class Scored:
    entry: IndexedEntry  # without its analyses (they live on only as postings)
    score: float
    per_field: dict[str, np.ndarray]  # every entry's field scores for this query (shared by all hits)
    surfaces: tuple[str, ...] = ()  # folded phrasings, for character-level rescoring
    row: int = -1  # position in the index (vectors)

    @property
    def fields(self) -> dict[str, float]:
        """This entry's score per field (read for the top candidate only, hence not precomputed)."""
        return {name: float(scores[self.row]) for name, scores in self.per_field.items()}


class QuantizedVectors:
    """Unit vectors as int8 rows with one float32 scale each: a quarter of float32's memory, half of
    float16's, and a gather-and-convert about ten times faster than float16's (numpy converts int8
    with SIMD, float16 element by element) — the largest cost of a question after its own encoding.
    The rounding changes a cosine by about 0.001."""

    def __init__(self, vectors: np.ndarray):
        vectors = np.asarray(vectors, dtype=np.float32)  # (n, dim), n may be 0
        peak = np.abs(vectors).max(axis=1)
        self.scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
        self.rows = np.rint(vectors / self.scale[:, None]).astype(np.int8)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.scale.nbytes

    def dot_all(self, query: np.ndarray) -> np.ndarray:
        """Cosine of ``query`` with every row (a question in another language is compared with everything)."""
        return (self.rows.astype(np.float32) @ query) * self.scale

    def dot(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Cosine of ``query`` (a float32 unit vector) with the given rows."""
        return (self.rows[rows].astype(np.float32) @ query) * self.scale[rows]


@dataclass(frozen=True)
class EntryVectors:
    """Sentence vectors aligned with the index: one per phrasing (the ``q`` units, in order) and one
    per entry of its question + answer."""

    phrasing: QuantizedVectors  # n_units rows
    question_answer: QuantizedVectors  # n_entries rows
    # Entries' translations (question, question + answer, per language), for questions in other languages; each
    # row's entry in ``translated_owner``.
    translated: QuantizedVectors | None = None
    translated_owner: np.ndarray | None = None

    @classmethod
    def of(cls, phrasing: np.ndarray, question_answer: np.ndarray, translated: np.ndarray | None = None,
           translated_owner: list[int] | None = None) -> EntryVectors:
        if translated is None or not len(translated):
            return cls(QuantizedVectors(phrasing), QuantizedVectors(question_answer))
        return cls(QuantizedVectors(phrasing), QuantizedVectors(question_answer), QuantizedVectors(translated),
                   np.asarray(translated_owner, dtype=np.int64))


FIELD_WEIGHTS = {"q": 0.45, "r": 0.15, "k": 0.10, "a": 0.30}


# Normalized words drop auxiliaries, so 税金が払えない has the words of 税金の払い方: a negation must be part
# of a question's identity.
NEGATION = re.compile(r"な[いくかけ]|ません|ず[にの]?$|ぬ|ねえ|へん")


def word_identity(analysis: Analysis) -> tuple[frozenset[str], bool] | None:
    """What a text asks, for equality: its set of normalized words and whether it is negated."""
    return (frozenset(analysis.words), bool(NEGATION.search(analysis.folded))) if analysis.words else None


def exact_keys(analysis: Analysis) -> list[int]:
    """Hashed identities of a text for exact matching: its folded characters, then its words (and negation)."""
    keys = [hash(("t", analysis.folded.replace(" ", "")))] if analysis.folded else []
    identity = word_identity(analysis)
    if identity is not None:
        keys.append(hash(("w", identity)))
    return keys


class EntryIndex:
    """BM25 fields over indexed entries (FAQ entries, procedures, facilities: the caller decides what an entry
    is), with their stored sentence vectors; ``search`` returns the best entries for an analysed question."""

    def __init__(self, entries: Sequence[IndexedEntry], weights: dict[str, float] | None = None,
                 vectors: EntryVectors | None = None):
        self.entries = list(entries)
        self.vectors = vectors
        self.weights = dict(FIELD_WEIGHTS if weights is None else weights)
        n = len(self.entries)
        q_units, r_units, owners = [], [], []
        for i, e in enumerate(self.entries):
            for p in e.phrasings:
                q_units.append(p.words)
                r_units.append(char_ngrams(p.reading))
                owners.append(i)
        self.fields = {
            "q": FieldIndex(q_units, owners, n),
            "r": FieldIndex(r_units, owners, n, common_share=COMMON_READING_SHARE),
            "k": FieldIndex([e.keywords for e in self.entries], range(n), n),
            "a": FieldIndex([e.answer_words for e in self.entries], range(n), n),
        }
        self._unit_start = np.cumsum([0] + [len(e.phrasings) for e in self.entries])
        # A question equal to a phrasing — character for character, or word for word after normalization — names
        # its entry. Keys are hashed (memory at 100k entries); an entry index, or -1 when several entries share it.
        self._exact: dict[int, int] = {}
        for i, e in enumerate(self.entries):
            for p in e.phrasings:
                for key in exact_keys(p):
                    self._exact[key] = i if self._exact.get(key, i) == i else -1
        # Keep only what search results need: the analyses are in the postings now (memory at 100k entries).
        self.surfaces = [tuple(p.folded.replace(" ", "") for p in e.phrasings) for e in self.entries]
        self.entries = [replace(e, phrasings=(), keywords=(), answer_words=()) for e in self.entries]

    def __len__(self) -> int:
        return len(self.entries)

    def exact(self, query: Analysis) -> int | None:
        """The one entry with a phrasing equal to the question (characters first, then normalized words), if any."""
        for key in exact_keys(query):
            found = self._exact.get(key)
            if found is not None:
                return found if found >= 0 else None
        return None

    def search(self, query: Analysis, limit: int = 10) -> list[Scored]:
        if not self.entries or query.is_empty():
            return []
        terms = {"q": query.words, "r": char_ngrams(query.reading), "k": query.words, "a": query.words}
        per_field = {name: self.fields[name].score(terms[name]) if terms[name] else
                     np.zeros(len(self.entries), dtype=np.float32) for name in self.fields}
        total = np.zeros(len(self.entries), dtype=np.float32)  # the fields' own precision
        for name, scores in per_field.items():
            total += self.weights[name] * scores
        touched = np.flatnonzero(total > 0)  # usually a small share of the entries (scores are >= 0)
        if limit < len(touched):
            part = touched[np.argpartition(-total[touched], limit)[:limit]]
        else:
            part = touched
        top = part[np.argsort(-total[part], kind="stable")]
        return [Scored(self.entries[i], float(total[i]), per_field, self.surfaces[i], int(i)) for i in top]

    def unit_counts(self) -> np.ndarray:
        """How many phrasings (``q`` units) each entry has, in index order."""
        return np.diff(self._unit_start)

    def unit_bounds(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of the given entries' ``q`` units (their phrasing vectors' rows)."""
        return self._unit_start[rows], self._unit_start[rows + 1]
