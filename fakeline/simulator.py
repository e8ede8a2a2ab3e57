"""The resident side of the local LINE platform: simulated users whose actions become signed webhooks.

Each action (follow, block, text, quick-reply tap, postback, location, sticker) is turned into the
event JSON LINE itself would send — ULID ``webhookEventId``, ``deliveryContext``, a fresh one-minute
``replyToken``, ``mode``, ``source`` — signed with the channel secret and POSTed to the bot's
webhook. What the bot sends back through the fake Messaging API lands in each resident's timeline.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory
from flask.typing import ResponseReturnValue
from ulid import ULID

from fakeline.state import FakeLineState, current_state
from line.signature import sign

STATIC = Path(__file__).with_name("static")
MAX_UPLOAD = 60 * 1024 * 1024  # larger than the bot accepts (10 MB): the bot's refusal can be tried


@dataclass
class Channel:
    webhook_url: str
    channel_secret: str
    destination: str = "U" + uuid.uuid5(uuid.NAMESPACE_URL, "machimado-bot").hex


@dataclass
class Timeline:
    """Everything each simulated resident saw, in order (thread-safe, append-only)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, user_id: str, direction: str, message: dict[str, Any], **extra: Any) -> None:
        with self.lock:
            self.items.append({"seq": len(self.items) + 1, "user": user_id, "direction": direction,
                               "message": message, "at": time.time(), **extra})

    def since(self, seq: int, user_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [i for i in self.items[seq:] if user_id is None or i["user"] == user_id]


def new_user_id() -> str:
    return "U" + uuid.uuid4().hex


def build_event(kind: str, user_id: str, state: FakeLineState, payload: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind, "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": str(ULID()), "deliveryContext": {"isRedelivery": False},
    }
    if kind != "unfollow":
        event["replyToken"] = state.issue_reply_token(user_id)
    if kind == "follow":
        event["follow"] = {"isUnblocked": bool(payload.get("unblocked"))}
    elif kind == "postback":
        event["postback"] = {"data": str(payload.get("data", ""))}
    elif kind == "message":
        message_id = str(int(time.time() * 1000) * 1000 + uuid.uuid4().int % 1000)
        message = {"id": message_id, "quoteToken": uuid.uuid4().hex, **payload}
        event["message"] = message
    return event


def deliver(channel: Channel, events: list[dict[str, Any]], timeout: float = 15.0) -> int:
    body = json.dumps({"destination": channel.destination, "events": events}, ensure_ascii=False).encode()
    req = urllib.request.Request(channel.webhook_url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Line-Signature": sign(channel.channel_secret, body),
        "User-Agent": "LineBotWebhook/2.0"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 - local webhook
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


blueprint = Blueprint("simulator", __name__)


def current_simulation() -> tuple[Channel, Timeline]:
    """The simulator's channel and timeline, kept in the platform app (``app.extensions["simulator"]``)."""
    sim = current_app.extensions["simulator"]
    return sim["channel"], sim["timeline"]


@blueprint.get("/")
def page() -> ResponseReturnValue:
    return send_from_directory(STATIC, "simulator.html")

@blueprint.get("/sim/static/<path:name>")
def static_file(name: str) -> ResponseReturnValue:
    return send_from_directory(STATIC, name)

@blueprint.get("/sim/api/residents")
def residents() -> ResponseReturnValue:
    state = current_state()
    with state.lock:
        return jsonify([{**p, "following": p["userId"] in state.followers} for p in state.profiles.values()])

@blueprint.post("/sim/api/residents")
def create_resident() -> ResponseReturnValue:
    state = current_state()
    data = request.get_json(silent=True) or {}
    name = str(data.get("displayName") or "").strip()[:20] or "住民"
    language = str(data.get("language", "ja") or "")[:16]
    user_id = new_user_id()
    with state.lock:
        state.profiles[user_id] = {"userId": user_id, "displayName": name, "pictureUrl": "", "statusMessage": "",
                                   # LINE leaves the language out when the user has not consented to share it
                                   **({"language": language} if language else {})}
    return jsonify(state.profiles[user_id]), 201

@blueprint.post("/sim/api/action")
def action() -> ResponseReturnValue:
    state = current_state()
    channel, timeline = current_simulation()
    data = request.get_json(silent=True) or {}
    user_id = str(data.get("user", ""))
    kind = str(data.get("kind", ""))
    with state.lock:
        known = user_id in state.profiles
        following = user_id in state.followers
    if not known:
        return jsonify({"error": "unknown resident"}), 404
    payload: dict[str, Any] = {}
    if kind == "follow":
        payload = {"unblocked": bool(data.get("unblocked"))}
        with state.lock:
            if not following:
                state.followers.append(user_id)
    elif kind == "unfollow":
        with state.lock:
            if following:
                state.followers.remove(user_id)
    elif kind == "text":
        text = str(data.get("text", ""))[:5000]
        if not text:
            return jsonify({"error": "empty message"}), 400
        kind, payload = "message", {"type": "text", "text": text}
    elif kind == "postback":
        payload = {"data": str(data.get("data", ""))[:300]}
    elif kind == "location":
        try:
            lat, lon = float(data["latitude"]), float(data["longitude"])
        except (KeyError, TypeError, ValueError):
            return jsonify({"error": "latitude and longitude are required"}), 400
        kind, payload = "message", {"type": "location", "title": "位置情報", "address": str(data.get("address", "")),
                                    "latitude": lat, "longitude": lon}
    elif kind == "image":
        try:
            photo = base64.b64decode(str(data.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            return jsonify({"error": "data must be base64"}), 400
        if not photo or len(photo) > MAX_UPLOAD:
            return jsonify({"error": f"a photo must be 1 byte to {MAX_UPLOAD} bytes"}), 400
        content_type = str(data.get("contentType") or "application/octet-stream")[:100]
        kind, payload = "message", {"type": "image", "contentProvider": {"type": "line"}}
    elif kind == "sticker":
        kind, payload = "message", {"type": "sticker", "packageId": "446", "stickerId": "1988",
                                    "stickerResourceType": "STATIC"}
    else:
        return jsonify({"error": f"unknown action {kind!r}"}), 400
    if kind not in ("follow", "unfollow") and not following:
        return jsonify({"error": "blocked: follow the account first"}), 409
    shown = data.get("display") or payload.get("text") or {"follow": "（友だち追加）", "unfollow": "（ブロック）",
                                                          "postback": "", "message": ""}.get(kind, "")
    if shown:
        timeline.add(user_id, "in", {"type": "text", "text": str(shown)[:5000]}, kind=kind)
    event = build_event(kind, user_id, state, payload)
    if payload.get("type") == "image":  # kept by the platform for GET /v2/bot/message/{id}/content
        state.keep_content(event["message"]["id"], content_type, photo)
    status = deliver(channel, [event])
    return jsonify({"webhook_status": status, "event": event})

@blueprint.get("/sim/api/timeline")
def timeline_items() -> ResponseReturnValue:
    timeline = current_simulation()[1]
    seq = request.args.get("since", "0")
    return jsonify(timeline.since(int(seq) if seq.isdigit() else 0, request.args.get("user") or None))

@blueprint.get("/sim/api/sent")
def sent() -> ResponseReturnValue:
    """Pushes, multicasts and broadcasts with their recipients (the side panel)."""
    state = current_state()
    with state.lock:
        calls = [{"endpoint": c["endpoint"], "status": c["status"], "at": c["at"],
                  "recipients": len(c["body"]["to"]) if isinstance(c["body"], dict) and
                  isinstance(c["body"].get("to"), list) else (1 if c["endpoint"] == "push" else None),
                  "preview": _preview(c["body"])}
                 for c in state.calls if c["endpoint"] in ("push", "multicast", "broadcast", "narrowcast")]
    return jsonify(calls[-100:])

@blueprint.get("/sim/api/richmenu")
def rich_menu() -> ResponseReturnValue:
    """The rich menu this resident sees: their linked menu, else the default one."""
    state = current_state()
    user_id = request.args.get("user", "")
    with state.lock:
        menu_id = state.user_rich_menus.get(user_id) or state.default_rich_menu
        menu = state.rich_menus.get(menu_id or "")
    if menu is None or menu_id not in state.rich_menu_images:
        return jsonify(None)
    return jsonify({**menu, "image": f"/sim/richmenu/{menu_id}/image"})

@blueprint.get("/sim/richmenu/<menu_id>/image")
def rich_menu_image(menu_id: str) -> ResponseReturnValue:
    state = current_state()
    image = state.rich_menu_images.get(menu_id)
    return Response(image[1], mimetype=image[0]) if image else Response(status=404)

@blueprint.get("/sim/api/config")
def config() -> ResponseReturnValue:
    channel = current_simulation()[0]
    return jsonify({"webhook_url": channel.webhook_url, "bot": current_app.config.get("BOT_NAME", "")})


def _preview(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            return str(message.get("text") or message.get("altText") or message.get("type"))[:80]
    return ""
