"""Japanese normalization: variants residents write must meet the words the knowledge base uses."""

from __future__ import annotations

import pytest

from faq.kb import build_normalizer
from search.normalize import Normalizer, fold


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    from core.tenancy import default_municipality

    return build_normalizer(default_municipality({}, production=False))


def words(n: Normalizer, text: str) -> set[str]:
    return set(n.analyze(text).words)


def test_fold_handles_width_case_and_dashes() -> None:
    assert fold("ＡＢＣ　ｺﾞﾐ〜！！") == "abc ゴミー"


@pytest.mark.parametrize("a, b", [
    ("引越し", "引っ越し"),
    ("ゴミ", "ごみ"),
    ("ｺﾞﾐ", "塵"),
    ("粗大ゴミ", "粗大ごみ"),
    ("マイナ", "マイナンバーカード"),
    ("住民票の写し", "住民票"),
    ("子供手当", "児童手当"),
    ("国保", "国民健康保険"),
])
def test_variants_normalize_to_the_same_words(normalizer: Normalizer, a: str, b: str) -> None:
    assert words(normalizer, a) & words(normalizer, b)


def test_question_boilerplate_is_dropped(normalizer: Normalizer) -> None:
    assert words(normalizer, "方法を教えてください") == set()


def test_emoji_and_whitespace_are_empty(normalizer: Normalizer) -> None:
    assert normalizer.analyze("😀🎉").is_empty()
    assert normalizer.analyze(" \n\t").is_empty()


def test_kana_only_input_keeps_a_reading(normalizer: Normalizer) -> None:
    assert normalizer.analyze("じゅうみんひょう").reading == normalizer.analyze("住民票").reading
