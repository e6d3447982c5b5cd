from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.followup.schedule import checkin_hours_for, plan_checkins
from bot.guidance.durations import parse_duration
from bot.guidance.quiet_hours import QuietHours

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NIGHT = "21:00-08:00"

# (name, treated at, check-ins, zone, quiet hours, [(due at, moved, absorbed), ...])
EXAMPLES = [
    (
        "no quiet hours: due when nominal",
        "2026-06-01T22:00+01:00",
        ["6h", "24h"],
        LONDON,
        None,
        [("2026-06-02T04:00+01:00", False, False), ("2026-06-02T22:00+01:00", False, False)],
    ),
    (
        "daytime check-ins unchanged",
        "2026-06-01T10:00+01:00",
        ["6h", "24h", "48h", "72h"],
        LONDON,
        NIGHT,
        [
            ("2026-06-01T16:00+01:00", False, False),
            ("2026-06-02T10:00+01:00", False, False),
            ("2026-06-03T10:00+01:00", False, False),
            ("2026-06-04T10:00+01:00", False, False),
        ],
    ),
    (
        "exactly at the start moves",
        "2026-06-01T15:00+01:00",
        ["6h", "24h"],
        LONDON,
        NIGHT,
        [("2026-06-02T08:00+01:00", True, False), ("2026-06-02T15:00+01:00", False, False)],
    ),
    (
        "exactly at the end stays",
        "2026-06-01T02:00+01:00",
        ["6h"],
        LONDON,
        NIGHT,
        [("2026-06-01T08:00+01:00", False, False)],
    ),
    (
        "a minute before the end moves",
        "2026-06-01T01:59+01:00",
        ["6h"],
        LONDON,
        NIGHT,
        [("2026-06-01T08:00+01:00", True, False)],
    ),
    (
        "late evening moves to next morning",
        "2026-06-01T17:59+01:00",
        ["6h"],
        LONDON,
        NIGHT,
        [("2026-06-02T08:00+01:00", True, False)],
    ),
    (
        "after midnight moves to the same morning",
        "2026-06-01T20:00+01:00",
        ["6h"],
        LONDON,
        NIGHT,
        [("2026-06-02T08:00+01:00", True, False)],
    ),
    (
        "quiet hours within one day",
        "2026-06-01T10:00+01:00",
        ["3h", "6h"],
        LONDON,
        "12:00-14:00",
        [("2026-06-01T14:00+01:00", True, False), ("2026-06-01T16:00+01:00", False, False)],
    ),
    (
        "moving onto the next check-in absorbs",
        "2026-06-01T20:00+01:00",
        ["2h", "12h", "24h"],
        LONDON,
        NIGHT,
        [
            ("2026-06-02T08:00+01:00", True, True),
            ("2026-06-02T08:00+01:00", False, False),
            ("2026-06-02T20:00+01:00", False, False),
        ],
    ),
    (
        "absorbed by a next check-in that also moved",
        "2026-06-01T20:30+01:00",
        ["1h", "2h", "12h"],
        LONDON,
        NIGHT,
        [
            ("2026-06-02T08:00+01:00", True, True),
            ("2026-06-02T08:00+01:00", True, False),
            ("2026-06-02T08:30+01:00", False, False),
        ],
    ),
    (
        "the last check-in is never absorbed",
        "2026-06-01T20:00+01:00",
        ["2h", "3h", "4h"],
        LONDON,
        NIGHT,
        [
            ("2026-06-02T08:00+01:00", True, True),
            ("2026-06-02T08:00+01:00", True, True),
            ("2026-06-02T08:00+01:00", True, False),
        ],
    ),
    (
        "the night before spring forward: 08:00 GMT",
        "2026-03-27T18:00+00:00",
        ["6h"],
        LONDON,
        NIGHT,
        [("2026-03-28T08:00+00:00", True, False)],
    ),
    (
        "the night of spring forward: 08:00 BST",
        "2026-03-28T18:00+00:00",
        ["6h"],
        LONDON,
        NIGHT,
        [("2026-03-29T07:00+00:00", True, False)],
    ),
    (
        "the night before fall back: 08:00 BST",
        "2026-10-23T18:00+01:00",
        ["6h"],
        LONDON,
        NIGHT,
        [("2026-10-24T07:00+00:00", True, False)],
    ),
    (
        "the night of fall back: 08:00 GMT",
        "2026-10-24T18:00+01:00",
        ["6h"],
        LONDON,
        NIGHT,
        [("2026-10-25T08:00+00:00", True, False)],
    ),
    (
        "offsets are elapsed hours across DST",
        "2026-03-28T12:00+00:00",
        ["24h"],
        LONDON,
        None,
        [("2026-03-29T13:00+01:00", False, False)],
    ),
    (
        "an end in the skipped hour: the moment of the jump",
        "2026-03-28T20:00+00:00",
        ["3h"],
        LONDON,
        "21:00-01:30",
        [("2026-03-29T02:00+01:00", True, False)],
    ),
    (
        "an end in the repeated hour: its first occurrence",
        "2026-10-24T21:00+01:00",
        ["2h"],
        LONDON,
        "21:00-01:30",
        [("2026-10-25T01:30+01:00", True, False)],
    ),
    (
        "quiet hours are the clinic's, not UTC",
        "2026-06-01T02:00+00:00",
        ["1h"],
        NEW_YORK,
        NIGHT,
        [("2026-06-01T08:00-04:00", True, False)],
    ),
]


@pytest.mark.parametrize(
    "treated, checkins, tz, quiet, expected",
    [example[1:] for example in EXAMPLES],
    ids=[example[0] for example in EXAMPLES],
)
def test_it_plans_checkins(treated, checkins, tz, quiet, expected):
    treated_at = datetime.fromisoformat(treated)
    offsets = [parse_duration(c) for c in checkins]
    plan = plan_checkins(treated_at, offsets, tz, quiet and QuietHours.parse(quiet))
    got = [(p.due_at, p.moved, p.absorbed) for p in plan]
    assert got == [(datetime.fromisoformat(due), *flags) for due, *flags in expected]
    for index, (checkin, offset) in enumerate(zip(plan, offsets, strict=False)):
        assert (checkin.index, checkin.offset) == (index, offset)
        assert checkin.nominal_at == treated_at + offset
        assert checkin.due_at.tzinfo is UTC and checkin.nominal_at.tzinfo is UTC


def test_it_refuses_a_naive_treatment_time():
    with pytest.raises(ValueError, match="aware"):
        plan_checkins(datetime(2026, 6, 1, 10), [timedelta(hours=6)], LONDON, None)


def test_it_refuses_offsets_out_of_order():
    with pytest.raises(ValueError, match="increasing"):
        plan_checkins(datetime(2026, 6, 1, tzinfo=UTC), [timedelta(hours=6)] * 2, LONDON, None)


CONTAINS = [
    (NIGHT, "20:59", False),
    (NIGHT, "21:00", True),
    (NIGHT, "23:59", True),
    (NIGHT, "00:00", True),
    (NIGHT, "07:59", True),
    (NIGHT, "08:00", False),
    (NIGHT, "12:00", False),
    ("12:00-14:00", "11:59", False),
    ("12:00-14:00", "12:00", True),
    ("12:00-14:00", "13:59", True),
    ("12:00-14:00", "14:00", False),
    ("00:00-06:00", "00:00", True),
    ("00:00-06:00", "06:00", False),
    ("00:00-06:00", "23:59", False),
    ("22:00-00:00", "23:59", True),
    ("22:00-00:00", "00:00", False),
]


@pytest.mark.parametrize("quiet, local, expected", CONTAINS)
def test_quiet_hours_contain(quiet, local, expected):
    assert QuietHours.parse(quiet).contains(time.fromisoformat(local)) is expected


LENGTHS = [
    (NIGHT, timedelta(hours=11)),
    ("12:00-14:00", timedelta(hours=2)),
    ("22:00-00:00", timedelta(hours=2)),
    ("08:30-04:30", timedelta(hours=20)),
]


@pytest.mark.parametrize("quiet, length", LENGTHS)
def test_quiet_hours_length(quiet, length):
    assert QuietHours.parse(quiet).length == length
    assert str(QuietHours.parse(quiet)) == quiet


INVALID_QUIET = [
    ("21-08", "is not HH:MM-HH:MM"),
    ("21:00 - 08:00", "is not HH:MM-HH:MM"),
    ("9:00-17:00", "is not HH:MM-HH:MM"),
    ("", "is not HH:MM-HH:MM"),
    ("24:00-08:00", "hours run 00-23"),
    ("21:60-08:00", "minutes 00-59"),
    ("08:00-08:00", "every check-in impossible"),
]


@pytest.mark.parametrize("text, message", INVALID_QUIET)
def test_quiet_hours_reject(text, message):
    with pytest.raises(ValueError, match=message):
        QuietHours.parse(text)


HOURS = [
    (timedelta(hours=6), 1, 6.0),
    (timedelta(minutes=90), 1, 1.5),
    (timedelta(seconds=6), 3600, 6.0),
    (timedelta(seconds=72), 3600, 72.0),
    (timedelta(hours=1), 2.5, 2.5),
]


@pytest.mark.parametrize("offset, clock_speed, hours", HOURS)
def test_checkin_hours_for(offset, clock_speed, hours):
    assert checkin_hours_for(offset, clock_speed) == pytest.approx(hours)
