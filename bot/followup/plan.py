"""A clinic's check-in plan for one session, and the session's clock as triage reads it (pure).

Imports `bot.guidance` and the schedule arithmetic; `now` is always an argument."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from bot.followup.schedule import plan_checkins
from bot.guidance.config import Clinic


class PlannedRow(NamedTuple):
    """One check-in to store: its index in the clinic's list, nominal hours, and when it is due."""

    idx: int
    hours: float
    due_at: float


def plan(clinic: Clinic, treated_at: float, now: float) -> list[PlannedRow]:
    """The check-ins to send for a session treated at `treated_at`.

    Offsets run `clock_speed` times faster (a demo); triage still sees nominal hours. Check-ins
    absorbed by quiet hours are dropped. Of those already due (a late consent), only the latest
    is kept, so the patient gets one check-in now rather than a burst of stale ones.
    """
    offsets = [offset / clinic.clock_speed for offset in clinic.checkins]
    treated = datetime.fromtimestamp(treated_at, UTC)
    planned = plan_checkins(treated, offsets, clinic.timezone, clinic.quiet_hours)
    rows = [
        PlannedRow(p.index, clinic.checkins[p.index].total_seconds() / 3600, p.due_at.timestamp())
        for p in planned
        if not p.absorbed
    ]
    past = [r for r in rows if r.due_at <= now]
    return past[-1:] + [r for r in rows if r.due_at > now]


def nominal_hours(session: Mapping[str, Any], now: float) -> float:
    """Hours since treatment as triage sees them (a demo clock runs `clock_speed` times faster)."""
    return max(0.0, (now - session["treated_at"]) * (session["clock_speed"] or 1.0) / 3600)
