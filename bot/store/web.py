"""Sign-in links and sessions of the web worklist: only the SHA-256 of each token is stored.

A link is claimed by a conditional UPDATE (unused and unexpired), so it signs in once. A
session lasts until it expires, its holder signs out with /web logout, or they stop being staff.
Imports the shared connection and `bot.followup.status`."""

from __future__ import annotations

from bot.followup.status import OutboxStatus
from bot.store.connection import Connection


class WebQueries(Connection):
    def add_web_link(self, token_hash: str, telegram_id: int, now: float, expires_at: float) -> None:
        self._insert(
            "INSERT INTO web_links (token_hash, telegram_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [token_hash, telegram_id, now, expires_at],
        )

    def web_link_open(self, token_hash: str, now: float) -> bool:
        """The link exists, is unused and has not expired (looked at, not claimed)."""
        return bool(
            self._one(
                "SELECT 1 AS x FROM web_links WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
                [token_hash, now],
            )
        )

    def use_web_link(self, token_hash: str, now: float) -> int | None:
        """Claim the link: the staff member's Telegram id for the first caller, else None."""
        with self.transaction():
            claimed = self.db.conn.execute(
                """UPDATE web_links SET used_at = ?
                   WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?""",
                [now, token_hash, now],
            ).rowcount
            row = self._one("SELECT telegram_id FROM web_links WHERE token_hash = ?", [token_hash])
        return row["telegram_id"] if claimed and row else None

    def add_web_session(self, token_hash: str, telegram_id: int, now: float, expires_at: float) -> None:
        self._insert(
            "INSERT INTO web_sessions (token_hash, telegram_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [token_hash, telegram_id, now, expires_at],
        )

    def web_session(self, token_hash: str, now: float) -> int | None:
        """The Telegram id of an unexpired session's holder."""
        row = self._one(
            "SELECT telegram_id FROM web_sessions WHERE token_hash = ? AND expires_at > ?", [token_hash, now]
        )
        return row["telegram_id"] if row else None

    def end_web_session(self, token_hash: str) -> None:
        self._update("DELETE FROM web_sessions WHERE token_hash = ?", [token_hash])

    def revoke_web_access(self, telegram_id: int) -> int:
        """End every session of this person and void their unused links; the sessions ended."""
        with self.transaction():
            self.db.conn.execute("DELETE FROM web_links WHERE telegram_id = ?", [telegram_id])
            return self.db.conn.execute(
                "DELETE FROM web_sessions WHERE telegram_id = ?", [telegram_id]
            ).rowcount

    def redact_sent(self, row_id: int, text: str) -> bool:
        """A message carrying a sign-in link, sent: the outbox keeps `text` instead (no live
        secret). One that could not go at once keeps its link, which expires in 10 minutes."""
        return (
            self._update(
                "UPDATE outbox SET text = ? WHERE id = ? AND status = ?", [text, row_id, OutboxStatus.SENT]
            )
            == 1
        )

    def prune_web_access(self, now: float) -> None:
        """Expired links and sessions go (the daily purge)."""
        with self.transaction():
            self.db.conn.execute("DELETE FROM web_links WHERE expires_at <= ?", [now])
            self.db.conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [now])
