"""Opening hours and the escalation arithmetic of alert rounds (pure, table-driven)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.followup.rounds import admins, is_same_day, next_round_at, round_recipients, rounds_exhausted
from bot.guidance.config import load_config
from bot.guidance.opening_hours import OpeningHours

from .harness import write_config

LONDON = ZoneInfo("Europe/London")
WEEK = OpeningHours.parse("mon-fri 08:00-12:00, 13:00-18:00; sat 09:00-12:00")
P1, P2, ADMIN, GROUP = 101, 102, 201, -900


def at(day: int, hour: int, minute: int = 0) -> float:
    """A moment in the week of Monday 23 Nov 2026 (day 0) in London."""
    return datetime(2026, 11, 23 + day, hour, minute, tzinfo=LONDON).timestamp()


PARSED = [
    ("mon-fri 08:00-18:00", "mon-fri 08:00-18:00"),
    ("mon 08:00-18:00; tue 08:00-18:00; wed closed; sat 09:00-12:00", "mon-tue 08:00-18:00; sat 09:00-12:00"),
    ("sat-mon 10:00-24:00", "mon 10:00-24:00; sat-sun 10:00-24:00"),  # a range may wrap the week
    (" thu 07:30-19:00 ; ", "thu 07:30-19:00"),
]


@pytest.mark.parametrize("text, shown", PARSED)
def test_the_one_line_form_reads_and_writes_back(text, shown):
    hours = OpeningHours.parse(text)
    assert str(hours) == shown and OpeningHours.parse(shown) == hours


REFUSED = [
    ("mon-fri", "write a day and its hours"),
    ("mon 08:00-18:00; mon 09:00-10:00", "'mon' is named twice"),
    ("funday 08:00-18:00", "'funday' is not a day"),
    ("mon 08:00-25:00", "hours run 00-23"),
    ("mon 12:00-13:00, 12:30-14:00", "starts before the range before it ends"),
    ("sun closed", "open on no day at all"),
]


@pytest.mark.parametrize("text, message", REFUSED)
def test_a_bad_value_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        OpeningHours.parse(text)


OPEN = [
    (at(0, 7, 59), False),
    (at(0, 8, 0), True),
    (at(0, 12, 30), False),  # lunch
    (at(0, 17, 59), True),
    (at(0, 18, 0), False),
    (at(5, 11, 0), True),  # Saturday morning
    (at(6, 11, 0), False),  # Sunday
]


@pytest.mark.parametrize("moment, is_open", OPEN)
def test_open_or_closed(moment, is_open):
    assert WEEK.is_open(moment, LONDON) is is_open


NEXT = [
    (at(0, 10), at(0, 10)),  # open now: now
    (at(0, 12, 15), at(0, 13)),  # after lunch
    (at(0, 22), at(1, 8)),  # tomorrow morning
    (at(4, 18, 30), at(5, 9)),  # Friday evening: Saturday at 9
    (at(5, 12), at(7, 8)),  # Saturday noon: Monday at 8
]


@pytest.mark.parametrize("moment, opening", NEXT)
def test_the_next_opening(moment, opening):
    assert WEEK.next_opening(moment, LONDON) == opening


@pytest.fixture
def clinic(tmp_path):
    staff = [(P1, "Dana", "practitioner"), (P2, "Lee", "practitioner"), (ADMIN, "Sam", "admin")]
    hours = {"mon-fri": "08:00-12:00, 13:00-18:00", "sat": "09:00-12:00"}
    path = write_config(
        tmp_path, "http://127.0.0.1:9/bot", staff, opening_hours=hours, out_of_hours_phone="111"
    )
    return load_config(path).clinics[0]


WHEN = [
    # bucket, same day, queued at, next round
    ("emergency", False, at(0, 22), at(0, 22, 5)),  # every 5 min, day or night
    ("contact_practitioner", True, at(0, 22), at(0, 22, 30)),  # same-day: paged at night
    ("contact_practitioner", False, at(0, 22), at(1, 8)),  # waits for the morning
    ("contact_practitioner", False, at(0, 11, 45), at(0, 13)),  # and for the end of lunch
    ("contact_practitioner", False, at(0, 9), at(0, 9, 30)),  # open: every 30 min
]


@pytest.mark.parametrize("bucket, same_day, now, expected", WHEN)
def test_when_the_next_round_is_due(clinic, bucket, same_day, now, expected):
    assert next_round_at(clinic, bucket, same_day, now) == expected


def test_a_demo_clock_shortens_the_intervals(clinic):
    assert next_round_at(clinic, "emergency", False, at(0, 10), speed=60) == at(0, 10) + 5


def test_an_emergency_goes_down_the_rota_then_to_everyone(clinic):
    rounds = [round_recipients(clinic, P1, n, bucket="emergency") for n in range(5)]
    assert rounds == [[P1], [P2], [ADMIN], [P1, P2, ADMIN], [P1, P2, ADMIN]]


SKIPPED = [
    # practitioner, unreachable, rounds 0..3
    (P1, {P2}, [[P1], [ADMIN], [P1], [ADMIN]]),
    (P1, {P1}, [[P2], [ADMIN], [P2], [ADMIN]]),  # their practitioner out of reach: the others
    (None, {P1, P2}, [[ADMIN], [ADMIN], [ADMIN], [ADMIN]]),
]


@pytest.mark.parametrize("practitioner, skip, expected", SKIPPED)
def test_staff_out_of_reach_are_left_out(clinic, practitioner, skip, expected):
    assert [round_recipients(clinic, practitioner, n, skip) for n in range(4)] == expected


def test_contact_alerts_end_after_max_alert_rounds_and_the_admins_are_told(clinic):
    assert clinic.max_alert_rounds == 4 and clinic.emergency_renotify_after == timedelta(minutes=5)
    assert [rounds_exhausted(clinic, "contact_practitioner", n) for n in (3, 4)] == [False, True]
    assert not rounds_exhausted(clinic, "emergency", 400)
    assert admins(clinic) == [ADMIN] and admins(clinic, {ADMIN}) == [P1, P2]


SAME_DAY = [
    (["C9", "C15"], ["calf"], True),  # infection: always
    (["C17"], ["upper_back"], True),  # a vague chest feeling after needling near the chest
    (["C17"], ["calf"], False),
    (["C17"], [], True),  # area unknown: thoracic-risk (A3)
    (["C10", "C15"], ["upper_back"], False),
]


@pytest.mark.parametrize("rules, areas, expected", SAME_DAY)
def test_the_rules_marked_same_day(guidance, rules, areas, expected):
    assert is_same_day(guidance, rules, areas) is expected
