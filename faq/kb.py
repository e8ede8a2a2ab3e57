"""Build and cache one matcher per municipality, rebuilt when its knowledge base changes.

The cache key is a cheap aggregate over the municipality's entries (count, highest id, sum of
revisions, latest update), re-read at most twice a second per process — one indexed query — so an edit saved by
any process (CLI, console, another gunicorn worker) reaches every process's questions within a second, and this
process's own commits reach them at once.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import event, func, literal, select, union_all
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from core.metrics import MATCHER_REBUILDS
from core.tenancy import MunicipalityConfig
from directory.models import Place, Procedure
from directory.texts import facility_texts, procedure_texts
from faq.models import FaqEntry, SynonymSet
from search import second_model
from search.index import EntryIndex, EntryVectors, IndexedEntry, QuantizedVectors
from search.matcher import Matcher
from search.normalize import Normalizer, load_synonym_groups
from search.reading import ReadingLexicon
from search.second_model import SecondVectors
from search.vectors import DIM, digest, insert_vectors, load_vectors, stored_vectors, vector_texts

# Japanese FAQ pages often prefix a question with its subject: 【児童手当】振込口座は変更できますか。
# The shipped municipal vocabulary (ごみ = ゴミ = 塵, マイナ = マイナンバーカード, …); municipalities and staff add theirs.
DEFAULT_SYNONYMS_PATH = Path(__file__).with_name("data") / "synonyms.yaml"
log = logging.getLogger(__name__)
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


def kb_size(version: tuple[object, ...]) -> int:
    """How many entries, procedures and facilities a :func:`kb_version` counts (the first of each kind's four)."""
    return sum(int(str(version[i])) for i in range(0, len(version), 4) if str(version[i]).isdigit())


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


def translation_texts(entry: FaqEntry | dict) -> list[str]:
    """What is encoded of an entry's translations: each translated question, and question + answer (the gist),
    so a question in another language meets the entry in its own language too."""
    translations = (entry.get("translations") if isinstance(entry, dict) else entry.translations) or {}
    texts: list[str] = []
    for item in translations.values():
        question, answer = item.get("question", ""), item.get("answer", "")
        if question:
            texts.append(question)
        texts.append(f"{question} {answer}".strip())
    return [t for t in texts if t.strip()]


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
    texts = all_texts(entries, procedures, places)
    translated = [translation_texts(e) for e in entries]
    vectors = entry_vectors(session, texts, translated)
    return Matcher(normalizer, EntryIndex(indexed, vectors=vectors), config.thresholds, lexicon,
                   second_texts=second_texts(texts, translated))


def second_texts(texts: list[tuple[list[str], str]], translated: list[list[str]]) -> list[tuple[int, str]]:
    """(entry row, text) for the second meaning model: every phrasing, every translation, and the gist."""
    rows: list[tuple[int, str]] = []
    for i, (phrasings, answer) in enumerate(texts):
        rows += [(i, t) for t in vector_texts(phrasings, answer)]
        rows += [(i, t) for t in (translated[i] if i < len(translated) else [])]
    return [(i, t) for i, t in rows if t.strip()]


def fill_second(session: Session, matcher: Matcher) -> int:
    """Give ``matcher`` the second model's vectors: read the stored ones, encode and store the missing (the caller
    commits). Returns how many were encoded (0 when the model is not available here)."""
    if not matcher.second_texts or not second_model.available():
        return 0
    digests = [digest(t, second_model.MODEL) for _, t in matcher.second_texts]
    found = stored_vectors(session, digests, second_model.MODEL)
    missing = {d: t for d, (_, t) in zip(digests, matcher.second_texts, strict=True) if d not in found}
    if missing:
        encoded = second_model.passages(list(missing.values()))
        fresh = dict(zip(missing, encoded, strict=True))
        insert_vectors(session, fresh, model=second_model.MODEL)
        found.update(fresh)
    matrix = np.asarray([found[d] for d in digests], dtype=np.float32).reshape(-1, second_model.DIM)
    owner = np.asarray([i for i, _ in matcher.second_texts], dtype=np.int64)
    matcher.second = SecondVectors(QuantizedVectors(matrix), owner)
    return len(missing)


def entry_vectors(session: Session, texts: list[tuple[list[str], str]], translated: list[list[str]] | None = None
                  ) -> EntryVectors | None:
    """Stored vectors aligned with the index: phrasings in ``q``-unit order, one gist per entry, and the
    translations' texts of the first entries (``translated[i]`` belongs to entry ``i``)."""
    if not texts:
        return None
    translated = translated or []
    lookup = load_vectors(session, [v for phrasings, answer in texts for v in vector_texts(phrasings, answer)]
                          + [t for group in translated for t in group])
    phrasing: list[np.ndarray] = []
    gist: list[np.ndarray] = []
    for phrasings, text in texts:
        *ps, qa = vector_texts(phrasings, text)
        phrasing.extend(lookup[p] for p in ps)
        gist.append(lookup[qa])
    owners = [i for i, group in enumerate(translated) for _ in group]
    extra = np.asarray([lookup[t] for group in translated for t in group], dtype=np.float32).reshape(-1, DIM)
    return EntryVectors.of(np.asarray(phrasing, dtype=np.float32).reshape(-1, DIM),
                           np.asarray(gist, dtype=np.float32), extra, owners)


# The knowledge-base version is read again at most this often per process (it was ~3 ms of every question): an
# edit saved in another process reaches this one's questions within this time plus the rebuild; one committed in
# this process (the console, the CLI, tests) reaches them at once (``kb_generation``).
VERSION_TTL_S = 0.5
KB_TABLES = frozenset({FaqEntry.__tablename__, Procedure.__tablename__, Place.__tablename__,
                       SynonymSet.__tablename__})
_generation = [0]
_generation_lock = threading.Lock()


def kb_generation() -> int:
    """Bumped whenever a session of this process commits a change to the knowledge base."""
    return _generation[0]


@event.listens_for(Session, "before_flush")
def _note_kb_flush(session: Session, flush_context: object, instances: object) -> None:
    if any(getattr(obj, "__tablename__", "") in KB_TABLES for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["kb_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_kb_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", "") in KB_TABLES:
            state.session.info["kb_changed"] = True


@event.listens_for(Session, "after_commit")
def _bump_kb_generation(session: Session) -> None:
    if session.info.pop("kb_changed", False):
        with _generation_lock:
            _generation[0] += 1


@event.listens_for(Session, "after_rollback")
def _forget_kb_change(session: Session) -> None:
    session.info.pop("kb_changed", None)


@dataclass
class _Cached:
    version: tuple[object, ...]
    synonyms_key: tuple[object, ...]
    matcher: Matcher
    checked_at: float = 0.0  # monotonic time the version was last read
    generation: int = -1  # kb_generation() when it was read


# A rebuild that took at most this long last time is waited for (so a staff member's save is answered by the
# very next question); a longer one (a large import) runs in the background while the previous matcher answers.
QUICK_BUILD_S = 1.0
LOCAL_EDIT_BUILD_S = 3.0


class MatcherCache:
    """Per-process cache of matchers, safe to share between request threads.

    The first matcher of a municipality is built in the caller's thread (the worker's warm-up, or its first
    question). After a change, with a session factory (``sessions``), the new one is built in a background
    thread from its own session while questions keep being answered by the previous one; a question waits for
    the rebuild only when the last build was quick (``QUICK_BUILD_S``) — edits reach the next question, a
    40,000-entry import does not hold residents' questions for the minutes its index takes. Without a session
    factory (tools, tests) every rebuild is done in the caller's thread.
    """

    def __init__(self, sessions: sessionmaker[Session] | None = None, second: bool = False) -> None:
        self.second = second  # fill the second meaning model's vectors after each build (search.second_model)
        self._lock = threading.Lock()
        self._cached: dict[int, _Cached] = {}
        self._normalizers: dict[tuple[object, ...], Normalizer] = {}
        self._sessions = sessions
        self._rebuilding: dict[int, threading.Event] = {}
        self._build_s: dict[int, float] = {}
        self._build_size: dict[int, int] = {}

    def _state(self, session: Session, municipality_id: int, config: MunicipalityConfig
               ) -> tuple[tuple[object, ...], tuple[object, ...], list[list[str]]]:
        version = kb_version(session, municipality_id)
        staff_version, staff_groups = staff_synonyms(session, municipality_id)
        key = (config.slug, staff_version,
               *(p.stat().st_mtime if p.exists() else 0.0 for p in _synonym_files(config)))
        return version, key, staff_groups

    def _fresh(self, municipality_id: int, version: tuple[object, ...], key: tuple[object, ...]) -> Matcher | None:
        cached = self._cached.get(municipality_id)
        return cached.matcher if cached and cached.version == version and cached.synonyms_key == key else None

    def get(self, session: Session, municipality_id: int, config: MunicipalityConfig) -> Matcher:
        cached = self._cached.get(municipality_id)
        now, generation = time.monotonic(), kb_generation()
        if cached is not None and cached.generation == generation and now - cached.checked_at < VERSION_TTL_S:
            return cached.matcher  # checked within VERSION_TTL_S, and nothing was committed here since
        version, key, staff_groups = self._state(session, municipality_id, config)
        matcher = self._fresh(municipality_id, version, key)
        if matcher is not None:
            assert cached is not None
            cached.checked_at, cached.generation = now, generation
            return matcher
        previous = self._cached.get(municipality_id)
        if previous is None or self._sessions is None:
            with self._lock:
                matcher = self._fresh(municipality_id, version, key)
                if matcher is None:
                    matcher = self._build(session, municipality_id, config, version, key, staff_groups, generation)
                return matcher
        done = self._rebuild_in_background(municipality_id, config)
        # A change committed in this process (a staff member's save in the console) is waited for longer: the
        # console promises the very next question is answered with it, even on a busy machine.
        quick = LOCAL_EDIT_BUILD_S if previous.generation != generation else QUICK_BUILD_S
        if self._expected_build_s(municipality_id, version) <= quick:
            done.wait(timeout=3 * quick)
        return self._cached[municipality_id].matcher

    def _expected_build_s(self, municipality_id: int, version: tuple[object, ...]) -> float:
        """The last build's time, scaled by how much the knowledge base grew since (an import of thousands of
        entries is not waited for, an edit is)."""
        last, size = self._build_s.get(municipality_id), self._build_size.get(municipality_id)
        if last is None or not size:
            return float("inf")
        return last * max(1.0, kb_size(version) / size)

    def _build(self, session: Session, municipality_id: int, config: MunicipalityConfig,
               version: tuple[object, ...], key: tuple[object, ...], staff_groups: list[list[str]],
               generation: int) -> Matcher:
        """Build and cache (call with ``_lock`` held, or from the one rebuild thread of this municipality).
        ``generation``: kb_generation() read before ``version`` (a commit in between is seen by the next question)."""
        started = time.monotonic()
        normalizer = self._normalizers.get(key)
        if normalizer is None:
            normalizer = build_normalizer(config, staff_groups)
            self._normalizers = {k: v for k, v in self._normalizers.items() if k[0] != config.slug}
            self._normalizers[key] = normalizer
        matcher = build_matcher(session, municipality_id, config, normalizer)
        self._cached[municipality_id] = _Cached(version, key, matcher, time.monotonic(), generation)
        if self.second and self._sessions is not None:
            threading.Thread(target=self._fill_second, args=(matcher,), daemon=True,
                             name=f"second-model-{municipality_id}").start()
        self._build_s[municipality_id] = time.monotonic() - started
        self._build_size[municipality_id] = kb_size(version)
        MATCHER_REBUILDS.inc()
        return matcher

    def _fill_second(self, matcher: Matcher) -> None:
        """Encode the knowledge base for the second model while the first one answers (minutes for a large one)."""
        assert self._sessions is not None
        try:
            with self._sessions() as session:
                encoded = fill_second(session, matcher)
                session.commit()
            if encoded:
                log.info("second meaning model: %d knowledge-base text(s) encoded", encoded)
        except Exception:  # noqa: BLE001 - questions in those languages stay with the first model
            log.exception("second meaning model: filling the vectors failed")

    def _rebuild_in_background(self, municipality_id: int, config: MunicipalityConfig) -> threading.Event:
        """Start the municipality's rebuild unless one is running; the event is set when it ends."""
        with self._lock:
            running = self._rebuilding.get(municipality_id)
            if running is not None:
                return running
            done = self._rebuilding[municipality_id] = threading.Event()
        threading.Thread(target=self._rebuild, args=(municipality_id, config, done), daemon=True,
                         name=f"matcher-rebuild-{municipality_id}").start()
        return done

    def _rebuild(self, municipality_id: int, config: MunicipalityConfig, done: threading.Event) -> None:
        assert self._sessions is not None
        try:
            with self._sessions() as session:
                generation = kb_generation()
                version, key, staff_groups = self._state(session, municipality_id, config)
                if self._fresh(municipality_id, version, key) is None:
                    self._build(session, municipality_id, config, version, key, staff_groups, generation)
                session.commit()  # vectors backfilled for texts stored without them (search.vectors.load_vectors)
        except Exception:  # noqa: BLE001 - the previous matcher keeps answering; the next question retries
            log.exception("matcher rebuild failed municipality_id=%s", municipality_id)
        finally:
            with self._lock:
                self._rebuilding.pop(municipality_id, None)
            done.set()
