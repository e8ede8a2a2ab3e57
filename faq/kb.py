"""Build and cache one matcher per municipality, rebuilt when its knowledge base changes.

The cache key is a cheap aggregate over the municipality's entries (count, highest id, sum of
revisions, latest update). Every lookup re-reads it — one indexed query — so an edit saved by any
process (CLI, console, another gunicorn worker) reaches every process's next question.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from core.tenancy import MunicipalityConfig
from directory.models import Place, Procedure
from directory.texts import facility_texts, procedure_texts
from faq.models import FaqEntry, SynonymSet
from search.index import EntryIndex, EntryVectors, IndexedEntry
from search.matcher import Matcher
from search.normalize import Normalizer, load_synonym_groups
from search.reading import ReadingLexicon
from search.vectors import DIM, load_vectors, vector_texts

# Japanese FAQ pages often prefix a question with its subject: 【児童手当】振込口座は変更できますか。
# The shipped municipal vocabulary (ごみ = ゴミ = 塵, マイナ = マイナンバーカード, …); municipalities and staff add theirs.
DEFAULT_SYNONYMS_PATH = Path(__file__).with_name("data") / "synonyms.yaml"
LABEL = re.compile(r"^[【\[［]([^】\]］]{1,40})[】\]］]")


def kb_version(session: Session, municipality_id: int) -> tuple[object, ...]:
    """Changes whenever an FAQ entry, a procedure or a facility of the municipality changes.
    One statement (it runs before every question): count, highest id, sum of revisions and latest
    update of each kind."""
    faq = select(func.count(FaqEntry.id), func.max(FaqEntry.id), func.sum(FaqEntry.revision),
                 func.max(FaqEntry.updated_at)).where(FaqEntry.municipality_id == municipality_id)
    procedures = select(func.count(Procedure.id), func.max(Procedure.id), func.sum(Procedure.revision),
                        func.max(Procedure.updated_at)).where(Procedure.municipality_id == municipality_id)
    places = select(func.count(Place.id), func.max(Place.id), literal(0),  # places have no revision number
                    func.max(Place.updated_at)).where(Place.municipality_id == municipality_id,
                                                      Place.kind == "facilities")
    kinds = [faq.add_columns(literal(0)), procedures.add_columns(literal(1)), places.add_columns(literal(2))]
    rows = sorted(session.execute(union_all(*kinds)).all(), key=lambda row: row[-1])
    return tuple(str(v) for row in rows for v in row[:-1])


def _synonym_files(config: MunicipalityConfig) -> list[Path]:
    return [DEFAULT_SYNONYMS_PATH] + ([config.synonyms_path] if config.synonyms_path else [])


def build_normalizer(config: MunicipalityConfig, staff_groups: list[list[str]] | None = None) -> Normalizer:
    """Shipped dictionary + the municipality's file (config) + groups edited by staff (database)."""
    groups: list[list[str]] = []
    for path in _synonym_files(config):
        groups.extend(load_synonym_groups(path))
    groups.extend(staff_groups or [])
    return Normalizer(groups)


def staff_synonyms(session: Session, municipality_id: int) -> tuple[str, list[list[str]]]:
    """(version, groups) of the staff-edited synonyms; the version is part of the cache key."""
    row = session.get(SynonymSet, municipality_id)
    return (str(row.updated_at), list(row.groups or [])) if row else ("", [])


def faq_texts(entry: FaqEntry) -> tuple[list[str], str]:
    """(phrasings, answer) of an entry: what is indexed and encoded."""
    return [p for p in [entry.question, *(entry.alt_questions or [])] if p.strip()], entry.answer


def index_entry(normalizer: Normalizer, entry: FaqEntry, lexicon: ReadingLexicon | None = None) -> IndexedEntry:
    phrasings = tuple(normalizer.analyze(p, lexicon) for p in faq_texts(entry)[0])
    keywords = tuple(w for k in [*(entry.keywords or []), entry.category]
                     for w in normalizer.analyze(k, lexicon).words)
    label = LABEL.match(entry.question.strip())
    return IndexedEntry(entry_id=entry.id, key=entry.key, question=entry.question, category=entry.category,
                        phrasings=phrasings, keywords=keywords,
                        answer_words=normalizer.analyze(entry.answer, lexicon).words,
                        label=frozenset(normalizer.analyze(label.group(1)).words) if label else frozenset())


def index_procedure(normalizer: Normalizer, proc: Procedure, lexicon: ReadingLexicon | None = None
                    ) -> IndexedEntry:
    names, answer = procedure_texts(proc)
    phrasings = tuple(normalizer.analyze(p, lexicon) for p in names)
    keywords = tuple(w for k in [proc.category, "手続き", "申請"] for w in normalizer.analyze(k).words)
    return IndexedEntry(entry_id=proc.id, key=f"proc:{proc.key}", question=proc.name, category=proc.category,
                        phrasings=phrasings, keywords=keywords,
                        answer_words=normalizer.analyze(answer, lexicon).words, kind="procedure")


def index_facility(normalizer: Normalizer, place: Place, lexicon: ReadingLexicon | None = None) -> IndexedEntry:
    additions = place.additions or {}
    names, answer = facility_texts(place)
    phrasings = tuple(normalizer.analyze(p, lexicon) for p in names)
    extra = ["施設", *(additions.get("rooms") or []), *(["予約"] if additions.get("reservation_url") else []),
             str((place.attributes or {}).get("category", ""))]
    keywords = tuple(w for k in extra for w in normalizer.analyze(k).words)
    return IndexedEntry(entry_id=place.id, key=f"place:{place.id}", question=place.name, category="施設",
                        phrasings=phrasings, keywords=keywords,
                        answer_words=normalizer.analyze(answer).words,
                        kind="facility")


def knowledge_rows(session: Session, municipality_id: int) -> tuple[list[FaqEntry], list[Procedure], list[Place]]:
    """Everything one municipality's matcher indexes: active FAQ entries, procedures, facilities."""
    entries = session.scalars(
        select(FaqEntry).where(FaqEntry.municipality_id == municipality_id, FaqEntry.active.is_(True))
        .order_by(FaqEntry.id)).all()
    procedures = session.scalars(select(Procedure).where(Procedure.municipality_id == municipality_id)
                                 .order_by(Procedure.id)).all()
    places = session.scalars(select(Place).where(Place.municipality_id == municipality_id,
                                                 Place.kind == "facilities").order_by(Place.id)).all()
    return list(entries), list(procedures), list(places)


def all_texts(entries: list[FaqEntry], procedures: list[Procedure], places: list[Place]
              ) -> list[tuple[list[str], str]]:
    return [faq_texts(e) for e in entries] + [procedure_texts(p) for p in procedures] + \
        [facility_texts(p) for p in places]


def build_matcher(session: Session, municipality_id: int, config: MunicipalityConfig,
                  normalizer: Normalizer | None = None) -> Matcher:
    """FAQ, procedures and facilities in one index: one query, one ranked list, one policy."""
    normalizer = normalizer or build_normalizer(config)
    entries, procedures, places = knowledge_rows(session, municipality_id)
    lexicon = ReadingLexicon()  # the knowledge base's nouns by reading: kana-only questions are respelled with them
    indexed = [index_entry(normalizer, e, lexicon) for e in entries]
    indexed += [index_procedure(normalizer, p, lexicon) for p in procedures]
    indexed += [index_facility(normalizer, p, lexicon) for p in places]
    vectors = entry_vectors(session, all_texts(entries, procedures, places))
    return Matcher(normalizer, EntryIndex(indexed, vectors=vectors), config.thresholds, lexicon)


def entry_vectors(session: Session, texts: list[tuple[list[str], str]]) -> EntryVectors | None:
    """Stored vectors aligned with the index: phrasings in ``q``-unit order, one gist per entry."""
    if not texts:
        return None
    lookup = load_vectors(session, [v for phrasings, answer in texts for v in vector_texts(phrasings, answer)])
    phrasing: list[np.ndarray] = []
    gist: list[np.ndarray] = []
    for phrasings, text in texts:
        *ps, qa = vector_texts(phrasings, text)
        phrasing.extend(lookup[p] for p in ps)
        gist.append(lookup[qa])
    return EntryVectors.of(np.asarray(phrasing, dtype=np.float32).reshape(-1, DIM),
                           np.asarray(gist, dtype=np.float32))


@dataclass
class _Cached:
    version: tuple[object, ...]
    synonyms_key: tuple[object, ...]
    matcher: Matcher


class MatcherCache:
    """Per-process cache of matchers, safe to share between request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[int, _Cached] = {}
        self._normalizers: dict[tuple[object, ...], Normalizer] = {}

    def get(self, session: Session, municipality_id: int, config: MunicipalityConfig) -> Matcher:
        version = kb_version(session, municipality_id)
        staff_version, staff_groups = staff_synonyms(session, municipality_id)
        key = (config.slug, staff_version,
               *(p.stat().st_mtime if p.exists() else 0.0 for p in _synonym_files(config)))
        cached = self._cached.get(municipality_id)
        if cached and cached.version == version and cached.synonyms_key == key:
            return cached.matcher
        with self._lock:
            cached = self._cached.get(municipality_id)
            if cached and cached.version == version and cached.synonyms_key == key:
                return cached.matcher
            normalizer = self._normalizers.get(key)
            if normalizer is None:
                normalizer = build_normalizer(config, staff_groups)
                self._normalizers = {k: v for k, v in self._normalizers.items() if k[0] != config.slug}
                self._normalizers[key] = normalizer
            matcher = build_matcher(session, municipality_id, config, normalizer)
            self._cached[municipality_id] = _Cached(version, key, matcher)
            return matcher
