"""Kana-only questions respelled with the knowledge base's own words (かいごほけん → 介護保険).

Elderly residents often type in hiragana: 「かいごほけんの しんせいは どこで」. SudachiPy cannot know which
words hide in a hiragana run (かいご is read as 買う), so word matching finds nothing and the sentence encoder
sees an unusual string. But the knowledge base itself says which words residents may mean: every noun in its
phrasings and answers has a reading (介護 → カイゴ). A question's hiragana runs are segmented into those
readings and grammar (dynamic programming, see ``_respell_run``), and the words found are put back in their
usual spelling; the respelled question (「介護保険の 申請は どこで」) then goes through the same analysis,
index, encoder and policy as any other.

A question with any kanji in it is left exactly as written: respelling the hiragana parts of kanji questions
(こども → 子供, したい → 死体) cost localgovFAQ dev 0.02 Hit@1 when measured (docs/faq-measurements.md).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

HIRAGANA_RUN = re.compile(r"[\u3041-\u3096ー]+")
KANJI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff々]")
MAX_READING = 16


def to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


class ReadingLexicon:
    """Reading (katakana) → the knowledge base's most frequent spelling of a noun with that reading."""

    def __init__(self) -> None:
        self._seen: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._best: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, reading: str, surface: str) -> None:
        """A noun of the knowledge base (reading in katakana). Spellings that are hiragana already teach
        nothing; one-kana readings would be found everywhere."""
        if 2 <= len(reading) <= MAX_READING and not HIRAGANA_RUN.fullmatch(surface):
            self._seen[reading][surface] += 1
            self._best.pop(reading, None)

    def spelling(self, reading: str) -> str | None:
        best = self._best.get(reading)
        if best is None:
            counts = self._seen.get(reading)
            if not counts:
                return None
            best = self._best[reading] = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
        return best

    def respell(self, text: str) -> str:
        """``text`` with the knowledge base's words put back into its hiragana runs (unchanged if none)."""
        if not self._seen or not HIRAGANA_RUN.search(text) or KANJI.search(text):
            return text
        return HIRAGANA_RUN.sub(lambda m: self._respell_run(m.group(0)), text)

    def _respell_run(self, run: str) -> str:
        """The best reading of one hiragana run as knowledge-base words and grammar, by dynamic programming:
        a span of n kana scores n² (long words beat several short ones), grammar (FUNCTION) wins a tie, a
        particle scores 1.5 (ごみに is ゴミ + に, not ご + ミニ), any other kana left as it is nothing. So したい stays a wish rather than 死体, ありますか stays a
        question rather than 蟻 + 枡, and かいごほけん becomes 介護 + 保険."""
        kana = to_katakana(run)
        n = len(kana)
        best = [0.0] * (n + 1)
        step: list[tuple[int, str | None]] = [(1, None)] * (n + 1)
        for i in range(n - 1, -1, -1):
            best[i], step[i] = best[i + 1] + (1.5 if kana[i] in PARTICLES else 0.0), (1, None)
            for length in range(2, min(MAX_READING, n - i) + 1):
                piece = kana[i:i + length]
                score = best[i + length] + length * length
                if piece in FUNCTION and score + 0.5 > best[i]:
                    best[i], step[i] = score + 0.5, (length, None)
                spelling = self.spelling(piece)
                if spelling is not None and score > best[i]:
                    best[i], step[i] = score, (length, spelling)
        out, i = [], 0
        while i < n:
            length, spelling = step[i]
            out.append(spelling if spelling is not None else run[i:i + length])
            i += length
        return "".join(out)


PARTICLES = frozenset(to_katakana("のはをがにでとやへもか"))
# Grammar residents write around their words in kana (endings, auxiliaries, particles, question words):
# never respelled as nouns. In katakana, as the runs are compared.
FUNCTION = frozenset(to_katakana(w) for w in """
ください くださ ありますか あります ありません あるの ある あれば いますか います いません いる いて いた
できますか できます できません できる できない できれば でしょうか でしょう ですか です でした ではない
ますか ます ました ません ませんか したい したら して します しました しない する すれば される された
させ たい たいです たら ほしい ほしいです いい よい よろしい いただけ いただき いただく もらえ もらう
もらい くれる くれ ので のに から まで けど けれど けれども など とか には では へは とは にも でも
どこ どう どの どれ どんな なに なん いつ だれ どなた どちら おしえて おしえ しりたい しりたいです
しらない わからない わかりません わかる おねがい なら なり なる なった なって ように よう こと もの
ところ とき ため ばあい ほう かた ですが ますが けれど ちょっと すこし また まだ もう すぐ
""".split())
