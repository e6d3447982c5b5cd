"""The log of every Bot API call, and of the violations: errors the bot brought on itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .signals import Signal

Pattern = str | int


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    description: str | None = None
    result: Any = None
    injected: bool = False  # the error came from emu.faults, not from the bot
    emulated: bool = True  # False: a real method the emulator only acknowledges

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Violation:
    method: str
    status: int
    description: str
    params: dict[str, Any]
    at: float
    expected: bool = False

    def __str__(self) -> str:
        return f"{self.method} -> {self.status} {self.description}"


def _matches(pattern: Pattern, violation: Violation) -> bool:
    if isinstance(pattern, int):
        return violation.status == pattern
    return pattern.lower() in violation.description.lower()


@dataclass
class _Expectation:
    pattern: Pattern
    seen: int = 0


class ExpectViolation:
    """``with``: the block must cause a matching violation; ``async with`` also waits for it."""

    def __init__(self, recorder: Recorder, pattern: Pattern, timeout: float):
        self._recorder = recorder
        self._expectation = _Expectation(pattern)
        self._timeout = timeout

    def __enter__(self) -> ExpectViolation:
        self._recorder._expectations.append(self._expectation)
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._recorder._expectations.remove(self._expectation)
        if exc_type is None and not self._expectation.seen:
            raise AssertionError(
                f"expected a violation matching {self._expectation.pattern!r}, saw none; "
                f"calls: {self._recorder.summary()}"
            )

    async def __aenter__(self) -> ExpectViolation:
        return self.__enter__()

    async def __aexit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            await self._recorder.signal.wait_for(
                lambda: self._expectation.seen or None,
                self._timeout,
                lambda: (
                    f"no violation matching {self._expectation.pattern!r}; calls: {self._recorder.summary()}"
                ),
            )
        self.__exit__(exc_type, *rest)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.violations: list[Violation] = []
        self.signal = Signal()
        self._allowed: list[Pattern] = []
        self._expectations: list[_Expectation] = []
        self._call_cursors: dict[str, int] = {}

    def record(self, call: Call, *, counts_as_violation: bool = True) -> None:
        self.calls.append(call)
        if counts_as_violation and 400 <= call.status < 500 and not call.injected:
            self._violation(call)
        self.signal.notify()

    def _violation(self, call: Call) -> None:
        violation = Violation(call.method, call.status, call.description or "", call.params, call.at)
        for expectation in self._expectations:
            if _matches(expectation.pattern, violation):
                expectation.seen += 1
                violation.expected = True
        violation.expected |= any(_matches(p, violation) for p in self._allowed)
        self.violations.append(violation)

    def allow(self, patterns: Iterable[Pattern]) -> None:
        """Allow matching violations, those already recorded included."""
        self._allowed.extend(patterns)
        for violation in self.violations:
            violation.expected |= any(_matches(p, violation) for p in self._allowed)

    def unexpected(self) -> list[Violation]:
        return [v for v in self.violations if not v.expected]

    def assert_no_violations(self) -> None:
        unexpected = self.unexpected()
        if unexpected:
            lines = "\n  ".join(str(v) for v in unexpected)
            raise AssertionError(f"the bot broke Telegram's rules {len(unexpected)} time(s):\n  {lines}")

    def summary(self, last: int = 12) -> str:
        return ", ".join(f"{c.method}:{c.status}" for c in self.calls[-last:]) or "none"

    async def wait_for_call(
        self, method: str, predicate: Callable[[Call], bool] | None, timeout: float
    ) -> Call:
        """The next call of ``method`` after the one this returned last time."""
        key = method.lower()

        def probe() -> Call | None:
            start = self._call_cursors.get(key, 0)
            for index in range(start, len(self.calls)):
                call = self.calls[index]
                if call.method.lower() == key and (predicate is None or predicate(call)):
                    self._call_cursors[key] = index + 1
                    return call
            return None

        return await self.signal.wait_for(
            probe, timeout, lambda: f"no {method} call; calls: {self.summary()}"
        )
