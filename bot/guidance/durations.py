"""Durations as a clinic writes them in its config: "6h", "30m", "1h30m", "2d"."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
# Largest unit first, each at most once: "30m1h" or "1h1h" is far more likely a typo than intent.
_FORM = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_HELP = 'write a number and a unit, e.g. "6h", "30m" or "1h30m" (units d, h, m, s)'
_SECOND = timedelta(seconds=1)


def parse_duration(text: str) -> timedelta:
    """Parse "6h" or "1h30m" into a timedelta.

    Zero is refused too: no setting in this bot means anything when it is zero.
    """
    match = _FORM.fullmatch(text)
    if not text:
        raise ValueError(f"empty duration: {_HELP}")
    if text.isdigit():
        raise ValueError(f"{text!r} has no unit: {_HELP}")
    if text.startswith("-"):
        raise ValueError(f"{text!r} is negative: a duration must be longer than zero")
    if not match:
        raise ValueError(f"{text!r} is not a duration: {_HELP}")
    seconds = sum(int(n) * s for n, (_, s) in zip(match.groups(), _UNIT_SECONDS, strict=True) if n)
    if not seconds:
        raise ValueError(f"{text!r} is zero: a duration must be longer than zero")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{text!r} is too long") from None


def format_duration(delta: timedelta) -> str:
    """Write a timedelta the way parse_duration reads it, e.g. "72h" or "1h30m".

    Hours are the largest unit because check-ins are written "24h", "72h" and a summary should
    read like the config. Fractions of a second (from a sped-up demo clock) are rounded.
    """
    if delta < timedelta(0):
        raise ValueError(f"cannot format a negative duration ({delta})")
    total = round(delta / _SECOND)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = ((hours, "h"), (minutes, "m"), (seconds, "s"))
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"
