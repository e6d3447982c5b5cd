"""Whether the bot can write to each staff member and alert chat, as last checked.

Imports the shared connection only."""

from __future__ import annotations

from bot.store.connection import Connection


class ReachQueries(Connection):
    def set_reach(self, chat_id: int, reason: str | None, now: float) -> None:
        """Record a check of `chat_id`: reachable when `reason` (Telegram's refusal) is None."""
        self._update(
            """INSERT INTO chat_reach (chat_id, reachable, reason, checked_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (chat_id) DO UPDATE SET reachable = excluded.reachable,
               reason = excluded.reason, checked_at = excluded.checked_at""",
            [chat_id, reason is None, reason, now],
        )

    def unreachable_chats(self) -> frozenset[int]:
        """The chats the last check found the bot cannot write to."""
        return frozenset(
            r["chat_id"] for r in self._all("SELECT chat_id FROM chat_reach WHERE reachable = 0")
        )
