"""Login rate limit, per account and per client, in memory (one web process; several
processes each hold their own window, which only makes the limit looser by that factor)."""

from __future__ import annotations

import time
from collections import defaultdict, deque


class SlidingWindow:
    """At most `limit` events per key over the last `seconds`."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.events: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        events = self.events[key]
        while events and events[0] <= now - self.seconds:
            events.popleft()
        return len(events) >= self.limit

    def hit(self, key: str, now: float | None = None) -> None:
        self.events[key].append(time.monotonic() if now is None else now)

    def clear(self, key: str) -> None:
        self.events.pop(key, None)


# Failed logins: 5 per account and 20 per client address in 15 minutes.
PER_ACCOUNT = SlidingWindow(5, 900)
PER_CLIENT = SlidingWindow(20, 900)
