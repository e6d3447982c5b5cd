"""The demo's world before the day starts: its clocks, a temporary one-clinic config, the scripted
people as emulator users with their chats on screen, and the real bot wired to the emulator."""

from __future__ import annotations

import asyncio
import socket
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
# The delivery job's interval, in seconds of the demo's world clock: with --fast it is as many
# times shorter in real time as the clocks run faster, so it spans the same stretch of the day
# (12 nominal minutes at the default speed) and an alert round is not held back an hour.
TICK_SECONDS = 0.2
RENOTIFY = "1h"  # alert_renotify_after
# emergency_renotify_after: Sam takes Chloe's emergency from his first reminder, after reading for
# 3-10 minutes; a reminder every 15 minutes keeps that story whatever his pace.
EMERGENCY_RENOTIFY = "15m"
REMINDER = "12h"  # reminder_after: longer than a patient takes to tap through a check-in at Telegram's pace
FOLLOW_UP_HOURS = 72
HEARTBEAT = 0.005  # real seconds between the world clock's checks that the event loop runs
STALL = 0.001  # a heartbeat this much late is the loop's ordinary jitter; later, a stall
PATIENT_STYLES = ("green", "yellow", "magenta")
STAFF_STYLES = ("cyan", "bright_blue")


class WorldClock:
    """Unix seconds for the bot and the emulator, running `warp` times faster than real time, and
    standing still while the process is starved.

    A compressed clock turns every real cost into `warp` x clock_speed times more of the day: at
    --fast, a soreness chart drawn in 0.5 s on a busy machine is five hours. `keep_time` counts
    the time the event loop could not run (a heartbeat that wakes late) as time that did not pass,
    so the day plays the same at every speed and load: who acknowledges an alert before it is
    re-sent depends on the script, not on the machine."""

    def __init__(self, warp: float = 1.0):
        self.warp = warp
        self._wall, self._start = time.time(), time.monotonic()
        self._stalled = 0.0  # real seconds the event loop could not run
        self._shown = self._wall  # never back: a stall is counted after others read the clock

    def __call__(self) -> float:
        now = self._wall + (time.monotonic() - self._start - self._stalled) * self.warp
        self._shown = max(self._shown, now)
        return self._shown

    async def keep_time(self) -> None:
        """Runs beside the day until cancelled."""
        while True:
            before = time.monotonic()
            await asyncio.sleep(HEARTBEAT)
            late = time.monotonic() - before - HEARTBEAT
            if late > STALL:
                self._stalled += late

    async def sleep_until(self, at: float) -> None:
        """Sleep until the clock reads `at`: longer in real time when the process stalls meanwhile."""
        while (left := at - self()) > 0:
            await asyncio.sleep(left / self.warp)


class Timeline:
    """The day in the bot's nominal hours since treatment, and the real-time deadline for all of it."""

    def __init__(self, clock: WorldClock, speed: float, loop: asyncio.AbstractEventLoop):
        self.clock, self.speed, self.loop = clock, speed, loop
        self.treated_at = clock()  # set again once the bot is up and the sessions are created
        self.follow_up_real = FOLLOW_UP_HOURS * 3600 / speed / clock.warp
        # The follow-up, a quarter more and 20 s for the last answers and edits, on the world clock.
        self._ends_at = self.treated_at + (self.follow_up_real * 1.25 + 20) * clock.warp

    @property
    def deadline_at(self) -> float:
        """The event-loop time by which the day must be over: later while the process stalls."""
        return self.loop.time() + (self._ends_at - self.clock()) / self.clock.warp

    def hours(self) -> float:
        return max(0.0, (self.clock() - self.treated_at) * self.speed / 3600)

    async def sleep_hours(self, nominal: float) -> None:
        await self.clock.sleep_until(self.clock() + nominal * 3600 / self.speed)


def write_config(
    folder: Path,
    api_base_url: str,
    staff: list[tuple[int, str, str]],
    speed: float,
    warp: float = 1.0,
    web_listen: str | None = None,
) -> Path:
    """A one-clinic config for the demo: no quiet hours, the schedule `speed` times faster. With
    `warp`, the emulator's clock (and so the rate Telegram allows) runs that many times faster;
    with `web_listen`, the web worklist is on."""
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
        "emergency_renotify_after": EMERGENCY_RENOTIFY,
        "language": "en",
    }
    telegram = {"api_base_url": api_base_url, "max_messages_per_second": SEND_RATE * warp}
    storage = {"database": str(folder / "demo.sqlite3")}
    web = {"listen": web_listen} if web_listen else None
    return write_clinic_config(folder / "demo.toml", telegram, storage, clinic, staff, web)


def free_port() -> int:
    """A port on this machine nobody listens on now, for the demo's worklist (--web)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
        return self.staff_member("practitioner")

    def staff_member(self, role: str) -> User:
        """The first staff member of `role`."""
        return next(u for u, s in zip(self.staff_users, self.staff_scripts, strict=True) if s.role == role)


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
    web_listen = f"127.0.0.1:{free_port()}" if options.web else None
    config = load_config(write_config(folder, emu.base_url, staff, options.speed, options.warp, web_listen))
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


def build_bot(cast: Cast, store: Store, emu: BotApiEmulator, clock: WorldClock) -> Application:
    """The real bot, on the emulator's token, its clock and job interval those of the demo."""
    return build_application(
        cast.config,
        store,
        cast.guidance_by_clinic,
        emu.token,
        now=clock,
        tick_seconds=TICK_SECONDS / clock.warp,
    )
