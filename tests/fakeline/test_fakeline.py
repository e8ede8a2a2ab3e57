"""The fake LINE API behaves like LINE: auth, validation, reply tokens, retry keys, rate limits, quota, menus."""

from __future__ import annotations

import time
import uuid

import pytest

from fakeline.app import create_fake_line_app
from fakeline.limits import RateLimiter
from fakeline.state import FakeLineState

TOKEN = "good-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TEXT = [{"type": "text", "text": "こんにちは"}]
USER = "U" + "1" * 32


@pytest.fixture
def fake():
    state = FakeLineState(tokens={TOKEN})
    app = create_fake_line_app({TOKEN}, state)
    return state, app.test_client()


def test_bad_token_is_401(fake) -> None:
    _, client = fake
    response = client.post("/v2/bot/message/push", json={"to": USER, "messages": TEXT},
                           headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and "Authentication failed" in response.json["message"]


@pytest.mark.parametrize("body, prop", [
    ({"to": USER, "messages": []}, "messages"),
    ({"to": USER, "messages": TEXT * 6}, "messages"),
    ({"to": USER, "messages": [{"type": "text", "text": "x" * 5001}]}, "messages[0].text"),
    ({"to": USER, "messages": [{"type": "text", "text": "x", "quickReply": {"items": [
        {"type": "action", "action": {"type": "message", "label": "a", "text": "a"}}] * 14}}]},
     "messages[0].quickReply.items"),
    ({"to": USER, "messages": [{"type": "bogus"}]}, "messages[0].type"),
    ({"messages": TEXT}, "to"),
])
def test_invalid_requests_get_line_shaped_400(fake, body, prop) -> None:
    _, client = fake
    response = client.post("/v2/bot/message/push", json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json["message"].startswith("The request body has")
    assert prop in [d["property"] for d in response.json["details"]]


def test_multicast_recipient_limits(fake) -> None:
    state, client = fake
    too_many = {"to": [f"U{i:032x}" for i in range(501)], "messages": TEXT}
    assert client.post("/v2/bot/message/multicast", json=too_many, headers=AUTH).status_code == 400
    ok = {"to": [f"U{i:032x}" for i in range(500)], "messages": TEXT}
    assert client.post("/v2/bot/message/multicast", json=ok, headers=AUTH).status_code == 200
    assert len(state.deliveries) == 500


def test_reply_token_single_use_and_expiry(fake, monkeypatch) -> None:
    state, client = fake
    token = state.issue_reply_token(USER)
    body = {"replyToken": token, "messages": TEXT}
    assert client.post("/v2/bot/message/reply", json=body, headers=AUTH).status_code == 200
    again = client.post("/v2/bot/message/reply", json=body, headers=AUTH)
    assert again.status_code == 400 and again.json["message"] == "Invalid reply token"
    old = state.issue_reply_token(USER)
    state.reply_tokens[old]["issued"] = time.monotonic() - 61
    expired = client.post("/v2/bot/message/reply", json={"replyToken": old, "messages": TEXT}, headers=AUTH)
    assert expired.status_code == 400 and expired.json["message"] == "Invalid reply token"
    assert [d["to"] for d in state.deliveries] == [USER]


def test_retry_key_rules(fake) -> None:
    state, client = fake
    key = str(uuid.uuid4())
    headers = {**AUTH, "X-Line-Retry-Key": key}
    first = client.post("/v2/bot/message/push", json={"to": USER, "messages": TEXT}, headers=headers)
    assert first.status_code == 200
    second = client.post("/v2/bot/message/push", json={"to": USER, "messages": TEXT}, headers=headers)
    assert second.status_code == 409
    assert second.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert len(state.deliveries) == 1  # nothing delivered twice
    token = state.issue_reply_token(USER)
    on_reply = client.post("/v2/bot/message/reply", json={"replyToken": token, "messages": TEXT},
                           headers={**AUTH, "X-Line-Retry-Key": str(uuid.uuid4())})
    assert on_reply.status_code == 400
    not_uuid = client.post("/v2/bot/message/push", json={"to": USER, "messages": TEXT},
                           headers={**AUTH, "X-Line-Retry-Key": "abc"})
    assert not_uuid.status_code == 400


def test_rate_limit_gives_429(fake) -> None:
    state, client = fake
    state.limiter = RateLimiter({"multicast": (2, 60.0)})
    body = {"to": [USER], "messages": TEXT}
    codes = [client.post("/v2/bot/message/multicast", json=body, headers=AUTH).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert len(state.deliveries) == 2


def test_line_default_limits() -> None:
    limiter = RateLimiter()
    assert sum(limiter.allow("broadcast") for _ in range(61)) == 60
    assert sum(limiter.allow("multicast") for _ in range(250)) == 200


def test_injected_faults(fake) -> None:
    state, client = fake
    state.faults.append(("push", 500))
    assert client.post("/v2/bot/message/push", json={"to": USER, "messages": TEXT}, headers=AUTH).status_code == 500
    assert client.post("/v2/bot/message/push", json={"to": USER, "messages": TEXT}, headers=AUTH).status_code == 200


def test_broadcast_narrowcast_reach_followers_and_progress(fake) -> None:
    state, client = fake
    state.followers.extend([USER, "U" + "2" * 32])
    assert client.post("/v2/bot/message/broadcast", json={"messages": TEXT}, headers=AUTH).status_code == 200
    response = client.post("/v2/bot/message/narrowcast", json={"messages": TEXT}, headers=AUTH)
    assert response.status_code == 202
    progress = client.get("/v2/bot/message/progress/narrowcast",
                          query_string={"requestId": response.headers["x-line-request-id"]}, headers=AUTH)
    assert progress.json["phase"] == "succeeded" and progress.json["successCount"] == 2
    assert client.get("/v2/bot/message/quota/consumption", headers=AUTH).json["totalUsage"] == 4


def test_quota_exhausted_is_429(fake) -> None:
    state, client = fake
    state.quota = 1
    assert client.get("/v2/bot/message/quota", headers=AUTH).json == {"type": "limited", "value": 1}
    assert client.post("/v2/bot/message/push", json={"to": USER, "messages": TEXT}, headers=AUTH).status_code == 200
    assert client.post("/v2/bot/message/push", json={"to": USER, "messages": TEXT}, headers=AUTH).status_code == 429


def test_follower_ids_paging(fake) -> None:
    state, client = fake
    state.followers.extend(f"U{i:032x}" for i in range(2500))
    seen, start = [], None
    while True:
        page = client.get("/v2/bot/followers/ids", query_string={"start": start} if start else {}, headers=AUTH).json
        seen += page["userIds"]
        start = page.get("next")
        if not start:
            break
    assert len(seen) == 2500 and len(set(seen)) == 2500
    assert client.get("/v2/bot/followers/ids?limit=1001", headers=AUTH).status_code == 400


def test_profile_with_language(fake) -> None:
    state, client = fake
    state.profiles[USER] = {"userId": USER, "displayName": "山田", "language": "ja"}
    assert client.get(f"/v2/bot/profile/{USER}", headers=AUTH).json["language"] == "ja"
    assert client.get("/v2/bot/profile/Unknown", headers=AUTH).status_code == 404


def test_rich_menu_lifecycle(fake) -> None:
    state, client = fake
    menu = {"size": {"width": 2500, "height": 843}, "selected": True, "name": "通常", "chatBarText": "メニュー",
            "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                       "action": {"type": "message", "text": "メニュー"}}]}
    assert client.post("/v2/bot/richmenu", json={**menu, "chatBarText": "x" * 15}, headers=AUTH).status_code == 400
    menu_id = client.post("/v2/bot/richmenu", json=menu, headers=AUTH).json["richMenuId"]
    assert client.post(f"/v2/bot/user/all/richmenu/{menu_id}", headers=AUTH).status_code == 400  # no image yet
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    assert client.post(f"/v2/bot/richmenu/{menu_id}/content", data=png,
                       headers={**AUTH, "Content-Type": "image/png"}).status_code == 200
    assert client.post(f"/v2/bot/user/all/richmenu/{menu_id}", headers=AUTH).status_code == 200
    assert client.get("/v2/bot/user/all/richmenu", headers=AUTH).json["richMenuId"] == menu_id
    assert client.post(f"/v2/bot/user/{USER}/richmenu/{menu_id}", headers=AUTH).status_code == 200
    assert client.get(f"/v2/bot/user/{USER}/richmenu", headers=AUTH).json["richMenuId"] == menu_id
    assert client.delete(f"/v2/bot/user/{USER}/richmenu", headers=AUTH).status_code == 200
    assert client.post("/v2/bot/richmenu/alias", json={"richMenuAliasId": "normal", "richMenuId": menu_id},
                       headers=AUTH).status_code == 200
    assert client.get("/v2/bot/richmenu/alias/normal", headers=AUTH).json["richMenuId"] == menu_id
    assert client.get("/v2/bot/richmenu/alias/list", headers=AUTH).json["aliases"][0]["richMenuAliasId"] == "normal"


def test_loading_animation(fake) -> None:
    _, client = fake
    assert client.post("/v2/bot/chat/loading/start", json={"chatId": USER, "loadingSeconds": 5},
                       headers=AUTH).status_code == 202
    assert client.post("/v2/bot/chat/loading/start", json={"chatId": USER, "loadingSeconds": 7},
                       headers=AUTH).status_code == 400
