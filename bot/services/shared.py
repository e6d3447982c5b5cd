"""What handlers and jobs share: config, store, guidance, clock and the one way to send."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from bot.guidance.config import Clinic, Config
from bot.guidance.loader import Guidance
from bot.store.database import Store

if TYPE_CHECKING:
    from bot.delivery.sender import Delivery

Spawn = Callable[[Coroutine[Any, Any, Any]], asyncio.Task]  # Application.create_task


@dataclass
class Services:
    config: Config
    store: Store
    guidance_by_clinic: Mapping[str, Guidance]
    now: Callable[[], float] = time.time
    delivery: "Delivery" = field(init=False)
    # chat -> its newest answer, which the chat's next answer waits for
    _answers: dict[int, asyncio.Task] = field(default_factory=dict, init=False, repr=False)
    _answer_slots: asyncio.Semaphore | None = field(default=None, init=False, repr=False)

    @property
    def bot_username(self) -> str:
        """Known once the application is initialised (getMe); deep links need it."""
        return self.delivery.bot.username

    def guidance(self, clinic_id: str) -> Guidance:
        return self.guidance_by_clinic[clinic_id]

    def clinic(self, clinic_id: str) -> Clinic:
        return self.config.clinic(clinic_id)

    def staff_clinics(self, telegram_id: int) -> list[Clinic]:
        """The clinics this Telegram user is configured staff of (usually one)."""
        return [c for c in self.config.clinics if c.is_staff(telegram_id)]

    def queue(self, chat_id: int, kind: str, text: str, markup: dict | None = None, ref_id: int | None = None,
              edit_message_id: int | None = None, photo: bytes | None = None, priority: int = 0,
              patient_id: int | None = None) -> int:
        """Queue a message ahead of scheduled ones (priority 0; an emergency answer EMERGENCY,
        bot/delivery/pacing.py); inside a store transaction it is committed with the writes it answers.
        `send_answer` sends it at once, the delivery tick otherwise. `patient_id`: the patient a
        message to staff is about, so that erasing them finds it."""
        return self.store.enqueue(chat_id, kind, text, markup, self.now(), ref_id=ref_id, priority=priority,
                                  edit_message_id=edit_message_id, photo=photo, patient_id=patient_id)

    async def chat_free(self, chat_id: int) -> None:
        """Wait until this chat's answers (if any) are sent: one at a time keeps a chat's messages
        in order. Before queuing for the chat."""
        answer = self._answers.get(chat_id)
        if answer is not None:
            await asyncio.wait([answer])
        await self.delivery.chat_free(chat_id)  # a check-in or a retry the tick is sending

    async def send_answer(self, chat_id: int, row_id: int, spawn: Spawn, urgent: bool = False) -> None:
        """Send a queued answer in the background: the handler goes on to the next update at once,
        never waiting for the chat's pace or for Telegram (a third of each reply's time in
        bench/throughput.py, README there). An urgent one goes now, beside whatever the chat has
        queued or in flight. Any other waits for the chat's earlier answers and its message in
        flight, and for a place among the answers in flight (as many as delivery sends at once),
        then is sent unless a newer answer took its place meanwhile (its claim fails).
        `spawn` is `Application.create_task`: errors reach the error handler, and stopping the
        bot waits for the send. The row is committed, so a send that fails is left to the tick."""
        if urgent:
            answer = spawn(self.delivery.send(row_id, urgent=True))
        else:
            answer = spawn(self._answer_in_turn(chat_id, row_id, self._answers.get(chat_id)))
        self._answers[chat_id] = answer

        def forget(_: asyncio.Task) -> None:
            if self._answers.get(chat_id) is answer:
                del self._answers[chat_id]

        answer.add_done_callback(forget)
        await asyncio.sleep(0)  # an urgent one claims its row now, before the tick could see it pending

    async def _answer_in_turn(self, chat_id: int, row_id: int, earlier: asyncio.Task | None) -> None:
        if earlier is not None:
            await asyncio.wait([earlier])
        await self.delivery.chat_free(chat_id)
        if self._answer_slots is None:
            self._answer_slots = asyncio.Semaphore(self.delivery.concurrency)
        async with self._answer_slots:
            await self.delivery.send(row_id)

    async def say(self, chat_id: int, kind: str, text: str, markup: dict | None = None,
                  ref_id: int | None = None, patient_id: int | None = None) -> int:
        """Queue a reply and try to send it at once; the delivery tick retries it if that fails."""
        await self.chat_free(chat_id)
        row_id = self.queue(chat_id, kind, text, markup, ref_id=ref_id, patient_id=patient_id)
        await self.delivery.send(row_id)
        return row_id

    async def send_photo(self, chat_id: int, kind: str, photo: bytes, caption: str,
                         markup: dict | None = None, patient_id: int | None = None) -> int:
        """A picture with its caption, through the outbox like `say`."""
        await self.chat_free(chat_id)
        row_id = self.queue(chat_id, kind, caption, markup, photo=photo, patient_id=patient_id)
        await self.delivery.send(row_id)
        return row_id

    async def edit(self, chat_id: int, message_id: int, text: str, markup: dict | None = None,
                   kind: str = "edit", patient_id: int | None = None) -> int:
        """Queue an edit of an earlier bot message and try it at once, like `say`."""
        await self.chat_free(chat_id)
        row_id = self.queue(chat_id, kind, text, markup, edit_message_id=message_id, patient_id=patient_id)
        await self.delivery.send(row_id)
        return row_id
