"""The whole bot, as it runs in production, against the Bot API emulator on 127.0.0.1.

A test gets a real PTB Application polling the emulator, a temporary SQLite file, a clinic
whose staff are emulator users, and a fake clock: `advance()` moves time, `tick()` runs one
delivery tick at once, so a 72-hour follow-up takes milliseconds.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.demo.config_writer import toml_value, write_clinic_config
from bot.emulator import BotApiEmulator, User
from bot.guidance.config import Clinic, load_config
from bot.services.due import Ticker
from bot.services.shared import Services
from bot.store.database import Store

# Monday 23 Nov 2026, 10:00 in London: a working morning, outside the default quiet hours.
START = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/London")).timestamp()


class FakeClock:
    def __init__(self, start: float = START):
        self.time = start

    def __call__(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


def write_config(folder: Path, api_base_url: str, staff: list[tuple[int, str, str]], **clinic: Any) -> Path:
    settings = {
        "id": "harbour",
        "name": "Harbour Physio",
        "timezone": "Europe/London",
        "phone": "+44 20 7946 0000",
        "emergency_number": "999",
        "checkins": ["6h", "24h", "48h", "72h"],
        "quiet_hours": "21:00-08:00",
        "reminder_after": "2h",
        "alert_renotify_after": "30m",
        **clinic,
    }
    storage = {"database": "aftercare.sqlite3"}
    return write_clinic_config(
        folder / "clinic.toml", {"api_base_url": api_base_url}, storage, settings, staff
    )


def add_clinic(path: Path, staff: list[tuple[int, str, str]], **clinic: Any) -> None:
    """A second clinic in the config `write_config` wrote (the same defaults, another id)."""
    settings = {
        "id": "north",
        "name": "North Clinic",
        "timezone": "Europe/London",
        "phone": "+44 161 496 0000",
        "emergency_number": "112",
        "checkins": ["6h", "24h", "48h", "72h"],
        "quiet_hours": "21:00-08:00",
        "reminder_after": "2h",
        "alert_renotify_after": "30m",
        **clinic,
    }
    lines = ["", "[[clinics]]", *(f"{k} = {toml_value(v)}" for k, v in settings.items() if v is not None)]
    for telegram_id, name, role in staff:
        lines += [
            "",
            "[[clinics.staff]]",
            f"telegram_id = {telegram_id}",
            f"name = {toml_value(name)}",
            f"role = {toml_value(role)}",
        ]
    with path.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


@dataclass
class Harness:
    emu: BotApiEmulator
    app: Application
    services: Services
    clock: FakeClock
    practitioner: User
    admin: User
    processed: list[int]  # the newest update id the bot has finished handling, in a box
    north_practitioner: User | None = None  # the second clinic's, with `second_clinic`
    unstarted: User | None = None  # staff who never pressed Start, with `unstarted_practitioner`

    @property
    def clinic(self) -> Clinic:
        return self.services.config.clinics[0]

    @property
    def store(self) -> Store:
        return self.services.store

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def advance_hours(self, hours: float) -> None:
        """Nominal hours of follow-up, whatever the clinic's clock_speed."""
        self.clock.advance(hours * 3600 / self.clinic.clock_speed)

    async def tick(self):
        return await self.app.bot_data["ticker"].tick()

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait until the bot has handled every update the emulator made so far, and the outbox
        is empty: a handler may answer a button press before it queues its edit."""
        deadline = time.monotonic() + timeout
        while self.processed[0] < self.emu.last_update_id:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the bot handled updates up to {self.processed[0]}, not {self.emu.last_update_id}"
                )
            await asyncio.sleep(0.005)
        await self.settle(max(0.1, deadline - time.monotonic()))

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until the outbox is empty (paced messages go out as fake time passes)."""
        deadline = time.monotonic() + timeout
        while self.store.unsent():
            if time.monotonic() > deadline:
                raise AssertionError("the outbox did not empty")
            await asyncio.sleep(0.01)

    def enrol(
        self,
        areas=("calf",),
        intensity="moderate",
        activities=(),
        first_session=True,
        treated_at=None,
        practitioner=True,
        clinic: str | None = None,
        patient_ref: str | None = None,
    ) -> str:
        """A fresh enrolment token, as `aftercare enrol` or /enrol would make (at `clinic`, by
        default the first, with that clinic's practitioner)."""
        from bot.clinic.enrolment import create_enrolment

        at = self.services.clinic(clinic) if clinic else self.clinic
        who = self.north_practitioner if at is not self.clinic else self.practitioner
        enrolment = create_enrolment(
            self.store,
            at,
            list(areas),
            intensity,
            list(activities),
            first_session,
            self.clock() if treated_at is None else treated_at,
            who.id if practitioner else None,
            self.clock(),
            guidance=self.services.guidance(at.id),  # as /enrol does: the bot's loaded guidance
            patient_ref=patient_ref,
        )
        return enrolment.token


async def pass_time_for_paced_messages(ticker: Ticker, clock: FakeClock) -> None:
    """On the fake clock, time only moves when a test moves it; but a message held back for
    Telegram's per-chat pace waits for time to pass. Do what production's ticker does for
    those alone: let the fake clock reach their slot and tick, again while one stays due (a tick
    that ran beside another one sends emergency answers only)."""
    while True:
        due = ticker.services.store.next_paced()
        if due is not None:
            clock.time = max(clock.time, due)
            await ticker.tick()
        await asyncio.sleep(0.005)


async def receive_by_webhook(app: Application, allowed_updates: list[str]) -> web.AppRunner:
    """Serve the bot's webhook route on a free loopback port and set the webhook there."""
    from bot.telegram.webhook import CONNECTIONS, add_webhook_route, make_web_app, webhook_address

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    address = webhook_address(f"http://127.0.0.1:{sock.getsockname()[1]}/telegram", app.bot.token)
    web_app = make_web_app()
    add_webhook_route(web_app, app, address)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    await app.bot.set_webhook(
        address.url, secret_token=address.secret, allowed_updates=allowed_updates, max_connections=CONNECTIONS
    )
    return runner


@asynccontextmanager
async def running_bot(
    emu: BotApiEmulator,
    folder: Path,
    real_time: bool = False,
    second_clinic: bool = False,
    unstarted_practitioner: bool = False,
    webhook: bool = False,
    **clinic: Any,
) -> AsyncIterator[Harness]:
    """The bot on a fake clock that only tests move, or with `real_time` on the real clock with
    the real JobQueue ticking every 50 ms (use a clinic `clock_speed` to compress the schedule).
    `second_clinic`: a clinic "north" (emergency number 112) after the first, its practitioner
    `h.north_practitioner`. `unstarted_practitioner`: a second practitioner, Lee Kim
    (`h.unstarted`), listed after Dana, who never pressed Start in the bot.
    `webhook`: updates come by webhook (bot/telegram/webhook.py), not polling."""
    from bot.guidance.loader import load_all_guidance
    from bot.telegram.app import ALLOWED_UPDATES, build_application

    clock = FakeClock()
    if real_time:
        clock.time = time.time()
        clock.__call__ = time.time  # type: ignore[method-assign]
    else:
        emu.use_clock(clock)
    practitioner = emu.add_user("Dana", last_name="Reyes")
    admin = emu.add_user("Sam", last_name="Okafor")
    unstarted = emu.add_user("Lee", last_name="Kim", started=False) if unstarted_practitioner else None
    staff = [(practitioner.id, "Dana Reyes", "practitioner"), (admin.id, "Sam Okafor", "admin")]
    if unstarted is not None:
        staff.insert(1, (unstarted.id, "Lee Kim", "practitioner"))
    path = write_config(folder, emu.base_url, staff, **clinic)
    north = emu.add_user("Noor", last_name="Haddad") if second_clinic else None
    if north is not None:
        add_clinic(path, [(north.id, "Noor Haddad", "practitioner")])
    config = load_config(path)
    store = Store(config.storage.database)
    app = build_application(
        config,
        store,
        load_all_guidance(config),
        emu.token,
        now=time.time if real_time else clock,
        tick_seconds=0.05 if real_time else None,
    )
    processed = [emu.last_update_id]

    async def handled(update: Update, _context: object) -> None:
        processed[0] = max(processed[0], update.update_id)

    app.add_handler(TypeHandler(Update, handled), group=1000)  # runs after every other group
    async with app:
        await app.post_init(app)  # as run_polling does: what the last run left is handled first
        await app.start()
        if webhook:
            receiver = await receive_by_webhook(app, ALLOWED_UPDATES)
        else:
            await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
        services = app.bot_data["services"]
        ticker = app.bot_data["ticker"]
        pacer = None if real_time else asyncio.create_task(pass_time_for_paced_messages(ticker, clock))
        try:
            yield Harness(emu, app, services, clock, practitioner, admin, processed, north, unstarted)
        finally:
            if pacer:
                pacer.cancel()
            if webhook:
                await receiver.cleanup()
            else:
                await app.updater.stop()
            await app.stop()
            await asyncio.sleep(0)
            store.close()


def free_port() -> int:
    """A loopback port nothing listens on now (for a server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
