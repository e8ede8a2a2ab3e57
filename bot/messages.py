"""The bot's own replies in its words: welcome, answer, もしかして, fallback, hints (LINE JSON as dicts).

Built with the generic builders of line/messages.py, which keep LINE's limits; a reply is at most five
messages. Kept as data so tests assert on exactly what residents see.
"""

from __future__ import annotations

from typing import Any

from core.tenancy import MunicipalityConfig
from line.messages import Message, link_buttons, postback_data, postback_item, text


def category_menu(config: MunicipalityConfig) -> list[dict[str, Any]]:
    return [postback_item(c, postback_data("category", name=c), f"{c}について") for c in config.main_categories]


def welcome(config: MunicipalityConfig) -> list[Message]:
    return [text(f"{config.greeting}\n\n下のボタンから分野を選ぶこともできます。", category_menu(config))]


FEEDBACK_QUESTION = "解決しましたか？"


def categories(config: MunicipalityConfig) -> list[Message]:
    """よくある質問 / メニュー: the fields to browse (the welcome is for following, not for every tap)."""
    return [text("よくある質問を分野から探せます。下のボタンから分野を選んでください。\n"
                 "知りたいことを文章で送っても、お答えします。", category_menu(config))]


def feedback_items(entry_id: int, log_id: int | None) -> list[dict[str, Any]]:
    return [
        postback_item("👍 はい", postback_data("feedback", v=1, entry=entry_id, q=log_id), "👍 はい、解決しました"),
        postback_item("👎 いいえ", postback_data("feedback", v=0, entry=entry_id, q=log_id), "👎 いいえ、解決していません"),
    ]


def feedback_question(entry_id: int, log_id: int | None) -> Message:
    return text(FEEDBACK_QUESTION, feedback_items(entry_id, log_id))


def answer(config: MunicipalityConfig, entry: Any, log_id: int | None, ask: bool = True) -> list[Message]:
    """The answer, link buttons when the entry has links, then (when ``ask``) 解決しましたか？ with 👍/👎."""
    body = config.fill(entry.answer)
    contact = " ".join(p for p in (entry.department, config.fill(entry.contact)) if p)
    if contact:
        body += f"\n\n【お問い合わせ】{contact}"
    messages: list[Message] = [text(body)]
    links = filled_links(config, entry.links or [])
    if links:
        messages.append(link_buttons("関連リンク", entry.question, links))
    if ask:
        messages.append(feedback_question(entry.id, log_id))
    return messages


def filled_links(config: MunicipalityConfig, links: list[dict[str, str]]) -> list[dict[str, str]]:
    """Links with the municipality's placeholders ({city_url}, …) filled in; a link whose URL is not http(s) or
    tel once filled (a placeholder this municipality has no value for) is left out."""
    filled = [{**link, "url": config.fill(link["url"])} for link in links]
    return [link for link in filled if link["url"].startswith(("https://", "http://", "tel:"))]


def suggestions(candidates: list[Any], log_id: int | None) -> list[Message]:
    lines = "\n".join(f"{i}. {c.question}" for i, c in enumerate(candidates, 1))
    items = [postback_item(f"{i}. {c.question}", postback_data(
        "answer", entry=c.entry_id, q=log_id, kind=None if c.kind == "faq" else c.kind), c.question)
        for i, c in enumerate(candidates, 1)]
    items.append(postback_item("どれも違う", postback_data("none", q=log_id), "どれも違う"))
    return [text(f"もしかして、次のどれかでしょうか？\n{lines}\n\n番号のボタンを押すと回答を表示します。", items)]


def fallback(config: MunicipalityConfig) -> list[Message]:
    c = config.contact
    return [text(
        "申し訳ありません。そのご質問にお答えできる情報が見つかりませんでした。\n"
        f"お手数ですが、{c.desk}（電話 {c.phone}、{c.hours}）へお問い合わせください。\n"
        "いただいたご質問は記録し、回答の充実に役立てます。",
        category_menu(config),
    )]


def input_hint(config: MunicipalityConfig) -> list[Message]:
    return [text("ご質問は文章で送ってください。\n例：「粗大ごみの出し方」「住民票をコンビニで取りたい」", category_menu(config))]


def non_text_hint(config: MunicipalityConfig, kind: str) -> list[Message]:
    what = {"sticker": "スタンプ", "image": "画像", "video": "動画", "audio": "音声", "file": "ファイル",
            "location": "位置情報"}.get(kind, "このメッセージ")
    return [text(f"{what}にはお答えできません。ご質問を文章で送ってください。\n"
                 "例：「ごみの分け方」「児童手当の申請」", category_menu(config))]


def category_questions(config: MunicipalityConfig, category: str, entries: list[Any]) -> list[Message]:
    if not entries:
        return fallback(config)
    items = [postback_item(e.question, postback_data("answer", entry=e.id), e.question) for e in entries[:12]]
    lines = "\n".join(f"・{e.question}" for e in entries[:12])
    return [text(f"「{category}」のよくある質問です。知りたいものを選んでください。\n{lines}", items)]


def solved() -> list[Message]:
    return [text("ご回答ありがとうございます。お役に立ててよかったです。")]


def group_intro(config: MunicipalityConfig) -> list[Message]:
    return [text(f"{config.name}公式アカウントです。グループでは、メンションされたメッセージにだけお答えします。")]
