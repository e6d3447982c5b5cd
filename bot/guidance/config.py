"""Clinic configuration: one TOML file read into frozen dataclasses.

Checked by the same validator as the guidance (`bot.guidance.toml_doc`): every error names the
file and the dotted key (`config.toml: clinics[0].timezone: ...`) so a clinic can fix its file
without reading Python, and an unknown key is an error with a "did you mean". The [telegram]
table is read by `telegram_config`. Imports only its sibling modules of `bot.guidance`.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import bot
from bot.guidance.durations import format_duration, parse_duration
from bot.guidance.escalation import (
    DEFAULT_EMERGENCY_RENOTIFY,
    DEFAULT_MAX_ALERT_ROUNDS,
    ESCALATION_KEYS,
    PHONE,
    PHONE_HINT,
    at_least_one,
    read_escalation,
)
from bot.guidance.opening_hours import OpeningHours
from bot.guidance.quiet_hours import QuietHours
from bot.guidance.telegram_config import DEFAULT_API_BASE_URL as DEFAULT_API_BASE_URL
from bot.guidance.telegram_config import TOKEN_ENV as TOKEN_ENV
from bot.guidance.telegram_config import ConfigError as ConfigError
from bot.guidance.telegram_config import TelegramConfig as TelegramConfig
from bot.guidance.telegram_config import read_telegram
from bot.guidance.telegram_config import resolve as _resolve
from bot.guidance.toml_doc import (
    FILLED_TEXT,
    LIST,
    NUMBER,
    TABLE,
    WHOLE,
    Schema,
    Table,
    read_toml,
)
from bot.guidance.web_config import WebConfig, read_web

ROLES = ("practitioner", "admin")
LOG_LEVELS = ("debug", "info", "warning", "error")
MAX_QUIET = timedelta(hours=20)

_CLINIC_ID = re.compile(r"[a-z0-9_-]{1,32}")
_EMERGENCY = re.compile(r"\d{2,6}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")

ROOT = Schema(
    required={"clinics": LIST},
    optional={"telegram": TABLE, "storage": TABLE, "logging": TABLE, "web": TABLE},
)
STORAGE = Schema(optional={"database": FILLED_TEXT})
LOGGING = Schema(optional={"level": FILLED_TEXT})
CLINIC = Schema(
    required={
        "id": FILLED_TEXT,
        "name": FILLED_TEXT,
        "timezone": FILLED_TEXT,
        "phone": FILLED_TEXT,
        "emergency_number": FILLED_TEXT,
        "checkins": LIST,
        "staff": LIST,
    },
    optional={
        "clock_speed": NUMBER,
        "quiet_hours": FILLED_TEXT,
        "reminder_after": FILLED_TEXT,
        "alert_renotify_after": FILLED_TEXT,
        "missed_alert_after": WHOLE,
        "enrol_token_ttl": FILLED_TEXT,
        "retention_days": WHOLE,
        "alert_chat_id": WHOLE,
        "guidance_dir": FILLED_TEXT,
        "language": FILLED_TEXT,
        **ESCALATION_KEYS,
    },
)
STAFF = Schema(required={"telegram_id": WHOLE, "name": FILLED_TEXT, "role": FILLED_TEXT})


@dataclass(frozen=True)
class StorageConfig:
    database: Path


@dataclass(frozen=True)
class Staff:
    telegram_id: int
    name: str
    role: str


@dataclass(frozen=True)
class Clinic:
    id: str
    name: str
    timezone: ZoneInfo
    phone: str
    emergency_number: str
    checkins: tuple[timedelta, ...]
    clock_speed: float
    quiet_hours: QuietHours | None
    reminder_after: timedelta
    alert_renotify_after: timedelta
    missed_alert_after: int
    enrol_token_ttl: timedelta
    retention_days: int
    alert_chat_id: int | None
    guidance_dir: Path | None  # None: the guidance shipped with the bot
    language: str
    staff: tuple[Staff, ...]
    opening_hours: OpeningHours | None = None  # None: always open, as before the key existed
    out_of_hours_phone: str | None = None
    emergency_renotify_after: timedelta = parse_duration(DEFAULT_EMERGENCY_RENOTIFY)
    max_alert_rounds: int = DEFAULT_MAX_ALERT_ROUNDS
    table: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # as read, for overlay

    @property
    def guidance_folder(self) -> Path:
        """The clinic's own guidance folder, else the one shipped with the bot."""
        return self.guidance_dir or default_guidance_dir()

    def staff_member(self, telegram_id: int) -> Staff | None:
        return next((s for s in self.staff if s.telegram_id == telegram_id), None)

    def is_staff(self, telegram_id: int) -> bool:
        return self.staff_member(telegram_id) is not None


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig
    storage: StorageConfig
    clinics: tuple[Clinic, ...]
    path: Path
    log_level: str = "info"
    web: WebConfig = field(default_factory=WebConfig)

    def clinics_seen_in(self, telegram_id: int, chat_id: int, private: bool) -> list[Clinic]:
        """The clinics whose follow-ups this staff member may see in this chat: any of theirs in
        their private chat, elsewhere only the clinic whose alert chat it is."""
        return [
            c for c in self.clinics if c.is_staff(telegram_id) and (private or c.alert_chat_id == chat_id)
        ]

    def clinic(self, clinic_id: str) -> Clinic:
        for clinic in self.clinics:
            if clinic.id == clinic_id:
                return clinic
        known = ", ".join(c.id for c in self.clinics)
        message = f"no clinic with id {clinic_id!r} (known: {known})"
        raise ConfigError(self.path, "clinics", message)


def default_guidance_dir() -> Path:
    """The shipped guidance: inside the wheel (`bot/_guidance`) or the source checkout."""
    package = Path(bot.__file__).parent
    wheel = package / "_guidance"
    return wheel if wheel.is_dir() else package.parent / "guidance"


def load_config(path: str | Path) -> Config:
    """Read and check a config file; raise ConfigError on the first problem."""
    path = Path(path)
    root = Table(path, "", read_toml(path, path, ConfigError), ROOT, ConfigError)
    base = path.resolve().parent
    clinics = tuple(read_clinic(table, base) for table in root.tables("clinics", CLINIC))
    if not clinics:
        raise root.error("clinics", "at least one [[clinics]] table is needed")
    seen: dict[str, int] = {}
    for index, clinic in enumerate(clinics):
        if clinic.id in seen:
            message = f"{clinic.id!r} is already clinics[{seen[clinic.id]}].id"
            raise root.error(f"clinics[{index}].id", message)
        seen[clinic.id] = index
    return Config(
        read_telegram(root, base), _storage(root, base), clinics, path, _log_level(root), read_web(root)
    )


def _log_level(root: Table) -> str:
    return (table := root.table("logging", LOGGING)).choice("level", table.get("level", "info"), LOG_LEVELS)


def _storage(root: Table, base: Path) -> StorageConfig:
    table = root.table("storage", STORAGE)
    return StorageConfig(_resolve(base, table.get("database", "aftercare.sqlite3")))


def read_clinic(t: Table, base: Path) -> Clinic:
    clinic_id = _match(t, "id", _CLINIC_ID, "use 1-32 of a-z, 0-9, _ and -")
    phone = _match(t, "phone", PHONE, PHONE_HINT)
    emergency = _match(t, "emergency_number", _EMERGENCY, 'write 2-6 digits in quotes, e.g. "999"')
    checkins = _checkins(t)
    clock_speed = float(t.get("clock_speed", 1.0))
    if not (math.isfinite(clock_speed) and clock_speed > 0):
        raise t.error("clock_speed", f"must be a number above 0, got {clock_speed}")
    reminder = _duration(t, "reminder_after", "2h")
    gap = min((b - a for a, b in zip(checkins, checkins[1:], strict=False)), default=None)
    if gap is not None and reminder >= gap:
        raise t.error(
            "reminder_after",
            "must be shorter than the smallest gap between"
            f" check-ins ({format_duration(gap)}), or a reminder would come after"
            " the next check-in",
        )
    missed = _at_least_one(t, "missed_alert_after", 2)
    if missed > len(checkins):
        raise t.error(
            "missed_alert_after",
            f"is {missed} but there are only {len(checkins)} check-ins, so the clinic would never be told",
        )
    guidance = t.get("guidance_dir")
    if guidance is not None and not (guidance := _resolve(base, guidance)).is_dir():
        raise t.error("guidance_dir", f"no such folder: {guidance}")
    return Clinic(
        id=clinic_id,
        name=t["name"],
        timezone=_timezone(t),
        phone=phone,
        emergency_number=emergency,
        checkins=checkins,
        clock_speed=clock_speed,
        quiet_hours=_quiet_hours(t),
        reminder_after=reminder,
        alert_renotify_after=_duration(t, "alert_renotify_after", "30m"),
        missed_alert_after=missed,
        enrol_token_ttl=_duration(t, "enrol_token_ttl", "24h"),
        retention_days=_at_least_one(t, "retention_days", 90),
        alert_chat_id=t.get("alert_chat_id"),
        guidance_dir=guidance,
        language=_match(t, "language", _LANGUAGE, 'use a language code such as "en"', "en"),
        staff=_staff(t),
        table=dict(t.data),
        **read_escalation(t),
    )


def _timezone(t: Table) -> ZoneInfo:
    name = t["timezone"]
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(name, available_timezones(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise t.error("timezone", f"unknown time zone {name!r}{hint}") from None


def _checkins(t: Table) -> tuple[timedelta, ...]:
    texts = t["checkins"]
    if not texts:
        raise t.error("checkins", "at least one check-in is needed")
    offsets: list[timedelta] = []
    for index, text in enumerate(texts):
        key = f"checkins[{index}]"
        if not isinstance(text, str):
            raise t.error(key, f'expected a duration in quotes such as "6h", got {text!r}')
        offset = t.parse(key, parse_duration, text)
        if offsets and offset <= offsets[-1]:
            raise t.error(
                key, f"{text!r} is not after the check-in before it: list check-ins in increasing order"
            )
        offsets.append(offset)
    return tuple(offsets)


def _quiet_hours(t: Table) -> QuietHours | None:
    text = t.get("quiet_hours")
    if text is None:
        return None
    quiet = t.parse("quiet_hours", QuietHours.parse, text)
    if quiet.length >= MAX_QUIET:
        raise t.error(
            "quiet_hours",
            f"{text!r} is quiet for 20 hours or more of the day, so no check-in could reliably be delivered",
        )
    return quiet


def _staff(clinic: Table) -> tuple[Staff, ...]:
    tables = clinic.tables("staff", STAFF)
    if not tables:
        raise clinic.error("staff", "at least one [[clinics.staff]] member is needed")
    staff: list[Staff] = []
    for t in tables:
        telegram_id = _at_least_one(t, "telegram_id")
        for other, member in enumerate(staff):
            if member.telegram_id == telegram_id:
                message = f"{telegram_id} is already {clinic.key}.staff[{other}]"
                raise t.error("telegram_id", message)
        role = t.choice("role", t["role"], ROLES)
        staff.append(Staff(telegram_id, t["name"], role))
    return tuple(staff)


def _at_least_one(t: Table, name: str, default: int | None = None) -> int:
    return t.parse(name, at_least_one, t.get(name, default))


def _match(t: Table, name: str, pattern: re.Pattern[str], hint: str, default: str | None = None) -> str:
    value: str = t.get(name, default)
    if not pattern.fullmatch(value):
        raise t.error(name, f"{value!r} is not valid: {hint}")
    return value


def _duration(t: Table, name: str, default: str) -> timedelta:
    return t.parse(name, parse_duration, t.get(name, default))
