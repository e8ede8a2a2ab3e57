"""Rank a resident's question against the knowledge base and decide what the bot should do.

The index narrows and scores candidates by words; each is rescored with its character similarity
(near-verbatim questions, typos) and, when the knowledge base has sentence vectors (search.vectors),
the cosine similarity of meanings. The policy turns the top score, its margin over the runner-up
and whether words and meaning agree on the top entry into one of three outcomes:

- ``answer``: confident — send the answer (and ask 役に立ちましたか？);
- ``suggest``: plausible but unsure — offer the top questions as "もしかして" choices;
- ``fallback``: lost — name the contact desk; never a confident wrong answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from core.tenancy import Thresholds
from search import second_model
from search.focus import combine, question_part
from search.index import EntryIndex, Scored
from search.language import JAPANESE, detect
from search.normalize import Analysis, Normalizer, fold
from search.reading import ReadingLexicon
from search.second_model import SecondVectors
from search.vectors import encoder

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000  # longer pastes only add noise (and SudachiPy has an input limit)
FUZZ_WEIGHT = 0.15
POOL = 40  # candidates the index proposes for rescoring
# Sentence-vector similarity mixed into the word/character score: with the question's phrasings
# and with question + answer (chosen on both dev sets, see docs/faq-engine.md).
PHRASING_WEIGHT = 0.3
ANSWER_WEIGHT = 0.2
# An entry labelled 【肝炎の医療費助成】 is about that subject; when the resident names none of its words,
# it loses this much (at most) against unlabelled or matching entries.
LABEL_PENALTY = 0.07
NEAR_VERBATIM = 0.9
# Words and meaning "agree" when the top entry's best phrasing is also the closest in meaning — by at
# least this much: a dead heat (two entries with the same question, or cosines within the vectors'
# rounding of ~0.001) is a coin flip, not agreement.
AGREE_GAP = 0.005
SUGGEST_COUNT = 3
# A long message's suggest line is lowered in proportion to the share its question sentences take, down to this
# fraction of the usual one (search.focus); the answer line never moves.
STORY_FLOOR = 0.6
# A question in another language: its best phrasing or translation vs. its question + answer gist.
MEANING_PHRASING = 0.6


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
    language: str = JAPANESE  # the question's writing (search.language.detect): ja, or matched by meaning

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def empty_query(self) -> bool:
        """Nothing matchable (emoji only, punctuation, whitespace). A question in another language has no Japanese
        words to analyse but is matched by meaning: it is empty only when nothing was found at all."""
        return self.analysis.is_empty() and (self.language == JAPANESE or not self.candidates)


def decide(candidates: list[Candidate], thresholds: Thresholds, agree: bool = True) -> str:
    """``agree``: word matching and sentence meaning point at the same top entry (or it is a
    near-verbatim phrasing); without that, even a high score only earns もしかして choices."""
    if not candidates:
        return "fallback"
    top = candidates[0].score
    second = candidates[1].score if len(candidates) > 1 else 0.0
    if agree and top >= thresholds.answer and top - second >= thresholds.margin:
        return "answer"
    if top >= thresholds.suggest:
        return "suggest"
    return "fallback"


def group_max(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The max of each group of consecutive ``values`` (group i has ``counts[i]`` of them; 0 if none):
    a hit's best phrasing, by characters or by meaning."""
    best = np.zeros(len(counts), dtype=np.float32)
    nonempty = counts > 0
    if len(values):
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        best[nonempty] = np.maximum.reduceat(values, offsets[nonempty])
    return best


def agrees(meaning: np.ndarray | None, top: int, similarity: float) -> bool:
    """Do words and meaning point at the same entry? ``meaning``: each candidate's best phrasing
    cosine (None: no vectors, words decide alone); ``similarity``: the top one's character similarity
    (a near-verbatim phrasing needs no second opinion)."""
    if meaning is None or similarity >= NEAR_VERBATIM:
        return True
    return bool(meaning[top] - np.delete(meaning, top).max(initial=-1.0) >= AGREE_GAP)


class Matcher:
    """A built index plus the normalizer that made it; immutable, shared between threads."""

    def __init__(self, normalizer: Normalizer, index: EntryIndex, thresholds: Thresholds,
                 lexicon: ReadingLexicon | None = None, second_texts: list[tuple[int, str]] | None = None):
        self.normalizer = normalizer
        self.index = index
        self.thresholds = thresholds
        self.lexicon = lexicon or ReadingLexicon()
        # (entry row, text) of every entry for the second meaning model; its vectors are filled in later, in the
        # background (faq.kb.fill_second): until then those questions go to the first model
        self.second_texts = second_texts or []
        self.second: SecondVectors | None = None

    @staticmethod
    def _lexical(query: Analysis, hits: list[Scored]) -> np.ndarray:
        """Per hit: (word score mixed with character similarity, the similarity itself)."""
        folded = query.folded.replace(" ", "")
        surfaces = [s for h in hits for s in h.surfaces]
        ratios = np.zeros(0, dtype=np.float32)
        if surfaces:  # one rapidfuzz call for all phrasings of all hits, then the best per hit
            ratios = process.cdist([folded], surfaces, scorer=fuzz.ratio, dtype=np.float32)[0] / 100.0
        similarity = group_max(ratios, np.array([len(h.surfaces) for h in hits]))
        mixed = (1 - FUZZ_WEIGHT) * np.array([h.score for h in hits], dtype=np.float32) + FUZZ_WEIGHT * similarity
        # A near-verbatim phrasing is strong evidence by itself, whatever the answer's wording.
        mixed = np.where(similarity >= NEAR_VERBATIM, np.maximum(mixed, similarity - 0.05), mixed)
        return np.stack([np.minimum(1.0, mixed), similarity], axis=1)

    def _semantic(self, text: str, hits: list[Scored]) -> tuple[np.ndarray, np.ndarray] | None:
        """Cosine of the question's sentence vector with each hit's phrasings (best one) and with
        its question + answer; None when the knowledge base has no vectors or the encoder fails
        (words alone still answer: a broken model must not silence the bot)."""
        vectors = self.index.vectors
        if vectors is None or not hits:
            return None
        try:
            q = encoder().encode_one(text)
        except Exception:  # noqa: BLE001 - any failure of the model degrades to words only
            log.exception("sentence encoder failed; matching by words only")
            return None
        rows = np.array([h.row for h in hits])
        starts, ends = self.index.unit_bounds(rows)
        counts = ends - starts
        # every hit's unit rows in one array: starts repeated per unit plus each unit's rank within its hit
        first = np.repeat(np.cumsum(counts) - counts, counts)
        units = np.repeat(starts, counts) + np.arange(int(counts.sum())) - first
        return group_max(vectors.phrasing.dot(units, q), counts), vectors.question_answer.dot(rows, q)

    def respelled(self, text: str) -> str:
        """The question with its hiragana runs respelled in the knowledge base's words (search.reading), or
        exactly as asked when there is nothing to respell (a kanji question is never changed)."""
        folded = fold(text)
        respelled = self.lexicon.respell(folded)
        return respelled if respelled != folded else text

    def rank(self, text: str, limit: int = 10, exclude: frozenset[str] = frozenset()
             ) -> tuple[Analysis, list[Candidate], dict[str, float], bool]:
        """(analysis, candidates, the top one's field scores, whether words and meaning agree)."""
        text = self.respelled(text[:MAX_QUERY_CHARS])
        query = self.normalizer.analyze(text)
        hits = self.index.search(query, limit=POOL + len(exclude))
        if exclude:
            hits = [h for h in hits if h.entry.key not in exclude]
        hits = hits[:POOL]
        if not hits:
            return query, [], {}, False
        lexical = self._lexical(query, hits)
        scores, meaning = lexical[:, 0], None
        semantic = self._semantic(text, hits)
        if semantic is not None:
            phrasing, both = semantic
            scores = (scores + PHRASING_WEIGHT * phrasing + ANSWER_WEIGHT * both) / (1 + PHRASING_WEIGHT + ANSWER_WEIGHT)
            meaning = phrasing
        words = set(query.words)
        scores = scores - LABEL_PENALTY * np.array(
            [1 - len(h.entry.label & words) / len(h.entry.label) if h.entry.label else 0.0 for h in hits])
        order = np.argsort(-scores, kind="stable")[:limit]
        exact = self.index.exact(query)
        if exact is not None and self.index.entries[exact].key not in exclude:
            found = [i for i in range(len(hits)) if hits[i].row == exact]
            if found:  # the named entry goes first, whatever the scores say
                order = np.array([found[0], *[i for i in order if i != found[0]]])[:limit]
        top = int(order[0])
        agree = agrees(meaning, top, float(lexical[top, 1]))
        candidates = [Candidate(hits[i].entry.entry_id, hits[i].entry.key, hits[i].entry.question,
                                float(scores[i]), hits[i].entry.kind) for i in order]
        fields = {**hits[top].fields, "fz": float(lexical[top, 1])}
        if exact is not None and hits[top].row == exact:
            fields["exact"] = 1.0
        if semantic is not None:
            fields.update(uq=float(semantic[0][top]), uqa=float(semantic[1][top]))
        return query, candidates, fields, agree

    def _with_focus(self, asked: str, candidates: list[Candidate], fields: dict[str, float], agree: bool,
                    limit: int, exclude: frozenset[str]) -> tuple[list[Candidate], dict[str, float], bool]:
        """A long message's candidates rescored with its question sentences matched alone (search.focus)."""
        _, focused, focus_fields, focus_agree = self.rank(asked, limit, exclude)
        if not focused:
            return candidates, fields, agree
        by_key = {c.key: c for c in [*focused, *candidates]}
        scores = combine({c.key: c.score for c in candidates}, {c.key: c.score for c in focused})
        merged = sorted((Candidate(by_key[k].entry_id, k, by_key[k].question, s, by_key[k].kind)
                         for k, s in scores.items()), key=lambda c: -c.score)[:limit]
        top_is_focus_top = merged[0].key == focused[0].key
        agree = (agree and merged[0].key == candidates[0].key) or (focus_agree and top_is_focus_top)
        return merged, {**fields, **({"focus": 1.0} if top_is_focus_top else {})}, agree

    def _match_second(self, second: SecondVectors, text: str, limit: int, exclude: frozenset[str], language: str
                      ) -> MatchResult | None:
        """A question in a language only the second model reads: its closest entries, offered as もしかして (its
        cosines rank well but do not separate right from wrong: search.second_model)."""
        try:
            q = second_model.query(text)
        except Exception:  # noqa: BLE001 - a broken model: the first one answers as before
            log.exception("second meaning model failed on a question")
            return None
        entries = self.index.entries
        scores = second.best(q, len(entries))
        if exclude:
            scores[[i for i, e in enumerate(entries) if e.key in exclude]] = -1.0
        order = [int(i) for i in np.argsort(-scores, kind="stable")[:limit] if scores[i] > -1.0]
        candidates = [Candidate(entries[i].entry_id, entries[i].key, entries[i].question, float(scores[i]),
                                entries[i].kind) for i in order]
        outcome = "suggest" if candidates and text.strip() else "fallback"
        return MatchResult(outcome, candidates, self.normalizer.analyze(text),
                           candidates[0].score if candidates else 0.0, {"second": 1.0}, language)

    def warm_up(self) -> None:
        """Load what a first question would (the sentence encoder) and fill the encoder's token
        memo from this knowledge base's questions (search.token_memo): residents ask in its words."""
        self.match("ウォームアップ")
        if self.index.vectors is not None:
            encoder().prefill(e.question for e in self.index.entries)

    def rank_by_meaning(self, text: str, limit: int = 10, exclude: frozenset[str] = frozenset()
                        ) -> tuple[list[Candidate], dict[str, float]]:
        """A question in another language against every entry, by meaning only: its words are not the knowledge
        base's. Each entry scores its best phrasing or translation and its question + answer gist."""
        vectors = self.index.vectors
        if vectors is None or not len(self.index):
            return [], {}
        try:
            q = encoder().encode_one(text)
        except Exception:  # noqa: BLE001 - a broken model: no candidates, the bot gives the desk
            log.exception("sentence encoder failed on a question in another language")
            return [], {}
        best = group_max(vectors.phrasing.dot_all(q), self.index.unit_counts())
        if vectors.translated is not None and vectors.translated_owner is not None:
            np.maximum.at(best, vectors.translated_owner, vectors.translated.dot_all(q))
        gist = vectors.question_answer.dot_all(q)
        scores = MEANING_PHRASING * best + (1 - MEANING_PHRASING) * gist
        if exclude:
            scores[[i for i, e in enumerate(self.index.entries) if e.key in exclude]] = -1.0
        order = np.argsort(-scores, kind="stable")[:limit]
        entries = self.index.entries
        candidates = [Candidate(entries[i].entry_id, entries[i].key, entries[i].question, float(scores[i]),
                                entries[i].kind) for i in order]
        top = int(order[0])
        return candidates, {"uq": float(best[top]), "uqa": float(gist[top])}

    def match(self, text: str, limit: int = 10, exclude: frozenset[str] = frozenset(),
              hint: str | None = None) -> MatchResult:
        """``exclude``: entry keys to leave out (evaluation of "not in the knowledge base"); ``hint``: the
        resident's language (core.i18n), which decides only what the characters cannot (search.language)."""
        language = detect(text, hint)
        second = self.second
        if language != JAPANESE and second is not None and second_model.wanted(text[:MAX_QUERY_CHARS], language, hint):
            found = self._match_second(second, text[:MAX_QUERY_CHARS], limit, exclude, language)
            if found is not None:
                return found
        if language != JAPANESE and self.index.vectors is not None:
            clipped = text[:MAX_QUERY_CHARS]
            analysis = self.normalizer.analyze(clipped)
            candidates, fields = self.rank_by_meaning(clipped, limit, exclude)
            t = self.thresholds
            outcome = decide(candidates, Thresholds(t.meaning_answer, t.meaning_suggest, t.meaning_margin)) \
                if clipped.strip() else "fallback"
            return MatchResult(outcome, candidates, analysis, candidates[0].score if candidates else 0.0, fields,
                               language)
        query, candidates, fields, agree = self.rank(text, limit, exclude)
        asked = question_part(text[:MAX_QUERY_CHARS])
        if asked and candidates:
            candidates, fields, agree = self._with_focus(asked, candidates, fields, agree, limit, exclude)
        if query.is_empty():
            outcome = "fallback"
        elif fields.get("exact"):  # the question is one of the entry's own phrasings: answer it
            outcome = "answer"
        elif asked:  # a story dilutes the score in the share of the text it takes: もしかして sooner, answer as ever
            t = self.thresholds
            share = max(STORY_FLOOR, len(asked) / max(len(text[:MAX_QUERY_CHARS]), 1))
            outcome = decide(candidates, Thresholds(t.answer, t.suggest * share, t.margin), agree)
        else:
            outcome = decide(candidates, self.thresholds, agree)
        confidence = candidates[0].score if candidates else 0.0
        return MatchResult(outcome, candidates, query, confidence, fields)
