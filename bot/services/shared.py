"""What handlers and jobs share: config, store, guidance, clock and the one way to send.

Imports bot.guidance, bot.followup.status, bot.store and bot.delivery: sending, and knowing what
is in flight to a chat, are the sender's (bot/delivery/sender.py); these methods queue and ask it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.delivery.sender import Delivery, Spawn
from bot.followup.status import MessageKind
from bot.guidance.config import Clinic, Config
from bot.guidance.model import Guidance
from bot.guidance.settings import effective
from bot.store.database import Store

log = logging.getLogger(__name__)


@dataclass
class Services:
    file_config: Config  # as the config file says: `config` is what is in force
    store: Store
    guidance_by_clinic: Mapping[str, Guidance]
    now: Callable[[], float] = time.time
    delivery: Delivery = field(init=False)
    _config: Config | None = field(default=None, init=False, repr=False)

    @property
    def config(self) -> Config:
        """The config in force: the file's, with what admins changed in Telegram (/settings) over
        it. Every clinic is looked up here, so check-ins, alert rounds, quiet hours and who is
        staff follow a change at once. Read from the store once, and again after each change."""
        if self._config is None:
            stored = self.store.clinic_settings(), self.store.clinic_staff()
            config, problems = effective(self.file_config, *stored)
            for problem in problems:  # config keys, values and staff ids: nothing a patient wrote
                log.warning("settings from Telegram not applied (the config file's are): %s", problem)
            self._config = config
        return self._config

    def settings_changed(self) -> None:
        """The clinic settings in the store changed: read them again at the next lookup."""
        self._config = None

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

    def queue(
        self,
        chat_id: int,
        kind: MessageKind,
        text: str,
        markup: dict | None = None,
        ref_id: int | None = None,
        edit_message_id: int | None = None,
        photo: bytes | None = None,
        priority: int = 0,
        patient_id: int | None = None,
    ) -> int:
        """Queue a message ahead of scheduled ones (priority 0; an emergency answer EMERGENCY,
        bot/delivery/pacing.py); inside a store transaction it is committed with the writes it answers.
        `send_answer` sends it at once, the delivery tick otherwise. `patient_id`: the patient a
        message to staff is about, so that erasing them finds it."""
        return self.store.enqueue(
            chat_id,
            kind,
            text,
            markup,
            self.now(),
            ref_id=ref_id,
            priority=priority,
            edit_message_id=edit_message_id,
            photo=photo,
            patient_id=patient_id,
        )

    async def chat_free(self, chat_id: int) -> None:
        """Wait until this chat's answers and its message in flight (if any) are sent: one at a
        time keeps a chat's messages in order. Before queuing for the chat."""
        await self.delivery.chat_free(chat_id)

    async def send_answer(self, chat_id: int, row_id: int, spawn: Spawn, urgent: bool = False) -> None:
        """Send a queued answer in the background, in its chat's turn (`Delivery.send_answer`)."""
        await self.delivery.send_answer(chat_id, row_id, spawn, urgent)

    async def say(
        self,
        chat_id: int,
        kind: MessageKind,
        text: str,
        markup: dict | None = None,
        ref_id: int | None = None,
        patient_id: int | None = None,
    ) -> int:
        """Queue a reply and try to send it at once; the delivery tick retries it if that fails."""
        return await self._send_now(chat_id, kind, text, markup, ref_id=ref_id, patient_id=patient_id)

    async def send_photo(
        self,
        chat_id: int,
        kind: MessageKind,
        photo: bytes,
        caption: str,
        markup: dict | None = None,
        patient_id: int | None = None,
    ) -> int:
        """A picture with its caption, through the outbox like `say`."""
        return await self._send_now(chat_id, kind, caption, markup, photo=photo, patient_id=patient_id)

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        markup: dict | None = None,
        kind: MessageKind = MessageKind.EDIT,
        patient_id: int | None = None,
    ) -> int:
        """Queue an edit of an earlier bot message and try it at once, like `say`."""
        return await self._send_now(
            chat_id, kind, text, markup, edit_message_id=message_id, patient_id=patient_id
        )

    async def _send_now(
        self, chat_id: int, kind: MessageKind, text: str, markup: dict | None, **row: Any
    ) -> int:
        """After the chat's earlier answers (a chat's messages keep their order), queue and send."""
        await self.chat_free(chat_id)
        row_id = self.queue(chat_id, kind, text, markup, **row)
        await self.delivery.send(row_id)
        return row_id
