"""What the web worklist's pages read: open alerts of a clinic, its follow-ups with their next
check-in and last result, and one photo. Each query is driven by an index (bench/web.py fails
on a full-table SCAN), so a page costs what it shows, not what the clinic has kept.
Imports the shared connection and `bot.followup.status`."""

from __future__ import annotations

import json
from typing import Any

from bot.followup.status import RUNNING_SESSIONS, AlertStatus, CheckinStatus
from bot.store.connection import Connection, marks

_WORKLIST = """SELECT a.id, a.session_id, a.bucket, a.status, a.created_at, a.acknowledged_by,
       a.acknowledged_at, s.patient_id, s.patient_ref, s.practitioner_id, p.first_name, x.reasons,
       (SELECT json_extract(w.value, '$') FROM answers w
         WHERE w.session_id = a.session_id AND w.question_id = 'text'
           AND w.received_at <= COALESCE(x.created_at, a.created_at) ORDER BY w.id DESC LIMIT 1) AS words
  FROM alerts a JOIN sessions s ON s.id = a.session_id JOIN patients p ON p.id = s.patient_id
  LEFT JOIN assessments x ON x.id = a.assessment_id
 WHERE a.clinic_id = ? AND a.status = ? {more}"""


class WorklistQueries(Connection):
    def worklist_alerts(self, clinic_id: str, acknowledged_since: float) -> list[dict[str, Any]]:
        """Open alerts, and those acknowledged since `acknowledged_since` (who has it)."""
        rows = self._all(
            _WORKLIST.format(more="") + " UNION ALL " + _WORKLIST.format(more="AND a.acknowledged_at >= ?"),
            [clinic_id, AlertStatus.OPEN, clinic_id, AlertStatus.ACKNOWLEDGED, acknowledged_since],
        )
        for row in rows:  # the words come decoded by SQLite (json_extract), the reasons are a list
            row["reasons"] = json.loads(row["reasons"]) if row["reasons"] else []
        return rows

    def followups(
        self, clinic_id: str, practitioner_id: int | None, status: str | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """Running follow-ups of a clinic (newest first), with their next check-in, missed
        check-ins and last result; by practitioner and status when given."""
        statuses = [status] if status in RUNNING_SESSIONS else list(RUNNING_SESSIONS)
        return self._all(
            # The page's rows are chosen first, then only they get their check-ins and result.
            f"""SELECT s.id, s.patient_id, s.patient_ref, s.areas, s.treated_at, s.status, s.practitioner_id,
                  p.first_name,
                  (SELECT MIN(c.due_at) FROM checkins c WHERE c.session_id = s.id AND c.status = ?)
                    AS next_due,
                  (SELECT COUNT(*) FROM checkins c WHERE c.session_id = s.id AND c.status = ?) AS missed,
                  (SELECT bucket FROM assessments x WHERE x.session_id = s.id ORDER BY x.id DESC LIMIT 1)
                    AS last_bucket
                FROM sessions s JOIN patients p ON p.id = s.patient_id
               WHERE s.id IN (SELECT id FROM sessions WHERE clinic_id = ? AND status IN ({marks(statuses)})
                                AND (? IS NULL OR practitioner_id = ?)
                              ORDER BY treated_at DESC, id DESC LIMIT ? OFFSET ?)
               ORDER BY s.treated_at DESC, s.id DESC""",
            [
                CheckinStatus.PENDING,
                CheckinStatus.MISSED,
                clinic_id,
                *statuses,
                practitioner_id,
                practitioner_id,
                limit,
                offset,
            ],
        )

    def photo(self, photo_id: int) -> dict[str, Any] | None:
        return self._one(
            """SELECT ph.*, s.clinic_id, s.patient_id FROM photos ph JOIN sessions s ON s.id = ph.session_id
               WHERE ph.id = ?""",
            [photo_id],
        )
