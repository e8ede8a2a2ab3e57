"""Conversation basics: greetings, thanks, asking for a person (the desk and its hours), the disaster desk, and
shelter questions answered from the live list while a shelter is open."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.conversation import desk_text, is_greeting, is_thanks, open_now, wants_a_person
from cli.main import main
from core.tenancy import Contact
from faq.models import QuestionLog
from search.normalize import fold
from tests.helpers import body_of, post_webhook, text_event

USER = "U" + "c" * 32


def ask(client, fake_line, text: str) -> str:
    """Everything the resident reads in the reply to ``text``."""
    post_webhook(client, body_of(text_event(text, USER)))
    call = [c for c in fake_line.calls_to("reply") if c["status"] == 200][-1]
    return "\n".join(m.get("text") or m.get("altText", "") for m in call["body"]["messages"])


def questions_logged(app) -> int:
    with app.extensions["machimado"].sessions() as session:
        return session.scalar(select(func.count(QuestionLog.id)))


@pytest.mark.parametrize("text, kind", [
    ("こんにちは", "greeting"), ("おはようございます！", "greeting"), ("Hello", "greeting"), ("助かった〜", "thanks"),
    ("職員さんに相談したい", "person"),
    ("ありがとう", "thanks"), ("ありがとうございました。", "thanks"), ("助かりました", "thanks"),
    ("人と話したい", "person"), ("担当者と話したいです", "person"), ("電話で相談したい", "person"),
    ("こんにちは、住民票を取りたい", None), ("ありがとう券の使い方", None), ("粗大ごみの出し方", None),
])
def test_what_counts_as_greeting_thanks_or_asking_for_a_person(text: str, kind: str | None) -> None:
    folded = fold(text)
    found = "greeting" if is_greeting(folded) else "thanks" if is_thanks(folded) else \
        "person" if wants_a_person(folded) else None
    assert found == kind


def test_office_hours_in_the_deployments_time_zone() -> None:
    weekday_10 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 10:00 JST
    assert open_now("平日 8:30〜17:15", weekday_10) is True
    assert open_now("平日 8:30〜17:15", datetime(2026, 12, 1, 11, 0, tzinfo=UTC)) is False  # 20:00 JST
    assert open_now("平日 8:30〜17:15", datetime(2026, 12, 5, 1, 0, tzinfo=UTC)) is False  # Saturday
    assert open_now("毎日 9:00〜17:00", datetime(2026, 12, 5, 1, 0, tzinfo=UTC)) is True
    assert open_now("24時間", weekday_10) is True
    assert open_now("要予約", weekday_10) is None
    desk = Contact("総合案内", "0000-00-0000", "平日 8:30〜17:15")
    assert "受付時間外" in desk_text(desk, datetime(2026, 12, 5, 1, 0, tzinfo=UTC))
    assert "受付時間外" not in desk_text(desk, weekday_10)


def test_greetings_and_thanks_get_a_friendly_reply_and_are_not_unanswered_questions(app, client, fake_line) -> None:
    assert "サンプル市公式アカウントです" in ask(client, fake_line, "こんにちは")
    assert "どういたしまして" in ask(client, fake_line, "ありがとうございました")
    assert questions_logged(app) == 0  # nothing for the unanswered inbox
    assert "住民票" in ask(client, fake_line, "こんにちは、住民票の写しを取りたい")
    assert questions_logged(app) == 1


def test_asking_for_a_person_gives_the_desk(app, client, fake_line) -> None:
    reply = ask(client, fake_line, "人と話したい")
    assert "サンプル市役所 総合案内" in reply and "0000-00-0000" in reply and "平日 8:30〜17:15" in reply
    assert "申し訳ありません" not in reply  # not the fallback


def test_disaster_mode_sends_residents_to_the_disaster_desk(app, client, fake_line) -> None:
    assert "総合案内" in ask(client, fake_line, "問い合わせ先")
    assert CliRunner().invoke(main, ["disaster", "on"]).exit_code == 0
    reply = ask(client, fake_line, "問い合わせ先")  # the disaster rich menu's 問い合わせ button
    assert "サンプル市災害対策本部" in reply and "24時間" in reply and "受付時間外" not in reply
    assert "災害対策本部" in ask(client, fake_line, "職員と話したい")


def test_typed_shelter_questions_get_the_live_list_while_a_shelter_is_open(app, client, fake_line) -> None:
    question = "今開いている避難所はどこですか"
    assert "現在開設中の避難所" not in ask(client, fake_line, question)  # none open: the FAQ answers
    assert CliRunner().invoke(main, ["directory", "shelter-status", "S002", "open"]).exit_code == 0
    for text in (question, "避難所どこ", "近くの避難所"):
        assert "現在開設中の避難所" in ask(client, fake_line, text)
    assert "現在開設中の避難所" not in ask(client, fake_line, "避難所に持っていくもの")


def test_the_paraphrase_sets_conversation_cases_are_recognised_by_faq_eval() -> None:
    """eval/demo_paraphrases.yaml's 20 conversation cases (greetings, thanks, asking for a person, and questions
    that only look like them) are scored by `machimado faq eval` through bot.conversation.intent_of."""
    import json

    metrics = json.loads(CliRunner().invoke(main, ["faq", "eval", "--json"]).output)
    assert metrics["conversation_cases"] == 20
    assert metrics["conversation_misses"] == [] and metrics["conversation_accuracy"] == 1.0
    assert metrics["hit1_a"] >= 0.90 and metrics["out_of_scope_answered"] == 0


@pytest.mark.parametrize("text", ["家に水が入ってきた どうしよう", "こわい、今すぐ逃げたほうがいい？", "裏の崖が崩れてきた",
                                  "Help, water is coming into my house"])
def test_in_disaster_mode_a_resident_in_danger_gets_119_the_disaster_desk_and_open_shelters(
        app, client, fake_line, text: str) -> None:
    """#26 (2): at night in disaster mode, distress gets what to do now, never the closed 総合案内 or もしかして."""
    assert CliRunner().invoke(main, ["directory", "shelter-status", "S002", "open"]).exit_code == 0
    assert CliRunner().invoke(main, ["disaster", "on", "--type", "洪水"]).exit_code == 0
    post_webhook(client, body_of(text_event(text, USER)))
    call = [c for c in fake_line.calls_to("reply") if c["status"] == 200][-1]
    reply = "\n".join(m.get("text") or m.get("altText", "") for m in call["body"]["messages"])
    assert "119" in reply and "サンプル市災害対策本部" in reply and "24時間" in reply
    assert "現在開設中の避難所" in reply or "開設" in reply
    assert "総合案内" not in reply and "もしかして" not in reply and "平日 8:30" not in reply
    quick = [i["action"]["type"] for m in call["body"]["messages"] for i in (m.get("quickReply") or {}).get("items", [])]
    assert "location" in quick  # the button that finds the nearest open shelter


def test_outside_disaster_mode_the_same_words_are_a_question(app, client, fake_line) -> None:
    assert "119" not in ask(client, fake_line, "家に水が入ってきた どうしよう")
