"""The update queue behind getUpdates, with the real server's confirm-by-offset and conflict rules.

Semantics copied from tdlib/telegram-bot-api (Client::do_get_updates): updates below ``offset``
are forgotten; an offset past the queue's end is ignored; a negative offset keeps only the last
``-offset`` updates; only a call that is about to wait (``timeout`` > 0, nothing to return)
terminates the long poll already waiting, which then gets 409 Conflict.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .errors import CONFLICT, ApiError

# What Telegram sends when allowed_updates is empty or was never given.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MAX_TIMEOUT = 50


class _LongPoll:
    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.terminated = False


class UpdateQueue:
    def __init__(self, first_update_id: int = 1):
        self._updates: list[dict[str, Any]] = []
        self._next_id = first_update_id
        self._allowed: frozenset[str] | None = None  # None: all but DEFAULT_EXCLUDED
        self._poll: _LongPoll | None = None
        self.arrived = asyncio.Event()  # set by each update queued: a webhook's delivery waits on it

    @property
    def last_id(self) -> int:
        """The id of the newest update created (0 before the first)."""
        return self._next_id - 1

    @property
    def pending(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by an offset."""
        return list(self._updates)

    @property
    def polling(self) -> bool:
        """Whether a long poll is waiting for an update now."""
        return self._poll is not None

    def set_allowed(self, kinds: list[str]) -> None:
        # Like Telegram, the choice sticks for later calls and filters updates as they arrive.
        self._allowed = frozenset(kinds) or None

    def push(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update; None when allowed_updates filters it out, as Telegram drops those."""
        allowed = kind in self._allowed if self._allowed is not None else kind not in DEFAULT_EXCLUDED
        if not allowed:
            return None
        update_id = self._next_id
        self._next_id += 1
        self._updates.append({"update_id": update_id, kind: payload})
        if self._poll is not None:
            self._poll.wake.set()
        self.arrived.set()
        return update_id

    def drop_pending(self) -> None:
        self._updates.clear()

    def confirm(self, update_id: int) -> None:
        """A webhook answered 2xx for the update: it is forgotten, as an offset past it would."""
        self._updates = [u for u in self._updates if u["update_id"] != update_id]

    def _take(self, offset: int, limit: int) -> list[dict[str, Any]]:
        if offset < 0:
            del self._updates[:offset]
        elif 0 < offset <= self._next_id:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        return self._updates[:limit]

    async def get_updates(self, offset: int, limit: int, timeout: float) -> list[dict[str, Any]]:
        limit = min(max(limit, 1), 100)
        timeout = min(max(timeout, 0), MAX_TIMEOUT)
        batch = self._take(offset, limit)
        if batch or timeout == 0:
            return batch
        if self._poll is not None:
            self._poll.terminated = True
            self._poll.wake.set()
        poll = self._poll = _LongPoll()
        try:
            await asyncio.wait_for(poll.wake.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            if self._poll is poll:
                self._poll = None
        if poll.terminated:
            raise ApiError(409, CONFLICT)
        return self._take(max(offset, 0), limit)  # a negative offset has done its trimming

    def close(self) -> None:
        """Release a waiting long poll when the emulator stops."""
        if self._poll is not None:
            self._poll.wake.set()
