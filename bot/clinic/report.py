"""`aftercare report`: a clinic's follow-ups as a CSV, one row per check-in, and a summary.

Health data: the CSV is kept free of it as far as a report can be. It holds ids, times,
statuses and buckets only: never a patient's name or Telegram id (patients appear by their
internal id), never an answer or a word the patient wrote, never the rules' reasons. The file is
still created readable by its owner alone, like the database.

Scope: the clinic's follow-ups (sessions) treated from `now - since` to now, whatever their
status; their check-ins, assessments and alerts, and nothing else (an open alert of an older
follow-up is not counted). Times are the clinic's local clock, "YYYY-MM-DD HH:MM".

Per check-in row:
- `bucket`: the most serious assessment of that check-in (a red flag assessed at once, then
  the complete check-in, may give two); empty if it was never assessed.
- `alert_id` and `minutes_to_acknowledge`: the most serious alert raised by that check-in
  (an emergency after a contact alert is a second alert); empty if none, or not acknowledged.
- `alert_outcome`: how staff closed that alert (an id of the guidance's outcomes.toml, e.g.
  `seen_in_clinic`); empty while it is not closed. Staff's notes stay out (words about a
  patient's health): /patient and the FHIR export show them.
Words typed outside any check-in are assessed too: they count in the summary's buckets and
alerts, but have no row.

Summary: sessions; check-ins per status; response rate per check-in hour (answered / sent,
where sent is every check-in that went out: answered, missed or still awaiting an answer); the
share of each bucket among all assessments; alerts, how many are acknowledged and open, the
median time to acknowledge, and the closed alerts by outcome.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.followup.status import AlertStatus, CheckinStatus
from bot.guidance.config import Clinic
from bot.store.database import Store
from bot.store.rows import ReportAlert, ReportAssessment, ReportCheckin
from bot.triage.engine import BUCKETS, SEVERITY

COLUMNS = (
    "session_id",
    "patient_id",
    "treated_at_local",
    "checkin_hour",
    "due_at_local",
    "sent_at_local",
    "answered_at_local",
    "status",
    "bucket",
    "alert_id",
    "minutes_to_acknowledge",
    "alert_outcome",
)
TIME_FORMAT = "%Y-%m-%d %H:%M"
_Judged = TypeVar("_Judged", ReportAssessment, ReportAlert)  # rows that carry a bucket


@dataclass(frozen=True)
class HourRate:
    hour: float
    sent: int
    answered: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None


@dataclass(frozen=True)
class Report:
    clinic_id: str
    clinic_name: str
    timezone: ZoneInfo
    since: float
    now: float
    rows: tuple[dict[str, str], ...]
    sessions: int
    statuses: Mapping[str, int]
    response: tuple[HourRate, ...]
    buckets: Mapping[str, int]
    alerts: int
    acknowledged: int
    open_alerts: int
    median_minutes_to_acknowledge: float | None
    outcomes: Mapping[str, int]  # closed alerts by outcome id (outcomes.toml)

    @property
    def assessments(self) -> int:
        return sum(self.buckets.values())


def local(at: float | None, tz: ZoneInfo) -> str:
    return "" if at is None else datetime.fromtimestamp(at, tz).strftime(TIME_FORMAT)


def hour_label(hours: float) -> str:
    """6.0 -> "6"; a check-in at 1h30m -> "1.5"."""
    return f"{hours:g}"


def minutes_between(start: float, end: float | None) -> float | None:
    return None if end is None else round((end - start) / 60, 1)


def _worst(rows: list[_Judged]) -> _Judged | None:
    """The most serious row, the latest among equals."""
    return max(rows, key=lambda r: (SEVERITY.get(r.bucket, -1), r.id), default=None)


def _by_checkin(rows: list[_Judged]) -> dict[int, list[_Judged]]:
    grouped: dict[int, list[_Judged]] = {}
    for row in rows:
        if row.checkin_id is not None:
            grouped.setdefault(row.checkin_id, []).append(row)
    return grouped


def csv_rows(
    checkins: list[ReportCheckin],
    assessments: list[ReportAssessment],
    alerts: list[ReportAlert],
    tz: ZoneInfo,
) -> tuple[dict[str, str], ...]:
    """One CSV row per check-in, with its worst bucket and its worst alert."""
    assessed_by_checkin, alerts_by_checkin = _by_checkin(assessments), _by_checkin(alerts)
    rows = []
    for c in checkins:
        assessed = _worst(assessed_by_checkin.get(c.id, []))
        alert = _worst(alerts_by_checkin.get(c.id, []))
        ack = minutes_between(alert.created_at, alert.acknowledged_at) if alert else None
        rows.append(
            {
                "session_id": str(c.session_id),
                "patient_id": str(c.patient_id),
                "treated_at_local": local(c.treated_at, tz),
                "checkin_hour": hour_label(c.hours),
                "due_at_local": local(c.due_at, tz),
                "sent_at_local": local(c.sent_at, tz),
                "answered_at_local": local(c.answered_at, tz),
                "status": c.status.value,
                "bucket": assessed.bucket if assessed else "",
                "alert_id": str(alert.id) if alert else "",
                "minutes_to_acknowledge": "" if ack is None else f"{ack:g}",
                "alert_outcome": (alert.outcome or "") if alert else "",
            }
        )
    return tuple(rows)


def response_rates(checkins: list[ReportCheckin]) -> tuple[HourRate, ...]:
    """Answered / sent by check-in hour, where sent is every check-in that went out."""
    return tuple(
        HourRate(
            h,
            sum(1 for c in checkins if c.hours == h and c.sent_at is not None),
            sum(1 for c in checkins if c.hours == h and c.status == CheckinStatus.ANSWERED),
        )
        for h in sorted({c.hours for c in checkins})
    )


def build_report(store: Store, clinic: Clinic, since: timedelta, now: float) -> Report:
    start = now - since.total_seconds()
    checkins = store.report_checkins(clinic.id, start)
    assessments = store.report_assessments(clinic.id, start)
    alerts = store.report_alerts(clinic.id, start)
    counted = Counter(a.bucket for a in assessments)
    buckets = {b: counted[b] for b in BUCKETS if counted[b]} | {
        b: n for b, n in counted.items() if b not in BUCKETS
    }
    waits = [(a.acknowledged_at - a.created_at) / 60 for a in alerts if a.acknowledged_at is not None]
    return Report(
        clinic_id=clinic.id,
        clinic_name=clinic.name,
        timezone=clinic.timezone,
        since=start,
        now=now,
        rows=csv_rows(checkins, assessments, alerts, clinic.timezone),
        sessions=len(store.report_sessions(clinic.id, start)),
        statuses=dict(sorted(Counter(c.status.value for c in checkins).items())),
        response=response_rates(checkins),
        buckets=buckets,
        alerts=len(alerts),
        acknowledged=len(waits),
        open_alerts=sum(1 for a in alerts if a.status == AlertStatus.OPEN),
        median_minutes_to_acknowledge=round(statistics.median(waits), 1) if waits else None,
        outcomes=dict(sorted(Counter(a.outcome for a in alerts if a.outcome).items())),
    )


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "none sent"


def format_summary(report: Report) -> str:
    tz = report.timezone
    lines = [
        f"Report for {report.clinic_name} ({report.clinic_id}): follow-ups treated "
        f"{local(report.since, tz)} to {local(report.now, tz)} ({tz.key})",
        f"Sessions: {report.sessions}",
        f"Check-ins: {len(report.rows)}"
        + (
            " (" + ", ".join(f"{status} {n}" for status, n in report.statuses.items()) + ")"
            if report.statuses
            else ""
        ),
        "Response rate (answered / sent) by check-in hour:",
        *(f"  {hour_label(r.hour)} h: {_share(r.answered, r.sent)}" for r in report.response),
    ]
    if not report.response:
        lines.append("  no check-ins")
    lines.append(f"Assessments by bucket: {report.assessments}")
    lines += [
        f"  {bucket}: {n} ({100 * n / report.assessments:.0f}%)" for bucket, n in report.buckets.items()
    ]
    lines.append(f"Alerts: {report.alerts} (acknowledged {report.acknowledged}, open {report.open_alerts})")
    median = report.median_minutes_to_acknowledge
    lines.append("Median time to acknowledge: " + ("n/a" if median is None else f"{median:g} min"))
    closed = ", ".join(f"{outcome} {n}" for outcome, n in report.outcomes.items())
    lines.append(f"Closed alerts: {sum(report.outcomes.values())}" + (f" ({closed})" if closed else ""))
    return "\n".join(lines)


def csv_text(rows: tuple[dict[str, str], ...] | list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def default_csv_path(clinic: Clinic, now: float) -> Path:
    return Path(f"report-{clinic.id}-{datetime.fromtimestamp(now, clinic.timezone):%Y-%m-%d}.csv")
