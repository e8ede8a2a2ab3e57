"""Calls to the LINE platform, by endpoint and HTTP status ("error" when there was no answer at all)."""

from __future__ import annotations

from prometheus_client import Counter

LINE_API_CALLS = Counter("machimado_line_api_calls", "Calls to the LINE Messaging API by endpoint and status",
                         ["endpoint", "status"])
