"""The rest of the Messaging API the project uses: followers, rich menus, loading animation, quota,
narrowcast progress. Authentication and rate limits are applied by the app's ``before_request``."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Blueprint, Response, jsonify, request

from fakeline.state import current_state, line_error

MAX_FOLLOWER_PAGE = 1000


def _rich_menu_errors(body: Any) -> list[dict[str, str]]:
    if not isinstance(body, dict):
        return [{"message": "must be a JSON object", "property": "body"}]
    details = []
    size = body.get("size") or {}
    if size.get("width") != 2500 or size.get("height") not in (1686, 843):
        details.append({"message": "size must be 2500x1686 or 2500x843", "property": "size"})
    for key, limit in (("name", 300), ("chatBarText", 14)):
        if not isinstance(body.get(key), str) or not 1 <= len(body[key]) <= limit:
            details.append({"message": f"Length must be between 1 and {limit}", "property": key})
    areas = body.get("areas")
    if not isinstance(areas, list) or not 1 <= len(areas) <= 20:
        details.append({"message": "Size must be between 1 and 20", "property": "areas"})
    else:
        for i, area in enumerate(areas):
            if not isinstance(area, dict) or not isinstance(area.get("bounds"), dict) or \
                    not isinstance(area.get("action"), dict):
                details.append({"message": "bounds and action are required", "property": f"areas[{i}]"})
    return details

blueprint = Blueprint("platform_api", __name__)


@blueprint.get("/v2/bot/followers/ids")
def follower_ids() -> Response:
    state = current_state()
    try:
        limit = int(request.args.get("limit", MAX_FOLLOWER_PAGE))
        start = int(request.args.get("start") or 0)
    except ValueError:
        return line_error(400, "Invalid parameter")
    if not 1 <= limit <= MAX_FOLLOWER_PAGE:
        return line_error(400, "The request parameter has 1 error(s)",
                          [{"message": "must be between 1 and 1000", "property": "limit"}])
    with state.lock:
        page = state.followers[start:start + limit]
        more = start + limit < len(state.followers)
    body: dict[str, Any] = {"userIds": page}
    if more:
        body["next"] = str(start + limit)
    return jsonify(body)

@blueprint.get("/v2/bot/message/progress/narrowcast")
def narrowcast_progress() -> Response:
    state = current_state()
    progress = state.narrowcasts.get(request.args.get("requestId", ""))
    return jsonify(progress) if progress else line_error(404, "Not found")

@blueprint.get("/v2/bot/message/quota")
def quota() -> Response:
    state = current_state()
    return jsonify({"type": "none"} if state.quota is None else {"type": "limited", "value": state.quota})

@blueprint.get("/v2/bot/message/quota/consumption")
def consumption() -> Response:
    state = current_state()
    return jsonify({"totalUsage": state.consumption()})

@blueprint.post("/v2/bot/chat/loading/start")
def loading() -> Response:
    state = current_state()
    body = request.get_json(silent=True) or {}
    seconds = body.get("loadingSeconds", 5)
    if not isinstance(body.get("chatId"), str) or seconds not in range(5, 61, 5):
        return line_error(400, "The request body has 1 error(s)",
                          [{"message": "invalid chatId or loadingSeconds", "property": "chatId"}])
    with state.lock:
        state.calls.append({"endpoint": "loading", "body": body, "status": 202, "at": 0.0,
                            "retry_key": None, "request_id": "", "token": ""})
    return Response(status=202)

@blueprint.post("/v2/bot/richmenu")
def create_rich_menu() -> Response:
    state = current_state()
    body = request.get_json(silent=True)
    details = _rich_menu_errors(body)
    if details:
        return line_error(400, f"The request body has {len(details)} error(s)", details)
    menu_id = "richmenu-" + uuid.uuid4().hex
    with state.lock:
        state.rich_menus[menu_id] = {"richMenuId": menu_id, **(body or {})}
    return jsonify({"richMenuId": menu_id})

@blueprint.get("/v2/bot/richmenu/list")
def list_rich_menus() -> Response:
    state = current_state()
    return jsonify({"richmenus": list(state.rich_menus.values())})

@blueprint.get("/v2/bot/richmenu/<menu_id>")
def get_rich_menu(menu_id: str) -> Response:
    state = current_state()
    menu = state.rich_menus.get(menu_id)
    return jsonify(menu) if menu else line_error(404, "Not found")

@blueprint.delete("/v2/bot/richmenu/<menu_id>")
def delete_rich_menu(menu_id: str) -> Response:
    state = current_state()
    with state.lock:
        if state.rich_menus.pop(menu_id, None) is None:
            return line_error(404, "Not found")
        state.rich_menu_images.pop(menu_id, None)
        if state.default_rich_menu == menu_id:
            state.default_rich_menu = None
    return jsonify({})

@blueprint.get("/v2/bot/message/<message_id>/content")
def message_content(message_id: str) -> Response:
    """What a user sent (on LINE's data host, api-data.line.me): 404 for an id LINE does not have or no longer
    keeps (an unsent message, or older than the platform keeps content)."""
    state = current_state()
    fault = state.take_fault("content")
    if fault is not None and fault > 0:
        return line_error(fault, "Internal server error" if fault >= 500 else "Injected fault")
    with state.lock:
        kept = state.contents.get(message_id)
    if kept is None or time.monotonic() - kept[2] > state.content_ttl_s:
        return line_error(404, "Not found")
    return Response(kept[1], mimetype=kept[0])

@blueprint.post("/v2/bot/richmenu/<menu_id>/content")
def upload_image(menu_id: str) -> Response:
    state = current_state()
    content_type = request.headers.get("Content-Type", "")
    data = request.get_data()
    if menu_id not in state.rich_menus:
        return line_error(404, "Not found")
    if content_type not in ("image/png", "image/jpeg") or not data or len(data) > 1024 * 1024:
        return line_error(400, "An image must be a JPEG or PNG of at most 1 MB")
    with state.lock:
        if menu_id in state.rich_menu_images:
            return line_error(400, "An image has already been uploaded to the richmenu")
        state.rich_menu_images[menu_id] = (content_type, data)
    return jsonify({})

@blueprint.get("/v2/bot/richmenu/<menu_id>/content")
def download_image(menu_id: str) -> Response:
    state = current_state()
    image = state.rich_menu_images.get(menu_id)
    return Response(image[1], mimetype=image[0]) if image else line_error(404, "Not found")

@blueprint.post("/v2/bot/user/all/richmenu/<menu_id>")
def set_default(menu_id: str) -> Response:
    state = current_state()
    if menu_id not in state.rich_menus:
        return line_error(400, "richmenu not found")
    if menu_id not in state.rich_menu_images:
        return line_error(400, "must upload richmenu image before applying it to user")
    state.default_rich_menu = menu_id
    return jsonify({})

@blueprint.get("/v2/bot/user/all/richmenu")
def get_default() -> Response:
    state = current_state()
    if state.default_rich_menu is None:
        return line_error(404, "no default richmenu")
    return jsonify({"richMenuId": state.default_rich_menu})

@blueprint.delete("/v2/bot/user/all/richmenu")
def cancel_default() -> Response:
    state = current_state()
    state.default_rich_menu = None
    return jsonify({})

@blueprint.post("/v2/bot/user/<user_id>/richmenu/<menu_id>")
def link(user_id: str, menu_id: str) -> Response:
    state = current_state()
    if menu_id not in state.rich_menus or menu_id not in state.rich_menu_images:
        return line_error(400, "richmenu not found or has no image")
    state.user_rich_menus[user_id] = menu_id
    return jsonify({})

@blueprint.post("/v2/bot/richmenu/bulk/link")
def bulk_link() -> Response:
    """Link one rich menu to up to 500 users (LINE answers 202 and links them asynchronously)."""
    state = current_state()
    body = request.get_json(silent=True) or {}
    menu_id, users = body.get("richMenuId"), body.get("userIds")
    if not isinstance(users, list) or not 1 <= len(users) <= 500 or not all(isinstance(u, str) for u in users):
        return line_error(400, "The request body has 1 error(s)",
                          [{"message": "Size must be between 1 and 500", "property": "userIds"}])
    if menu_id not in state.rich_menus or menu_id not in state.rich_menu_images:
        return line_error(400, "richmenu not found or has no image")
    for user_id in users:
        state.user_rich_menus[user_id] = menu_id
    return Response("{}", status=202, mimetype="application/json")


@blueprint.post("/v2/bot/richmenu/bulk/unlink")
def bulk_unlink() -> Response:
    state = current_state()
    users = (request.get_json(silent=True) or {}).get("userIds")
    if not isinstance(users, list) or not 1 <= len(users) <= 500:
        return line_error(400, "The request body has 1 error(s)",
                          [{"message": "Size must be between 1 and 500", "property": "userIds"}])
    for user_id in users:
        state.user_rich_menus.pop(user_id, None)
    return Response("{}", status=202, mimetype="application/json")


@blueprint.delete("/v2/bot/user/<user_id>/richmenu")
def unlink(user_id: str) -> Response:
    state = current_state()
    state.user_rich_menus.pop(user_id, None)
    return jsonify({})

@blueprint.get("/v2/bot/user/<user_id>/richmenu")
def user_menu(user_id: str) -> Response:
    state = current_state()
    menu_id = state.user_rich_menus.get(user_id)
    return jsonify({"richMenuId": menu_id}) if menu_id else line_error(404, "the user has no richmenu")

@blueprint.post("/v2/bot/richmenu/alias")
def create_alias() -> Response:
    state = current_state()
    body = request.get_json(silent=True) or {}
    alias, menu_id = str(body.get("richMenuAliasId", "")), str(body.get("richMenuId", ""))
    if not alias or menu_id not in state.rich_menus:
        return line_error(400, "richMenuAliasId and an existing richMenuId are required")
    if alias in state.rich_menu_aliases:
        return line_error(400, "conflict richmenu alias id")
    state.rich_menu_aliases[alias] = menu_id
    return jsonify({})

@blueprint.get("/v2/bot/richmenu/alias/list")
def list_aliases() -> Response:
    state = current_state()
    return jsonify({"aliases": [{"richMenuAliasId": a, "richMenuId": m}
                                for a, m in state.rich_menu_aliases.items()]})

@blueprint.route("/v2/bot/richmenu/alias/<alias>", methods=["GET", "DELETE"])
def alias_item(alias: str) -> Response:
    state = current_state()
    menu_id = state.rich_menu_aliases.get(alias)
    if menu_id is None:
        return line_error(404, "Not found")
    if request.method == "DELETE":
        del state.rich_menu_aliases[alias]
        return jsonify({})
    return jsonify({"richMenuAliasId": alias, "richMenuId": menu_id})
