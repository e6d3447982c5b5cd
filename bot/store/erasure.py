"""Erasure and retention: /delete and the retention purge leave neither name nor words in the
database files (secure_delete zeroes what is deleted; the WAL is truncated after).

Imports `bot.followup.status`, `bot.render.html` (names as staff read them) and the shared
connection."""

from __future__ import annotations

import html
import sqlite3
import time
from typing import Any

from bot.followup.status import ALERT_KINDS, RUNNING_SESSIONS, STAFF_VIEWS, MessageKind, OutboxStatus
from bot.render.html import neutral
from bot.store.connection import Connection, marks

WAL_RETRY_SECONDS = 30.0
# Rows of a follow-up erased with it (before its check-ins, alerts and the follow-up itself).
_SESSION_TABLES = ("answers", "tips_sent", "assessments", "photos", "staff_messages", "staff_prompts")
_ERASE_BATCH = 500  # ids in one DELETE, well under SQLite's limit on parameters


class ErasureQueries(Connection):
    def purge_expired(self, clinic_id: str, cutoff: float) -> int:
        """Retention: erase follow-ups of this clinic treated before `cutoff` and no longer
        running (with their enrolment links and the messages about them), patients left with
        none (with every message to or about them), sent messages and spent enrolment links;
        then truncate the WAL. Returns how many follow-ups were erased."""
        old = [
            r["id"]
            for r in self._all(
                f"""SELECT id FROM sessions WHERE clinic_id = ? AND treated_at < ?
                AND status NOT IN ({marks(RUNNING_SESSIONS)})""",
                [clinic_id, cutoff, *RUNNING_SESSIONS],
            )
        ]
        with self.transaction():
            before = self.db.conn.total_changes
            self._erase_sessions(old)
            for patient in self._all(
                """SELECT * FROM patients WHERE clinic_id = ? AND created_at < ?
                   AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.patient_id = patients.id)""",
                [clinic_id, cutoff],
            ):
                self._erase_outbox(self._outbox_about(patient, []))
                self.db.conn.execute("DELETE FROM patients WHERE id = ?", [patient["id"]])
            self.db.conn.execute(
                "DELETE FROM outbox WHERE created_at < ? AND status != ?", [cutoff, OutboxStatus.PENDING]
            )
            self.db.conn.execute(
                "DELETE FROM enrol_tokens WHERE clinic_id = ? AND expires_at < ?", [clinic_id, cutoff]
            )
            erased = self.db.conn.total_changes > before
        if erased:
            self.wal_dirty = True
            self.truncate_wal()
        return len(old)

    def delete_patient(self, patient_id: int, now: float = 0.0, erased_text: str | None = None) -> list[int]:
        """Erase everything held about a patient: follow-ups, words, photos, assessments, alerts,
        enrolment links, every message to or about them (waiting, sent, superseded, to staff
        too) and their stored updates; only the tombstone (chat -> clinic) stays. The staff's
        copies already in Telegram are edited to `erased_text`, pictures deleted, through the
        outbox (rows naming no one; one refused does not matter). Then the WAL is truncated.
        Returns those rows, to send at once."""
        patient = self._one("SELECT * FROM patients WHERE id = ?", [patient_id])
        if not patient:
            return []
        with self.transaction():
            sessions = [
                r["id"] for r in self._all("SELECT id FROM sessions WHERE patient_id = ?", [patient_id])
            ]
            about = self._outbox_about(patient, sessions)
            copies = {
                (r["chat_id"], r["message_id"]): r["photo"]
                for r in about
                if r["chat_id"] != patient["telegram_id"]
                and r["status"] == OutboxStatus.SENT
                and r["message_id"]
            }
            self._erase_outbox(about)
            self._erase_sessions(sessions)
            self._erase_inbox(patient["telegram_id"])
            self.db.conn.execute("DELETE FROM patients WHERE id = ?", [patient_id])
            edits = (
                []
                if erased_text is None
                else [
                    self._insert_outbox(
                        chat_id,
                        MessageKind.ERASED_PHOTO if photo else MessageKind.ERASED,
                        "" if photo else erased_text,
                        None,
                        now,
                        None,
                        1,
                        edit_message_id=message_id,
                    )
                    for (chat_id, message_id), photo in copies.items()
                ]
            )
        self.wal_dirty = True
        self.truncate_wal()
        return edits

    def _erase_sessions(self, sessions: list[int]) -> None:
        if not sessions:
            return
        in_sessions = marks(sessions)
        tokens = self._all(f"SELECT token FROM enrol_tokens WHERE session_id IN ({in_sessions})", sessions)
        for row in tokens:  # the link (a QR code, the staff's enrolment message) with the token in it
            self.db.conn.execute(
                f"DELETE FROM outbox WHERE kind IN ({marks(STAFF_VIEWS)}) AND instr(text, ?) > 0",
                [*STAFF_VIEWS, row["token"]],
            )
        self.db.conn.execute(f"DELETE FROM enrol_tokens WHERE session_id IN ({in_sessions})", sessions)
        for table in (*_SESSION_TABLES, "checkins"):
            self.db.conn.execute(f"DELETE FROM {table} WHERE session_id IN ({in_sessions})", sessions)
        alert_ids = [
            r["id"] for r in self._all(f"SELECT id FROM alerts WHERE session_id IN ({in_sessions})", sessions)
        ]
        if alert_ids:  # the alert, its chart and the patient's photos, in the staff's chats
            self.db.conn.execute(
                f"""DELETE FROM outbox WHERE kind IN ({marks(ALERT_KINDS)})
                    AND ref_id IN ({marks(alert_ids)})""",
                [*ALERT_KINDS, *alert_ids],
            )
        self.db.conn.execute(f"DELETE FROM alerts WHERE session_id IN ({in_sessions})", sessions)
        self.db.conn.execute(f"DELETE FROM sessions WHERE id IN ({in_sessions})", sessions)

    def _outbox_about(self, patient: dict[str, Any], sessions: list[int]) -> list[dict[str, Any]]:
        """Every message to the patient or about them: to their chat; to staff, named for them
        (an alert, its chart and photos, an acknowledgement, a notice, the staff's view of them),
        an alert's copies by its id, and lists that show them as `#id name` (as staff read names:
        bot/render/alerts.py, patient_name)."""
        by_alert = (
            f"""OR (kind IN ({marks(ALERT_KINDS)})
                            AND ref_id IN (SELECT id FROM alerts WHERE session_id IN ({marks(sessions)})))"""
            if sessions
            else ""
        )
        shown = neutral(patient["first_name"] or "").strip() or "?"
        listed = f"#{patient['id']} {html.escape(shown, quote=False)}"
        return self._all(
            f"""SELECT id, chat_id, status, photo IS NOT NULL AS photo,
                       COALESCE(edit_message_id, message_id) AS message_id
                FROM outbox WHERE chat_id = ? OR patient_id = ?
                                  OR (kind IN ({marks(STAFF_VIEWS)}) AND instr(text, ?) > 0) {by_alert}""",
            [
                patient["telegram_id"],
                patient["id"],
                *STAFF_VIEWS,
                listed,
                *(ALERT_KINDS if sessions else ()),
                *sessions,
            ],
        )

    def _erase_outbox(self, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), _ERASE_BATCH):
            ids = [r["id"] for r in rows[start : start + _ERASE_BATCH]]
            self.db.conn.execute(f"DELETE FROM outbox WHERE id IN ({marks(ids)})", ids)

    def _erase_inbox(self, telegram_id: int) -> None:
        """The stored updates of this person up to the one being handled (the oldest waiting, as
        updates are handled in order) lose their words; later ones are still handled (a red flag
        written after /delete gets the emergency text), then emptied as usual."""
        self.db.conn.execute(
            """UPDATE inbox SET body = NULL, telegram_id = NULL WHERE telegram_id = ?
               AND update_id <= (SELECT MIN(update_id) FROM inbox WHERE body IS NOT NULL)""",
            [telegram_id],
        )

    def retry_truncate_wal(self) -> None:
        """Try again a truncation a reader held off, at most every WAL_RETRY_SECONDS (a replica
        such as Litestream may hold the WAL for long)."""
        if self.wal_dirty and time.monotonic() - self._wal_tried_at >= WAL_RETRY_SECONDS:
            self.truncate_wal()

    def truncate_wal(self) -> bool:
        """Copy the WAL into the database and cut it to nothing: an older copy of a page there
        would still hold what was just erased (zeroed in the database by secure_delete). It never
        waits, holding up the event loop: while another connection reads (a backup, a command)
        it fails, `wal_dirty` stays set and the caller tries again later. True when done."""
        if self.db.memory:
            self.wal_dirty = False
            return True
        if self.db.conn.in_transaction:  # a checkpoint cannot run inside a transaction
            return False
        self._wal_tried_at = time.monotonic()
        self.db.execute("PRAGMA busy_timeout = 0")
        try:
            busy = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError:
            busy = 1
        finally:
            self.db.execute("PRAGMA busy_timeout = 5000")
        self.wal_dirty = bool(busy)
        return not busy
