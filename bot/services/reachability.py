"""Can every staff member and alert chat be reached? Checked at start and daily.

Each chat of every clinic is probed once (bot/delivery/reach.py) and the outcome stored, so
alert rounds leave out a chat Telegram refuses (bot/followup/rounds.py) instead of spending a
round on it; each clinic's admins are told, by name and Telegram id, who cannot be reached.
A staff chat that refuses a message is left out at once; a staff member who then writes to the
bot in private is reachable again at once.
Imports `bot.delivery.reach`, the pure packages and (through `Services`) the store."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.delivery.reach import probe
from bot.followup.rounds import admins
from bot.followup.status import MessageKind
from bot.guidance.config import Clinic
from bot.render.reach import clinic_chats, unreachable_report

if TYPE_CHECKING:
    from bot.services.shared import Services

log = logging.getLogger(__name__)


async def check_reach(services: Services) -> dict[int, str]:
    """Probe every staff member and alert chat, record the outcomes and queue each clinic's
    admins a message naming its chats that cannot be reached. Returns those, with Telegram's
    reason. A chat Telegram could not be asked about keeps its last outcome."""
    refused: dict[int, str] = {}
    checked: set[int] = set()
    for clinic in services.config.clinics:
        for chat in clinic_chats(clinic):
            if chat in checked:
                continue
            checked.add(chat)
            reach = await probe(services.delivery.bot, chat)
            if not reach.known:
                continue
            services.store.set_reach(chat, reach.reason, services.now())
            if reach.reason is not None:
                refused[chat] = reach.reason
    skip = services.store.unreachable_chats()
    for clinic in services.config.clinics:
        _tell_admins(services, clinic, refused, skip)
    if refused:
        log.warning("%d staff or alert chats cannot be reached", len(refused))  # who: in the admins' message
    return refused


def _tell_admins(services: Services, clinic: Clinic, refused: dict[int, str], skip: frozenset[int]) -> None:
    text = unreachable_report(services.guidance(clinic.id), clinic, refused)
    if text is None:
        return
    for admin in admins(clinic, skip):
        services.queue(admin, MessageKind.STAFF, text)


def reached(services: Services, chat_id: int) -> None:
    """A staff member wrote to the bot in private: it may write back, whatever the last check said."""
    if chat_id in services.store.unreachable_chats():
        services.store.set_reach(chat_id, None, services.now())
        log.info("a staff chat is reachable again")


def refused(services: Services, chat_id: int, reason: str) -> None:
    """Telegram refused a message to `chat_id` for good: a staff or alert chat among them is left
    out of alert rounds from now on, not at the next daily check."""
    if any(chat_id in clinic_chats(clinic) for clinic in services.config.clinics):
        services.store.set_reach(chat_id, reason, services.now())
        log.warning("a staff or alert chat refused a message; left out of alert rounds")
