"""ごみ in the chat (#23) on the demo city's fictional 5374 data: the resident's area typed in kana or chosen from a
list, 明日のごみ / 次の燃えないごみ / 今週のごみ / スプレー缶は何ごみ, the year-end pause said plainly, questions that stay
with the FAQ, and reminders planned once and delivered exactly once by the notices worker."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bot import gomi_chat
from broadcasts.models import Notice, NoticeBatch
from core.db import session_scope
from gomi.models import GomiCalendar, GomiReminderRun, GomiResident
from gomi.reminders import plan_due
from tests.helpers import body_of, event_of, post_webhook, run_worker, text_event

USER = "U" + "9" * 32


def last_reply(fake_line) -> list[dict]:
    return [c for c in fake_line.calls_to("reply") if c["status"] == 200][-1]["body"]["messages"]


def say(client, fake_line, text: str) -> list[dict]:
    post_webhook(client, body_of(text_event(text, USER)))
    return last_reply(fake_line)


def tap(client, fake_line, data: str) -> list[dict]:
    post_webhook(client, body_of(event_of("postback", USER, postback={"data": data})))
    return last_reply(fake_line)


def shown(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or m.get("altText", "") for m in messages)


def labels(messages: list[dict]) -> list[str]:
    return [i["action"]["label"] for m in messages for i in (m.get("quickReply") or {}).get("items", [])]


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch):
    def set_day(day: date) -> None:
        monkeypatch.setattr(gomi_chat, "today", lambda: day)
    set_day(date(2026, 12, 14))  # a Monday
    return set_day


def test_a_resident_sets_their_area_in_kana_and_gets_the_answer_they_asked_for(client, fake_line, on_day) -> None:
    first = say(client, fake_line, "明日は何ごみ？")
    assert "町名を送ってください" in shown(first)
    assert "中央地区" in labels(first)  # or choose from the list by district
    several = say(client, fake_line, "ほんまち")
    assert labels(several) == ["本町1丁目", "本町2丁目"]
    answer = tap(client, fake_line, "action=gomi&do=set&name=本町2丁目")
    text = shown(answer)
    assert "「本町2丁目」にしました" in text
    assert "12月15日（火）は、本町2丁目で次のごみを収集します" in text and "・びん・缶・ペットボトル" in text
    assert "今週のごみ" in labels(answer)
    with client.application.extensions["machimado"].sessions() as session:
        assert session.scalar(select(GomiResident.area)) == "本町2丁目"


def test_collection_days_dictionary_and_next_date_for_the_residents_area(client, fake_line, on_day) -> None:
    say(client, fake_line, "ごみの収集日")
    assert "「本町2丁目」にしました" in shown(say(client, fake_line, "本町２丁目"))  # exact, full-width digit: no list
    spray = shown(say(client, fake_line, "スプレー缶は何ごみ？"))
    assert "「スプレー缶」は「有害ごみ」です。" in spray and "※中身を使い切り" in spray
    assert "本町2丁目の次の「有害ごみ」は、12月29日（火）です。" in spray
    umbrella = shown(say(client, fake_line, "かさ すてたい"))
    assert "大きさや素材によって" in umbrella and "燃やせないごみ" in umbrella and "燃やせるごみ" in umbrella
    assert "1月13日（水）" in shown(say(client, fake_line, "次の燃えないごみはいつ？"))  # 水2, after the pause
    assert "12月18日（金）" in shown(say(client, fake_line, "プラいつ出せる？"))
    tv = shown(say(client, fake_line, "テレビ"))
    assert "収集日が決まった区分ではありません" in tv and "家電リサイクル法" in tv
    week = say(client, fake_line, "今週のごみ")
    assert week[0]["type"] == "flex" and "12月14日（月）：燃やせるごみ" in week[0]["altText"]


@pytest.mark.parametrize("question, expected", [
    ("ごみの収集日を知りたい", "本町1丁目の収集日（12月14日（月）から1週間）"),
    ("ごみはいつ出せる？", "本町1丁目の収集日"),
    ("燃えるごみは何曜日？", "次の「燃やせるごみ」は、12月14日（月）です。"),
    ("あしたのごみ", "12月15日（火）は、本町1丁目で次のごみを収集します"),
    ("びんの日はいつ", "次の「びん・缶・ペットボトル」は、12月15日（火）です。"),
])
def test_residents_words_for_collection_days(client, fake_line, on_day, question: str, expected: str) -> None:
    say(client, fake_line, "ごみの地区")
    say(client, fake_line, "本町1丁目")
    assert expected in shown(say(client, fake_line, question))


def test_year_end_pause_is_said_plainly(client, fake_line, on_day) -> None:
    say(client, fake_line, "ごみの地区")
    say(client, fake_line, "本町1丁目")
    on_day(date(2026, 12, 31))
    today = shown(say(client, fake_line, "今日のごみ"))
    assert "年末年始のため、ごみの収集はお休みです（12月30日（水）〜1月3日（日））" in today
    assert "次の収集は1月4日（月）（燃やせるごみ）です。" in today
    assert "1月4日（月）" in shown(say(client, fake_line, "次の燃やせるごみはいつ"))


def test_other_questions_stay_with_the_faq(client, fake_line, on_day) -> None:
    for question in ("粗大ごみの出し方", "住民票を取りたい", "ごみの分け方を教えて", "ごみ袋はどこで買える"):
        reply = say(client, fake_line, question)
        assert "今週のごみ" not in labels(reply) and "町名を送って" not in shown(reply), question


def test_the_resident_can_read_it_in_english(client, fake_line, on_day) -> None:
    tap(client, fake_line, "action=language&code=en")
    say(client, fake_line, "garbage day")
    text = shown(say(client, fake_line, "本町1丁目"))
    assert "Your area is now \"本町1丁目\"" in text and "Mon 14/12" in text


def test_reminders_the_evening_before_planned_once_and_delivered_once(app, client, fake_line, on_day) -> None:
    say(client, fake_line, "ごみ出し通知")
    say(client, fake_line, "本町1丁目")
    toggled = tap(client, fake_line, "action=gomi&do=rtype&name=燃やせるごみ")
    assert "✓燃やせるごみ" in labels(toggled) and "前日の夜 19:00" in shown(toggled)
    runtime = app.extensions["machimado"]
    with session_scope(runtime.sessions) as session:
        session.get(GomiCalendar, runtime.default_tenant().id).reminders_enabled = True
    sunday_evening = datetime(2026, 12, 13, 10, 5, tzinfo=UTC)  # 19:05 in Japan: Monday is 燃やせるごみ
    assert len(plan_due(runtime.sessions, gomi_chat.reminder_text, sunday_evening)) == 1
    assert plan_due(runtime.sessions, gomi_chat.reminder_text, sunday_evening) == []  # a second worker: nothing
    monday_evening = datetime(2026, 12, 14, 10, 5, tzinfo=UTC)  # Tuesday has no 燃やせるごみ for 本町1丁目
    plan_due(runtime.sessions, gomi_chat.reminder_text, monday_evening)
    run_worker(app)
    run_worker(app)
    sent = [c for c in fake_line.calls_to("multicast") if c["status"] == 200]
    assert len(sent) == 1 and sent[0]["body"]["to"] == [USER]
    assert sent[0]["body"]["messages"][0]["text"] == "【ごみ出し】明日12月14日（月）は「燃やせるごみ」の日です（本町1丁目）。"
    with session_scope(runtime.sessions) as session:
        assert session.scalar(select(func.count(GomiReminderRun.id))) == 2
        assert session.scalar(select(func.count(NoticeBatch.id))) == 1
        assert session.scalar(select(Notice.kind)) == "gomi_reminder"


def test_a_long_type_name_asked_before_the_area_is_answered_after_it(client, fake_line, on_day) -> None:
    """The question waits in 20 characters while the area is chosen: 「びん・缶・ペットボトル」 is kept by its place."""
    assert "町名を送ってください" in shown(say(client, fake_line, "ペットボトルはいつ出せる？"))
    assert "次の「びん・缶・ペットボトル」は、12月15日（火）です。" in shown(say(client, fake_line, "本町1丁目"))
