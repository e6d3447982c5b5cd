"""Check-ins: what falls due, claimed and queued with its message in one transaction; reminders,
misses and the follow-ups they complete.

Imports `bot.followup.status`, the shared connection and the typed rows (`DueCheckin`)."""

from __future__ import annotations

from typing import Any

from bot.followup.status import (
    OPEN_CHECKINS,
    CheckinStatus,
    MessageKind,
    OutboxStatus,
    SessionStatus,
)
from bot.store.connection import Connection, marks
from bot.store.rows import DueCheckin

# From the check-in to its follow-up's earlier ones, then to the outbox by (kind, ref_id). Written
# as a join, SQLite walked every queued check-in in the outbox for each one queued (bench/scale.py,
# which runs it alone: its one parameter is the check-in).
OVERTAKEN_IN_OUTBOX = f"""SELECT c.id FROM checkins this
    JOIN checkins c ON c.session_id = this.session_id AND c.idx < this.idx
    WHERE this.id = ? AND EXISTS (SELECT 1 FROM outbox o WHERE o.kind = '{MessageKind.CHECKIN}'
                                  AND o.ref_id = c.id AND o.status = '{OutboxStatus.PENDING}')"""


class CheckinQueries(Connection):
    def skip_overtaken_checkins(self, now: float) -> int:
        """After downtime, a check-in whose successor is already due too is recorded as missed
        by the outage instead of being sent late: no burst of stale questions after a restart."""
        later = (CheckinStatus.PENDING, CheckinStatus.SENT, CheckinStatus.ANSWERED)
        return self._update(
            f"""UPDATE checkins SET status = ? WHERE status = ? AND due_at <= ? AND EXISTS
                (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id
                 AND later.idx > checkins.idx AND later.due_at <= ? AND later.status IN ({marks(later)}))""",
            [CheckinStatus.MISSED_OUTAGE, CheckinStatus.PENDING, now, now, *later],
        )

    def due_checkins(self, now: float, limit: int) -> list[DueCheckin]:
        rows = self._all(
            "SELECT * FROM checkins WHERE status = ? AND due_at <= ? ORDER BY due_at LIMIT ?",
            [CheckinStatus.PENDING, now, limit],
        )
        return [DueCheckin.from_row(row) for row in rows]

    def queue_checkin(
        self,
        checkin_id: int,
        chat_id: int,
        text: str,
        markup: dict | None,
        now: float,
        reminder_due_at: float | None = None,
    ) -> int | None:
        """Claim a due check-in and put its message in the outbox in one transaction, so a crash
        leaves it either pending or queued, never lost. Returns the outbox id, or None when
        another caller claimed it first."""
        with self.db.conn:
            claimed = self.db.conn.execute(
                """UPDATE checkins SET status = ?, sent_at = ?, reminder_due_at = ?
                   WHERE id = ? AND status = ?""",
                [CheckinStatus.SENT, now, reminder_due_at, checkin_id, CheckinStatus.PENDING],
            ).rowcount
            if not claimed:
                return None
            self._drop_overtaken(checkin_id)
            return self._insert_outbox(
                chat_id, MessageKind.CHECKIN, text, markup, now, checkin_id, priority=2
            )

    def _drop_overtaken(self, checkin_id: int) -> None:
        """An earlier check-in of the same follow-up still waiting in the outbox (Telegram or the
        bot was down) is overtaken by this one: recorded as missed by the outage, not sent late."""
        stale = [row[0] for row in self.db.conn.execute(OVERTAKEN_IN_OUTBOX, [checkin_id])]
        if stale:
            self.db.conn.execute(
                f"""UPDATE outbox SET status = ?, last_error = 'overtaken'
                    WHERE kind = ? AND status = ? AND ref_id IN ({marks(stale)})""",
                [OutboxStatus.CANCELLED, MessageKind.CHECKIN, OutboxStatus.PENDING, *stale],
            )
            self.db.conn.execute(
                f"UPDATE checkins SET status = ? WHERE status = ? AND id IN ({marks(stale)})",
                [CheckinStatus.MISSED_OUTAGE, CheckinStatus.SENT, *stale],
            )

    def drop_checkin(self, checkin_id: int) -> None:
        self._update(
            "UPDATE checkins SET status = ? WHERE id = ? AND status = ?",
            [CheckinStatus.CANCELLED, checkin_id, CheckinStatus.PENDING],
        )

    def due_reminders(self, now: float) -> list[DueCheckin]:
        rows = self._all(
            """SELECT c.* FROM checkins c JOIN sessions s ON s.id = c.session_id WHERE c.status = ?
               AND c.reminded_at IS NULL AND c.reminder_due_at <= ? AND s.status = ?
               AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.checkin_id = c.id)
               ORDER BY c.reminder_due_at""",
            [CheckinStatus.SENT, now, SessionStatus.ACTIVE],
        )
        return [DueCheckin.from_row(row) for row in rows]

    def queue_reminder(
        self, checkin_id: int, chat_id: int, text: str, now: float, markup: dict | None = None
    ) -> bool:
        """One reminder per check-in (with the open question's buttons): claimed and queued in one
        transaction."""
        with self.db.conn:
            claimed = self.db.conn.execute(
                "UPDATE checkins SET reminded_at = ? WHERE id = ? AND status = ? AND reminded_at IS NULL",
                [now, checkin_id, CheckinStatus.SENT],
            ).rowcount
            if claimed:
                self._insert_outbox(chat_id, MessageKind.REMINDER, text, markup, now, checkin_id, priority=1)
        return bool(claimed)

    def mark_missed(self, now: float) -> list[int]:
        """Unanswered check-ins become missed once the next one has gone out, or, for the last,
        once twice the reminder delay has passed since it was sent. One the patient has started
        answering is never missed. Returns their sessions. (`settle_at`, kept by triggers since
        m004, finds the candidates through an index; the full condition still decides.)"""
        gone_out = (CheckinStatus.SENT, CheckinStatus.ANSWERED, CheckinStatus.MISSED)
        with self.db.conn:
            rows = self.db.conn.execute(
                f"""UPDATE checkins SET status = ? WHERE status = ? AND settle_at <= ?
                    AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.checkin_id = checkins.id) AND (
                      EXISTS (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id
                              AND later.idx > checkins.idx AND later.status IN ({marks(gone_out)}))
                      OR (NOT EXISTS (SELECT 1 FROM checkins later
                                      WHERE later.session_id = checkins.session_id
                                      AND later.idx > checkins.idx
                                      AND later.status IN ({marks(OPEN_CHECKINS)}))
                          AND 2 * reminder_due_at - sent_at <= ?))
                    RETURNING session_id""",
                [CheckinStatus.MISSED, CheckinStatus.SENT, now, *gone_out, *OPEN_CHECKINS, now],
            ).fetchall()
        return sorted({row[0] for row in rows})

    def missed_in_a_row(self, session_id: int) -> int:
        """How many of the latest settled check-ins in a row were missed."""
        statuses = [
            r["status"]
            for r in self._all(
                "SELECT status FROM checkins WHERE session_id = ? AND status IN (?, ?) ORDER BY idx DESC",
                [session_id, CheckinStatus.ANSWERED, CheckinStatus.MISSED],
            )
        ]
        count = 0
        for status in statuses:
            if status != CheckinStatus.MISSED:
                break
            count += 1
        return count

    def checkin(self, checkin_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM checkins WHERE id = ?", [checkin_id])

    def checkins(self, session_id: int) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM checkins WHERE session_id = ? ORDER BY idx", [session_id])

    def latest_sent_checkin(self, session_id: int) -> dict[str, Any] | None:
        return self._one(
            "SELECT * FROM checkins WHERE session_id = ? AND status IN (?, ?) ORDER BY idx DESC LIMIT 1",
            [session_id, CheckinStatus.SENT, CheckinStatus.ANSWERED],
        )

    def checkin_message(self, checkin_id: int) -> int | None:
        """The Telegram id of the check-in's message, once sent."""
        row = self._one(
            "SELECT message_id FROM outbox WHERE kind = ? AND ref_id = ? AND status = ? ORDER BY id LIMIT 1",
            [MessageKind.CHECKIN, checkin_id, OutboxStatus.SENT],
        )
        return row["message_id"] if row else None

    def checkin_answered(self, checkin_id: int, now: float) -> None:
        self._update(
            "UPDATE checkins SET status = ?, answered_at = ? WHERE id = ? AND status = ?",
            [CheckinStatus.ANSWERED, now, checkin_id, CheckinStatus.SENT],
        )

    def complete_finished_sessions(self) -> None:
        """A follow-up whose check-ins have all been sent or settled is complete. (`open_checkins`,
        kept by triggers since m004, finds the candidates through an index.)"""
        self._update(
            f"""UPDATE sessions SET status = ? WHERE status = ? AND open_checkins = 0 AND NOT EXISTS
                (SELECT 1 FROM checkins c WHERE c.session_id = sessions.id
                 AND c.status IN ({marks(OPEN_CHECKINS)}))""",
            [SessionStatus.COMPLETED, SessionStatus.ACTIVE, *OPEN_CHECKINS],
        )
