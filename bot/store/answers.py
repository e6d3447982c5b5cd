"""What the patient sent and how it was judged: answers, assessments, the tips sent with them
and photos (Telegram's file_id only), each erased with its follow-up.

Imports `bot.followup.status` and the shared connection."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.followup.status import MessageKind
from bot.store.connection import Connection, marks

TYPED_WORDS = "text"  # the question_id of an answer that holds the patient's own words


class AnswerQueries(Connection):
    # ---- answers
    # Plain INSERTs: sqlite-utils' insert() reads the table's schema on every call.

    def add_answer(
        self,
        session_id: int,
        checkin_id: int | None,
        question_id: str,
        value: Any,
        now: float,
        message_id: int | None = None,
    ) -> int:
        """An answer; `message_id` is the patient's Telegram message that carried words."""
        return self._insert(
            """INSERT INTO answers (session_id, checkin_id, question_id, value, received_at, message_id)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [session_id, checkin_id, question_id, json.dumps(value), now, message_id],
        )

    def detach_answer(self, answer_id: int) -> None:
        """Words that said nothing about the patient (small talk) do not join the check-in: it
        stays unanswered, so its reminder still comes and a miss is still counted."""
        self.db.execute("UPDATE answers SET checkin_id = NULL WHERE id = ?", [answer_id])

    def checkin_answers(self, checkin_id: int) -> dict[str, Any]:
        rows = self._all(
            "SELECT question_id, value FROM answers WHERE checkin_id = ? AND question_id != ? ORDER BY id",
            [checkin_id, TYPED_WORDS],
        )
        return {r["question_id"]: json.loads(r["value"]) for r in rows}

    def session_answers(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._all("SELECT * FROM answers WHERE session_id = ? ORDER BY id", [session_id])
        return [{**r, "value": json.loads(r["value"])} for r in rows]

    def message_taken(self, session_id: int, message_id: int, text: str) -> int | None:
        """The stored words `text` of the patient's message `message_id`, if taken already (an
        update handed over again after a restart): their answer row id."""
        row = self._one(
            """SELECT id FROM answers WHERE session_id = ? AND message_id = ? AND question_id = ?
                           AND value = ? ORDER BY id DESC LIMIT 1""",
            [session_id, message_id, TYPED_WORDS, json.dumps(text)],
        )
        return row["id"] if row else None

    # ---- assessments

    def add_assessment(
        self,
        session_id: int,
        checkin_id: int | None,
        hours: float,
        bucket: str,
        rules: list[str],
        reasons: list[str],
        soreness: int | None,
        trend: str | None,
        now: float,
        message_id: int | None = None,
    ) -> int:
        return self._insert(
            """INSERT INTO assessments (session_id, checkin_id, hours, bucket, rules, reasons, soreness,
                                        trend, created_at, message_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                session_id,
                checkin_id,
                hours,
                bucket,
                json.dumps(rules),
                json.dumps(reasons),
                soreness,
                trend,
                now,
                message_id,
            ],
        )

    def assessments(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._all("SELECT * FROM assessments WHERE session_id = ? ORDER BY id", [session_id])
        return [{**r, "rules": json.loads(r["rules"]), "reasons": json.loads(r["reasons"])} for r in rows]

    def message_buckets(self, session_id: int, message_id: int) -> list[str]:
        """The buckets the patient's message `message_id` was judged, as sent and as edited."""
        return [
            r["bucket"]
            for r in self._all(
                "SELECT bucket FROM assessments WHERE session_id = ? AND message_id = ?",
                [session_id, message_id],
            )
        ]

    def message_answered(self, session_id: int, message_id: int) -> bool:
        """An answer to an assessment of the patient's message `message_id` was queued."""
        return (
            self._one(
                """SELECT 1 AS x FROM assessments a JOIN outbox o ON o.kind = ? AND o.ref_id = a.id
               WHERE a.session_id = ? AND a.message_id = ? LIMIT 1""",
                [MessageKind.ANSWER, session_id, message_id],
            )
            is not None
        )

    # ---- tips

    def tips_sent(self, session_id: int) -> set[str]:
        """The ids of the tips this follow-up's outcomes listed."""
        rows = self._all("SELECT tip_id FROM tips_sent WHERE session_id = ?", [session_id])
        return {r["tip_id"] for r in rows}

    def tips_by_assessment(self, session_id: int) -> dict[int, list[str]]:
        """The ids of the tips each of this follow-up's assessments listed, in their order."""
        by_assessment: dict[int, list[str]] = {}
        for row in self._all(
            "SELECT assessment_id, tip_id FROM tips_sent WHERE session_id = ? ORDER BY rowid", [session_id]
        ):
            by_assessment.setdefault(row["assessment_id"], []).append(row["tip_id"])
        return by_assessment

    def add_tips_sent(
        self, session_id: int, assessment_id: int | None, tip_ids: Iterable[str], now: float
    ) -> None:
        """The tips listed with an assessment's outcome (a rendering repeated after a restart adds none)."""
        with self.transaction():
            for tip_id in tip_ids:
                self.db.conn.execute(
                    """INSERT OR IGNORE INTO tips_sent (session_id, assessment_id, tip_id, sent_at)
                       VALUES (?, ?, ?, ?)""",
                    [session_id, assessment_id, tip_id, now],
                )

    def forget_tips(self, assessment_ids: list[int]) -> None:
        """The tips of these assessments' outcomes were not sent after all (their answer was
        superseded before it went out)."""
        if assessment_ids:
            self.db.conn.execute(
                f"DELETE FROM tips_sent WHERE assessment_id IN ({marks(assessment_ids)})", assessment_ids
            )

    # ---- photos

    def add_photo(
        self, session_id: int, checkin_id: int | None, message_id: int | None, file_id: str, now: float
    ) -> int:
        return self._insert(
            """INSERT INTO photos (session_id, checkin_id, message_id, file_id, received_at)
               VALUES (?, ?, ?, ?, ?)""",
            [session_id, checkin_id, message_id, file_id, now],
        )

    def photos(self, session_id: int) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM photos WHERE session_id = ? ORDER BY id", [session_id])

    def forward_photos(
        self, session_id: int, alert_id: int, chats: list[int], caption: str, now: float
    ) -> int:
        """Queue the follow-up's photos not yet sent to staff, by file_id, to `chats` (after the
        alert's text: priority 1), and mark them sent with alert `alert_id`. How many photos."""
        with self.transaction():
            rows = self._all(
                "SELECT id, file_id FROM photos WHERE session_id = ? AND alert_id IS NULL ORDER BY id",
                [session_id],
            )
            session = self._one("SELECT patient_id FROM sessions WHERE id = ?", [session_id])
            about = session["patient_id"] if session else None
            for row in rows:
                for chat in chats:
                    self._insert_outbox(
                        chat,
                        MessageKind.ALERT_PHOTO,
                        caption,
                        None,
                        now,
                        alert_id,
                        1,
                        photo=row["file_id"],
                        patient_id=about,
                    )
                self.db.conn.execute("UPDATE photos SET alert_id = ? WHERE id = ?", [alert_id, row["id"]])
        return len(rows)
