"""The inbox: updates stored before Telegram is told they arrived (bot/telegram/intake.py),
handled from here after a crash, then emptied of the patient's words.

Imports the shared connection."""

from __future__ import annotations

from typing import Any

from bot.store.connection import Connection


class InboxQueries(Connection):
    def inbox_add(self, updates: list[tuple[int, int | None, str]], now: float) -> int:
        """Store (update_id, sender's Telegram id, raw JSON) rows in one transaction; an update
        stored before, handled or not, is left as it is. How many were new."""
        with self.transaction():
            return sum(
                self.db.conn.execute(
                    """INSERT OR IGNORE INTO inbox (update_id, telegram_id, body, received_at)
                       VALUES (?, ?, ?, ?)""",
                    row + (now,),
                ).rowcount
                for row in updates
            )

    def inbox_waiting(self) -> list[dict[str, Any]]:
        """Updates stored and not yet handled, oldest first."""
        return self._all("SELECT update_id, body FROM inbox WHERE body IS NOT NULL ORDER BY update_id")

    def inbox_handled(self, update_id: int) -> bool:
        """The update was stored and has been handled since (Telegram sent it again)."""
        found = self._one("SELECT 1 AS x FROM inbox WHERE update_id = ? AND body IS NULL", [update_id])
        return found is not None

    def inbox_done(self, update_id: int) -> None:
        """Handled: the patient's words and who sent them go; the id stays to recognise a resend."""
        self._update("UPDATE inbox SET body = NULL, telegram_id = NULL WHERE update_id = ?", [update_id])

    def inbox_prune(self, before: float) -> int:
        """Forget handled updates received before `before` (Telegram resends for 24 h at most)."""
        return self._update("DELETE FROM inbox WHERE body IS NULL AND received_at < ?", [before])
