"""Quiet hours: the clinic's local wall-clock hours in which no check-in is sent.

A config value (parsed and checked with the rest of the config); `bot.followup.schedule` does the
arithmetic with it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

_DAY = timedelta(days=1)
_RANGE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")


@dataclass(frozen=True)
class QuietHours:
    """Local wall-clock hours in which no check-in is sent; may wrap midnight (21:00-08:00).

    The start is inside the quiet period and the end is not.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("start and end are the same time, which would make every check-in impossible")

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """Read "HH:MM-HH:MM"."""
        match = _RANGE.fullmatch(text)
        if not match:
            raise ValueError(f'{text!r} is not HH:MM-HH:MM, e.g. "21:00-08:00"')
        h1, m1, h2, m2 = map(int, match.groups())
        if max(h1, h2) > 23 or max(m1, m2) > 59:
            raise ValueError(f"{text!r}: hours run 00-23 and minutes 00-59")
        return cls(time(h1, m1), time(h2, m2))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def length(self) -> timedelta:
        """How much of each day is quiet (ignoring DST days)."""
        start = timedelta(hours=self.start.hour, minutes=self.start.minute)
        end = timedelta(hours=self.end.hour, minutes=self.end.minute)
        return (end - start) % _DAY

    def contains(self, local: time) -> bool:
        """Whether a local wall-clock time is quiet."""
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end
