"""Tolerant, event-by-event reading of webhook bodies.

The official SDK's ``WebhookParser`` validates the whole body at once: one event lacking
``mode``/``webhookEventId``/``deliveryContext`` makes it raise, and events lacking optional fields
silently become ``UnknownEvent``. Here each event is read on its own into a small typed view; a
malformed event is skipped (and counted) without affecting the others.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


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
        return any(isinstance(m, dict) and m.get("isSelf") for m in mentionees or [])

    def dedupe_key(self) -> str:
        """Identity of this event across redeliveries: its id plus its content minus delivery info.

        LINE gives each event a unique ``webhookEventId``; including the content also keeps
        distinct events apart when a sender reuses ids (older payloads, test fixtures).
        """
        content = {k: v for k, v in self.raw.items() if k != "deliveryContext"}
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(f"{self.webhook_event_id or ''}\n{canonical}".encode()).hexdigest()


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def read_event(raw: Any) -> InboundEvent | None:
    """Return a typed view of one event, or None when it is not an event object at all."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        return None
    source = _object(raw.get("source"))
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


def read_body(body: bytes) -> tuple[list[InboundEvent], int]:
    """Parse a webhook body; return the readable events and how many were skipped as malformed."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedBody("body is not UTF-8 JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("events", []), list):
        raise MalformedBody("body is not an object with an 'events' list")
    events, skipped = [], 0
    for raw in data.get("events", []):
        event = read_event(raw)
        if event is None:
            skipped += 1
        else:
            events.append(event)
    return events, skipped
