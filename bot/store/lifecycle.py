"""An alert after "I'm handling it": closed with an outcome, notes on it, the staff's messages to
the patient, the prompts awaiting a staff member's reply, and the check-in that asks the patient
whether they reached the clinic.

Imports `bot.followup.status`, the shared connection and `marks`."""

from __future__ import annotations

from typing import Any

from bot.followup.status import OPEN_CHECKINS, AlertStatus
from bot.store.connection import Connection, marks

NOTE, MESSAGE = "note", "message"  # what a staff prompt asks for


class LifecycleQueries(Connection):
    def close_alert(self, alert_id: int, staff_id: int, outcome: str, now: float) -> bool:
        """Close an acknowledged alert with `outcome`; False when it is not acknowledged (still
        open, or closed already: the first close wins)."""
        changed = self._update(
            """UPDATE alerts SET status = ?, outcome = ?, closed_by = ?, closed_at = ?
               WHERE id = ? AND status = ?""",
            [AlertStatus.CLOSED, outcome, staff_id, now, alert_id, AlertStatus.ACKNOWLEDGED],
        )
        return changed == 1

    def add_alert_note(self, alert_id: int, note: str) -> None:
        """A staff member's note on an alert; a later note is added below the earlier ones."""
        self._update(
            """UPDATE alerts SET note = CASE WHEN note IS NULL OR note = '' THEN ?
               ELSE note || char(10) || ? END WHERE id = ?""",
            [note, note, alert_id],
        )

    def add_staff_message(
        self, session_id: int, alert_id: int | None, staff_id: int, text: str, now: float
    ) -> int:
        return self._insert(
            """INSERT INTO staff_messages (session_id, alert_id, staff_id, text, sent_at)
               VALUES (?, ?, ?, ?, ?)""",
            [session_id, alert_id, staff_id, text, now],
        )

    def staff_messages(self, session_id: int) -> list[dict[str, Any]]:
        return self._all(
            "SELECT * FROM staff_messages WHERE session_id = ? ORDER BY sent_at, id", [session_id]
        )

    def add_staff_prompt(
        self, session_id: int, alert_id: int, staff_id: int, chat_id: int, purpose: str, now: float
    ) -> int:
        """A prompt awaiting the staff member's reply; it replaces their earlier ones, so a message
        in their private chat answers the latest question only."""
        with self.transaction():
            self.db.conn.execute(
                "UPDATE staff_prompts SET done_at = ? WHERE staff_id = ? AND done_at IS NULL", [now, staff_id]
            )
            return self._insert(
                """INSERT INTO staff_prompts (session_id, alert_id, staff_id, chat_id, purpose, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                [session_id, alert_id, staff_id, chat_id, purpose, now],
            )

    def prompt_sent_as(self, prompt_id: int, outbox_id: int) -> None:
        self._update("UPDATE staff_prompts SET outbox_id = ? WHERE id = ?", [outbox_id, prompt_id])

    def prompt_replied_to(self, staff_id: int, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The staff member's open prompt whose message (in `chat_id`) they replied to."""
        return self._one(
            """SELECT p.* FROM staff_prompts p JOIN outbox o ON o.id = p.outbox_id
               WHERE p.staff_id = ? AND p.done_at IS NULL AND o.chat_id = ? AND o.message_id = ?""",
            [staff_id, chat_id, message_id],
        )

    def private_prompt(self, staff_id: int, since: float) -> dict[str, Any] | None:
        """The staff member's open prompt asked in their private chat (whose id is theirs)
        since `since`: their next message there answers it."""
        return self._one(
            """SELECT * FROM staff_prompts WHERE staff_id = ? AND chat_id = ? AND done_at IS NULL
               AND created_at >= ? ORDER BY id DESC LIMIT 1""",
            [staff_id, staff_id, since],
        )

    def finish_prompt(self, prompt_id: int, now: float) -> bool:
        """Claim a prompt's answer: True for the one caller that closed it."""
        changed = self._update(
            "UPDATE staff_prompts SET done_at = ? WHERE id = ? AND done_at IS NULL", [now, prompt_id]
        )
        return changed == 1

    def ask_after_alert(self, session_id: int) -> None:
        """The follow-up's next check-in not yet sent asks whether the patient reached the clinic."""
        self._update(
            f"""UPDATE checkins SET after_alert = 1 WHERE id = (SELECT id FROM checkins
                WHERE session_id = ? AND status IN ({marks(OPEN_CHECKINS)}) ORDER BY idx LIMIT 1)""",
            [session_id, *OPEN_CHECKINS],
        )
