"""A clinic's escalation keys: opening hours, the out-of-hours number, how often an emergency alert
is re-sent and after how many rounds a contact alert stops.

Read by `bot.guidance.config` into plain fields of `Clinic`; each parse function raises a
ValueError whose text is the config's own message, so /settings can check a value typed in
Telegram exactly as the file's is checked. Imports its siblings in `bot.guidance` only."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.guidance.durations import parse_duration
from bot.guidance.opening_hours import DayError, OpeningHours
from bot.guidance.toml_doc import FILLED_TEXT, TABLE, WHOLE, Kind, Schema, Table

PHONE = re.compile(r"\+?[ ()./-]*(\d[ ()./-]*){3,}")
PHONE_HINT = "use digits, spaces and + ( ) . / -"
DEFAULT_EMERGENCY_RENOTIFY = "5m"
DEFAULT_MAX_ALERT_ROUNDS = 4
MAX_EMERGENCY_RENOTIFY = timedelta(minutes=30)  # an emergency nobody has taken must not wait longer

ESCALATION_KEYS: dict[str, Kind] = {
    "opening_hours": TABLE,
    "out_of_hours_phone": FILLED_TEXT,
    "emergency_renotify_after": FILLED_TEXT,
    "max_alert_rounds": WHOLE,
}
OPENING_HOURS = Schema(values=FILLED_TEXT)


def parse_phone(text: str) -> str:
    if not PHONE.fullmatch(text):
        raise ValueError(f"{text!r} is not valid: {PHONE_HINT}")
    return text


def parse_emergency_renotify(text: str) -> timedelta:
    every = parse_duration(text)
    if every > MAX_EMERGENCY_RENOTIFY:
        raise ValueError(f"{text!r} is too long: an unacknowledged emergency is re-sent at least every 30m")
    return every


def at_least_one(value: int) -> int:
    """A count such as max_alert_rounds: 1 or more."""
    if value < 1:
        raise ValueError(f"must be 1 or more, got {value}")
    return value


def read_escalation(t: Table) -> dict[str, Any]:
    """The escalation fields of the clinic table `t`, as keyword arguments of `Clinic`."""
    hours = None
    if "opening_hours" in t:
        days = t.table("opening_hours", OPENING_HOURS)
        try:
            hours = OpeningHours.from_days(dict(days.items()))
        except DayError as error:
            days.fail(error.key, error.message)
        except ValueError as error:
            t.fail("opening_hours", str(error))
    phone = (
        t.parse("out_of_hours_phone", parse_phone, t["out_of_hours_phone"])
        if "out_of_hours_phone" in t
        else None
    )
    if hours is not None and phone is None:
        t.fail(
            "out_of_hours_phone",
            "missing: with opening_hours, patients told outside them need a number to call meanwhile",
        )
    every = t.get("emergency_renotify_after", DEFAULT_EMERGENCY_RENOTIFY)
    return {
        "opening_hours": hours,
        "out_of_hours_phone": phone,
        "emergency_renotify_after": t.parse("emergency_renotify_after", parse_emergency_renotify, every),
        "max_alert_rounds": t.parse(
            "max_alert_rounds", at_least_one, t.get("max_alert_rounds", DEFAULT_MAX_ALERT_ROUNDS)
        ),
    }
