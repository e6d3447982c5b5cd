"""Injected failures: errors, slow replies and 429 storms that the bot did not cause.

Unless a fault names its methods, it spares getUpdates: a test that breaks sending rarely
means to break polling too, and PTB backs off for seconds after a failed poll.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus

from .errors import ApiError, too_many_requests

SENDING_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})
EDITING_METHODS = frozenset({"editmessagetext", "editmessagereplymarkup", "editmessagecaption"})


@dataclass
class _Fault:
    methods: frozenset[str] | None
    remaining: int | None = None
    until: float | None = None
    error: Callable[[], ApiError] | None = None
    delay: float = 0.0
    delay_max: float | None = None  # a latency: each reply held back a random time in [delay, delay_max]
    rng: random.Random | None = None

    def live(self, now: float) -> bool:
        return self.remaining != 0 and (self.until is None or now < self.until)

    def matches(self, method: str) -> bool:
        return method != "getupdates" if self.methods is None else method in self.methods

    def use(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


def _names(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.lower() for m in methods)


def _error(status: int, description: str | None, retry_after: int) -> Callable[[], ApiError]:
    if status == 429:
        return lambda: too_many_requests(retry_after)
    try:
        text = description or HTTPStatus(status).phrase
    except ValueError:
        text = description or f"Error {status}"
    return lambda: ApiError(status, text)


class Faults:
    """``emu.faults``: what the next calls should suffer; windows run on the emulator's clock."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self._faults: list[_Fault] = []

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        *,
        methods: Iterable[str] | None = None,
        description: str | None = None,
        retry_after: int = 1,
    ) -> None:
        """Refuse the next ``n`` matching calls with ``status``, without carrying them out."""
        error = _error(status, description, retry_after)
        self._faults.append(_Fault(_names(methods), remaining=n, error=error))

    def fail_for(
        self,
        seconds: float,
        status: int = 500,
        *,
        methods: Iterable[str] | None = None,
        description: str | None = None,
        retry_after: int = 1,
    ) -> None:
        """Refuse every matching call for the next ``seconds``."""
        error = _error(status, description, retry_after)
        self._faults.append(_Fault(_names(methods), until=self.clock() + seconds, error=error))

    def delay(
        self, seconds: float, for_methods: Iterable[str] | None = None, *, times: int | None = None
    ) -> None:
        """Carry out matching calls but hold each reply back ``seconds`` (all, or the next ``times``).

        Like a slow Telegram: the message is delivered even when the client has given up waiting.
        """
        self._faults.append(_Fault(_names(for_methods), remaining=times, delay=seconds))

    def storm_429(
        self, seconds: float, retry_after: int = 5, *, methods: Iterable[str] | None = None
    ) -> None:
        """Answer every message-sending call with 429 for ``seconds``, whatever the real limits say."""
        names = _names(methods) or SENDING_METHODS | EDITING_METHODS
        error = _error(429, None, retry_after)
        self._faults.append(_Fault(names, until=self.clock() + seconds, error=error))

    def clear(self) -> None:
        self._faults.clear()

    def _take(self, method: str, wanted: Callable[[_Fault], bool]) -> _Fault | None:
        now = self.clock()
        self._faults = [f for f in self._faults if f.live(now)]
        for fault in self._faults:
            if wanted(fault) and fault.matches(method.lower()):
                fault.use()
                return fault
        return None

    def failure(self, method: str) -> ApiError | None:
        fault = self._take(method, lambda f: f.error is not None)
        return fault.error() if fault and fault.error else None

    def latency(
        self, low: float, high: float, for_methods: Iterable[str] | None = None, *, seed: int = 0
    ) -> None:
        """Carry out matching calls but hold each reply back a random time between ``low`` and
        ``high`` seconds (seeded), as Telegram's round trip varies; the message is delivered at once."""
        self._faults.append(_Fault(_names(for_methods), delay=low, delay_max=high, rng=random.Random(seed)))

    def response_delay(self, method: str) -> float:
        fault = self._take(method, lambda f: f.delay > 0)
        if fault is None:
            return 0.0
        return (
            fault.rng.uniform(fault.delay, fault.delay_max) if fault.rng and fault.delay_max else fault.delay
        )
