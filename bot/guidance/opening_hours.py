"""Opening hours: when a clinic's staff are at work, per weekday, in the clinic's local time.

A config value (`[clinics.opening_hours]`, parsed and checked with the rest of the config);
`bot.followup.rounds` asks it whether the clinic is open and when it opens next. Written per day
or day range, each open day as one or more "HH:MM-HH:MM" ranges; a day not named is closed:

    mon-fri = "08:00-18:00"
    sat = "09:00-12:00"
    sun = "closed"

The one-line form "mon-fri 08:00-18:00; sat 09:00-12:00" (what `str()` gives) reads the same."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED = "closed"
_RANGE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_END_OF_DAY = time.max  # "24:00": open until midnight
_LOOKAHEAD_DAYS = 8  # a week and a day: every weekday is met once

Span = tuple[time, time]


def parse_days(key: str) -> tuple[int, ...]:
    """The weekdays (0 = Monday) of "mon", or of a range "mon-fri" (which may wrap: "sat-mon")."""
    first, _, last = key.strip().lower().partition("-")
    names = [first] + ([last] if last else [])
    for name in names:
        if name not in DAYS:
            raise ValueError(f"{name!r} is not a day: use {', '.join(DAYS)} or a range such as mon-fri")
    start, end = DAYS.index(first), DAYS.index(last or first)
    return tuple((start + i) % 7 for i in range((end - start) % 7 + 1))


def parse_spans(text: str) -> tuple[Span, ...]:
    """ "closed", or one or more "HH:MM-HH:MM" ranges separated by commas, in order, not overlapping."""
    if text.strip().lower() == CLOSED:
        return ()
    spans: list[Span] = []
    for part in text.split(","):
        match = _RANGE.fullmatch(part.strip())
        if not match:
            raise ValueError(f'{part.strip()!r} is not HH:MM-HH:MM, e.g. "08:00-18:00", or "closed"')
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or max(m1, m2) > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"{part.strip()!r}: hours run 00-23 (24:00 for midnight) and minutes 00-59")
        start, end = time(h1, m1), _END_OF_DAY if h2 == 24 else time(h2, m2)
        if end <= start:
            raise ValueError(f"{part.strip()!r} closes before it opens (a day's hours end by 24:00)")
        if spans and start < spans[-1][1]:
            raise ValueError(f"{part.strip()!r} starts before the range before it ends")
        spans.append((start, end))
    return tuple(spans)


def _span_text(span: Span) -> str:
    end = "24:00" if span[1] == _END_OF_DAY else f"{span[1]:%H:%M}"
    return f"{span[0]:%H:%M}-{end}"


@dataclass(frozen=True)
class OpeningHours:
    """Open spans for each weekday, Monday first; an empty tuple is a closed day."""

    days: tuple[tuple[Span, ...], ...]

    def __post_init__(self) -> None:
        if not any(self.days):
            raise ValueError("open on no day at all: name at least one day with its hours")

    @classmethod
    def from_days(cls, entries: Mapping[str, str]) -> OpeningHours:
        """From {"mon-fri": "08:00-18:00", "sun": "closed"}; a ValueError names the day key."""
        days: list[tuple[Span, ...] | None] = [None] * 7
        given: dict[int, str] = {}
        for key, text in entries.items():
            try:
                weekdays, spans = parse_days(key), parse_spans(text)
            except ValueError as error:
                raise DayError(key, str(error)) from None
            for day in weekdays:
                if day in given:
                    raise DayError(key, f"{DAYS[day]} is already given by {given[day]!r}")
                given[day], days[day] = key, spans
        return cls(tuple(spans or () for spans in days))

    @classmethod
    def parse(cls, text: str) -> OpeningHours:
        """The one-line form: "mon-fri 08:00-18:00; sat 09:00-12:00" (days not named are closed)."""
        entries: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(";"))):
            key, _, spans = part.partition(" ")
            if not spans.strip():
                raise ValueError(f'{part!r}: write a day and its hours, e.g. "mon-fri 08:00-18:00"')
            if key in entries:
                raise ValueError(f"{key!r} is named twice")
            entries[key] = spans
        try:
            return cls.from_days(entries)
        except DayError as error:
            raise ValueError(f"{error.key}: {error.message}") from None

    def __str__(self) -> str:
        parts: list[str] = []
        day = 0
        while day < 7:
            last = day
            while last + 1 < 7 and self.days[last + 1] == self.days[day]:
                last += 1
            if self.days[day]:
                name = DAYS[day] if last == day else f"{DAYS[day]}-{DAYS[last]}"
                parts.append(f"{name} {', '.join(_span_text(s) for s in self.days[day])}")
            day = last + 1
        return "; ".join(parts)

    def is_open(self, at: float, tz: ZoneInfo) -> bool:
        local = datetime.fromtimestamp(at, tz)
        return any(start <= local.time() < end for start, end in self.days[local.weekday()])

    def next_opening(self, at: float, tz: ZoneInfo) -> float:
        """When the clinic next opens at or after `at` (`at` itself when it is open then)."""
        if self.is_open(at, tz):
            return at
        local = datetime.fromtimestamp(at, tz)
        for ahead in range(_LOOKAHEAD_DAYS):
            date = local.date() + timedelta(days=ahead)
            for start, _ in self.days[date.weekday()]:
                opening = datetime.combine(date, start, tz)
                if opening.timestamp() > at:
                    return opening.timestamp()
        raise AssertionError("open on some weekday, so an opening comes within a week")


class DayError(ValueError):
    """A problem with one day key of the opening hours."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message
