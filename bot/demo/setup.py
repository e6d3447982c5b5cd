"""The demo's world before the day starts: its clocks, a temporary one-clinic config, the scripted
people as emulator users with their chats on screen, and the real bot wired to the emulator."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from telegram.ext import Application

from bot.demo import script
from bot.demo.config_writer import write_clinic_config
from bot.demo.display import ChatDisplay
from bot.demo.options import CHECKINS, DemoOptions
from bot.emulator import BotApiEmulator, User
from bot.guidance.config import Clinic, Config, load_config
from bot.guidance.loader import load_all_guidance
from bot.guidance.model import Guidance
from bot.store.database import Store
from bot.telegram.app import build_application

SEND_RATE = 28.0  # the bot's overall sends a second (Telegram allows about 30)
TICK_SECONDS = 0.2  # the delivery job's interval (real seconds)
FAST_TICK_SECONDS = 0.1
RENOTIFY = "1h"  # alert_renotify_after
REMINDER = "12h"  # reminder_after: longer than a patient takes to tap through a check-in at Telegram's pace
FOLLOW_UP_HOURS = 72
PATIENT_STYLES = ("green", "yellow", "magenta")
STAFF_STYLES = ("cyan", "bright_blue")


class WorldClock:
    """Unix seconds for the bot and the emulator, running `warp` times faster than real time."""

    def __init__(self, warp: float = 1.0):
        self.warp = warp
        self._wall, self._start = time.time(), time.monotonic()

    def __call__(self) -> float:
        return self._wall + (time.monotonic() - self._start) * self.warp


class Timeline:
    """The day in the bot's nominal hours since treatment, and the real-time deadline for all of it."""

    def __init__(self, clock: WorldClock, speed: float, loop: asyncio.AbstractEventLoop):
        self.clock, self.speed = clock, speed
        self.treated_at = clock()  # set again once the bot is up and the sessions are created
        self.follow_up_real = FOLLOW_UP_HOURS * 3600 / speed / clock.warp
        self.deadline_at = loop.time() + self.follow_up_real + 20 + self.follow_up_real * 0.25

    def hours(self) -> float:
        return max(0.0, (self.clock() - self.treated_at) * self.speed / 3600)

    async def sleep_hours(self, nominal: float) -> None:
        await asyncio.sleep(nominal * 3600 / self.speed / self.clock.warp)


def write_config(
    folder: Path, api_base_url: str, staff: list[tuple[int, str, str]], speed: float, warp: float = 1.0
) -> Path:
    """A one-clinic config for the demo: no quiet hours, the schedule `speed` times faster. With
    `warp`, the emulator's clock (and so the rate Telegram allows) runs that many times faster."""
    clinic = {
        "id": "demo",
        "name": "Harbour Physio",
        "timezone": "Europe/London",
        "phone": "+44 20 7946 0000",
        "emergency_number": "999",
        "checkins": list(CHECKINS),
        "clock_speed": float(speed),
        "reminder_after": REMINDER,
        "alert_renotify_after": RENOTIFY,
        "language": "en",
    }
    telegram = {"api_base_url": api_base_url, "max_messages_per_second": SEND_RATE * warp}
    storage = {"database": str(folder / "demo.sqlite3")}
    return write_clinic_config(folder / "demo.toml", telegram, storage, clinic, staff)


@dataclass(frozen=True)
class Cast:
    """Who plays the day: the clinic as configured, and each script with its emulator user."""

    config: Config
    guidance_by_clinic: dict[str, Guidance]
    stage: script.Stage
    patient_scripts: list[script.PatientScript]
    patient_users: list[User]
    staff_scripts: list[script.StaffScript]
    staff_users: list[User]

    @property
    def clinic(self) -> Clinic:
        return self.config.clinics[0]

    @property
    def guidance(self) -> Guidance:
        return self.guidance_by_clinic[self.clinic.id]

    @property
    def practitioner(self) -> User:
        return next(
            u for u, s in zip(self.staff_users, self.staff_scripts, strict=True) if s.role == "practitioner"
        )


def cast_the_day(
    emu: BotApiEmulator, folder: Path, options: DemoOptions, timeline: Timeline, display: ChatDisplay
) -> Cast:
    """Add the people to the emulator, write the clinic's config in `folder`, and show their chats."""
    patient_scripts, staff_scripts = script.patients(options.seed), script.staff(options.seed)
    staff_users = [emu.add_user(s.first_name, last_name=s.last_name) for s in staff_scripts]
    patient_users = [emu.add_user(p.name) for p in patient_scripts]
    staff = [
        (u.id, f"{s.first_name} {s.last_name}", s.role)
        for u, s in zip(staff_users, staff_scripts, strict=True)
    ]
    config = load_config(write_config(folder, emu.base_url, staff, options.speed, options.warp))
    clinic = config.clinics[0]
    guidance_by_clinic = load_all_guidance(config)
    stage = script.Stage(
        emu,
        guidance_by_clinic[clinic.id],
        clinic.language,
        timeline.hours,
        timeline.sleep_hours,
        display,
        [c.total_seconds() / 3600 for c in clinic.checkins],
    )
    for user, style in zip(patient_users, PATIENT_STYLES, strict=False):
        display.add_chat(user.id, user.first_name, style)
    for user, staff_script, style in zip(staff_users, staff_scripts, STAFF_STYLES, strict=False):
        display.add_chat(user.id, f"{staff_script.first_name} ({staff_script.role[:5]})", style)
    for user in [*patient_users, *staff_users]:
        stage.inboxes[user.id] = script.Inbox(user.first_name, lambda: timeline.deadline_at)
    emu.on_bot_message(stage.listen)
    emu.on_bot_message(display.bot_message)
    return Cast(config, guidance_by_clinic, stage, patient_scripts, patient_users, staff_scripts, staff_users)


def build_bot(cast: Cast, store: Store, emu: BotApiEmulator, clock: WorldClock, fast: bool) -> Application:
    """The real bot, on the emulator's token, its clock and job interval those of the demo."""
    return build_application(
        cast.config,
        store,
        cast.guidance_by_clinic,
        emu.token,
        now=clock,
        tick_seconds=FAST_TICK_SECONDS if fast else TICK_SECONDS,
    )
