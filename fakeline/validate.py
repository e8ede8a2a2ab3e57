"""Request validation the way the Messaging API does it, with LINE-shaped error details.

LINE answers a bad request with ``400 {"message": "The request body has N error(s)", "details":
[{"message": …, "property": …}]}``; the checks and messages below follow its documented limits.
"""

from __future__ import annotations

from typing import Any

MESSAGE_TYPES = {"text", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex",
                 "textV2"}
ACTION_TYPES = {"postback", "message", "uri", "datetimepicker", "camera", "cameraRoll", "location",
                "richmenuswitch", "clipboard"}
Detail = dict[str, str]


def _action(action: Any, prop: str, details: list[Detail]) -> None:
    if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
        details.append({"message": "must be specified", "property": f"{prop}.type"})
        return
    label = action.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > 20):
        details.append({"message": "Length must be between 0 and 20", "property": f"{prop}.label"})
    kind = action["type"]
    if kind == "postback":
        data = action.get("data")
        if not isinstance(data, str) or not 1 <= len(data) <= 300:
            details.append({"message": "Length must be between 1 and 300", "property": f"{prop}.data"})
        if len(str(action.get("displayText", ""))) > 300:
            details.append({"message": "Length must be between 0 and 300", "property": f"{prop}.displayText"})
    elif kind == "message":
        if not isinstance(action.get("text"), str) or not 1 <= len(action["text"]) <= 300:
            details.append({"message": "Length must be between 1 and 300", "property": f"{prop}.text"})
    elif kind == "uri":
        uri = action.get("uri")
        if not isinstance(uri, str) or not uri.startswith(("http://", "https://", "tel:", "line://")) \
                or len(uri) > 1000:
            details.append({"message": "invalid uri", "property": f"{prop}.uri"})


def _flex_node(node: Any, prop: str, details: list[Detail], depth: int = 0) -> None:
    if depth > 12 or not isinstance(node, dict):
        details.append({"message": "must be an object", "property": prop})
        return
    kind = node.get("type")
    if kind == "carousel":
        bubbles = node.get("contents")
        if not isinstance(bubbles, list) or not 1 <= len(bubbles) <= 12:
            details.append({"message": "Size must be between 1 and 12", "property": f"{prop}.contents"})
            return
        for i, bubble in enumerate(bubbles):
            _flex_node(bubble, f"{prop}.contents[{i}]", details, depth + 1)
    elif kind == "bubble":
        for part in ("header", "hero", "body", "footer"):
            if part in node:
                _flex_node(node[part], f"{prop}.{part}", details, depth + 1)
    elif kind == "box":
        if node.get("layout") not in ("horizontal", "vertical", "baseline"):
            details.append({"message": "must be specified", "property": f"{prop}.layout"})
        for i, child in enumerate(node.get("contents") or []):
            _flex_node(child, f"{prop}.contents[{i}]", details, depth + 1)
    elif kind == "text":
        if not isinstance(node.get("text"), str) and not node.get("contents"):
            details.append({"message": "must be specified", "property": f"{prop}.text"})
    elif kind == "button":
        _action(node.get("action"), f"{prop}.action", details)
    elif kind not in ("image", "icon", "separator", "filler", "span", "video"):
        details.append({"message": "unknown type", "property": f"{prop}.type"})


def _message(msg: Any, prop: str, details: list[Detail]) -> None:
    if not isinstance(msg, dict) or msg.get("type") not in MESSAGE_TYPES:
        details.append({"message": "must be one of " + ", ".join(sorted(MESSAGE_TYPES)), "property": f"{prop}.type"})
        return
    kind = msg["type"]
    if kind in ("text", "textV2"):
        text = msg.get("text")
        if not isinstance(text, str) or not text:
            details.append({"message": "must be specified", "property": f"{prop}.text"})
        elif len(text) > 5000:
            details.append({"message": "Length must be between 0 and 5000", "property": f"{prop}.text"})
    elif kind == "flex":
        alt = msg.get("altText")
        if not isinstance(alt, str) or not 1 <= len(alt) <= 400:
            details.append({"message": "Length must be between 1 and 400", "property": f"{prop}.altText"})
        _flex_node(msg.get("contents"), f"{prop}.contents", details)
    elif kind == "location":
        for key in ("title", "address"):
            if not isinstance(msg.get(key), str) or not 1 <= len(msg[key]) <= 100:
                details.append({"message": "Length must be between 1 and 100", "property": f"{prop}.{key}"})
        for key, bound in (("latitude", 90), ("longitude", 180)):
            if not isinstance(msg.get(key), int | float) or abs(msg[key]) > bound:
                details.append({"message": "invalid coordinate", "property": f"{prop}.{key}"})
    elif kind in ("image", "video"):
        for key in ("originalContentUrl", "previewImageUrl"):
            if not str(msg.get(key, "")).startswith("https://"):
                details.append({"message": "must be an https URL", "property": f"{prop}.{key}"})
    quick = msg.get("quickReply")
    if quick is not None:
        items = quick.get("items") if isinstance(quick, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= 13:
            details.append({"message": "Size must be between 1 and 13", "property": f"{prop}.quickReply.items"})
        else:
            for i, item in enumerate(items):
                _action(item.get("action") if isinstance(item, dict) else None,
                        f"{prop}.quickReply.items[{i}].action", details)


def validate_messages(body: dict[str, Any]) -> list[Detail]:
    details: list[Detail] = []
    messages = body.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return [{"message": "Size must be between 1 and 5", "property": "messages"}]
    for i, msg in enumerate(messages):
        _message(msg, f"messages[{i}]", details)
    return details


def validate_recipients(body: dict[str, Any], endpoint: str) -> list[Detail]:
    to = body.get("to")
    if endpoint == "push":
        if not isinstance(to, str) or not to:
            return [{"message": "must be specified", "property": "to"}]
    elif endpoint == "multicast":
        if not isinstance(to, list) or not 1 <= len(to) <= 500 or not all(isinstance(t, str) and t for t in to):
            return [{"message": "Size must be between 1 and 500", "property": "to"}]
    return []
