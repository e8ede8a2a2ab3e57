"""What tests and the simulator read back: every recorded call and delivery, and a reset (under /_fake/)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from fakeline.state import state

blueprint = Blueprint("recorded", __name__)


@blueprint.get("/_fake/calls")
def calls() -> Response:
    endpoint = request.args.get("endpoint")
    with state.lock:
        items = [c for c in state.calls if endpoint is None or c["endpoint"] == endpoint]
    return jsonify(items)

@blueprint.get("/_fake/deliveries")
def deliveries() -> Response:
    with state.lock:
        return jsonify(list(state.deliveries))

@blueprint.post("/_fake/reset")
def reset() -> Response:
    state.reset()
    return jsonify({"ok": True})
