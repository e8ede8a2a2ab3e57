"""Client-side pacing to stay inside LINE's rate limits (token buckets, shared by a worker's threads)."""

from __future__ import annotations

import threading
import time

# requests per second and burst, per endpoint (LINE: multicast 200 req/s; broadcast/narrowcast 60 req/hour).
# LINE counts requests per second: a bucket lets ``burst + rate × 1 s`` through in any one second, so the burst
# is kept small enough that a long run of multicasts (ごみ reminders: one per area and language) never meets a 429
# and its back-off (200 + 200 did, from the 201st request on).
LINE_PACE: dict[str, tuple[float, float]] = {
    "multicast": (195.0, 5.0),
    "broadcast": (60 / 3600, 60.0),
    "narrowcast": (60 / 3600, 60.0),
    "push": (2000.0, 2000.0),
}


class Pacer:
    def __init__(self, pace: dict[str, tuple[float, float]] | None = None):
        self.pace = dict(LINE_PACE if pace is None else pace)
        self._tokens = {k: burst for k, (_, burst) in self.pace.items()}
        self._stamp = {k: time.monotonic() for k in self.pace}
        self._paused_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def acquire(self, endpoint: str, stop: threading.Event | None = None) -> None:
        """Block until one request to ``endpoint`` may go out."""
        if endpoint not in self.pace:
            return
        rate, burst = self.pace[endpoint]
        while True:
            with self._lock:
                now = time.monotonic()
                pause = self._paused_until.get(endpoint, 0.0) - now
                if pause <= 0:
                    tokens = min(burst, self._tokens[endpoint] + (now - self._stamp[endpoint]) * rate)
                    self._stamp[endpoint] = now
                    if tokens >= 1:
                        self._tokens[endpoint] = tokens - 1
                        return
                    self._tokens[endpoint] = tokens
                    pause = (1 - tokens) / rate
            if stop is not None and stop.wait(min(pause, 1.0)):
                return
            if stop is None:
                time.sleep(min(pause, 1.0))

    def back_off(self, endpoint: str, seconds: float) -> None:
        """LINE said 429: nobody in this worker sends to ``endpoint`` for a while."""
        with self._lock:
            self._paused_until[endpoint] = max(self._paused_until.get(endpoint, 0.0), time.monotonic() + seconds)
