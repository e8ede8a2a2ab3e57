"""The load benchmark's yardstick: the smallest LINE bot that does the same HTTP work — Flask, line-bot-sdk's
WebhookParser (signature + parsing), and an inline reply echoing the text to the (fake) Messaging API.
Served by bench/load.py under the same gunicorn settings as machimado."""

from __future__ import annotations

import os

from flask import Flask, abort, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import MessageEvent, TextMessageContent

app = Flask(__name__)
parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])
api = MessagingApi(ApiClient(Configuration(host=os.environ["LINE_API_BASE_URL"],
                                           access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"])))


@app.post("/callback")
def callback() -> str:
    body = request.get_data(as_text=True)
    try:
        events = parser.parse(body, request.headers.get("X-Line-Signature", ""))
    except InvalidSignatureError:
        abort(400)
    for event in events:
        if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            api.reply_message(ReplyMessageRequest(reply_token=event.reply_token,
                                                  messages=[TextMessage(text=event.message.text)]))
    return "OK"


@app.get("/healthz")
def healthz() -> str:
    return "ok"
