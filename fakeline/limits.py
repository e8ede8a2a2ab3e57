"""LINE's per-endpoint rate limits, enforced with a sliding window (configurable, so tests can shrink them)."""

from __future__ import annotations

import threading
import time
from collections import deque

# (requests, per seconds) — LINE Messaging API documentation.
LINE_LIMITS: dict[str, tuple[int, float]] = {
    "multicast": (200, 1.0),
    "broadcast": (60, 3600.0),
    "narrowcast": (60, 3600.0),
    "*": (2000, 1.0),
}


class RateLimiter:
    def __init__(self, limits: dict[str, tuple[int, float]] | None = None):
        self.limits = dict(LINE_LIMITS if limits is None else limits)
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, endpoint: str) -> bool:
        """Count one request; False when it exceeds the endpoint's limit (LINE answers 429)."""
        key = endpoint if endpoint in self.limits else "*"
        if key not in self.limits:
            return True
        count, window = self.limits[key]
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and now - seen[0] >= window:
                seen.popleft()
            if len(seen) >= count:
                return False
            seen.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
