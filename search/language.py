"""Which writing a question is in: Japanese (matched by words, readings and meaning) or another language
(matched by meaning alone, since its words are not in the knowledge base).

Decided from the characters, with the resident's chosen language as a hint where characters cannot decide:
a kanji-only message (住民票 発行) is Japanese unless it reads as Chinese (的, 吗, 怎么, 这…) or the resident
chose Chinese. Kana always means Japanese; Hangul Korean; two or more Latin words (not a single ``AED`` or
``wifi``) a Latin-script language.
"""

from __future__ import annotations

import re
import unicodedata

JAPANESE = "ja"
# Characters common in Chinese and (all but) absent from modern Japanese.
CHINESE_ONLY = frozenset("的了吗么怎这们哪您请个什没说还为过对关开门问题应该帮谢呢吧啊儿扔垃圾办里电买卖钱号码给吃喝"
                         "嗎麼這們請個沒說還為過對關開門問題應該幫謝兒辦裡電買賣錢號碼給")
LATIN_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ]{2,}")


def _in_japanese_charset(ch: str) -> bool:
    """Is the kanji in the Japanese character set (JIS X 0208 and Windows' extensions)? Simplified Chinese
    characters (图, 灾, 险) are not."""
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _counts(text: str) -> dict[str, int]:
    counts = {"kana": 0, "hangul": 0, "han": 0, "latin": 0, "other": 0, "chinese": 0}
    for ch in text:
        code = ord(ch)
        if 0x3041 <= code <= 0x30FF or 0xFF66 <= code <= 0xFF9D:
            counts["kana"] += ch not in "・ー"
        elif 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            counts["hangul"] += 1
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
            counts["han"] += 1
            counts["chinese"] += ch in CHINESE_ONLY or not _in_japanese_charset(ch)
        elif ch.isalpha():
            script = unicodedata.name(ch, "").split(" ")[0]
            counts["latin" if script == "LATIN" else "other"] += 1
    return counts


def detect(text: str, hint: str | None = None) -> str:
    """``ja`` for Japanese, else ``ko``, ``zh``, ``latin`` or ``other`` (Devanagari, Thai, Cyrillic…).
    ``hint``: the resident's language code (core.i18n), or None."""
    counts = _counts(text)
    if counts["kana"]:
        return JAPANESE
    if counts["hangul"]:
        return "ko"
    if counts["han"]:
        if counts["chinese"] or (hint or "").startswith("zh"):
            return "zh"
        if counts["han"] >= counts["latin"] + counts["other"]:
            return JAPANESE
    if counts["other"] > counts["latin"]:
        return "other"
    if len(LATIN_WORD.findall(text)) >= 2:
        return "latin"
    if counts["latin"] and hint and hint not in ("ja", "ja-easy"):
        return "latin"
    return JAPANESE


ENGLISH_WORDS = frozenset("""the a an is are was do does did how what where when which who can could should would
i my me we our you your to of for in on at with from and or not have has get need want""".split())


def written_in(text: str, script: str) -> str | None:
    """The language a question was written in, as far as the characters tell (core.i18n codes): Korean, or English
    when at least two of its words are common English ones; None otherwise."""
    if script == "ko":
        return "ko"
    if script == "latin":
        words = [w.lower() for w in LATIN_WORD.findall(text)]
        if sum(w in ENGLISH_WORDS for w in words) >= 2:
            return "en"
    return None
