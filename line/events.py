"""Tolerant, event-by-event reading of webhook bodies.

The official SDK's ``WebhookParser`` validates the whole body at once: one event lacking
``mode``/``webhookEventId``/``deliveryContext`` makes it raise, and events lacking optional fields
silently become ``UnknownEvent``. Here each event is read on its own into a small typed view; a
malformed event is skipped (and counted) without affecting the others.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 32  # LINE's webhook bodies nest about 6 deep
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class MalformedBody(ValueError):
    """The body is not a JSON object with an ``events`` list."""


@dataclass(frozen=True)
class InboundEvent:
    type: str
    source_type: str
    user_id: str | None
    group_id: str | None
    room_id: str | None
    reply_token: str | None
    webhook_event_id: str | None
    is_redelivery: bool
    mode: str
    raw: dict[str, Any] = field(repr=False)

    @property
    def message(self) -> dict[str, Any]:
        value = self.raw.get("message")
        return value if isinstance(value, dict) else {}

    @property
    def message_type(self) -> str:
        return str(self.message.get("type", ""))

    @property
    def postback_data(self) -> str:
        postback = self.raw.get("postback")
        return str(postback.get("data", "")) if isinstance(postback, dict) else ""

    @property
    def in_group(self) -> bool:
        return self.source_type in ("group", "room")

    @property
    def mentions_bot(self) -> bool:
        mention = self.message.get("mention")
        mentionees = mention.get("mentionees") if isinstance(mention, dict) else None
        return isinstance(mentionees, list) and any(isinstance(m, dict) and m.get("isSelf") is True
                                                    for m in mentionees)

    def dedupe_key(self) -> str:
        """Identity of this event across redeliveries: its id plus its content minus delivery info.

        LINE gives each event a unique ``webhookEventId``; including the content also keeps
        distinct events apart when a sender reuses ids (older payloads, test fixtures).
        """
        content = {k: v for k, v in self.raw.items() if k != "deliveryContext"}
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(f"{self.webhook_event_id or ''}\n{canonical}".encode("utf-8", "surrogatepass")).hexdigest()


# The longest user, group or room id accepted (LINE's are U/C/R + 32 hex digits; the database column is 64).
MAX_ID = 64


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def read_event(raw: Any) -> InboundEvent | None:
    """Return a typed view of one event, or None when it is not an event object at all."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        return None
    source = _object(raw.get("source"))
    if any(len(str(source.get(key) or "")) > MAX_ID for key in ("userId", "groupId", "roomId")):
        return None  # LINE's ids are 33 characters: a longer one is not LINE's (and would not fit the database)
    delivery = _object(raw.get("deliveryContext"))
    return InboundEvent(
        type=raw["type"],
        source_type=str(source.get("type", "")),
        user_id=_str_or_none(source.get("userId")),
        group_id=_str_or_none(source.get("groupId")),
        room_id=_str_or_none(source.get("roomId")),
        reply_token=_str_or_none(raw.get("replyToken")),
        webhook_event_id=_str_or_none(raw.get("webhookEventId")),
        is_redelivery=bool(delivery.get("isRedelivery", False)),
        mode=str(raw.get("mode", "active")),
        raw=raw,
    )


def clean_text(text: str) -> str:
    """``text`` with NUL removed and lone surrogates replaced by U+FFFD (what a UTF-8 database can store)."""
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group(0) == "\x00" else "\ufffd", text)


def clean_json(value: Any) -> Any:
    """A parsed JSON value with every string (keys too) passed through :func:`clean_text`, and NaN / ±Infinity
    (Python's JSON reader takes them; PostgreSQL's JSON refuses them) written as the strings ``nan`` / ``inf``,
    which ``float()`` still reads."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {clean_text(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and objects nest in ``value`` (stops counting past ``limit``); iterative, so a
    hostile document cannot exhaust the stack."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def read_body(body: bytes) -> tuple[list[InboundEvent], int]:
    """Parse a webhook body; return the readable events and how many were skipped as malformed.

    Strings are cleaned for storage (core.inputs.clean_text: a lone surrogate or NUL in a resident's message
    must not lose the message), and a body nested deeper than any LINE body is refused."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedBody("body is not UTF-8 JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("events", []), list):
        raise MalformedBody("body is not an object with an 'events' list")
    if nesting_depth(data) > MAX_DEPTH:
        raise MalformedBody(f"body nests deeper than {MAX_DEPTH} levels")
    data = clean_json(data)
    events, skipped = [], 0
    for raw in data.get("events", []):
        event = read_event(raw)
        if event is None:
            skipped += 1
        else:
            events.append(event)
    return events, skipped
