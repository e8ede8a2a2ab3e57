"""Residents' languages (#15): catalogs complete in every language, the language from the LINE profile or chosen in
the chat, replies and answers in it, questions in other languages matched by meaning."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.texts import CATALOG
from core import i18n
from core.i18n import LANGUAGES, fields_of
from core.models import Follower
from faq.models import QuestionLog
from search.language import detect
from tests.helpers import body_of, event_of, post_webhook, text_event

USER = "U" + "e" * 32


def test_every_catalog_has_every_key_with_the_same_fields_and_is_translated() -> None:
    japanese = CATALOG.keys(i18n.JA)
    for lang in LANGUAGES:
        assert CATALOG.keys(lang) == japanese, lang
        same = 0
        for key in japanese:
            ja_text, text = CATALOG.raw(i18n.JA, key), CATALOG.raw(lang, key)
            assert type(ja_text) is type(text), (lang, key)
            if isinstance(text, str):
                # a translation uses only fields the bot fills (the Japanese may leave one out: answer.japanese_only)
                assert fields_of(text) <= fields_of(ja_text) | {"desk", "phone"}, (lang, key)
                assert text.strip() or key in ("welcome.language_hint", "answer.japanese_only"), (lang, key)
                same += text == ja_text
        if lang != i18n.JA:  # not a copy of the Japanese (a few texts are the same everywhere: "AED：{name}";
            # Chinese shares words such as 期限; やさしい日本語 keeps the Japanese words that are already simple)
            assert same <= len(japanese) // 5, (lang, same)


@pytest.mark.parametrize("tag, code", [
    ("en", "en"), ("en-US", "en"), ("zh-Hant", "zh-Hant"), ("zh-TW", "zh-Hant"), ("zh-CN", "zh-Hans"),
    ("pt-BR", "pt"), ("fil", "tl"), ("ko", "ko"), ("ja", "ja"), (None, "ja"), ("", "ja"), ("th", "ja-easy+en"),
    ("xx-Nonsense", "ja-easy+en"), ("zh-Hant-TW", "zh-Hant"), ("zh-Hant-HK", "zh-Hant"), ("zh-Hans-CN", "zh-Hans"),
    ("zh-TW-u-ca-chinese", "zh-Hant"),
])
def test_a_line_profile_language_becomes_one_the_bot_speaks(tag: str | None, code: str) -> None:
    assert i18n.resolve(tag) == code


def test_a_language_the_bot_does_not_speak_gets_easy_japanese_then_english_without_doubling() -> None:
    with i18n.using("ja-easy+en"):
        desk = CATALOG.text("desk.phone", desk="総合案内", phone="0000", hours="平日")
        person = CATALOG.text("desk.person", desk=desk)
    assert person.index("市役所の 人に") < person.index("Please contact")
    assert person.count("Phone 0000") == 1 and person.count("電話 0000") == 1
    assert CATALOG.label("suggest.none", "ja-easy+en") == "None of these"


@pytest.mark.parametrize("text, hint, script", [
    ("粗大ごみの出し方", None, "ja"), ("住民票 発行", None, "ja"), ("AED", None, "ja"), ("wifi どこ", None, "ja"),
    ("How do I throw away a sofa?", None, "latin"), ("대형 쓰레기", None, "ko"), ("垃圾怎么分类？", None, "zh"),
    ("我想看灾害地图", None, "zh"), ("住民票", "zh-Hans", "zh"), ("住民票", "en", "ja"), ("नमस्ते मलाई", None, "other"),
])
def test_which_questions_are_matched_by_meaning(text: str, hint: str | None, script: str) -> None:
    assert detect(text, hint) == script


def messages_of(fake_line: Any) -> list[dict[str, Any]]:
    return [c for c in fake_line.calls_to("reply") if c["status"] == 200][-1]["body"]["messages"]


def said(fake_line: Any) -> str:
    return "\n".join(m.get("text") or m.get("altText", "") for m in messages_of(fake_line))


def follower(app: Any) -> Follower:
    with app.extensions["machimado"].sessions() as session:
        row = session.scalar(select(Follower).where(Follower.line_user_id == USER))
        assert row is not None
        return row


def test_an_english_resident_is_welcomed_answered_and_told_when_an_answer_is_japanese_only(app, client, fake_line):
    fake_line.profiles[USER] = {"userId": USER, "displayName": "Lan", "language": "en"}
    post_webhook(client, body_of(event_of("follow", USER)))
    welcome = said(fake_line)
    assert "Welcome to the official LINE account of サンプル市" in welcome
    assert "Language / 言語" in [i["action"]["label"] for i in messages_of(fake_line)[-1]["quickReply"]["items"]]
    assert (follower(app).language, follower(app).language_source) == ("en", "profile")

    post_webhook(client, body_of(text_event("I lost my My Number card", USER)))
    reply = said(fake_line)
    assert "First call the My Number free dial" in reply and "Did this solve your problem?" in reply
    assert "マイナンバー総合フリーダイヤル" not in reply  # the translation, not the Japanese

    post_webhook(client, body_of(text_event("How do I throw away a big sofa?", USER)))  # unsure: choices
    items = messages_of(fake_line)[-1]["quickReply"]["items"]
    choice = next(i["action"] for i in items if "How to throw away large items" in i["action"].get("displayText", ""))
    assert items[-1]["action"]["label"] == "None of these"
    post_webhook(client, body_of(event_of("postback", USER, postback={"data": choice["data"]})))
    assert "Large items (longer than about 50 cm" in said(fake_line)

    post_webhook(client, body_of(text_event("How do I register my dog?", USER)))  # an entry without a translation
    reply = said(fake_line)
    assert "犬" in reply and "This answer is only available in Japanese" in reply and "0000-00-0000" in reply

    with app.extensions["machimado"].sessions() as session:
        languages = session.scalars(select(QuestionLog.language).order_by(QuestionLog.id)).all()
    assert languages == ["en", "en", "en"]


def test_choosing_a_language_in_the_chat_sticks_across_follows(app, client, fake_line):
    fake_line.profiles[USER] = {"userId": USER, "displayName": "Minh", "language": "en"}
    post_webhook(client, body_of(event_of("follow", USER)))
    post_webhook(client, body_of(text_event("Language", USER)))
    choices = [i["action"]["label"] for i in messages_of(fake_line)[-1]["quickReply"]["items"]]
    assert choices == list(LANGUAGES.values())
    post_webhook(client, body_of(event_of("postback", USER, postback={"data": "action=language&code=ja-easy"})))
    assert "やさしい 日本語で 答えます" in said(fake_line)
    assert (follower(app).language, follower(app).language_source) == ("ja-easy", "chosen")

    post_webhook(client, body_of(text_event("ごみの収集日を知りたい", USER)))
    assert "住んでいる 町の 名前を 送って ください" in said(fake_line)  # ごみ (#23) in やさしい日本語
    post_webhook(client, body_of(text_event("粗大ごみの出し方", USER)))  # not a town: answered as a question
    assert "大きい ごみ（50センチより 大きい もの）" in said(fake_line)

    post_webhook(client, body_of(event_of("unfollow", USER)))
    post_webhook(client, body_of(event_of("follow", USER)))  # the profile still says English: the choice stays
    assert follower(app).language == "ja-easy"
    assert "LINEです" in said(fake_line)


def test_a_korean_question_gets_korean_texts_and_choices_by_meaning(app, client, fake_line):
    fake_line.profiles[USER] = {"userId": USER, "displayName": "Ji-woo", "language": "ko"}
    post_webhook(client, body_of(event_of("follow", USER)))
    assert "공식 계정" in said(fake_line)
    post_webhook(client, body_of(text_event("재난 대비 비상용품은 뭘 준비해야 해요?", USER)))
    reply = said(fake_line)
    # matched by meaning: the entry about emergency supplies, answered or offered
    assert "3 liters" in reply or "水（1人1日3リットル）" in reply or "혹시 다음 중 하나인가요?" in reply
    assert "申し訳ありません" not in reply


def test_a_resident_without_a_profile_language_is_answered_in_japanese(app, client, fake_line):
    post_webhook(client, body_of(event_of("follow", USER)))  # no profile at all: LINE answers 404
    assert follower(app).language is None
    post_webhook(client, body_of(text_event("粗大ごみの出し方", USER)))
    assert "粗大ごみ（一辺がおおむね50cmを超えるもの）" in said(fake_line)


def test_a_long_answer_comes_one_screen_at_a_time_with_read_more(app, client, fake_line):
    from faq.packs import import_entries, parse_pack
    from tests.helpers import municipality

    sentences = "".join(f"{i}番目の説明です。手続きの前に必要な書類をよく確認して、窓口にお越しください。" for i in range(1, 13))
    pack = f"entries:\n- id: nagai\n  question: 長い説明の手続き\n  answer: {sentences}\n"
    with app.extensions["machimado"].sessions() as session:
        import_entries(session, municipality(session).id, parse_pack(pack))
        session.commit()
    post_webhook(client, body_of(text_event("長い説明の手続き", USER)))
    first = messages_of(fake_line)
    assert len(first) == 1 and first[0]["text"].startswith("1番目の説明です。") and "（1/" in first[0]["text"]
    assert first[0]["quickReply"]["items"][0]["action"]["label"] == "続きを読む"
    pages = int(first[0]["text"].rsplit("/", 1)[1].rstrip("）"))
    assert pages >= 2 and all(len(m["text"]) <= 300 for m in first)
    data = first[0]["quickReply"]["items"][0]["action"]["data"]
    seen = first[0]["text"]
    for _ in range(pages - 1):
        post_webhook(client, body_of(event_of("postback", USER, postback={"data": data})))
        shown = messages_of(fake_line)
        seen += shown[0]["text"]
        if shown[0].get("quickReply", {}).get("items", [{}])[0].get("action", {}).get("label") == "続きを読む":
            data = shown[0]["quickReply"]["items"][0]["action"]["data"]
    assert "12番目の説明です。" in seen and shown[-1]["text"] == "解決しましたか？"  # the question with the last screen


def test_dates_are_written_in_full() -> None:
    from datetime import UTC, datetime

    from core.timeutil import full_date

    assert full_date(datetime(2026, 12, 1, 5, 30, tzinfo=UTC)) == "令和8年12月1日（火）14時30分"
    assert full_date(datetime(2019, 5, 1, 0, 0, tzinfo=UTC), with_time=False) == "令和元年5月1日（水）"
    assert full_date(datetime(2026, 12, 1, 5, 30, tzinfo=UTC), japanese=False) == "2026-12-01 (Tue) 14:30"


def test_asking_how_to_use_a_smartphone_offers_the_citys_smartphone_classes(app, client, fake_line):
    post_webhook(client, body_of(text_event("スマホの使い方がわからない", USER)))
    reply = said(fake_line)
    assert "はじめてのスマホ教室" in reply and "毎月第1・第3火曜日 10:00〜11:30" in reply
    assert "スマホ・パソコンなんでも相談会" in reply and "冬の工作教室" not in reply
    post_webhook(client, body_of(text_event("LINEの使い方を教えてほしい", USER)))
    assert "はじめてのスマホ教室" in said(fake_line)
    post_webhook(client, body_of(text_event("スマホで住民票を取りたい", USER)))  # about a certificate, not phones
    assert "スマホ教室" not in said(fake_line)


@pytest.mark.parametrize("text, intent", [
    ("Xin chào", "greeting"), ("Olá!", "greeting"), ("안녕하세요", "greeting"), ("你好", "greeting"),
    ("Obrigado", "thanks"), ("Cảm ơn", "thanks"), ("谢谢", "thanks"), ("Terima kasih", "thanks"),
    ("Hello, how do I throw away a sofa?", None),
])
def test_greetings_and_thanks_in_residents_languages(text: str, intent: str | None) -> None:
    from bot.conversation import intent_of

    assert intent_of(text) == intent


def test_a_vietnamese_resident_who_writes_english_reads_the_english_answer(app, client, fake_line):
    """#26 (1): the answer's translation is chosen in the language the question was written in first."""
    fake_line.profiles[USER] = {"userId": USER, "displayName": "Lan", "language": "vi"}
    post_webhook(client, body_of(event_of("follow", USER)))
    post_webhook(client, body_of(text_event("I lost my My Number card, what should I do?", USER)))
    reply = said(fake_line)
    assert "First call the My Number free dial" in reply
    assert "マイナンバー総合フリーダイヤル" not in reply  # not the Japanese with "only in Japanese"


def test_the_translation_chain_for_answers() -> None:
    with i18n.using("vi"), i18n.writing("en"):
        assert i18n.content_chain(i18n.current()) == ("en", "vi", "ja-easy")
    with i18n.using("vi"):
        assert i18n.content_chain("vi") == ("vi", "ja-easy")
    assert i18n.content_chain("ja") == ()
    assert i18n.content_chain("th") == ("ja-easy", "en")
