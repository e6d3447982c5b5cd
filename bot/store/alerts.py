"""Alerts to a clinic's staff: raised, repeated in rounds until acknowledged, acknowledged once.

Imports `bot.followup.status`, the shared connection and the typed rows (`DueAlert`)."""

from __future__ import annotations

from typing import Any

from bot.followup.status import AlertStatus, MessageKind, OutboxStatus
from bot.store.connection import Connection
from bot.store.rows import DueAlert


class AlertQueries(Connection):
    def add_alert(self, session_id: int, assessment_id: int, clinic_id: str, bucket: str, now: float) -> int:
        return self._insert(
            """INSERT INTO alerts (session_id, assessment_id, clinic_id, bucket, status, created_at,
                                   notify_count, next_notify_at)
               VALUES (?, ?, ?, ?, ?, ?, 0, ?)""",
            [session_id, assessment_id, clinic_id, bucket, AlertStatus.OPEN, now, now],
        )

    def alert(self, alert_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM alerts WHERE id = ?", [alert_id])

    def due_alerts(self, now: float) -> list[DueAlert]:
        rows = self._all(
            "SELECT * FROM alerts WHERE status = ? AND next_notify_at <= ? ORDER BY created_at",
            [AlertStatus.OPEN, now],
        )
        return [DueAlert.from_row(row) for row in rows]

    def queue_alert_round(
        self,
        alert_id: int,
        round_: int,
        next_notify_at: float | None,
        messages: list[tuple[int, str, dict | None]],
        now: float,
    ) -> bool:
        """Claim round `round_` of an alert and queue its messages (chat, text, markup) in one
        transaction; only the caller that moved the alert on from that round queues them.
        `next_notify_at` None: this was the last round (the alert stays open to acknowledge)."""
        with self.db.conn:
            claimed = self.db.conn.execute(
                """UPDATE alerts SET notify_count = ?, next_notify_at = ?
                   WHERE id = ? AND status = ? AND notify_count = ?""",
                [round_ + 1, next_notify_at, alert_id, AlertStatus.OPEN, round_],
            ).rowcount
            if not claimed:
                return False
            patient = self._one(
                """SELECT s.patient_id FROM alerts a JOIN sessions s ON s.id = a.session_id
                                   WHERE a.id = ?""",
                [alert_id],
            )
            for chat_id, text, markup in messages:
                self._insert_outbox(
                    chat_id,
                    MessageKind.ALERT,
                    text,
                    markup,
                    now,
                    alert_id,
                    priority=0,
                    patient_id=patient["patient_id"] if patient else None,
                )
        return True

    def acknowledge_alert(self, alert_id: int, staff_id: int, now: float) -> bool:
        return (
            self._update(
                """UPDATE alerts SET status = ?, acknowledged_by = ?, acknowledged_at = ?
               WHERE id = ? AND status = ?""",
                [AlertStatus.ACKNOWLEDGED, staff_id, now, alert_id, AlertStatus.OPEN],
            )
            == 1
        )

    def cancel_alert_messages(self, alert_id: int) -> None:
        """Once acknowledged, copies of an alert and edits of them still waiting to go out are not
        sent (a later edit would take the acknowledgement off a copy)."""
        self._update(
            "UPDATE outbox SET status = ? WHERE kind IN (?, ?) AND ref_id = ? AND status = ?",
            [
                OutboxStatus.CANCELLED,
                MessageKind.ALERT,
                MessageKind.ALERT_UPDATE,
                alert_id,
                OutboxStatus.PENDING,
            ],
        )

    def fold_into_alert(self, alert_id: int, assessment_id: int) -> None:
        """A later finding about an open alert's follow-up, no graver than it: counted on it."""
        self._update(
            "UPDATE alerts SET updates = updates + 1, latest_assessment_id = ? WHERE id = ?",
            [assessment_id, alert_id],
        )

    def restate_alert(self, alert_id: int, text: str, prefix: str) -> list[dict[str, Any]]:
        """An alert says `text` now: its copies not yet sent will say it (a reminder's with its
        `prefix`); returns the copies already in Telegram (chat_id, message_id, text as sent then)
        to edit. Their stored text becomes the new one, so an acknowledgement keeps it."""
        with self.transaction():
            sent = self._all(
                """SELECT id, chat_id, message_id, text FROM outbox WHERE kind = ? AND ref_id = ?
                   AND status = ? AND message_id IS NOT NULL""",
                [MessageKind.ALERT, alert_id, OutboxStatus.SENT],
            )
            self.db.conn.execute(
                """UPDATE outbox SET text = CASE WHEN substr(text, 1, ?) = ? THEN ? ELSE ? END
                   WHERE kind = ? AND ref_id = ? AND status IN (?, ?)""",
                [
                    len(prefix),
                    prefix,
                    prefix + text,
                    text,
                    MessageKind.ALERT,
                    alert_id,
                    OutboxStatus.SENT,
                    OutboxStatus.PENDING,
                ],
            )
        return sent

    def open_alerts(self, clinic_id: str) -> list[dict[str, Any]]:
        return self._all(
            """SELECT a.*, p.first_name, p.telegram_id, s.patient_id, s.patient_ref, s.phone
               FROM alerts a JOIN sessions s ON s.id = a.session_id
               JOIN patients p ON p.id = s.patient_id WHERE a.clinic_id = ? AND a.status = ?
               ORDER BY a.created_at""",
            [clinic_id, AlertStatus.OPEN],
        )

    def sent_alert_messages(self, alert_id: int) -> list[dict[str, Any]]:
        return self._all(
            "SELECT * FROM outbox WHERE kind = ? AND ref_id = ? AND status = ?",
            [MessageKind.ALERT, alert_id, OutboxStatus.SENT],
        )
