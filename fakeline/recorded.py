"""What tests and the simulator read back: every recorded call and delivery, and a reset (under /_fake/)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from fakeline.state import current_state

blueprint = Blueprint("recorded", __name__)


@blueprint.get("/_fake/calls")
def calls() -> Response:
    state = current_state()
    endpoint = request.args.get("endpoint")
    with state.lock:
        items = [c for c in state.calls if endpoint is None or c["endpoint"] == endpoint]
    return jsonify(items)

@blueprint.get("/_fake/deliveries")
def deliveries() -> Response:
    state = current_state()
    with state.lock:
        return jsonify(list(state.deliveries))

@blueprint.post("/_fake/reset")
def reset() -> Response:
    state = current_state()
    state.reset()
    return jsonify({"ok": True})
