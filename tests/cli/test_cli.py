"""The `machimado` console script: init, faq ask (--json), eval, purge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import main
from faq.models import QuestionLog
from tests.helpers import ROOT, SHARED, SHARED_PRESENT, body_of, post_webhook, text_event


def test_init_is_idempotent(app) -> None:
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0 and "database ready" in result.output
    assert "knowledge base loaded" not in result.output  # already loaded by the fixture


def test_faq_ask_json_shape(app) -> None:
    result = CliRunner().invoke(main, ["faq", "ask", "マイナンバーカードの暗証番号を忘れた", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["outcome"] == "answer"
    assert set(data["candidates"][0]) >= {"id", "question", "score"}
    assert data["candidates"][0]["question"] == "マイナンバーカードの暗証番号を忘れた"
    assert "暗証番号" in data["answer"]


def test_faq_ask_fallback_and_not_recorded(app) -> None:
    data = json.loads(CliRunner().invoke(main, ["faq", "ask", "競馬の予想をして", "--json"]).output)
    assert data["outcome"] == "fallback" and data["answer"] is None
    with app.extensions["machimado"].sessions() as session:
        assert session.scalar(select(func.count(QuestionLog.id))) == 0


def test_unknown_municipality_is_a_clear_error(app) -> None:
    result = CliRunner().invoke(main, ["faq", "ask", "x", "-m", "atlantis"])
    assert result.exit_code != 0 and "unknown municipality 'atlantis'" in result.output


def test_purge_removes_old_questions_only(app, client, fake_line) -> None:
    post_webhook(client, body_of(text_event("粗大ごみの出し方")))
    assert "deleted 0 question(s)" in CliRunner().invoke(main, ["purge", "--days", "30"]).output
    assert "deleted 1 question(s)" in CliRunner().invoke(main, ["purge", "--days", "-1"]).output


def test_purge_enforces_every_retention_limit(app) -> None:
    """Old questions, residents who left long ago, recipient lists of finished old notices and old
    dedupe keys go; everything recent or still needed stays."""
    from datetime import UTC, datetime, timedelta

    from broadcasts.models import Notice, NoticeBatch
    from core.db import session_scope
    from core.models import Follower, Municipality, ProcessedEvent

    now = datetime.now(UTC)
    long_ago, lately = now - timedelta(days=400), now - timedelta(days=2)
    with session_scope(app.extensions["machimado"].sessions) as session:
        muni = session.scalars(select(Municipality)).first().id
        session.add_all([QuestionLog(municipality_id=muni, text="古い質問", normalized="", candidates=[], outcome="answer",
                                     created_at=long_ago),
                         QuestionLog(municipality_id=muni, text="新しい質問", normalized="", candidates=[],
                                     outcome="answer", created_at=lately)])
        for n, (status, left) in enumerate([("blocked", long_ago), ("blocked", lately), ("following", None)]):
            session.add(Follower(municipality_id=muni, line_user_id=f"U{n:032x}", status=status, unfollowed_at=left))
        for n, created in enumerate([long_ago, lately]):
            notice = Notice(municipality_id=muni, title="お知らせ", body="本文", status="sent", created_at=created)
            session.add(notice)
            session.flush()
            for seq, status in enumerate(["sent", "failed", "pending"]):
                session.add(NoticeBatch(notice_id=notice.id, seq=seq, kind="multicast", recipients=["U1", "U2"],
                                        recipient_count=2, retry_key=f"{n}-{seq}-{status}", status=status))
        session.add_all([ProcessedEvent(municipality_id=muni, dedupe_key="a" * 64, event_type="message",
                                        received_at=now - timedelta(days=8)),
                         ProcessedEvent(municipality_id=muni, dedupe_key="b" * 64, event_type="message",
                                        received_at=lately)])
    result = CliRunner().invoke(main, ["purge", "--days", "365"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 question(s) older than 365 days, 0 consultation(s), 1 blocked follower(s), 2 recipient list(s) of finished " \
           "notices, 1 old webhook dedupe key(s), 0 unsent report draft(s) and the personal data of 0 finished " \
           "report(s) (0 photo(s))" in result.output
    with session_scope(app.extensions["machimado"].sessions) as session:
        assert session.scalars(select(QuestionLog.text)).all() == ["新しい質問"]
        assert sorted(session.scalars(select(Follower.line_user_id))) == [f"U{1:032x}", f"U{2:032x}"]
        lists = {(b.retry_key, len(b.recipients), b.recipient_count) for b in session.scalars(select(NoticeBatch))}
        assert lists == {("0-0-sent", 0, 2), ("0-1-failed", 0, 2), ("0-2-pending", 2, 2),
                         ("1-0-sent", 2, 2), ("1-1-failed", 2, 2), ("1-2-pending", 2, 2)}
        assert session.scalars(select(ProcessedEvent.dedupe_key)).all() == ["b" * 64]
    again = CliRunner().invoke(main, ["purge", "--days", "365"]).output
    assert "deleted 0 question(s)" in again and "0 recipient list(s)" in again


def test_paraphrase_quality_holds() -> None:
    """The demo pack answers residents' own wording: a regression floor, measured in README/docs."""
    result = CliRunner().invoke(main, ["faq", "eval", "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert metrics["in_scope"] >= 100
    assert metrics["hit1_a"] >= 0.85
    assert metrics["answered_precision"] >= 0.9
    assert metrics["out_of_scope_answered"] == 0


@pytest.mark.shared
def test_benchmark_eval_on_localgovfaq_dev() -> None:
    """`faq eval` on the real benchmark: the keys issue #7 asks for, and floors for what was measured."""

    if not SHARED_PRESENT:
        pytest.skip("../shared is absent: the localgovFAQ dev split is a benchmark beside the checkout")

    data = SHARED / "eval" / "localgovfaq-dev"
    args = ["faq", "eval", "--corpus", str(data / "corpus.json"), "--queries", str(data / "queries.json"),
            "--qrels", str(data / "qrels.json"), "--json"]
    metrics = json.loads(CliRunner().invoke(main, args).output)
    assert {"hit1_a", "hit3_a", "mrr10", "answered_share", "answered_precision", "suggested_share",
            "suggested_hit", "fallback_share", "p50_ms", "p99_ms", "queries"} <= set(metrics)
    assert metrics["queries"] == 188 and metrics["entries"] == 1786
    assert metrics["hit1_a"] >= 0.40
    left_out = json.loads(CliRunner().invoke(main, [*args, "--leave-out"]).output)
    assert left_out["answered_share"] <= 0.10


def test_beir_loader_splits_question_answer_and_line_breaks(tmp_path) -> None:
    from faq.evaluate import beir_entries

    corpus = tmp_path / "c.json"
    corpus.write_text(json.dumps({"7": "Question: 犬の登録は？\nAnswer: 30日以内に登録します。＜改＞。【関連するＦＡＱ】。猫について\n"},
                                 ensure_ascii=False), encoding="utf-8")
    (entry,) = beir_entries(corpus)
    assert entry["id"] == "doc-7" and entry["question"] == "犬の登録は？"
    assert entry["answer"] == "30日以内に登録します。"


def test_speed_benchmark_runs_and_prints_the_keys_issue_7_asks_for() -> None:
    """A smoke run of bench/faq_speed.py at a tiny size (its figures belong in docs, not in tests)."""
    import subprocess
    import sys

    script = ROOT / "bench" / "faq_speed.py"
    done = subprocess.run([sys.executable, str(script), "--sizes", "300", "--queries", "40", "--naive-queries", "4",
                           "--json"], capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(done.stdout)
    assert {"entries", "p50_ms", "p99_ms", "build_s", "rss_mb", "naive_p50_ms", "speedup"} <= set(result["300"])
    assert result["300"]["entries"] == 300 and result["300"]["p50_ms"] > 0


def test_faq_eval_learn_from_attaches_queries_to_their_entries_first(tmp_path) -> None:
    """`--learn-from` measures the knowledge base after staff attached residents' questions (issue #14)."""
    from faq.evaluate import Case, learned

    entries = [{"id": "doc-1", "question": "犬の登録", "answer": "30日以内に登録します。"},
               {"id": "doc-2", "question": "粗大ごみの出し方", "answer": "申込みが必要です。"}]
    taught = learned(entries, [Case("ワンちゃんを飼い始めた", {"doc-1": 2}), Case("犬の登録", {"doc-1": 2}),
                               Case("関係ない", {"doc-2": 1})])
    assert taught[0]["alt_questions"] == ["ワンちゃんを飼い始めた"]  # its own question is not repeated
    assert taught[1] is entries[1]  # grade 1 (B) teaches nothing
    corpus = {"1": "Question: 犬の登録\nAnswer: 30日以内に登録します。", "2": "Question: 粗大ごみの出し方\nAnswer: 申込みが必要です。"}
    files = {name: tmp_path / f"{name}.json" for name in ("corpus", "learn", "queries", "qrels")}
    files["corpus"].write_text(json.dumps(corpus, ensure_ascii=False), encoding="utf-8")
    files["learn"].write_text(json.dumps({"q1": "ワンちゃんを飼い始めた"}, ensure_ascii=False), encoding="utf-8")
    files["queries"].write_text(json.dumps({"q2": "ワンちゃんを飼い始めました"}, ensure_ascii=False), encoding="utf-8")
    files["qrels"].write_text(json.dumps({"q1": {"1": 2}, "q2": {"1": 2}}), encoding="utf-8")
    base = ["faq", "eval", "--corpus", str(files["corpus"]), "--qrels", str(files["qrels"]), "--json"]
    before = json.loads(CliRunner().invoke(main, [*base, "--queries", str(files["queries"])]).output)
    after = json.loads(CliRunner().invoke(main, [*base, "--queries", str(files["queries"]), "--learn-from",
                                                 str(files["learn"]), "--learn-qrels", str(files["qrels"])]).output)
    assert after["answered_share"] == 1.0 and after["answered_precision"] == 1.0
    assert before["answered_share"] < 1.0
    overlap = CliRunner().invoke(main, [*base, "--queries", str(files["learn"]), "--learn-from", str(files["learn"]),
                                        "--learn-qrels", str(files["qrels"])])
    assert overlap.exit_code != 0 and "overlap" in overlap.output


def test_multilingual_quality_meets_the_goals() -> None:
    """Questions in English, Chinese, Korean and Portuguese against the demo pack (#15's goals): matched by meaning,
    out-of-scope ones never answered outright."""
    result = CliRunner().invoke(main, ["faq", "eval", "--json", "--paraphrases",
                                       str(Path(__file__).resolve().parents[2] / "eval" / "demo_multilingual.yaml")])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert metrics["in_scope"] >= 60 and metrics["queries"] - metrics["in_scope"] >= 10
    assert metrics["hit1_a"] >= 0.75
    assert metrics["shown_right"] >= 0.90
    assert metrics["out_of_scope_answered"] == 0
    assert metrics["answered_precision"] >= 0.95
    assert set(metrics["by_language"]) == {"en", "ko", "pt", "zh"}


def test_faq_eval_reads_the_resident_questions_tsv_format(tmp_path) -> None:
    """#22 (6): `faq eval --tsv` reads 'style<TAB>question<TAB>ids as a regex alternation' and reports per style."""
    rows = ("# columns: style, question, expected\n"
            "plain\t粗大ごみを出したいです\tgomi-sodai|gomi-calendar\n"
            "long\t" + "先月この町に越してきました。荷物の片付けがまだ終わっていません。" * 2 + "大きな家具はどうやって捨てればいいですか。"
            "\tgomi-sodai\n"
            "oos\t今日の天気はどうですか\t-\n")
    tsv = tmp_path / "dev.tsv"
    tsv.write_text(rows, encoding="utf-8")
    result = CliRunner().invoke(main, ["faq", "eval", "--tsv", str(tsv), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["queries"] == 3 and report["in_scope"] == 2 and report["out_of_scope_answered"] == 0
    assert set(report["by_language"]) == {"plain", "long", "oos"} and report["hit1_a"] == 1.0
    tsv.write_text("plain\t質問\tno-such-entry\n", encoding="utf-8")
    bad = CliRunner().invoke(main, ["faq", "eval", "--tsv", str(tsv)])
    assert bad.exit_code != 0 and "names no entry" in bad.output
