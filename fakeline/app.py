"""A local stand-in for LINE's Messaging API (the only stand-in the project allows).

It behaves like LINE where the bot can tell: bearer-token check (401), request validation with
LINE-shaped error bodies (400), single-use reply tokens valid for one minute, ``X-Line-Retry-Key``
only on push/multicast/narrowcast/broadcast with 409 on a repeated key, and a per-recipient
delivery record so tests can prove a notice reached every resident exactly once.
Everything is recorded in memory and readable under ``/_fake/``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

from fakeline.limits import RateLimiter
from fakeline.validate import validate_messages, validate_recipients

REPLY_TOKEN_TTL_S = 60.0
RETRY_KEY_TTL_S = 24 * 3600.0
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
            for items in (self.calls, self.deliveries, self.followers, self.faults):
                items.clear()
            for mapping in (self.reply_tokens, self.retry_keys, self.profiles, self.narrowcasts, self.rich_menus,
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


def create_fake_line_app(tokens: Iterable[str], state: FakeLineState | None = None) -> Flask:
    app = Flask("fakeline")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    state = state or FakeLineState(tokens=set(tokens))
    app.extensions["fakeline"] = state

    def authorized() -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in state.tokens

    @app.before_request
    def platform_rules() -> Response | None:
        """Authentication, rate limits and injected latency apply to every Messaging API call."""
        if not request.path.startswith("/v2/"):
            return None
        if state.latency_s:
            time.sleep(state.latency_s)
        if not authorized():
            return line_error(401, "Authentication failed. Confirm that the access token in the authorization "
                                   "header is valid.")
        sending = request.method == "POST" and request.path.startswith("/v2/bot/message/")
        endpoint = request.path.rsplit("/", 1)[-1] if sending else "*"
        if not state.limiter.allow(endpoint):
            return line_error(429, "The API rate limit has been exceeded. Try again later.")
        return None

    def record(endpoint: str, body: Any, status: int, recipients: list[str] | None = None,
               generation: int | None = None) -> str:
        request_id = uuid.uuid4().hex
        with state.lock:
            if generation is not None and generation != state.generation:
                return request_id
            state.calls.append({"endpoint": endpoint, "body": body, "status": status, "at": time.time(),
                                "retry_key": request.headers.get("X-Line-Retry-Key"), "request_id": request_id,
                                "token": request.headers.get("Authorization", "")[7:]})
            if status == 200 and recipients is not None:
                for user_id in recipients:
                    state.deliveries.append({"endpoint": endpoint, "to": user_id, "messages": body["messages"],
                                             "request_id": request_id})
                    if state.on_deliver is not None:
                        for message in body["messages"]:
                            state.on_deliver(user_id, message, endpoint)
        return request_id

    def send(endpoint: str) -> Response:
        generation = state.generation
        body = request.get_json(silent=True)
        fault = state.take_fault(endpoint)
        # -1: stall past the client's timeout, then process (LINE got it; the answer was lost).
        # -2: process, then answer 500 (delivered, but the sender is told it failed).
        accept_then_fail = fault == -2
        if fault == -1:
            time.sleep(state.hang_s)
        if fault in (-1, -2):
            fault = None
        if fault is not None:
            record(endpoint, body, fault)
            return line_error(fault, "Internal server error" if fault >= 500 else "Injected fault")
        if not isinstance(body, dict):
            return line_error(400, "The request body has 1 error(s)",
                              [{"message": "must be a JSON object", "property": "body"}])
        retry_key = request.headers.get("X-Line-Retry-Key")
        if retry_key is not None:
            if endpoint not in RETRY_KEY_ENDPOINTS:
                return line_error(400, "X-Line-Retry-Key is not supported for this endpoint")
            try:
                uuid.UUID(retry_key)
            except ValueError:
                return line_error(400, "The retry key must be a UUID")
        details = validate_recipients(body, endpoint) + validate_messages(body)
        if endpoint == "reply" and not isinstance(body.get("replyToken"), str):
            details.insert(0, {"message": "must be specified", "property": "replyToken"})
        if details:
            record(endpoint, body, 400)
            return line_error(400, f"The request body has {len(details)} error(s)", details)
        with state.lock:
            if retry_key is not None:
                seen = state.retry_keys.get(retry_key)
                if seen and time.monotonic() - seen[0] < RETRY_KEY_TTL_S:
                    record(endpoint, body, 409)
                    return line_error(409, "The retry key is already accepted",
                                      headers={"x-line-accepted-request-id": seen[1]})
            recipients = _recipients(state, endpoint, body)
            if isinstance(recipients, Response):
                record(endpoint, body, 400)
                return recipients
            if state.quota is not None and endpoint != "reply" and \
                    state.consumption() + len(recipients) * len(body["messages"]) > state.quota:
                record(endpoint, body, 429)
                return line_error(429, "You have reached your monthly limit.")
            request_id = record(endpoint, body, 200, recipients, generation)
            if retry_key is not None:
                state.retry_keys[retry_key] = (time.monotonic(), request_id)
            if endpoint == "narrowcast":
                state.narrowcasts[request_id] = {"phase": "succeeded", "successCount": len(recipients),
                                                 "failureCount": 0, "targetCount": len(recipients),
                                                 "acceptedTime": _iso(), "completedTime": _iso()}
        if accept_then_fail:
            return line_error(500, "Internal server error")
        if endpoint == "narrowcast":
            response = Response(status=202)
            response.headers["x-line-request-id"] = request_id
            return response
        response = jsonify({"sentMessages": [{"id": uuid.uuid4().hex[:18], "quoteToken": uuid.uuid4().hex}
                                             for _ in body["messages"]]} if endpoint in ("reply", "push") else {})
        response.headers["x-line-request-id"] = request_id
        return response

    for endpoint in ("reply", "push", "multicast", "broadcast", "narrowcast"):
        app.add_url_rule(f"/v2/bot/message/{endpoint}", endpoint, lambda e=endpoint: send(e), methods=["POST"])

    @app.get("/v2/bot/profile/<user_id>")
    def profile(user_id: str) -> Response:
        data = state.profiles.get(user_id)
        if data is None:
            return line_error(404, "Not found")
        return jsonify(data)

    from fakeline.platform_api import create_platform_api

    app.register_blueprint(create_platform_api(state))

    @app.get("/_fake/calls")
    def calls() -> Response:
        endpoint = request.args.get("endpoint")
        with state.lock:
            items = [c for c in state.calls if endpoint is None or c["endpoint"] == endpoint]
        return jsonify(items)

    @app.get("/_fake/deliveries")
    def deliveries() -> Response:
        with state.lock:
            return jsonify(list(state.deliveries))

    @app.post("/_fake/reset")
    def reset() -> Response:
        state.reset()
        return jsonify({"ok": True})

    return app


def _recipients(state: FakeLineState, endpoint: str, body: dict[str, Any]) -> list[str] | Response:
    """Who receives this request; validates reply tokens (single use, one minute)."""
    if endpoint == "reply":
        token = body["replyToken"]
        issued = state.reply_tokens.get(token)
        expired = issued is not None and time.monotonic() - issued["issued"] > REPLY_TOKEN_TTL_S
        if token in state.used_reply_tokens or expired:
            return line_error(400, "Invalid reply token")
        state.used_reply_tokens.add(token)
        return [issued["user_id"]] if issued and issued["user_id"] else []
    if endpoint == "push":
        return [body["to"]]
    if endpoint == "multicast":
        return list(dict.fromkeys(body["to"]))
    return list(state.followers)


def _iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[BaseWSGIServer, str]:
    """Run a WSGI app on a real socket in a daemon thread; returns (server, base URL)."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"wsgi-{app.name}", daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_port}"
