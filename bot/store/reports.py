"""Read-only queries for what a clinic takes away: the report (bot/clinic/report.py) and the
FHIR export (bot/clinic/fhir.py). The report's rows are typed (bot/store/rows.py).

Imports the shared connection and the row types."""

from __future__ import annotations

from typing import Any

from bot.store.connection import Connection
from bot.store.rows import ReportAlert, ReportAssessment, ReportCheckin, ReportSession


class ReportQueries(Connection):
    def report_sessions(self, clinic_id: str, since: float) -> list[ReportSession]:
        """A clinic's follow-ups treated at or after `since`, oldest first."""
        rows = self.db.conn.execute(
            """SELECT id, patient_id, treated_at, status FROM sessions
               WHERE clinic_id = ? AND treated_at >= ? ORDER BY treated_at, id""",
            [clinic_id, since],
        )
        return [ReportSession.of(*row) for row in rows]

    def report_checkins(self, clinic_id: str, since: float) -> list[ReportCheckin]:
        """The check-ins of those follow-ups, in follow-up then schedule order."""
        rows = self.db.conn.execute(
            """SELECT c.id, c.session_id, s.patient_id, s.treated_at, c.idx, c.hours, c.due_at, c.sent_at,
                      c.answered_at, c.status
               FROM checkins c JOIN sessions s ON s.id = c.session_id
               WHERE s.clinic_id = ? AND s.treated_at >= ? ORDER BY s.treated_at, s.id, c.idx""",
            [clinic_id, since],
        )
        return [ReportCheckin.of(*row) for row in rows]

    def report_assessments(self, clinic_id: str, since: float) -> list[ReportAssessment]:
        """The buckets of those follow-ups' assessments (no reasons, no answers)."""
        rows = self.db.conn.execute(
            """SELECT a.id, a.session_id, a.checkin_id, a.bucket, a.created_at FROM assessments a
               JOIN sessions s ON s.id = a.session_id WHERE s.clinic_id = ? AND s.treated_at >= ?
               ORDER BY a.id""",
            [clinic_id, since],
        )
        return [ReportAssessment(*row) for row in rows]

    def report_alerts(self, clinic_id: str, since: float) -> list[ReportAlert]:
        """Those follow-ups' alerts, with the check-in their assessment belongs to (or None)."""
        rows = self.db.conn.execute(
            """SELECT al.id, al.session_id, al.assessment_id, x.checkin_id, al.bucket, al.status,
                      al.created_at, al.acknowledged_at, al.outcome
               FROM alerts al JOIN sessions s ON s.id = al.session_id
               LEFT JOIN assessments x ON x.id = al.assessment_id
               WHERE s.clinic_id = ? AND s.treated_at >= ? ORDER BY al.id""",
            [clinic_id, since],
        )
        return [ReportAlert.of(*row) for row in rows]

    def export_patients(self, clinic_id: str, patient_id: int | None = None) -> list[dict[str, Any]]:
        """Patients with a follow-up at the clinic: all, or the one asked for. (Not one enrolled
        here whose follow-ups here were erased: what is left of them is another clinic's.)"""
        return self._all(
            """SELECT * FROM patients p
               WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.patient_id = p.id AND s.clinic_id = ?)
               AND (? IS NULL OR p.id = ?) ORDER BY p.id""",
            [clinic_id, patient_id, patient_id],
        )

    def patient_sessions(self, patient_id: int, clinic_id: str) -> list[dict[str, Any]]:
        """Every follow-up of a patient at a clinic, whatever its status, oldest first."""
        return self._all(
            "SELECT * FROM sessions WHERE patient_id = ? AND clinic_id = ? ORDER BY treated_at, id",
            [patient_id, clinic_id],
        )

    def session_alerts(self, session_id: int) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM alerts WHERE session_id = ? ORDER BY id", [session_id])
