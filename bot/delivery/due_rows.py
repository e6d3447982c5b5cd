"""The due rows the outbox pump works through (bot/delivery/sender.py): read from the store, most
urgent first, a chat's rows of one priority in the order they were queued; read again when an urgent
row falls due.

Imports `bot.store` and this package only."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.delivery.pacing import EMERGENCY
from bot.store.database import Store
from bot.store.rows import OutboxMessage

# This often the pump looks whether an urgent row fell due since it read its list of due rows (a
# list lasts up to two seconds of sending), and reads the list again if so.
FRESH_ROWS = 0.5


def is_urgent(row: OutboxMessage) -> bool:
    return row.priority <= EMERGENCY


class DueRows:
    """The due rows the pump read and has not sent yet, most urgent first, and a chat's rows of one
    priority in the order they were queued: read again when none of them may go, or when an urgent
    row fell due since they were read."""

    def __init__(
        self, store: Store, now: Callable[[], float], batch: int, free_for: Callable[[OutboxMessage], bool]
    ):
        self._store, self._now, self._batch, self._free_for = store, now, batch, free_for
        self._rows: list[OutboxMessage] = []
        self._looked_at = time.monotonic()

    def _urgent_news(self) -> bool:
        if time.monotonic() - self._looked_at < FRESH_ROWS:
            return False
        self._looked_at, top = time.monotonic(), self._store.due_outbox(self._now(), 1)
        return bool(top) and is_urgent(top[0]) and all(row.id != top[0].id for row in self._rows)

    def next(self) -> OutboxMessage | None:
        """The most urgent row that may go now; None when what is left waits for a chat in
        flight (that chat's sender takes it next)."""
        for read in (True,) if self._urgent_news() else (False, True):
            if read:
                self._rows = self._store.due_outbox(self._now(), self._batch)
            for index, row in enumerate(self._rows):
                if self._free_for(row):
                    return self._rows.pop(self._queued_first(index))
        return None

    def _queued_first(self, index: int) -> int:
        """Of the rows read for this row's chat and as urgent, the one queued first: one put back
        (paced, or to retry) goes before those queued after it. An emergency answer goes as it is."""
        row = self._rows[index]
        if is_urgent(row):
            return index
        peers = (
            i
            for i, other in enumerate(self._rows)
            if other.chat_id == row.chat_id and other.priority == row.priority
        )
        return min(peers, key=lambda i: self._rows[i].id)
