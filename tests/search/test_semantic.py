"""Sentence vectors: stored when knowledge is saved, read by the matcher, and what they change."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from sqlalchemy import delete, func, select

from core.db import session_scope
from core.tenancy import Thresholds
from faq.kb import faq_texts
from faq.models import FaqEntry
from faq.packs import DEMO_PACK, import_entries, load_pack_file, save_entry
from search.matcher import Candidate, agrees, decide
from search.vectors import TextVector, clip, digest, encoder, vector_texts
from tests.helpers import matcher_of, municipality


def vector_count(session) -> int:
    return session.scalar(select(func.count(TextVector.id)))


def test_encoder_gives_unit_vectors_that_reflect_meaning() -> None:
    v = encoder().encode(["子育ての悩みを相談したい", "育児の悩みを聞いてほしい", "粗大ごみの出し方"])
    assert v.shape == (3, 512)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.2


def test_import_stores_each_text_once_and_edits_store_only_what_changed(app) -> None:
    rt = app.extensions["machimado"]
    with session_scope(rt.sessions) as session:
        municipality_id = municipality(session).id
        entries = session.scalars(select(FaqEntry).where(FaqEntry.municipality_id == municipality_id)).all()
        wanted = {clip(t) for e in entries for t in vector_texts(*faq_texts(e))}
        stored = vector_count(session)
        assert stored >= len(wanted) > 400  # FAQ texts, plus procedures and facilities
        report = import_entries(session, municipality_id, load_pack_file(DEMO_PACK), author="again")
        assert report.unchanged == len(entries) and vector_count(session) == stored
        entry = entries[0]
        data = {**entry.snapshot(), "answer": entry.answer + "\n土日も受け付けています。"}
        save_entry(session, municipality_id, data, author="staff", existing=entry)
        assert vector_count(session) == stored + 1  # question + the new answer


def test_matcher_backfills_vectors_missing_from_older_saves(app, caplog: pytest.LogCaptureFixture) -> None:
    rt = app.extensions["machimado"]
    with session_scope(rt.sessions) as session:
        session.execute(delete(TextVector))
    with session_scope(rt.sessions) as session, caplog.at_level(logging.WARNING, logger="search.vectors"):
        matcher = matcher_of(app, session)
        assert matcher.index.vectors is not None
        assert vector_count(session) > 400
    assert any("saved without vectors" in r.getMessage() for r in caplog.records)
    with session_scope(rt.sessions) as session:
        result = matcher.match("育児の悩みを聞いてほしい")
        assert result.top is not None and result.top.question == "子育ての悩みを相談したい"


def test_meaning_reranks_when_words_alone_pick_the_wrong_entry(app) -> None:
    with session_scope(app.extensions["machimado"].sessions) as session:
        matcher = matcher_of(app, session)
        with_meaning = matcher.match("体育館を予約したい")
        vectors, matcher.index.vectors = matcher.index.vectors, None
        try:
            words_only = matcher.match("体育館を予約したい")
        finally:
            matcher.index.vectors = vectors
    assert with_meaning.top is not None and with_meaning.top.question == "市の施設を予約したい"
    assert words_only.top is not None and words_only.top.question != "市の施設を予約したい"
    assert {"uq", "uqa"} <= set(with_meaning.fields)


def test_disagreement_between_words_and_meaning_never_answers_outright() -> None:
    strong = [Candidate(1, "a", "A", 0.9), Candidate(2, "b", "B", 0.5)]
    assert decide(strong, Thresholds()) == "answer"
    assert decide(strong, Thresholds(), agree=False) == "suggest"
    assert decide([Candidate(1, "a", "A", 0.2)], Thresholds(), agree=False) == "fallback"


def test_agreement_needs_the_top_entry_to_be_clearly_closest_in_meaning() -> None:
    assert agrees(np.array([0.81, 0.80, 0.3]), 0, similarity=0.5)
    assert not agrees(np.array([0.80, 0.81, 0.3]), 0, similarity=0.5)  # meaning prefers another entry
    assert not agrees(np.array([0.8001, 0.80, 0.3]), 0, similarity=0.5)  # a dead heat (same question twice)
    assert agrees(np.array([0.8001, 0.80]), 0, similarity=0.95)  # near-verbatim: words suffice
    assert agrees(np.array([0.4]), 0, similarity=0.2)  # the only candidate
    assert agrees(None, 0, similarity=0.2)  # no vectors: words decide alone


def _entry(key: str, question: str, answer: str) -> dict:
    return {"id": key, "question": question, "answer": answer, "category": "", "alt_questions": [], "keywords": [],
            "links": [], "department": "", "contact": "", "active": True}


def test_a_labelled_entry_is_marked_down_when_the_resident_never_names_its_subject(monkeypatch) -> None:
    from cli.faq_eval import evaluation_kb
    from search import matcher as matcher_module

    entries = [_entry("kanen", "【肝炎の医療費助成】県外から転入してきました。手続きはどうすればいいですか？",
                      "転入前の受給者証を添えて、保健所で転入の手続きをしてください。"),
               _entry("tennyu", "市外から住所を移すときの手続き（転入届）",
                      "転入届は、引っ越してから14日以内に市民課へ提出してください。")]

    def scores(question: str) -> dict[str, float]:
        return {c.key: c.score for c in matcher.match(question).candidates}

    with evaluation_kb(entries) as (_session, matcher, _muni):
        plain, named = scores("転入したいのだけれど手続きはどうすればいい？"), scores("肝炎の医療費助成と転入の手続き")
        monkeypatch.setattr(matcher_module, "LABEL_PENALTY", 0.0)
        plain_0, named_0 = scores("転入したいのだけれど手続きはどうすればいい？"), scores("肝炎の医療費助成と転入の手続き")
    assert plain["kanen"] == pytest.approx(plain_0["kanen"] - 0.07, abs=1e-6)
    assert plain["tennyu"] == pytest.approx(plain_0["tennyu"])  # no label, no change
    assert named["kanen"] == pytest.approx(named_0["kanen"], abs=1e-6)  # every label word named


def test_cli_stores_missing_vectors_ahead_of_the_first_question(app) -> None:
    from click.testing import CliRunner

    from cli.main import main

    with session_scope(app.extensions["machimado"].sessions) as session:
        entry = session.scalars(select(FaqEntry)).first()
        session.execute(delete(TextVector).where(TextVector.digest == digest(vector_texts(*faq_texts(entry))[-1])))
    result = CliRunner().invoke(main, ["faq", "vectors"])
    assert result.exit_code == 0, result.output
    assert "sample: 1 texts encoded" in result.output
    assert "sample: 0 texts encoded" in CliRunner().invoke(main, ["faq", "vectors"]).output


def test_a_failing_encoder_degrades_to_words_only(app, monkeypatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(self, texts, progress=None):
        raise RuntimeError("model file damaged")

    with session_scope(app.extensions["machimado"].sessions) as session:
        matcher = matcher_of(app, session)
        monkeypatch.setattr(type(encoder()), "encode", broken)
        with caplog.at_level(logging.ERROR, logger="search.matcher"):
            result = matcher.match("マイナンバーカードの暗証番号を忘れた")
    assert result.outcome == "answer" and result.top.question == "マイナンバーカードの暗証番号を忘れた"
    assert "uq" not in result.fields
    assert any("matching by words only" in r.getMessage() for r in caplog.records)


def test_storing_a_vector_another_process_stored_meanwhile_is_not_an_error(app) -> None:
    from search.vectors import insert_vectors, store_vectors

    text = "同時に保存された文章"
    with session_scope(app.extensions["machimado"].sessions) as session:
        assert store_vectors(session, [text]) == 1
        before = vector_count(session)
        # The race: this process looked the digest up before the other one's insert was committed.
        insert_vectors(session, {digest(text): encoder().encode_one(text) * 0 + 1,
                                 digest("もう一つの文章"): encoder().encode_one("もう一つの文章")})
        assert vector_count(session) == before + 1
        stored = session.scalar(select(TextVector.vector).where(TextVector.digest == digest(text)))
        assert np.allclose(np.frombuffer(stored, dtype=np.float16), encoder().encode_one(text), atol=1e-3)


def test_quantized_vectors_keep_cosines_within_rounding() -> None:
    from search.index import QuantizedVectors

    rng = np.random.default_rng(7)
    v = rng.standard_normal((50, 512)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q = QuantizedVectors(v)
    assert q.rows.dtype == np.int8 and q.nbytes < v.nbytes / 3
    rows = np.array([3, 0, 49, 3])
    assert np.abs(q.dot(rows, v[3]) - v[rows] @ v[3]).max() < 0.002
    assert len(QuantizedVectors(np.zeros((0, 512)))) == 0
    assert not QuantizedVectors(np.zeros((1, 512))).dot(np.array([0]), v[0]).any()  # no division by zero
