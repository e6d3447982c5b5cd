"""The outbox: every message the bot must deliver, queued, claimed by one sender, retried until
Telegram takes it; and the answers a newer one supersedes.

Imports `bot.followup.status`, the shared connection and the typed rows (`OutboxMessage`)."""

from __future__ import annotations

import json
from typing import Any

from bot.followup.status import UNSENT_MESSAGES, MessageKind, OutboxStatus
from bot.store.connection import Connection
from bot.store.rows import OutboxMessage

PACED = "paced"  # last_error of a message the sender held back for its chat's pace
_UNSENT_LITERAL = "(" + ", ".join(f"'{status}'" for status in UNSENT_MESSAGES) + ")"


class OutboxQueries(Connection):
    def enqueue(
        self,
        chat_id: int,
        kind: MessageKind,
        text: str,
        markup: dict | None,
        now: float,
        ref_id: int | None = None,
        priority: int = 1,
        edit_message_id: int | None = None,
        photo: bytes | None = None,
        patient_id: int | None = None,
    ) -> int:
        """Queue a message (with `edit_message_id`, an edit of one; with `photo`, a picture with
        the text as caption). Priority 0 goes first: replies and alerts; 2 is scheduled check-ins.
        `patient_id`: the patient a message to someone else is about (erased with them)."""
        with self.transaction():
            return self._insert_outbox(
                chat_id, kind, text, markup, now, ref_id, priority, edit_message_id, photo, patient_id
            )

    def last_alert_chart(self, chat_id: int, patient_id: int) -> tuple[str, bytes] | None:
        """The caption and picture of the latest soreness chart queued to a chat about a patient
        (sent or on its way; a failed one does not count), to send a chart only when it changed."""
        row = self._one(
            """SELECT text, photo FROM outbox WHERE kind = ? AND chat_id = ? AND patient_id = ?
               AND status != ? ORDER BY id DESC LIMIT 1""",
            [MessageKind.ALERT_CHART, chat_id, patient_id, OutboxStatus.FAILED],
        )
        return None if row is None else (row["text"], row["photo"])

    def due_outbox(self, now: float, limit: int) -> list[OutboxMessage]:
        rows = self._all(
            "SELECT * FROM outbox WHERE status = ? AND due_at <= ? ORDER BY priority, due_at, id LIMIT ?",
            [OutboxStatus.PENDING, now, limit],
        )
        return [OutboxMessage.from_row(row) for row in rows]

    def outbox_row(self, row_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM outbox WHERE id = ?", [row_id])

    def claim_outbox(self, row_id: int) -> OutboxMessage | None:
        """The row, now 'sending', or None when another sender claimed it first."""
        with self.db.conn:
            cursor = self.db.conn.execute(
                """UPDATE outbox SET status = ?, attempts = attempts + 1 WHERE id = ? AND status = ?
                   RETURNING *""",
                [OutboxStatus.SENDING, row_id, OutboxStatus.PENDING],
            )
            row = cursor.fetchone()
            columns = [c[0] for c in cursor.description]
            return OutboxMessage.from_row(dict(zip(columns, row, strict=True))) if row else None

    def checkin_messages(self, checkin_id: int) -> list[tuple[str, int]]:
        """The check-in's own message and its reminder as Telegram numbered them: (kind, message id)."""
        rows = self._all(
            """SELECT kind, message_id FROM outbox WHERE ref_id = ? AND kind IN (?, ?)
               AND message_id IS NOT NULL AND edit_message_id IS NULL ORDER BY id""",
            [checkin_id, MessageKind.CHECKIN, MessageKind.REMINDER],
        )
        return [(r["kind"], r["message_id"]) for r in rows]

    def outbox_sent(self, row_id: int, message_id: int | None, now: float) -> None:
        self._update(
            "UPDATE outbox SET status = ?, sent_at = ?, message_id = ? WHERE id = ?",
            [OutboxStatus.SENT, now, message_id, row_id],
        )

    def outbox_retry(self, row_id: int, due_at: float, error: str) -> None:
        self._update(
            "UPDATE outbox SET status = ?, due_at = ?, last_error = ? WHERE id = ?",
            [OutboxStatus.PENDING, due_at, error, row_id],
        )

    def outbox_failed(self, row_id: int, error: str) -> None:
        self._update(
            "UPDATE outbox SET status = ?, last_error = ? WHERE id = ?", [OutboxStatus.FAILED, error, row_id]
        )

    def next_paced(self) -> float | None:
        """When the earliest message held back by per-chat pacing may go."""
        row = self._one(
            "SELECT MIN(due_at) AS due FROM outbox WHERE status = ? AND last_error = ?",
            [OutboxStatus.PENDING, PACED],
        )
        return row["due"] if row else None

    def unsent(self) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM outbox WHERE status IN (?, ?)", UNSENT_MESSAGES)
        return row["n"] if row else 0

    def recover_interrupted(self) -> int:
        """Messages left mid-send by a crash go back to pending: a rare duplicate beats a loss."""
        return self._update(
            "UPDATE outbox SET status = ? WHERE status = ?", [OutboxStatus.PENDING, OutboxStatus.SENDING]
        )

    def supersede_answers(self, chat_id: int) -> list[dict[str, Any]]:
        """Answers to the patient's words still waiting (not yet claimed) and not urgent are
        superseded by a newer answer: marked so, kept for the record, never sent. Returns them,
        oldest first, each with the bucket of the assessment it answered (None: small talk)."""
        with self.transaction():
            rows = self._all(
                """UPDATE outbox SET status = ? WHERE chat_id = ? AND kind = ? AND status = ?
                   AND priority >= 0 RETURNING id, text, markup, ref_id""",
                [OutboxStatus.SUPERSEDED, chat_id, MessageKind.ANSWER, OutboxStatus.PENDING],
            )
        for row in rows:
            found = (
                self._one("SELECT bucket FROM assessments WHERE id = ?", [row["ref_id"]])
                if row["ref_id"]
                else None
            )
            row["bucket"] = found["bucket"] if found else None
            row["markup"] = json.loads(row["markup"]) if row["markup"] else None
        return sorted(rows, key=lambda r: r["id"])

    def urgent_answer_unsent(self, chat_id: int) -> bool:
        """An urgent answer (an emergency) to this chat is still waiting or being sent."""
        # The statuses spelled out: SQLite uses the partial index idx_outbox_chat_waiting only
        # for a statement that repeats its condition, which bound parameters do not.
        return (
            self._one(
                f"""SELECT 1 AS x FROM outbox WHERE chat_id = ? AND kind = ? AND priority < 0
                AND status IN {_UNSENT_LITERAL} LIMIT 1""",
                [chat_id, MessageKind.ANSWER],
            )
            is not None
        )

    def cancel_outbox_for_chat(self, chat_id: int) -> None:
        self._update(
            "UPDATE outbox SET status = ? WHERE chat_id = ? AND status = ?",
            [OutboxStatus.CANCELLED, chat_id, OutboxStatus.PENDING],
        )
