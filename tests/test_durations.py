from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.guidance.durations import format_duration, parse_duration

EXAMPLES = [
    ("6h", timedelta(hours=6)),
    ("30m", timedelta(minutes=30)),
    ("45s", timedelta(seconds=45)),
    ("2d", timedelta(days=2)),
    ("1h30m", timedelta(hours=1, minutes=30)),
    ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ("72h", timedelta(hours=72)),
    ("0h5m", timedelta(minutes=5)),
]

INVALID = [
    ("", "empty duration"),
    ("6", "'6' has no unit"),
    ("-1h", "'-1h' is negative"),
    ("6x", "'6x' is not a duration"),
    ("h", "'h' is not a duration"),
    ("1.5h", "'1.5h' is not a duration"),
    ("30m1h", "'30m1h' is not a duration"),
    ("1h1h", "'1h1h' is not a duration"),
    ("6 h", "'6 h' is not a duration"),
    ("6H", "'6H' is not a duration"),
    ("0h", "'0h' is zero"),
    ("999999999999d", "too long"),
]

FORMATTED = [
    (timedelta(hours=6), "6h"),
    (timedelta(hours=72), "72h"),
    (timedelta(minutes=90), "1h30m"),
    (timedelta(seconds=3661), "1h1m1s"),
    (timedelta(seconds=6, microseconds=400_000), "6s"),
    (timedelta(0), "0s"),
]


@pytest.mark.parametrize("text, expected", EXAMPLES)
def test_it_parses(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text, message", INVALID)
def test_it_rejects(text, message):
    with pytest.raises(ValueError) as error:
        parse_duration(text)
    assert message in str(error.value)


def test_it_says_how_to_write_one():
    with pytest.raises(ValueError, match=r'e\.g\. "6h", "30m" or "1h30m"'):
        parse_duration("6x")


@pytest.mark.parametrize("delta, expected", FORMATTED)
def test_it_formats(delta, expected):
    assert format_duration(delta) == expected


def test_it_refuses_to_format_negative():
    with pytest.raises(ValueError, match="negative"):
        format_duration(timedelta(hours=-1))


@given(st.integers(min_value=1, max_value=10**8))
def test_format_and_parse_round_trip(seconds):
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta
