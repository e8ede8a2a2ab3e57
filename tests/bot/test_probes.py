"""The security probe's webhook findings (issue #16 §1.4–1.5), each reproduced with a correctly signed body:
never a 500, never a traceback, and the resident's question is kept."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from faq.models import QuestionLog
from tests.helpers import body_of, event_of, post_webhook, text_event

USER = "U" + "f" * 32


def replies(fake_line) -> list[dict]:
    return [c for c in fake_line.calls_to("reply") if c["status"] == 200]


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


@pytest.mark.parametrize("depth", [50, 100_000])
def test_deeply_nested_json_is_a_400(app, client, depth: int, no_tracebacks) -> None:
    raw = ('{"destination":"U0","events":[' + "[" * depth + "]" * depth + "]}").encode()
    response = post_webhook(client, raw)
    assert response.status_code == 400


@pytest.mark.parametrize("data", ["action=answer&entry=²&q=²", "action=answer&entry=100000000000000000000000&q=1",
                                  "action=feedback&v=0&entry=99999999999&q=-1", "action=none&q=１２"])
def test_odd_numbers_in_postbacks_are_no_value(app, client, fake_line, data: str, no_tracebacks) -> None:
    response = post_webhook(client, body_of(event_of("postback", USER, postback={"data": data})))
    assert response.status_code == 200
    assert len(replies(fake_line)) == 1  # the resident is answered (a fallback or a thank-you), not ignored


def test_mentionees_that_are_not_a_list_are_not_a_mention(app, client, fake_line, no_tracebacks) -> None:
    event = text_event("@サンプル市 ごみの日", USER, source={"type": "group", "groupId": "C" + "1" * 32, "userId": USER})
    event["message"]["mention"] = {"mentionees": 5}
    assert post_webhook(client, body_of(event)).status_code == 200
    assert replies(fake_line) == []  # not mentioned: the bot stays quiet in the group


@pytest.mark.parametrize("lat, lon", [("NaN", "NaN"), ("Infinity", "135.0"), ("91", "0"), ("35", "-1e400")])
def test_impossible_locations_get_a_hint(app, client, fake_line, lat: str, lon: str, no_tracebacks) -> None:
    raw = json.dumps(body_of(event_of("message", USER, replyToken="rt-loc", message={
        "id": "1", "type": "location", "title": "x", "address": "x", "latitude": 0, "longitude": 0})))
    raw = raw.replace('"latitude": 0', f'"latitude": {lat}').replace('"longitude": 0', f'"longitude": {lon}')
    assert post_webhook(client, raw.encode()).status_code == 200
    assert "位置情報にはお答えできません" in replies(fake_line)[-1]["body"]["messages"][0]["text"]


@pytest.mark.parametrize("escaped, kept", [("\\ud800住民票の取り方", "\ufffd住民票の取り方"),
                                           ("住民票\\u0000の取り方", "住民票の取り方")])
def test_unstorable_characters_do_not_lose_the_question(app, client, fake_line, escaped: str, kept: str,
                                                        no_tracebacks) -> None:
    """A lone surrogate (any database) or NUL (PostgreSQL) in a resident's message: the question is answered
    and logged, with the character replaced or dropped."""
    raw = json.dumps(body_of(text_event("PLACEHOLDER", USER)), ensure_ascii=True).replace("PLACEHOLDER", escaped)
    assert post_webhook(client, raw.encode()).status_code == 200
    assert "住民票" in replies(fake_line)[-1]["body"]["messages"][0]["text"]
    with app.extensions["machimado"].sessions() as session:
        assert session.scalars(select(QuestionLog.text)).all() == [kept]
