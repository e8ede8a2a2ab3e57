"""Rank a resident's question against the knowledge base and decide what the bot should do.

The index narrows and scores candidates; a character-level rapidfuzz similarity against each
candidate's phrasings is then mixed in (near-verbatim questions and typos). The policy turns the
top score and its margin over the runner-up into one of three outcomes:

- ``answer``: confident — send the answer (and ask 役に立ちましたか？);
- ``suggest``: plausible but unsure — offer the top questions as "もしかして" choices;
- ``fallback``: lost — name the contact desk; never a confident wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from core.tenancy import Thresholds
from faq.index import FaqIndex, Scored
from faq.normalize import Analysis, Normalizer

MAX_QUERY_CHARS = 1000  # longer pastes only add noise (and SudachiPy has an input limit)
FUZZ_WEIGHT = 0.15
NEAR_VERBATIM = 0.9
SUGGEST_COUNT = 3


@dataclass(frozen=True)
class Candidate:
    entry_id: int
    key: str
    question: str
    score: float
    kind: str = "faq"

    def as_dict(self) -> dict[str, object]:
        return {"id": self.entry_id, "key": self.key, "question": self.question, "score": round(self.score, 4),
                "kind": self.kind}


@dataclass(frozen=True)
class MatchResult:
    outcome: str  # answer | suggest | fallback
    candidates: list[Candidate]
    analysis: Analysis
    confidence: float
    fields: dict[str, float] = field(default_factory=dict)

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def empty_query(self) -> bool:
        """Nothing matchable (emoji only, punctuation, whitespace)."""
        return self.analysis.is_empty()


def decide(candidates: list[Candidate], thresholds: Thresholds) -> str:
    if not candidates:
        return "fallback"
    top = candidates[0].score
    second = candidates[1].score if len(candidates) > 1 else 0.0
    if top >= thresholds.answer and top - second >= thresholds.margin:
        return "answer"
    if top >= thresholds.suggest:
        return "suggest"
    return "fallback"


class Matcher:
    """A built index plus the normalizer that made it; immutable, shared between threads."""

    def __init__(self, normalizer: Normalizer, index: FaqIndex, thresholds: Thresholds):
        self.normalizer = normalizer
        self.index = index
        self.thresholds = thresholds

    def _rescore(self, query: Analysis, hit: Scored) -> float:
        folded = query.folded.replace(" ", "")
        similarity = max((fuzz.ratio(folded, surface) for surface in hit.surfaces),
                         default=0.0) / 100.0
        mixed = (1 - FUZZ_WEIGHT) * hit.score + FUZZ_WEIGHT * similarity
        # A near-verbatim phrasing is strong evidence by itself, whatever the answer's wording.
        if similarity >= NEAR_VERBATIM:
            mixed = max(mixed, similarity - 0.05)
        return min(1.0, mixed)

    def rank(self, text: str, limit: int = 10, exclude: frozenset[str] = frozenset()
             ) -> tuple[Analysis, list[Candidate], dict[str, float]]:
        query = self.normalizer.analyze(text[:MAX_QUERY_CHARS])
        hits = self.index.search(query, limit=max(limit, 20) + len(exclude))
        if exclude:
            hits = [h for h in hits if h.entry.key not in exclude]
        scored = sorted(((self._rescore(query, h), h) for h in hits), key=lambda p: -p[0])[:limit]
        candidates = [Candidate(h.entry.entry_id, h.entry.key, h.entry.question, s, h.entry.kind) for s, h in scored]
        fields = scored[0][1].fields if scored else {}
        return query, candidates, fields

    def match(self, text: str, limit: int = 10, exclude: frozenset[str] = frozenset()) -> MatchResult:
        """``exclude``: entry keys to leave out (evaluation of "not in the knowledge base")."""
        query, candidates, fields = self.rank(text, limit, exclude)
        outcome = "fallback" if query.is_empty() else decide(candidates, self.thresholds)
        confidence = candidates[0].score if candidates else 0.0
        return MatchResult(outcome, candidates, query, confidence, fields)
