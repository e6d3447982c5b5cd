"""What the demo's day came to: each patient's follow-up as the database holds it, and every way it
went otherwise than the script expects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.demo import script
from bot.demo.options import CHECKINS
from bot.demo.setup import Cast
from bot.followup.status import CheckinStatus, SessionStatus
from bot.store.database import Store
from bot.triage.engine import SEVERITY


@dataclass
class AlertSummary:
    bucket: str
    at_hours: float
    acknowledged_by: str | None
    after_minutes: float | None
    told: list[str]  # who got a copy, in order, "(reminder)" marking a re-notify


@dataclass
class PatientSummary:
    name: str
    session: str  # "calf, moderate, running"
    checkins_sent: int
    checkins_answered: int
    buckets: list[tuple[str, str]]  # (when, bucket) per assessment
    final_bucket: str | None  # the most serious bucket of the follow-up
    alerts: list[AlertSummary]
    session_status: str | None


@dataclass
class DemoResult:
    patients: list[PatientSummary] = field(default_factory=list)
    violations: int = 0
    api_calls: int = 0
    errors_logged: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def patient(self, name: str) -> PatientSummary:
        return next(p for p in self.patients if p.name == name)


def summaries(store: Store, cast: Cast, speed: float) -> list[PatientSummary]:
    """Each scripted patient's follow-up, read from the database and the staff chats."""
    out = []
    for p, user in zip(cast.patient_scripts, cast.patient_users, strict=True):
        patient = store.patient_by_telegram(user.id)
        session = store.current_session(patient["id"]) if patient else None
        if session is None:
            out.append(PatientSummary(p.name, _session(p), 0, 0, [], None, [], None))
            continue
        checkins = store.checkins(session["id"])
        by_id = {c["id"]: c for c in checkins}
        assessments = store.assessments(session["id"])
        buckets = []
        for a in assessments:
            when = (
                f"{by_id[a['checkin_id']]['hours']:g}h"
                if a["checkin_id"] in by_id
                else f"{a['hours']:.0f}h (words)"
            )
            buckets.append((when, a["bucket"]))
        final = max((a["bucket"] for a in assessments), key=SEVERITY.__getitem__, default=None)
        out.append(
            PatientSummary(
                p.name,
                _session(p),
                sum(c["sent_at"] is not None for c in checkins),
                sum(c["status"] == CheckinStatus.ANSWERED for c in checkins),
                buckets,
                final,
                _alerts(store, cast, session, p.name, speed),
                session["status"],
            )
        )
    return out


def _alerts(store: Store, cast: Cast, session: dict, name: str, speed: float) -> list[AlertSummary]:
    """The patient's alerts: when, who was told (from the staff chats), who acknowledged and how soon."""
    stage = cast.stage
    staff_names = {
        u.id: f"{s.first_name} {s.last_name}"
        for u, s in zip(cast.staff_users, cast.staff_scripts, strict=True)
    }
    reminder = stage.labels.message("alert_renotify_prefix")
    ack = stage.labels.message("alert_ack_button")
    alerts = []
    for row in store.db.query("SELECT * FROM alerts WHERE session_id = ? ORDER BY id", [session["id"]]):
        acked = row["acknowledged_at"]
        told = [
            stage.display.looks[chat].label.split(" ")[0]
            + (" (reminder)" if seen.text.startswith(reminder) else "")
            for chat, seen in stage.journal
            if chat in staff_names and seen.event == "sent" and seen.has(ack) and _names(seen.text, name)
        ]
        alerts.append(
            AlertSummary(
                row["bucket"],
                (row["created_at"] - session["treated_at"]) * speed / 3600,
                staff_names.get(row["acknowledged_by"], str(row["acknowledged_by"]))
                if row["acknowledged_by"]
                else None,
                (acked - row["created_at"]) * speed / 60 if acked else None,
                told,
            )
        )
    return alerts


def _session(p: script.PatientScript) -> str:
    return ", ".join([*(a.replace("_", " ") for a in p.areas), p.intensity, *p.activities])


def _names(text: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


def check(
    result: DemoResult, cast: Cast, logs: dict[str, script.PatientLog], acknowledged: dict[str, str]
) -> list[str]:
    """Every outcome the script expects, as a list of what went otherwise."""
    failures = []
    summaries_by_name = {p.name: p for p in result.patients}
    for p in cast.patient_scripts:
        summary = summaries_by_name.get(p.name)
        log = logs[p.name]
        if summary is None or summary.session_status is None:
            failures.append(f"{p.name}: no follow-up was started")
            continue
        if not log.finished:
            failures.append(f"{p.name}: did not get through the follow-up (check-ins seen: {log.checkins})")
        if summary.session_status != SessionStatus.COMPLETED:
            failures.append(f"{p.name}: the follow-up ended {summary.session_status!r}, not completed")
        if summary.checkins_sent != len(CHECKINS) or summary.checkins_answered != len(CHECKINS):
            failures.append(
                f"{p.name}: {summary.checkins_answered} of {summary.checkins_sent} check-ins answered,"
                f" expected {len(CHECKINS)} of {len(CHECKINS)}"
            )
        if summary.final_bucket != p.expected_bucket:
            failures.append(f"{p.name}: final bucket {summary.final_bucket}, expected {p.expected_bucket}")
        if p.asks_after and not log.question_answered:
            failures.append(f"{p.name}: her question was not answered")
        failures += _alert_failures(p, summary, cast.staff_scripts, acknowledged)
    return failures


def _alert_failures(
    p: script.PatientScript,
    summary: PatientSummary,
    staff_scripts: list[script.StaffScript],
    acknowledged: dict[str, str],
) -> list[str]:
    """An alert for every patient not expected to be normal, taken by the scripted staff member."""
    want_alert = p.expected_bucket != "normal"
    if len(summary.alerts) != int(want_alert):
        return [f"{p.name}: {len(summary.alerts)} alerts, expected {int(want_alert)}"]
    if not want_alert:
        return []
    failures = []
    expected_acks = {name: s for s in staff_scripts for name in s.acknowledges}
    practitioner = next(s for s in staff_scripts if s.role == "practitioner")
    alert, staff = summary.alerts[0], expected_acks.get(p.name)
    if alert.bucket != p.expected_bucket:
        failures.append(f"{p.name}: the alert was {alert.bucket}, expected {p.expected_bucket}")
    if staff is not None:
        name = f"{staff.first_name} {staff.last_name}"
        if alert.acknowledged_by != name or acknowledged.get(p.name) != staff.first_name:
            failures.append(
                f"{p.name}: the alert was acknowledged by {alert.acknowledged_by}, expected {name}"
            )
        if not alert.told or alert.told[0] != practitioner.first_name:
            failures.append(
                f"{p.name}: the alert did not go first to the session's practitioner ({alert.told})"
            )
        if staff.acknowledges[p.name] == "reminder" and f"{staff.first_name} (reminder)" not in alert.told:
            failures.append(f"{p.name}: the re-notify never reached {staff.first_name} ({alert.told})")
    return failures
