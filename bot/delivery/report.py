"""What one delivery tick did: what it queued (bot/services/due.py) and how its sends went
(bot/delivery/sender.py). Imports nothing of the bot."""

from __future__ import annotations

from dataclasses import dataclass


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

    def count(self, outcome: str | None) -> None:
        """One more send with this outcome (sent, retried, failed, paced); None: not ours to send."""
        if outcome:
            setattr(self, outcome, getattr(self, outcome) + 1)
