"""What handlers and jobs share: config, store, guidance, clock and the one way to send."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping

from .config import Clinic, Config
from .guidance import Guidance
from .store import Store

if TYPE_CHECKING:
    from .delivery import Delivery


@dataclass
class Services:
    config: Config
    store: Store
    guidance_by_clinic: Mapping[str, Guidance]
    now: Callable[[], float] = time.time
    delivery: "Delivery" = field(init=False)

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
              edit_message_id: int | None = None, photo: bytes | None = None) -> int:
        """Queue a message ahead of scheduled ones; inside a store transaction it is committed
        with the writes it answers. `deliver` sends it at once, the delivery tick otherwise."""
        return self.store.enqueue(chat_id, kind, text, markup, self.now(), ref_id=ref_id, priority=0,
                                  edit_message_id=edit_message_id, photo=photo)

    async def deliver(self, row_id: int) -> None:
        """Try a queued message now; the delivery tick retries it if that fails."""
        await self.delivery.send(row_id)

    async def say(self, chat_id: int, kind: str, text: str, markup: dict | None = None, ref_id: int | None = None) -> int:
        """Queue a reply and try to send it at once."""
        row_id = self.queue(chat_id, kind, text, markup, ref_id=ref_id)
        await self.deliver(row_id)
        return row_id

    async def send_photo(self, chat_id: int, kind: str, photo: bytes, caption: str, markup: dict | None = None) -> int:
        """A picture with its caption, through the outbox like `say`."""
        row_id = self.queue(chat_id, kind, caption, markup, photo=photo)
        await self.deliver(row_id)
        return row_id

    async def edit(self, chat_id: int, message_id: int, text: str, markup: dict | None = None, kind: str = "edit") -> int:
        """Queue an edit of an earlier bot message and try it at once, like `say`."""
        row_id = self.queue(chat_id, kind, text, markup, edit_message_id=message_id)
        await self.deliver(row_id)
        return row_id
