"""Who an update comes from, as PTB filters: each handler names its audience where it is registered.

- `Staff`: the sender is configured staff of a clinic, in any chat;
- `StaffHere`: staff who may see a clinic's follow-ups in this chat: their private chat, or the
  clinic's alert chat (a group);
- `Followed`: the sender has a follow-up in progress (staff may be a patient too).

The staff lists are the config in force (`Services.config`), read at each update: staff added or
removed with /settings count at once. `ButtonHandler` is a
CallbackQueryHandler that takes a press from its audience only: PTB's takes no filters.
Imports `bot.services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, filters

from bot.services import session
from bot.services.shared import Services

PRIVATE = filters.ChatType.PRIVATE


class Staff(filters.UpdateFilter):
    """The sender is staff of at least one clinic."""

    def __init__(self, services: Services):
        super().__init__(name="Staff")
        self.services = services

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and bool(self.services.staff_clinics(user.id))


class StaffHere(filters.UpdateFilter):
    """The sender is staff of a clinic whose follow-ups this chat may show: any clinic of theirs
    in their private chat, only that clinic in its alert chat."""

    def __init__(self, services: Services):
        super().__init__(name="StaffHere")
        self.services = services

    def filter(self, update: Update) -> bool:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return False
        return bool(self.services.config.clinics_seen_in(user.id, chat.id, chat.type == chat.PRIVATE))


class Followed(filters.UpdateFilter):
    """The sender has a follow-up in progress (read from the store at each update)."""

    def __init__(self, services: Services):
        super().__init__(name="Followed")
        self.services = services

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and session.current(self.services, user.id) is not None


@dataclass(frozen=True)
class Audiences:
    staff: Staff
    staff_here: StaffHere
    followed: Followed

    @classmethod
    def of(cls, services: Services) -> Audiences:
        return cls(Staff(services), StaffHere(services), Followed(services))


class ButtonHandler(CallbackQueryHandler):
    """A press whose data matches `pattern`, from `audience` only (checked on the whole update)."""

    def __init__(self, callback: Any, pattern: str, audience: filters.UpdateFilter):
        super().__init__(callback, pattern=pattern)
        self.audience = audience

    def check_update(self, update: object) -> bool | object | None:
        match = super().check_update(update)
        return match if match and isinstance(update, Update) and self.audience.filter(update) else None
