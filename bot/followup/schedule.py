"""Pure check-in schedule arithmetic: offsets, quiet hours and time zones.

Datetimes passed in must be time-zone aware, and every instant returned is in UTC, so callers
can store and compare them without knowing the clinic's zone. Offsets are real elapsed time
("24h" is 24 hours later even across a DST switch); only quiet hours are wall-clock rules, and
they are applied in the clinic's zone, whose DST dates zoneinfo knows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from bot.guidance.quiet_hours import QuietHours

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class PlannedCheckin:
    """One check-in of a session.

    `due_at` is when it should be sent; for an absorbed check-in it is where the quiet-hours
    move would have put it, and it is not sent because the next check-in covers it.
    """

    index: int
    offset: timedelta
    nominal_at: datetime
    due_at: datetime
    moved: bool
    absorbed: bool


def plan_checkins(
    treated_at: datetime,
    offsets: Sequence[timedelta],
    tz: ZoneInfo,
    quiet: QuietHours | None,
) -> list[PlannedCheckin]:
    """When each check-in of a session treated at `treated_at` is due.

    A check-in falling in quiet hours moves to the end of the quiet period. If that would put it
    at or after the next check-in that is actually sent, it is absorbed instead: two messages at
    once would only confuse the patient. The last check-in is never absorbed.
    """
    if treated_at.utcoffset() is None:
        raise ValueError("treated_at must be time-zone aware")
    if any(a >= b for a, b in pairwise(offsets)):
        raise ValueError("check-in offsets must be strictly increasing")
    start = treated_at.astimezone(UTC)
    planned: list[PlannedCheckin] = []
    next_due: datetime | None = None
    # Walk backwards so each check-in knows when the next one it could collide with is sent.
    for index in reversed(range(len(offsets))):
        nominal = start + offsets[index]
        local = nominal.astimezone(tz)
        due = nominal
        if quiet is not None and quiet.contains(local.time()):
            due = _quiet_end(local, quiet, tz)
        absorbed = next_due is not None and due >= next_due
        planned.append(PlannedCheckin(index, offsets[index], nominal, due, due != nominal, absorbed))
        if not absorbed:
            next_due = due
    return planned[::-1]


def reminder_due(
    now: datetime,
    delay: timedelta,
    tz: ZoneInfo,
    quiet: QuietHours | None,
    next_checkin_at: datetime | None,
) -> datetime | None:
    """When the reminder of a check-in sent at `now` is due: `delay` later, or at the end of the
    quiet period that instant falls in. None (no reminder) when the next check-in is due by then:
    it asks again anyway, and two messages at once would only confuse the patient."""
    if now.utcoffset() is None:
        raise ValueError("now must be time-zone aware")
    due = (now + delay).astimezone(UTC)
    local = due.astimezone(tz)
    if quiet is not None and quiet.contains(local.time()):
        due = _quiet_end(local, quiet, tz)
    return None if next_checkin_at is not None and due >= next_checkin_at else due


def checkin_hours_for(offset: timedelta, clock_speed: float) -> float:
    """Hours since the session as triage should see them.

    `offset` is real elapsed time; a demo clock running `clock_speed` times faster makes
    6 real seconds count as 6 hours when clock_speed is 3600.
    """
    return offset.total_seconds() * clock_speed / 3600


def _quiet_end(local: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """The instant the quiet period containing `local` ends."""
    day = local.date() if local.time() < quiet.end else local.date() + _DAY
    return _first_instant_at(datetime.combine(day, quiet.end), tz)


def _first_instant_at(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first UTC instant at which the clock in `tz` reads `wall` or has passed it.

    An ambiguous wall time (the hour repeated when clocks go back) gives its first occurrence
    (fold=0). A wall time skipped when clocks go forward gives the moment of the jump, the
    first moment the clock shows a later time.
    """
    first = wall.replace(tzinfo=tz).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a gap, fold=1 reads `wall` with the offset after the jump (an instant before it) and
    # fold=0 with the offset before (an instant after it): the jump lies between, on a
    # whole second.
    lo = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    hi = int(first.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)
