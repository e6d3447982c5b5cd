"""What one delivery tick did: what it queued (bot/services/due.py) and how its sends went
(bot/delivery/sender.py). Imports nothing of the bot."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """How one send went; each names a counter of `TickReport`."""

    SENT = "sent"
    RETRIED = "retried"  # left in the outbox for later: Telegram failed or asked us to wait
    FAILED = "failed"  # permanent: the chat is gone or the message refused
    PACED = "paced"  # held back for its chat's pace


@dataclass
class TickReport:
    missed_by_outage: int = 0
    missed: int = 0
    reminders_queued: int = 0
    checkins_queued: int = 0
    alerts_queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    paced: int = 0

    def count(self, outcome: Outcome | None) -> None:
        """One more send with this outcome; None: not ours to send (another sender claimed it)."""
        if outcome:
            setattr(self, outcome, getattr(self, outcome) + 1)
