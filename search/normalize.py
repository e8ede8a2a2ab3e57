"""Japanese normalization for matching residents' questions as they really write them.

Residents mix full/half width (ｺﾞﾐ), kana and kanji (ごみ/ゴミ/塵), okurigana variants (引越し/引っ越し),
long-vowel and tilde variants (ー/〜/-), colloquial endings and typos. Normalization here:

1. ``fold``: NFKC (width, compatibility forms), lower case, unify dash/long-vowel marks, drop emoji
   and punctuation to spaces.
2. SudachiPy morphological analysis: each morpheme's *normalized form* (引越し→引っ越し, 粗大ごみ→粗大塵),
   content words only (nouns, verbs, adjectives, …) minus a stop list of question boilerplate
   (教える, 知る, 方法, …). Compounds also contribute their short-unit parts (国民健康保険税 → 国民, 健康, …)
   so that partial mentions still match.
3. A synonym dictionary maps variant token sequences to a canonical form (マイナ → マイナンバーカード,
   住民票の写し → 住民票), applied to the analyzed tokens so it is insensitive to spelling.
4. A katakana *reading* of the whole text, used for character n-grams: it bridges kana-only input
   (じゅうみんひょう) and one-character typos that word matching cannot.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sudachipy import Dictionary, SplitMode

from search.reading import ReadingLexicon, to_hiragana, to_katakana

CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "接尾辞", "副詞"}
# Words that carry no topic in a question ("…を教えてください", "…の方法が知りたい").
STOPWORDS = frozenset("""
する 為る ある 有る 在る いる 居る なる 成る できる 出来る 教える 知る 分かる 判る 解る 思う 言う 考える
いい 良い 善い よい 欲しい 下さる 頂く 戴く 貰う くれる 呉れる 行う 方法 場合 こと 事 もの 物 ため 為
とき 時 ところ 所 どう どの どこ 何 なに いつ 誰 どれ 幾ら いくら よう 様 方 ほう 件 等 など 感じ 的 さん 様子
ください お願い 願う ん みたい らしい すぎる 過ぎる 御 是非 ぜひ ちょっと 一寸 今 今日 すぐ 直ぐ 必ず
""".split())
DASHES = re.compile(r"[‐‑‒–—―−ｰ〜～~]")
NON_WORD = re.compile(r"[^\w\u3040-\u30ff\u3400-\u9fff\uf900-\ufaffー]+")
KATAKANA = re.compile(r"[\u30a1-\u30f6]")


def fold(text: str) -> str:
    """Width/case/punctuation folding that is safe to show and to compare."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = DASHES.sub("ー", text)
    text = NON_WORD.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def hiragana_rendering(text: str) -> str:
    """The text as a resident who types only kana would write it: every morpheme replaced by its reading
    (SudachiPy ``reading_form``) in hiragana, spaces and punctuation kept. Used to measure kana input."""
    return "".join(to_hiragana(m.reading_form() if m.part_of_speech()[0] not in ("補助記号", "空白") else m.surface())
                   for m in _tokenizer().tokenize(text, SplitMode.C)) if text else ""


@dataclass(frozen=True)
class Analysis:
    """What the matcher needs from a text."""

    folded: str
    words: tuple[str, ...]
    reading: str

    @property
    def normalized(self) -> str:
        return " ".join(self.words)

    def is_empty(self) -> bool:
        return not self.words and not self.reading


class SynonymMap:
    """Token-sequence rewriting: the longest variant starting at each position wins."""

    def __init__(self, rules: dict[tuple[str, ...], tuple[str, ...]]):
        self.rules = rules
        self.max_len = max((len(k) for k in rules), default=0)

    def apply(self, tokens: Sequence[str]) -> list[str]:
        if not self.rules:
            return list(tokens)
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.max_len, len(tokens) - i), 0, -1):
                target = self.rules.get(tuple(tokens[i:i + n]))
                if target is not None:
                    out.extend(target)
                    i += n
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out


_local = threading.local()


def _tokenizer() -> Any:  # a SudachiPy Tokenizer (no type information shipped)
    """SudachiPy tokenizers are not thread-safe; keep one per thread (they are cheap)."""
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        tok = Dictionary(dict="core").tokenizer()
        _local.tokenizer = tok
    return tok


class Normalizer:
    """Analyzes text for one municipality's knowledge base (its synonym dictionary)."""

    def __init__(self, synonym_groups: Iterable[Sequence[str]] = ()):
        rules: dict[tuple[str, ...], tuple[str, ...]] = {}
        empty = SynonymMap({})
        for group in synonym_groups:
            if not group:
                continue
            canonical = tuple(self._tokens(fold(str(group[0])), empty))
            if not canonical:
                continue
            for variant in group:
                key = tuple(self._tokens(fold(str(variant)), empty))
                if key and key != canonical:
                    rules[key] = canonical
        self.synonyms = SynonymMap(rules)

    @staticmethod
    def _morphemes(folded: str) -> Any:  # SudachiPy MorphemeList (iterable of morphemes)
        return _tokenizer().tokenize(folded, SplitMode.C) if folded else []

    def _tokens(self, folded: str, synonyms: SynonymMap) -> list[str]:
        words: list[str] = []
        for m in self._morphemes(folded):
            pos = m.part_of_speech()[0]
            if pos not in CONTENT_POS:
                continue
            form = m.normalized_form()
            words.append(form)
        return synonyms.apply(words)

    def analyze(self, text: str, lexicon: ReadingLexicon | None = None) -> Analysis:
        """``lexicon``: when given (knowledge-base text being indexed), each noun's reading and spelling
        are added to it, so that kana-only questions can be respelled with these words."""
        folded = fold(text)
        morphemes = list(self._morphemes(folded))
        words: list[str] = []
        reading_parts: list[str] = []
        for m in morphemes:
            pos = m.part_of_speech()
            if pos[0] in ("補助記号", "空白"):
                continue
            reading = to_katakana(m.reading_form() or m.surface())
            reading_parts.append(reading)
            if pos[0] in CONTENT_POS:
                words.append(m.normalized_form())
            if lexicon is not None and pos[0] == "名詞" and pos[1] != "数詞":
                lexicon.add(reading, m.surface())
                if len(m.surface()) >= 3:
                    for part in _tokenizer().tokenize(m.surface(), SplitMode.A):
                        if part.part_of_speech()[0] == "名詞":
                            lexicon.add(to_katakana(part.reading_form()), part.surface())
        words = self.synonyms.apply(words)
        expanded: list[str] = []
        for w in words:
            if w in STOPWORDS or (len(w) == 1 and KATAKANA.match(w)):
                continue
            expanded.append(w)
            if len(w) >= 3:
                parts = [p.normalized_form() for p in _tokenizer().tokenize(w, SplitMode.A)]
                if len(parts) > 1:
                    expanded.extend(p for p in self.synonyms.apply(parts)
                                    if p not in STOPWORDS and p != w)
        return Analysis(folded=folded, words=tuple(expanded), reading="".join(reading_parts))


def char_ngrams(text: str, n: int = 2) -> list[str]:
    text = text.replace(" ", "")
    if len(text) < n:
        return [text] if text else []
    return [text[i:i + n] for i in range(len(text) - n + 1)]


def load_synonym_groups(path: Path) -> list[list[str]]:
    """Read a synonym YAML file: ``groups: [[canonical, variant, …], …]``; errors name the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
        raise ValueError(f"{path}: expected 'groups:' followed by a list of non-empty lists of words.")
    return [[str(w) for w in g] for g in groups]


