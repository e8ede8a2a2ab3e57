"""Render the bot's replies as LINE Messaging API message objects (plain dicts, LINE's JSON shape).

Kept as data so tests can assert on exactly what residents see, and so the same renderings serve
replies, pushes and previews. Limits respected here: 5 messages per request, 13 quick-reply items,
20-character action labels, 300-character displayText, 400-character altText, 5,000-character text.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from core.tenancy import MunicipalityConfig

Message = dict[str, Any]
MAX_LABEL = 20
MAX_QUICK_REPLIES = 13
MAX_TEXT = 5000


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def postback_data(action: str, **params: object) -> str:
    return urlencode({"action": action, **{k: v for k, v in params.items() if v is not None}})


def postback_item(label: str, data: str, display_text: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "postback", "label": clip(label, MAX_LABEL), "data": data}
    action["displayText"] = clip(display_text or label, 300)
    return {"type": "action", "action": action}


def message_item(label: str, text: str | None = None) -> dict[str, Any]:
    return {"type": "action", "action": {"type": "message", "label": clip(label, MAX_LABEL),
                                         "text": clip(text or label, 300)}}


def text(body: str, quick_replies: list[dict[str, Any]] | None = None) -> Message:
    message: Message = {"type": "text", "text": clip(body, MAX_TEXT)}
    if quick_replies:
        message["quickReply"] = {"items": quick_replies[:MAX_QUICK_REPLIES]}
    return message


def category_menu(config: MunicipalityConfig) -> list[dict[str, Any]]:
    return [postback_item(c, postback_data("category", name=c), f"{c}について") for c in config.main_categories]


def welcome(config: MunicipalityConfig) -> list[Message]:
    return [text(f"{config.greeting}\n\n下のボタンから分野を選ぶこともできます。", category_menu(config))]


def feedback_items(entry_id: int, log_id: int | None) -> list[dict[str, Any]]:
    return [
        postback_item("👍 役に立った", postback_data("feedback", v=1, entry=entry_id, q=log_id), "👍 役に立った"),
        postback_item("👎 役に立たなかった", postback_data("feedback", v=0, entry=entry_id, q=log_id),
                      "👎 役に立たなかった"),
    ]


def answer(config: MunicipalityConfig, entry: Any, log_id: int | None) -> list[Message]:
    """The answer, link buttons when the entry has links, then 役に立ちましたか？ with 👍/👎."""
    body = config.fill(entry.answer)
    contact = " ".join(p for p in (entry.department, config.fill(entry.contact)) if p)
    if contact:
        body += f"\n\n【お問い合わせ】{contact}"
    messages: list[Message] = [text(body)]
    if entry.links:
        messages.append(link_buttons(config, entry.question, entry.links))
    messages.append(text("役に立ちましたか？", feedback_items(entry.id, log_id)))
    return messages


def link_buttons(config: MunicipalityConfig, title: str, links: list[dict[str, str]]) -> Message:
    buttons = []
    for link in links[:4]:
        url = config.fill(link["url"])
        if not url.startswith(("https://", "http://", "tel:")):
            continue
        buttons.append({"type": "button", "style": "link", "height": "sm",
                        "action": {"type": "uri", "label": clip(link["label"], MAX_LABEL), "uri": url}})
    bubble = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": "関連リンク", "weight": "bold", "size": "sm", "color": "#1DB446"},
            {"type": "text", "text": clip(title, 200), "wrap": True, "size": "md"},
        ]},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons},
    }
    return {"type": "flex", "altText": clip(f"関連リンク: {title}", 400), "contents": bubble}


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


def thanks(helpful: bool) -> list[Message]:
    if helpful:
        return [text("ご回答ありがとうございます。お役に立ててよかったです。")]
    return [text("ご回答ありがとうございます。回答の改善に役立てます。\n別の言葉で質問し直すと、見つかることがあります。")]


def group_intro(config: MunicipalityConfig) -> list[Message]:
    return [text(f"{config.name}公式アカウントです。グループでは、メンションされたメッセージにだけお答えします。")]
