"""Sends in flight per chat, the one record of them: the pump's, `send`'s, and the answers sent in
the background. The sender keeps it and tells it when a send starts and ends; whoever queues a
message for a chat asks it (through the sender) when the chat is free, so a chat's messages
arrive in the order they were written.

Imports nothing of the bot."""

from __future__ import annotations

import asyncio
from collections import Counter


class ChatsInFlight:
    def __init__(self) -> None:
        self._sends: Counter[int] = Counter()
        self._urgent: Counter[int] = Counter()  # of which emergency answers
        self._free: dict[int, asyncio.Future[None]] = {}  # who waits for a chat's sends to end
        # chat -> its newest answer sent in the background, which the chat's next answer waits for
        self._answers: dict[int, asyncio.Task] = {}

    def started(self, chat_id: int, urgent: bool) -> None:
        self._sends[chat_id] += 1
        if urgent:
            self._urgent[chat_id] += 1

    def ended(self, chat_id: int, urgent: bool) -> None:
        if urgent:
            self._urgent[chat_id] -= 1
            if not self._urgent[chat_id]:
                del self._urgent[chat_id]
        self._sends[chat_id] -= 1
        if not self._sends[chat_id]:
            del self._sends[chat_id]
            waiting = self._free.pop(chat_id, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(None)

    def busy(self, chat_id: int, urgent: bool = False) -> bool:
        """Whether the pump must leave this chat alone: a message is in flight to it, or, for an
        emergency answer, another emergency answer."""
        return bool((self._urgent if urgent else self._sends)[chat_id])

    async def sends_done(self, chat_id: int) -> None:
        """Wait until no message to this chat is in flight."""
        while self._sends[chat_id]:
            waiting = self._free.setdefault(chat_id, asyncio.get_running_loop().create_future())
            await asyncio.shield(waiting)  # a cancelled waiter must not cancel it for the others

    def newest_answer(self, chat_id: int) -> asyncio.Task | None:
        return self._answers.get(chat_id)

    def answering(self, chat_id: int, answer: asyncio.Task) -> None:
        """`answer` is the chat's newest answer until it ends or a newer one comes."""
        self._answers[chat_id] = answer

        def forget(_: asyncio.Task) -> None:
            if self._answers.get(chat_id) is answer:
                del self._answers[chat_id]

        answer.add_done_callback(forget)

    async def chat_free(self, chat_id: int) -> None:
        """Wait until this chat's answers (if any) are sent and nothing else to it is in flight."""
        answer = self._answers.get(chat_id)
        if answer is not None:
            await asyncio.wait([answer])
        await self.sends_done(chat_id)
