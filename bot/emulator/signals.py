"""Waking waiters when the emulator's state changes, without polling on a timer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class EmulatorTimeout(AssertionError):
    """A scripted wait ran out of time; an AssertionError so pytest shows the message plainly."""


class Signal:
    """A broadcast: every waiter wakes on the next notify()."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        # A fresh event per round means a waiter never misses a notify between two checks.
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, probe: Callable[[], T | None], timeout: float, describe: Callable[[], str]) -> T:
        """The first non-None result of probe(), re-checked on every notify, within timeout seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._event
            found = probe()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise EmulatorTimeout(f"timed out after {timeout:g}s: {describe()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
