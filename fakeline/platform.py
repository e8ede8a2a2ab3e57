"""The whole local LINE platform: fake Messaging API + resident simulator + chat page, one WSGI app."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask

from fakeline import simulator
from fakeline.app import create_fake_line_app
from fakeline.simulator import Channel, Timeline
from fakeline.state import FakeLineState


def create_platform(tokens: Iterable[str], webhook_url: str, channel_secret: str,
                    bot_name: str = "") -> Flask:
    tokens = set(tokens)
    state = FakeLineState(tokens=tokens)
    timeline = Timeline()
    state.on_deliver = lambda user, message, endpoint: timeline.add(user, "out", message, kind=endpoint)
    app = create_fake_line_app(tokens, state)
    app.config["BOT_NAME"] = bot_name
    app.extensions["simulator"] = {"channel": Channel(webhook_url, channel_secret), "timeline": timeline}
    app.register_blueprint(simulator.blueprint)
    return app
