"""What the local LINE platform remembers (calls, deliveries, tokens, rich menus, faults) and LINE's error shape.

One ``FakeLineState`` per platform app, kept in ``app.extensions["fakeline"]``; the route modules reach it
through :func:`current_state`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from flask import Response, current_app, jsonify

from fakeline.limits import RateLimiter

REPLY_TOKEN_TTL_S = 60.0
RETRY_KEY_TTL_S = 24 * 3600.0
CONTENT_TTL_S = 14 * 24 * 3600.0  # how long the platform keeps what users sent (LINE: "a certain period")
RETRY_KEY_ENDPOINTS = {"push", "multicast", "narrowcast", "broadcast"}


@dataclass
class FakeLineState:
    tokens: set[str]
    calls: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    reply_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    used_reply_tokens: set[str] = field(default_factory=set)
    retry_keys: dict[str, tuple[float, str]] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    narrowcasts: dict[str, dict[str, Any]] = field(default_factory=dict)
    rich_menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    rich_menu_images: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    rich_menu_aliases: dict[str, str] = field(default_factory=dict)
    user_rich_menus: dict[str, str] = field(default_factory=dict)
    default_rich_menu: str | None = None
    quota: int | None = None  # None = unlimited ("type": "none")
    generation: int = 0  # bumped by reset(): requests still in flight from before record nothing
    followers: list[str] = field(default_factory=list)
    # What users sent (photos): message id -> (content type, bytes, when); served by GET /v2/bot/message/{id}/content
    contents: dict[str, tuple[str, bytes, float]] = field(default_factory=dict)
    content_ttl_s: float = CONTENT_TTL_S
    # Fault injection: each entry is consumed by the next matching call ("*" matches any endpoint);
    # the status is returned as an error, except -1 (stall, then deliver) and -2 (deliver, then 500).
    faults: list[tuple[str, int]] = field(default_factory=list)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    latency_s: float = 0.0  # added to every API call (resilience tests)
    hang_s: float = 30.0  # how long a fault with status -1 stalls before answering (client timeouts)
    # Called for every message delivered to a user (the simulator's timeline listens here).
    on_deliver: Callable[[str, dict[str, Any], str], None] | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.content_ttl_s = CONTENT_TTL_S
            for items in (self.calls, self.deliveries, self.followers, self.faults):
                items.clear()
            for mapping in (self.contents, self.reply_tokens, self.retry_keys, self.profiles, self.narrowcasts, self.rich_menus,
                            self.rich_menu_images, self.rich_menu_aliases, self.user_rich_menus):
                mapping.clear()
            self.used_reply_tokens.clear()
            self.limiter.reset()
            self.latency_s = 0.0
            self.default_rich_menu = None
            self.quota = None

    def issue_reply_token(self, user_id: str | None) -> str:
        token = uuid.uuid4().hex
        with self.lock:
            self.reply_tokens[token] = {"issued": time.monotonic(), "user_id": user_id}
        return token

    def keep_content(self, message_id: str, content_type: str, data: bytes) -> None:
        with self.lock:
            self.contents[message_id] = (content_type, data, time.monotonic())

    def take_fault(self, endpoint: str) -> int | None:
        with self.lock:
            for i, (target, status) in enumerate(self.faults):
                if target in ("*", endpoint):
                    del self.faults[i]
                    return status
        return None

    def consumption(self) -> int:
        """Messages counted against the monthly quota (replies are free)."""
        with self.lock:
            return sum(len(d["messages"]) for d in self.deliveries if d["endpoint"] != "reply")

    def calls_to(self, endpoint: str) -> list[dict[str, Any]]:
        with self.lock:
            return [c for c in self.calls if c["endpoint"] == endpoint]


def line_error(status: int, message: str, details: Iterable[dict[str, str]] = (),
               headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    details = list(details)
    if details:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def current_state() -> FakeLineState:
    """The state of the platform app serving this request (route modules are module-level blueprints)."""
    return cast(FakeLineState, current_app.extensions["fakeline"])
