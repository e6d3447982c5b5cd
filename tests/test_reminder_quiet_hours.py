"""A reminder never falls inside quiet hours: it waits to their end, or is left out when the
next check-in comes by then. Pure arithmetic (`reminder_due`), then the running bot."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.followup.schedule import reminder_due
from bot.guidance.quiet_hours import QuietHours

from .test_schedule_delivery import checkins_to, enrolled, run_until

LONDON = ZoneInfo("Europe/London")
QUIET = QuietHours.parse("21:00-08:00")


def at_(day: int, clock: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


# (sent, delay, quiet hours, next check-in, reminder due or None); 23/11/2026 is a Monday
CASES = [
    ((23, "14:00"), "2h", QUIET, (24, "14:00"), (23, "16:00")),  # daytime: 2 h later
    ((23, "19:45"), "2h", QUIET, (24, "19:45"), (24, "08:00")),  # the tester's 21:45 waits to 08:00
    ((23, "19:00"), "2h", QUIET, (24, "19:00"), (24, "08:00")),  # 21:00 itself is quiet
    ((23, "18:59"), "2h", QUIET, (24, "18:59"), (23, "20:59")),  # a minute before quiet hours
    ((24, "07:00"), "30m", QUIET, (24, "20:00"), (24, "08:00")),  # 07:30: early morning, waits
    ((24, "08:00"), "2h", QUIET, None, (24, "10:00")),  # the last check-in: nothing comes after
    ((23, "19:45"), "2h", QUIET, (24, "08:00"), None),  # held to 08:00, the next check-in's time
    ((23, "19:45"), "2h", QUIET, (24, "07:45"), None),  # the next comes before quiet hours end
    ((23, "14:00"), "2h", QUIET, (23, "15:00"), None),  # the next check-in comes first anyway
    ((23, "19:45"), "2h", None, (24, "19:45"), (23, "21:45")),  # no quiet hours
    ((23, "12:30"), "2h", QuietHours.parse("13:00-15:00"), None, (23, "15:00")),  # daytime quiet
    ((28, "20:30"), "90m", QUIET, None, (29, "08:00")),  # Saturday into Sunday
]


@pytest.mark.parametrize(("sent", "delay", "quiet", "next_at", "expected"), CASES)
def test_reminder_due(sent, delay, quiet, next_at, expected):
    minutes = int(delay[:-1]) * (60 if delay.endswith("h") else 1)
    due = reminder_due(
        at_(*sent),
        timedelta(minutes=minutes),
        LONDON,
        quiet,
        at_(*next_at).astimezone(UTC) if next_at else None,
    )
    assert due == (at_(*expected).astimezone(UTC) if expected else None)


def test_reminder_due_across_the_dst_change():
    # Clocks go back on Sun 25/10/2026 at 02:00: 21:30 BST + 2 h is quiet; 08:00 GMT is its end.
    sent = datetime(2026, 10, 24, 19, 30, tzinfo=LONDON)
    due = reminder_due(sent, timedelta(hours=2), LONDON, QUIET, None)
    assert due == datetime(2026, 10, 25, 8, 0, tzinfo=LONDON).astimezone(UTC)


def test_reminder_due_needs_an_aware_time():
    with pytest.raises(ValueError, match="time-zone aware"):
        reminder_due(datetime(2026, 11, 23, 19, 45), timedelta(hours=2), LONDON, QUIET, None)


# ---- on the real bot


def reminders_to(h, user):
    return [m for m in h.emu.messages_to(user) if "gentle reminder" in m.text.lower()]


async def test_a_reminder_due_in_quiet_hours_waits_until_they_end(make_bot):
    """The tester's case: treated 19:45, the 24 h check-in sent Mon 19:45 and ignored."""
    h = await make_bot(checkins=["24h", "48h"], reminder_after="2h")
    h.clock.time = at_(22, "19:45").timestamp()
    ana, session = await enrolled(h)
    await run_until(h, at_(23, "19:45").timestamp())
    assert len(checkins_to(h, ana)) == 1
    await run_until(h, at_(24, "07:59").timestamp())
    assert reminders_to(h, ana) == []  # not at 21:45, nor in the night
    await run_until(h, at_(24, "08:00").timestamp())
    [reminder] = reminders_to(h, ana)
    assert "the check-in I sent you on 23/11 at 19:45 is still waiting" in reminder.text


async def test_a_reminder_is_left_out_when_the_next_check_in_comes_first(make_bot):
    # The 36 h check-in (Tue 07:45) waits to 08:00, when the reminder would have come.
    h = await make_bot(checkins=["24h", "36h"], reminder_after="2h")
    h.clock.time = at_(22, "19:45").timestamp()
    ana, session = await enrolled(h)
    await run_until(h, at_(24, "08:00").timestamp())
    assert len(checkins_to(h, ana)) == 2 and reminders_to(h, ana) == []
    [first, second] = h.store.checkins(session["id"])
    assert first["reminder_due_at"] is None
