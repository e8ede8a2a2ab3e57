"""The question inside a long message: residents tell the story first (「先月、夫が急に亡くなりました。…」) and ask at
the end (「何を持っていけばいいですか。」). Matched as a whole, the story's words drown the question and the score
is diluted below the suggest line even when the right entry ranks first; matched alone, the question sentence
loses the story's topic. search.matcher matches both and combines them (``combine``).
"""

from __future__ import annotations

import re

# a message is "long" (a story around a question) from this many characters and two sentences
MIN_CHARS = 40
SENTENCE = re.compile(r"[^。！!？?\n]+[。！!？?\n]*")
QUESTION_END = re.compile(
    r"(\?|？|か|かな|かね|かしら|でしょうか|ですか|ますか|ませんか|ないか|たい|たいです|たいのですが|たいんですが|"
    r"ください|下さい|くれませんか|教えて|知りたい|知りたいです|ほしい|ほしいです|欲しいです|どうすれば|どうしたら|"
    r"いいの|良いの|いいですか|のですが|んですが|でしょう|ですかね|だろう|わかりません|分かりません|知りません|困っています)$")
# the weight of the question sentences against the whole message (tuned on resident-questions-dev's long rows;
# docs/faq-measurements.md)
FOCUS_WEIGHT = 0.6


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


def question_part(text: str) -> str | None:
    """The question sentences of a long message (else its last sentence), or None for a short one."""
    if len(text) < MIN_CHARS:
        return None
    parts = sentences(text)
    if len(parts) < 2:
        return None
    asked = [p for p in parts if QUESTION_END.search(p.rstrip("。！!？?\n .、") + ("?" if p.rstrip().endswith(("?", "？")) else ""))]
    focus = " ".join(asked) if asked else parts[-1]
    return focus if focus != text.strip() else None


def combine(whole: dict[str, float], focus: dict[str, float]) -> dict[str, float]:
    """Per entry key: the whole message's score mixed with the question's, never below the whole's alone."""
    keys = set(whole) | set(focus)
    return {k: max(whole.get(k, 0.0), FOCUS_WEIGHT * focus.get(k, 0.0) + (1 - FOCUS_WEIGHT) * whole.get(k, 0.0))
            for k in keys}
