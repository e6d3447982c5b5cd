"""Enrolment tokens, patients and their follow-ups (sessions): who is followed, and from when.

Imports `bot.followup.status` and the shared connection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from bot.followup.status import (
    CURRENT_SESSIONS,
    RUNNING_SESSIONS,
    CheckinStatus,
    PatientStatus,
    SessionStatus,
)
from bot.store.connection import Connection, marks

_RUNNING = marks(RUNNING_SESSIONS)


class PatientQueries(Connection):
    # ---- enrolment tokens

    def add_enrol_token(
        self,
        token: str,
        clinic_id: str,
        areas: list[str],
        intensity: str | None,
        activities: list[str],
        first_session: bool | None,
        treated_at: float,
        practitioner_id: int | None,
        now: float,
        expires_at: float,
        patient_ref: str | None = None,
    ) -> None:
        """`patient_ref`: the clinic's own reference for the patient, kept here, never in the link."""
        self.db.table("enrol_tokens").insert(
            {
                "token": token,
                "clinic_id": clinic_id,
                "areas": json.dumps(areas),
                "intensity": intensity,
                "activities": json.dumps(activities),
                "first_session": None if first_session is None else int(first_session),
                "treated_at": treated_at,
                "practitioner_id": practitioner_id,
                "created_at": now,
                "expires_at": expires_at,
                "patient_ref": patient_ref,
            }
        )

    def enrol_token(self, token: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM enrol_tokens WHERE token = ?", [token])

    def use_enrol_token(self, token: str, now: float) -> bool:
        return (
            self._update(
                "UPDATE enrol_tokens SET used_at = ? WHERE token = ? AND used_at IS NULL AND expires_at > ?",
                [now, token, now],
            )
            == 1
        )

    # ---- patients

    def patient_by_telegram(self, telegram_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM patients WHERE telegram_id = ?", [telegram_id])

    def patient(self, patient_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM patients WHERE id = ?", [patient_id])

    def save_patient(
        self, telegram_id: int, first_name: str, language: str | None, clinic_id: str, now: float
    ) -> int:
        existing = self.patient_by_telegram(telegram_id)
        row = {
            "telegram_id": telegram_id,
            "first_name": first_name,
            "language": language,
            "clinic_id": clinic_id,
            "status": PatientStatus.ACTIVE.value,
        }
        with self.transaction():
            self.db.conn.execute(
                "INSERT OR REPLACE INTO tombstones (telegram_id, clinic_id) VALUES (?, ?)",
                [telegram_id, clinic_id],
            )
            if existing:
                self.db.table("patients").update(existing["id"], row)
                return existing["id"]
            return cast(int, self.db.table("patients").insert({**row, "created_at": now}).last_pk)

    def tombstone(self, telegram_id: int) -> str | None:
        """The clinic this chat last belonged to, kept after /stop, /delete and retention."""
        row = self._one("SELECT clinic_id FROM tombstones WHERE telegram_id = ?", [telegram_id])
        return row["clinic_id"] if row else None

    def set_patient_language(self, patient_id: int, language: str) -> None:
        self.db.table("patients").update(patient_id, {"language": language})

    def set_patient_status(self, patient_id: int, status: PatientStatus) -> None:
        self.db.table("patients").update(patient_id, {"status": PatientStatus(status).value})

    # ---- sessions (follow-ups)

    def start_session(
        self,
        patient_id: int,
        token: dict[str, Any],
        clock_speed: float,
        checkins: Sequence[tuple[int, float, float]],
        now: float,
        phone_prompt: str | None = None,
    ) -> int:
        """A new follow-up replaces any the patient still has running; `checkins` are
        (index, nominal hours, due_at) rows. It takes the link's patient reference;
        `phone_prompt` is "asked" when the patient is offered to share their phone."""
        with self.db.conn:
            running = self._all(
                f"SELECT id FROM sessions WHERE patient_id = ? AND status IN ({_RUNNING})",
                [patient_id, *RUNNING_SESSIONS],
            )
            for old in running:
                self._finish_session(old["id"], SessionStatus.REPLACED)
            session_id = cast(
                int,
                self.db.table("sessions")
                .insert(
                    {
                        "patient_id": patient_id,
                        "clinic_id": token["clinic_id"],
                        "areas": token["areas"],
                        "intensity": token["intensity"],
                        "activities": token["activities"],
                        "first_session": token["first_session"],
                        "treated_at": token["treated_at"],
                        "practitioner_id": token["practitioner_id"],
                        "patient_ref": token.get("patient_ref"),
                        "phone_prompt": phone_prompt,
                        "clock_speed": clock_speed,
                        "status": SessionStatus.ACTIVE.value,
                        "created_at": now,
                    }
                )
                .last_pk,
            )
            self.db.table("checkins").insert_all(
                {
                    "session_id": session_id,
                    "idx": idx,
                    "hours": hours,
                    "due_at": due_at,
                    "status": CheckinStatus.PENDING.value,
                }
                for idx, hours, due_at in checkins
            )
            if token.get("token"):  # the link is erased with the follow-up it started
                self.db.conn.execute(
                    "UPDATE enrol_tokens SET session_id = ? WHERE token = ?", [session_id, token["token"]]
                )
        return session_id

    def skip_phone(self, session_id: int) -> bool:
        """The patient declined to share their phone while it was asked; False when it was not."""
        return (
            self._update(
                "UPDATE sessions SET phone_prompt = 'skipped' WHERE id = ? AND phone_prompt = 'asked'",
                [session_id],
            )
            == 1
        )

    def share_phone(self, session_id: int, phone: str) -> None:
        """The patient's own number, shared with their follow-up's clinic (asked or not)."""
        self._update(
            "UPDATE sessions SET phone = ?, phone_prompt = 'shared' WHERE id = ?", [phone, session_id]
        )

    def _finish_session(self, session_id: int, status: SessionStatus) -> None:
        self.db.conn.execute("UPDATE sessions SET status = ? WHERE id = ?", [status, session_id])
        self.db.conn.execute(
            "UPDATE checkins SET status = ? WHERE session_id = ? AND status = ?",
            [CheckinStatus.CANCELLED, session_id, CheckinStatus.PENDING],
        )

    def latest_session(self, patient_id: int, clinic_id: str | None = None) -> dict[str, Any] | None:
        """The patient's newest follow-up, whatever its status: at any clinic, or at `clinic_id`
        (what that clinic's staff may see)."""
        return self._one(
            """SELECT * FROM sessions WHERE patient_id = ? AND (? IS NULL OR clinic_id = ?)
               ORDER BY id DESC LIMIT 1""",
            [patient_id, clinic_id, clinic_id],
        )

    def current_session(self, patient_id: int) -> dict[str, Any] | None:
        """The newest follow-up if the patient can still talk to it (active, paused, completed).
        Never an older one: after /stop that one may be at a clinic the patient has left."""
        session = self.latest_session(patient_id)
        return session if session and session["status"] in CURRENT_SESSIONS else None

    def session(self, session_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM sessions WHERE id = ?", [session_id])

    def stop_session(self, session_id: int) -> None:
        with self.db.conn:
            self._finish_session(session_id, SessionStatus.STOPPED)

    def pause_session(self, session_id: int) -> bool:
        with self.db.conn:
            changed = self.db.conn.execute(
                "UPDATE sessions SET status = ? WHERE id = ? AND status = ?",
                [SessionStatus.PAUSED, session_id, SessionStatus.ACTIVE],
            ).rowcount
            self.db.conn.execute(
                "UPDATE checkins SET status = ? WHERE session_id = ? AND status = ?",
                [CheckinStatus.PAUSED, session_id, CheckinStatus.PENDING],
            )
        return changed == 1

    def resume_session(self, session_id: int, now: float) -> bool:
        """Check-ins that fell due while paused are skipped, not sent late in a burst."""
        with self.db.conn:
            changed = self.db.conn.execute(
                "UPDATE sessions SET status = ? WHERE id = ? AND status = ?",
                [SessionStatus.ACTIVE, session_id, SessionStatus.PAUSED],
            ).rowcount
            self.db.conn.execute(
                "UPDATE checkins SET status = ? WHERE session_id = ? AND status = ? AND due_at <= ?",
                [CheckinStatus.SKIPPED, session_id, CheckinStatus.PAUSED, now],
            )
            self.db.conn.execute(
                "UPDATE checkins SET status = ? WHERE session_id = ? AND status = ?",
                [CheckinStatus.PENDING, session_id, CheckinStatus.PAUSED],
            )
        return changed == 1

    def active_sessions(self, clinic_id: str) -> list[dict[str, Any]]:
        return self._all(
            f"""SELECT s.*, p.first_name, p.telegram_id,
                       (SELECT bucket FROM assessments a WHERE a.session_id = s.id
                        ORDER BY a.id DESC LIMIT 1) AS last_bucket
                FROM sessions s JOIN patients p ON p.id = s.patient_id
                WHERE s.clinic_id = ? AND s.status IN ({_RUNNING}) ORDER BY s.treated_at""",
            [clinic_id, *RUNNING_SESSIONS],
        )
