"""The Messaging API calls the bot makes: authentication, rate limits, validation, reply tokens, retry keys,
deliveries per recipient (reply, push, multicast, broadcast, narrowcast) and profiles."""

from __future__ import annotations

import time
import uuid
from functools import partial
from typing import Any

from flask import Blueprint, Response, jsonify, request

from fakeline.state import (
    REPLY_TOKEN_TTL_S,
    RETRY_KEY_ENDPOINTS,
    RETRY_KEY_TTL_S,
    FakeLineState,
    current_state,
    line_error,
)
from fakeline.validate import validate_messages, validate_recipients

blueprint = Blueprint("messaging_api", __name__)


def authorized() -> bool:
    state = current_state()
    header = request.headers.get("Authorization", "")
    return header.startswith("Bearer ") and header[7:] in state.tokens

@blueprint.before_app_request
def platform_rules() -> Response | None:
    """Authentication, rate limits and injected latency apply to every Messaging API call."""
    state = current_state()
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
    state = current_state()
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
    state = current_state()
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

for _endpoint in ("reply", "push", "multicast", "broadcast", "narrowcast"):
    blueprint.add_url_rule(f"/v2/bot/message/{_endpoint}", _endpoint, partial(send, _endpoint), methods=["POST"])

@blueprint.get("/v2/bot/profile/<user_id>")
def profile(user_id: str) -> Response:
    state = current_state()
    data = state.profiles.get(user_id)
    if data is None:
        return line_error(404, "Not found")
    return jsonify(data)


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
