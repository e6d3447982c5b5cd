"""The clinic settings an admin may change from Telegram (/settings), one entry per config key,
and the clinic they make: the config file's values with the stored ones written over them.

An entry says how a typed value becomes the value the config file would hold (`read`), how the
current value is shown (`show`) and which values its buttons offer (`presets`). Every value is
then checked by the config's own checks: the clinic's TOML table, with the stored values and the
new one written over it, is read again by `config.read_clinic` (`overlay`), so Telegram refuses
what the file would refuse, with the file's message and the checks between keys (a reminder
shorter than the gap between check-ins). Adding a setting is one entry in SETTINGS.
Imports only `bot.guidance`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.guidance.config import CLINIC, Clinic, Config, ConfigError, read_clinic
from bot.guidance.durations import format_duration
from bot.guidance.toml_doc import Table

OFF = ("off", "none", "-")  # typed for an optional key: as if the file did not set it


@dataclass(frozen=True)
class Setting:
    """A config key of a clinic that /settings shows and changes."""

    key: str
    show: Callable[[Clinic], str | None]  # the value in force as the file would write it; None: unset
    presets: tuple[Any, ...]  # values as the file writes them (None: unset), one button each; () typed only
    read: Callable[[str], Any] = str  # a typed value into the file's form
    # When a change counts (message `settings_applies_<applies>`): "new" follow-ups (planned at
    # consent), "now" (read whenever used: running follow-ups too), new enrolment "links".
    applies: str = "new"


@dataclass(frozen=True)
class StaffChange:
    """A staff member added (or their role changed) or removed from Telegram, over the file's list."""

    telegram_id: int
    name: str
    role: str
    removed: bool


def _durations(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", text) if part]


def _whole(text: str) -> int | str:
    # Anything else stays text, which the file's check refuses as "expected a whole number".
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


def _optional(text: str) -> str | None:
    return None if text.lower() in OFF else text


def _opening_days(text: str) -> dict[str, str] | None:
    """ "mon-fri 08:00-18:00; sat 09:00-12:00" as the file's table {"mon-fri": "08:00-18:00", ...}."""
    if text.lower() in OFF:
        return None
    parts = (part.strip().partition(" ") for part in text.split(";") if part.strip())
    return {day: hours.strip() for day, _, hours in parts}


# fmt: off
SETTINGS: tuple[Setting, ...] = (
    Setting("checkins", lambda c: ", ".join(map(format_duration, c.checkins)),
            (["6h", "24h", "48h", "72h"], ["2h", "6h", "24h", "48h", "72h"], ["24h", "48h", "72h"]),
            _durations),
    Setting("quiet_hours", lambda c: str(c.quiet_hours) if c.quiet_hours else None,
            ("21:00-08:00", "22:00-07:00", "20:00-09:00", None), _optional),
    Setting("reminder_after", lambda c: format_duration(c.reminder_after), ("1h", "2h", "4h"), applies="now"),
    Setting("alert_renotify_after", lambda c: format_duration(c.alert_renotify_after), ("15m", "30m", "1h"),
            applies="now"),
    Setting("missed_alert_after", lambda c: str(c.missed_alert_after), (1, 2, 3), _whole, applies="now"),
    Setting("enrol_token_ttl", lambda c: format_duration(c.enrol_token_ttl), ("12h", "24h", "72h"),
            applies="links"),
    Setting("opening_hours", lambda c: str(c.opening_hours) if c.opening_hours else None,
            ({"mon-fri": "08:00-18:00"}, {"mon-fri": "08:00-18:00", "sat": "09:00-12:00"}, None),
            _opening_days, applies="now"),
    Setting("out_of_hours_phone", lambda c: c.out_of_hours_phone, (), _optional, applies="now"),
    Setting("emergency_renotify_after", lambda c: format_duration(c.emergency_renotify_after),
            ("5m", "10m", "15m"), applies="now"),
    Setting("max_alert_rounds", lambda c: str(c.max_alert_rounds), (3, 4, 6), _whole, applies="now"),
)
# fmt: on
BY_KEY = {setting.key: setting for setting in SETTINGS}


def shown(value: Any) -> str | None:
    """A value in the file's form as /settings writes it: a list joined, None for unset."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):  # opening hours, in their one-line form
        return "; ".join(f"{days} {hours}" for days, hours in value.items())
    return None if value is None else str(value)


def overlay(
    config: Config, clinic_id: str, values: Mapping[str, Any], staff: Sequence[StaffChange] = ()
) -> Clinic:
    """The clinic of the config file with `values` (by key; None: unset) and `staff` changes
    written over its table, checked as the file is; ConfigError names the file and the key."""
    clinic = config.clinic(clinic_id)
    table = {key: value for key, value in {**clinic.table, **values}.items() if value is not None}
    if staff:
        changed = {change.telegram_id for change in staff}
        members = [dict(m) for m in table.get("staff", []) if m.get("telegram_id") not in changed]
        members += [
            {"telegram_id": c.telegram_id, "name": c.name, "role": c.role} for c in staff if not c.removed
        ]
        table["staff"] = members
    key = f"clinics[{config.clinics.index(clinic)}]"
    return read_clinic(Table(config.path, key, table, CLINIC, ConfigError), config.path.resolve().parent)


def reason(error: ConfigError) -> str:
    """The file's message for a value, named by its key within the clinic ("quiet_hours: ...")."""
    return re.sub(r"^clinics\[\d+\]\.", "", str(error).removeprefix(f"{error.file}: "))


def effective(
    config: Config, values: Mapping[str, Mapping[str, Any]], staff: Mapping[str, Sequence[StaffChange]]
) -> tuple[Config, list[ConfigError]]:
    """The config with each clinic's stored values and staff changes over the file's, and the
    problems found: a clinic whose stored values the file no longer accepts (edited since) keeps
    the file's values until an admin changes or resets them."""
    clinics, problems = [], []
    for clinic in config.clinics:
        try:
            clinics.append(overlay(config, clinic.id, values.get(clinic.id, {}), staff.get(clinic.id, ())))
        except ConfigError as error:
            problems.append(error)
            clinics.append(clinic)
    return replace(config, clinics=tuple(clinics)), problems
