"""Builders for LINE Messaging API message objects (plain dicts in LINE's JSON shape), within LINE's limits.

Generic on purpose: no wording and no municipality here — the bot (bot/messages.py, bot/cards.py) and
notices (broadcasts/notices.py) put their own words in. Kept as data so tests assert on exactly what
residents see, and so the same renderings serve replies, pushes and previews. Limits respected here:
13 quick-reply items, 20-character action labels, 300-character displayText, 400-character altText,
5,000-character text.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

Message = dict[str, Any]
Reply = list[Message]
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


def link_buttons(heading: str, title: str, links: list[dict[str, str]]) -> Message:
    """A flex bubble of up to four link buttons; links whose URL is not http(s) or tel are left out."""
    buttons = []
    for link in links[:4]:
        url = link["url"]
        if not url.startswith(("https://", "http://", "tel:")):
            continue
        buttons.append({"type": "button", "style": "link", "height": "sm",
                        "action": {"type": "uri", "label": clip(link["label"], MAX_LABEL), "uri": url}})
    bubble = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": heading, "weight": "bold", "size": "sm", "color": "#1DB446"},
            {"type": "text", "text": clip(title, 200), "wrap": True, "size": "md"},
        ]},
    }
    if buttons:  # LINE refuses a box without contents
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}
    return {"type": "flex", "altText": clip(f"{heading}: {title}", 400), "contents": bubble}
