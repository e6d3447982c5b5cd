"""Telegram's send limits, in one place: the overall pace of the bot (evenly spaced slots, most
urgent message first, and a flood wait (429) that holds every send until it ends) and the pace of
each chat (a token bucket per chat, with a send kept in reserve for an emergency answer).

Imports PTB and aiolimiter; nothing of the bot.

Why not PTB's AIORateLimiter, which `TelegramPace` replaces: with several sends in flight (delivery keeps
some waiting so the allowance is used), its 429 pause releases every waiting request at once,
because each already holds its slot (and in 22.8 another request can end the pause early, PTB
issue #5338): the 429-storm drill saw 21 calls in 8 s with retry_after 2 s. It also serves
requests in arrival order, so a patient's reply waits behind every queued check-in. Here a
request takes its slot only once any hold is over, and the most urgent waiting request gets the
next slot. The leaky bucket itself is aiolimiter's, as in AIORateLimiter.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

# The bucket holds one send plus what accrues in LATE_WAKE_UP seconds, so a slot the event loop
# wakes late does not push every later one back (with a bucket of exactly 1, 28/s gave 26.9/s
# and 280/s gave 256/s in bench/delivery.py). Any one-second window holds at most
# 1 + 1.02 x rate sends: 29 at 28/s, the same as a bucket of 1; 286 at 280/s.
LATE_WAKE_UP = 0.02
URGENT = 0  # the priority of a request that names none (a reply, an alert)
# The most urgent priority: an emergency answer. It takes the next slot ahead of every reply,
# alert (0), reminder (1) and check-in (2), and `ChatPace` keeps a send a chat in reserve for it.
EMERGENCY = -1
# Telegram allows about one message a second in a chat, with a small burst, and 20 a minute in a
# group; edits count. Paced a little under that so our clock and Telegram's never disagree.
CHAT_BURST, CHAT_RATE = 3.0, 0.95
GROUP_BURST, GROUP_RATE = 3.0, 19 / 60
# Of a private chat's burst, one send is kept for an emergency answer: other messages leave it, so
# however chatty the conversation, the emergency finds the chat's allowance free.
URGENT_RESERVE = 1.0


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramPace(BaseRateLimiter[int]):
    """Paces every request that names a chat. `rate_limit_args` is the request's priority:
    lower goes first. A 429 is raised to the caller (the outbox retries it) after holding all
    sends for its retry_after."""

    def __init__(self, per_second: float):
        capacity = 1 + per_second * LATE_WAKE_UP
        self._bucket = AsyncLimiter(capacity, capacity / per_second)
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._held_until = 0.0  # event-loop time
        self._granter: asyncio.Task[None] | None = None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        if self._granter:
            self._granter.cancel()
            self._granter = None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if data.get("chat_id") is None:  # polling, answering a button: not a message to pace
            return await callback(*args, **kwargs)
        await self._turn(URGENT if rate_limit_args is None else rate_limit_args)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            loop = asyncio.get_running_loop()
            self._held_until = max(self._held_until, loop.time() + retry_seconds(error))
            raise

    async def _turn(self, priority: int) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        if self._granter is None or self._granter.done():
            self._granter = asyncio.create_task(self._grant())
        await future

    async def _grant(self) -> None:
        """Hand out slots, one at a time, to the most urgent waiting request."""
        loop = asyncio.get_running_loop()
        while self._waiting:
            hold = self._held_until - loop.time()
            if hold > 0:
                await asyncio.sleep(hold)
                continue
            await self._bucket.acquire()
            if loop.time() < self._held_until:
                continue  # a 429 came in while this slot was awaited: wait out the hold first
            while self._waiting:
                _, _, future = heapq.heappop(self._waiting)
                if not future.done():  # a cancelled request gives its slot to the next
                    future.set_result(None)
                    break


class ChatPace:
    """Telegram's limit per chat: a token bucket for each chat (a group's is slower), on the clock
    the sender passes in."""

    def __init__(self) -> None:
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, when last counted)

    def wait(self, chat_id: int, now: float, urgent: bool = False) -> float:
        """Seconds until this chat may get another message; 0 charges the message to the chat's
        bucket. In a private chat only an urgent message may take the last send."""
        burst, rate = (GROUP_BURST, GROUP_RATE) if chat_id < 0 else (CHAT_BURST, CHAT_RATE)
        need = 1.0 if urgent or chat_id < 0 else 1.0 + URGENT_RESERVE
        tokens, last = self._buckets.get(chat_id, (burst, now))
        tokens = min(burst, tokens + max(0.0, now - last) * rate)
        if tokens >= need - 1e-6:  # a rounding error short: its wait would not move a clock at 1.8e9 s
            self._buckets[chat_id] = (tokens - 1, now)
            return 0.0
        self._buckets[chat_id] = (tokens, now)
        return (need - tokens) / rate

    def reached(self, chat_id: int, now: float) -> None:
        """The message charged to this chat's bucket reached Telegram by now, perhaps long after
        it was charged (it waited for a slot of the overall pace, behind more urgent ones): the
        bucket refills from now, so the next message keeps its distance from this one."""
        tokens, last = self._buckets.get(chat_id, (0.0, now))
        self._buckets[chat_id] = (tokens, max(last, now))
