"""Staff replies to a 相談 carry their heading in the resident's language (#15)."""

from __future__ import annotations

import pytest

from desk.service import reply_messages


@pytest.mark.parametrize("language, head", [
    (None, "【総合案内からのお返事】"), ("ja", "【総合案内からのお返事】"), ("en", "[Reply from 総合案内]"),
    ("ja-easy+en", "【総合案内からの 返事】"), ("pt-BR", "[Resposta de 総合案内]"), ("th", "【総合案内からの 返事】"),
])
def test_a_staff_reply_is_headed_in_the_residents_language(language: str | None, head: str) -> None:
    assert reply_messages("総合案内", "Please come on Monday.", language)[0]["text"] == f"{head}\nPlease come on Monday."
