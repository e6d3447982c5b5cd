"""Can the bot write to a chat? Asked of Telegram itself, for staff and alert chats.

`sendChatAction` is the proof: Telegram accepts it only where the bot may write, and refuses it
as it would refuse the alert ("Forbidden: bot can't initiate conversation with a user" for
someone who never pressed Start, "bot was blocked by the user", "chat not found" for a wrong id,
"bot is not a member of the group chat"). getChat proves less: it answers for a user who
blocked the bot. The cost is a "typing…" line in each staff chat for a few seconds, once a day.
Imports python-telegram-bot only (the pace reads the priority it passes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ExtBot

# The probe's priority with the pace (bot/delivery/pacing.py): after every message waiting, check-ins
# (2) included, so a start with a backlog sends the backlog first.
PROBE_PRIORITY = 9


@dataclass(frozen=True)
class Reach:
    """A probe's outcome: `known` False when Telegram could not be asked (retry later);
    `reason` Telegram's refusal, None when the bot can write there."""

    known: bool
    reason: str | None = None


async def probe(bot: ExtBot[Any], chat_id: int) -> Reach:
    """Whether the bot may write to `chat_id` now."""
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING, rate_limit_args=PROBE_PRIORITY)
    except (Forbidden, BadRequest) as refused:
        return Reach(True, refused.message)
    except TelegramError:  # slow, rate-limited or down: this says nothing about the chat
        return Reach(False)
    return Reach(True)
