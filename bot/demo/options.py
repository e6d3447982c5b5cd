"""What `aftercare demo` can be asked for: its options, its check-in schedule, and the fastest clock
the scripted patients can keep up with."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

DEFAULT_SPEED = 3600.0  # "6h" passes in 6 s; the 72 h follow-up in 72 s
MIN_GAP_SECONDS = 8.0  # between check-ins, on the bot's clock: a patient needs ~5 s to answer one
FAST_WARP = 10.0  # --fast: the bot's and the emulator's clocks run this many times faster
CHECKINS = ("6h", "24h", "48h", "72h")
CHECKIN_HOURS = tuple(float(c.removesuffix("h")) for c in CHECKINS)


@dataclass(frozen=True)
class DemoOptions:
    speed: float = DEFAULT_SPEED
    quiet: bool = False
    seed: int = 1
    fast: bool = False
    web: bool = False  # keep the web worklist running on the day's data until stopped

    @property
    def warp(self) -> float:
        return FAST_WARP if self.fast else 1.0


def check_options(options: DemoOptions) -> str | None:
    """Why the demo cannot run with these options, or None."""
    if not options.speed > 0 or not math.isfinite(options.speed):  # not a number fails both
        return (
            f"--speed must be a number above 0, got {options.speed:g}: it is how many times faster than"
            f" real time the clinic's clock runs ({DEFAULT_SPEED:g} by default, at most {max_speed():g})"
        )
    if options.speed > max_speed():
        return (
            f"--speed must be at most {max_speed():g}: faster leaves under {MIN_GAP_SECONDS:g} s"
            " between check-ins, less than a patient needs to answer one at Telegram's pace of about one"
            " message a second per chat (--fast runs the whole clock faster instead)"
        )
    return None


def max_speed() -> float:
    gap = min(b - a for a, b in pairwise(CHECKIN_HOURS))
    return gap * 3600 / MIN_GAP_SECONDS
