"""A fault of Telegram or of the database, told once: what is wrong when it begins, how long it
lasted when it ends, and only counted in between.

Imports nothing of the bot."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass


def count_of(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass
class Episode:
    """One fault, told once: the first failure logs what is wrong, the first success after it
    logs the recovery; the failures in between are only counted, and so are the pauses they
    began (sends in flight together that fail begin one pause, not one each)."""

    name: str
    log: logging.Logger  # the sender's: its readers (bench/urgent.py, the fault drills) listen there
    what: str | None = None
    since: float = 0.0
    failures: int = 0
    pauses: int = 0

    def failing(self, what: str, detail: str, pause: bool = False) -> None:
        self.failures += 1
        self.pauses += pause
        if what == self.what:
            return
        if self.what is None:
            self.since = time.monotonic()
        self.what = what
        self.log.error("%s %s (%s)", self.name, what, detail)

    def ok(self, detail: str) -> None:
        if self.what is not None:
            counts = count_of(self.failures, "failed attempt") + (
                f"; sending paused {count_of(self.pauses, 'time')}" if self.pauses else ""
            )
            self.log.warning(
                "%s back after %.1f s (%s); %s", self.name, time.monotonic() - self.since, counts, detail
            )
            self.what, self.failures, self.pauses = None, 0, 0
