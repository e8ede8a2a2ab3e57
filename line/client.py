"""A thin wrapper over ``linebot.v3.messaging`` for one municipality's channel.

One :class:`LineClient` per channel lives in ``app.extensions``; it knows the base URL (LINE's, or a
local fake for demos and tests) and the channel access token. Calls never raise into the webhook:
they return a :class:`SendResult` and log the failure (status and LINE's error, never the message
content), because a LINE outage must not turn a resident's question into an HTTP error.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    BroadcastRequest,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
)

from line.metrics import LINE_API_CALLS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status: int | None = None
    error: str = ""
    request_id: str = ""
    retry_after_s: float | None = None

    @property
    def delivered(self) -> bool:
        """Accepted now, or earlier under the same retry key (409)."""
        return self.ok or self.status == 409

    @property
    def retryable(self) -> bool:
        return not self.delivered and (self.status is None or self.status >= 500 or self.status == 429)


@dataclass(frozen=True)
class Content:
    """What LINE's content endpoint gave: ``status`` (None: unreachable), the type LINE says and the bytes."""

    status: int | None
    content_type: str = ""
    data: bytes = b""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def gone(self) -> bool:
        """LINE does not have it (any more): asking again will not help."""
        return self.status in (400, 404, 410)


class RoutedApiClient(ApiClient):
    """Sends calls the SDK pins to LINE's data host (``api-data.line.me``) to our data base URL.

    The SDK's blob operations hard-code their host and ignore ``Configuration.host``; without this,
    ``LINE_API_BASE_URL`` could not point every call at a local fake.
    """

    def __init__(self, configuration: Configuration, data_host: str):
        super().__init__(configuration)
        self.data_host = data_host

    def call_api(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("_host"):
            kwargs["_host"] = self.data_host
        return super().call_api(*args, **kwargs)


class LineClient:
    def __init__(self, base_url: str, access_token: str, timeout_s: float = 5.0, channel: str = "",
                 data_base_url: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.channel = channel
        self.configuration = Configuration(host=self.base_url, access_token=access_token)
        self.api_client = RoutedApiClient(self.configuration, (data_base_url or self.base_url).rstrip("/"))
        self.api = MessagingApi(self.api_client)
        self.blob = MessagingApiBlob(self.api_client)

    def _call(self, operation: str, fn: Any, *args: Any, **kwargs: Any) -> SendResult:
        try:
            response = fn(*args, _request_timeout=self.timeout_s, **kwargs)
        except ApiException as exc:
            LINE_API_CALLS.labels(operation, str(exc.status)).inc()
            error = _line_error(exc.body)
            headers = exc.headers or {}
            if exc.status != 409:  # 409 = retry key already accepted: the earlier attempt was delivered
                log.warning("LINE %s failed for %s: HTTP %s %s", operation, self.channel, exc.status, error)
            return SendResult(False, exc.status, error,
                              headers.get("x-line-accepted-request-id") or headers.get("x-line-request-id", ""),
                              _retry_after(headers))
        except Exception as exc:  # timeouts, refused connections, TLS errors: all an outage to us
            LINE_API_CALLS.labels(operation, "error").inc()
            log.warning("LINE %s failed for %s: %s", operation, self.channel, type(exc).__name__)
            return SendResult(False, None, type(exc).__name__)
        LINE_API_CALLS.labels(operation, str(getattr(response, "status_code", 200))).inc()
        headers = getattr(response, "headers", None) or {}
        return SendResult(True, getattr(response, "status_code", 200), "", headers.get("x-line-request-id", ""))

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> SendResult:
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages[:5]})
        return self._call("reply", self.api.reply_message_with_http_info, request)

    def push(self, user_id: str, messages: list[dict[str, Any]], retry_key: str | None = None) -> SendResult:
        request = PushMessageRequest.from_dict({"to": user_id, "messages": messages[:5]})
        return self._call("push", self.api.push_message_with_http_info, request, x_line_retry_key=retry_key)

    @staticmethod
    def prepare(messages: list[dict[str, Any]]) -> list[Any]:
        """Validate messages into SDK models once, for reuse across a notice's many batches."""
        return list(BroadcastRequest.from_dict({"messages": messages[:5]}).messages)

    def multicast(self, user_ids: list[str], messages: list[Any], retry_key: str) -> SendResult:
        """``messages``: dicts, or models from :meth:`prepare`. Recipients come from our own database,
        so only the messages are validated (validating 500 ids per request dominated the cost)."""
        models = messages if messages and not isinstance(messages[0], dict) else self.prepare(messages)
        request = MulticastRequest.construct(to=list(user_ids), messages=models)
        return self._call("multicast", self.api.multicast_with_http_info, request, x_line_retry_key=retry_key)

    def broadcast(self, messages: list[Any], retry_key: str) -> SendResult:
        models = messages if messages and not isinstance(messages[0], dict) else self.prepare(messages)
        request = BroadcastRequest.construct(messages=models)
        return self._call("broadcast", self.api.broadcast_with_http_info, request, x_line_retry_key=retry_key)

    def profile_language(self, user_id: str) -> str | None:
        """The user's language from their LINE profile (a BCP 47 tag), or None when LINE leaves it out (no
        consent), the user is unknown or LINE is unreachable: the caller falls back to Japanese."""
        try:
            response = self.api.get_profile(user_id, _request_timeout=self.timeout_s)
        except ApiException as exc:
            LINE_API_CALLS.labels("profile", str(exc.status)).inc()
            return None
        except Exception as exc:  # noqa: BLE001 - an outage only costs the resident their language
            LINE_API_CALLS.labels("profile", "error").inc()
            log.warning("LINE profile failed for %s: %s", self.channel, type(exc).__name__)
            return None
        LINE_API_CALLS.labels("profile", "200").inc()
        language = getattr(response, "language", None)
        return language if isinstance(language, str) else None

    def content(self, message_id: str) -> Content:
        """A message's content (a resident's photo) from LINE's data host. ``status`` 404 (or 410) when LINE no
        longer has it (unsent, or older than LINE keeps content), None when LINE could not be reached."""
        try:
            response = self.blob.get_message_content_with_http_info(message_id, _request_timeout=self.timeout_s * 2)
        except ApiException as exc:
            LINE_API_CALLS.labels("content", str(exc.status)).inc()
            if exc.status not in (404, 410):
                log.warning("LINE content failed for %s: HTTP %s %s", self.channel, exc.status, _line_error(exc.body))
            return Content(exc.status, error=_line_error(exc.body))
        except Exception as exc:  # noqa: BLE001 - an outage: the caller keeps the id and tries again later
            LINE_API_CALLS.labels("content", "error").inc()
            log.warning("LINE content failed for %s: %s", self.channel, type(exc).__name__)
            return Content(None, error=type(exc).__name__)
        LINE_API_CALLS.labels("content", str(response.status_code)).inc()
        headers = response.headers or {}
        return Content(response.status_code, str(headers.get("Content-Type") or headers.get("content-type") or ""),
                       bytes(response.data or b""))

    def close(self) -> None:
        self.api_client.close()


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after") if headers else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _line_error(body: Any) -> str:
    """LINE's error body is ``{"message": …, "details": [{"message", "property"}]}``."""
    if not body:
        return ""
    try:
        data = json.loads(body if isinstance(body, str) else body.decode("utf-8", "replace"))
    except (ValueError, AttributeError):
        return str(body)[:200]
    if not isinstance(data, dict):
        return str(data)[:200]
    details = "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in data.get("details") or []
                        if isinstance(d, dict))
    return f"{data.get('message', '')}" + (f" ({details})" if details else "")
