"""Telegram's flood limits as the emulator enforces them, on a clock the caller can move by hand.

Telegram publishes only rough figures (bots FAQ): about 30 messages a second overall, about one a
second per chat and 20 a minute per group. The emulator turns them into exact rules so tests can
reason about them: a sliding one-second window overall, a token bucket per private chat (a small
burst, then one a second) and a sliding one-minute window per group.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .errors import too_many_requests

Clock = Callable[[], float]


@dataclass(frozen=True)
class RateLimits:
    overall_per_second: int = 30
    private_burst: int = 3
    private_per_second: float = 1.0
    group_per_minute: int = 20


TELEGRAM_LIMITS = RateLimits()  # the default: what Telegram allows a bot


class SlidingWindow:
    """At most ``limit`` hits in any ``period`` seconds."""

    def __init__(self, limit: int, period: float):
        self.limit = limit
        self.period = period
        self._hits: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more hit would be allowed (0 if it is allowed now)."""
        while self._hits and self._hits[0] <= now - self.period:
            self._hits.popleft()
        if len(self._hits) < self.limit:
            return 0.0
        return self._hits[0] + self.period - now

    def hit(self, now: float) -> None:
        self._hits.append(now)


class TokenBucket:
    """A burst of ``capacity`` hits, refilled at ``rate`` hits a second."""

    def __init__(self, capacity: int, rate: float):
        self.capacity = capacity
        self.rate = rate
        self._tokens = float(capacity)
        self._updated: float | None = None

    def _refill(self, now: float) -> None:
        if self._updated is not None:
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def wait(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def hit(self, now: float) -> None:
        self._refill(now)
        self._tokens -= 1


class RateLimiter:
    """Decides whether a message-sending call may pass; a refused call uses up nothing."""

    def __init__(self, limits: RateLimits, clock: Clock):
        self.limits = limits
        self.clock = clock
        self._overall = SlidingWindow(limits.overall_per_second, 1.0)
        self._chats: dict[int, SlidingWindow | TokenBucket] = {}

    def _chat_limit(self, chat_id: int, is_group: bool) -> SlidingWindow | TokenBucket:
        if chat_id not in self._chats:
            limits = self.limits
            self._chats[chat_id] = (
                SlidingWindow(limits.group_per_minute, 60.0)
                if is_group
                else TokenBucket(limits.private_burst, limits.private_per_second)
            )
        return self._chats[chat_id]

    def check(self, chat_id: int, *, is_group: bool, counts_overall: bool) -> None:
        """Count one message to ``chat_id``, or raise 429 with Telegram's whole-second retry_after."""
        now = self.clock()
        chat = self._chat_limit(chat_id, is_group)
        wait = chat.wait(now)
        if counts_overall:
            wait = max(wait, self._overall.wait(now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        chat.hit(now)
        if counts_overall:
            self._overall.hit(now)
