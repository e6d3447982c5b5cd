"""`aftercare demo`: a clinic day, played against the built-in Bot API emulator, in a minute.

No token and no network: the real bot (`bot.telegram.app.build_application`, its JobQueue ticking)
talks to `BotApiEmulator` on 127.0.0.1 with Telegram's flood limits on, from a temporary
config and SQLite file (bot/demo/setup.py). The clinic's `clock_speed` compresses the 72-hour
follow-up into about 72 seconds. Three scripted patients (bot/demo/script.py) open their links,
consent and answer; a practitioner and an admin acknowledge alerts. Every chat is shown live
(bot/demo/display.py) and a summary table ends the run (bot/demo/summary.py). The exit status
says whether the day played out as scripted (bot/demo/outcome.py).

`--fast` (for tests) also runs the bot's and the emulator's clocks 10 times faster than real
time. The clinic's clock_speed alone cannot squeeze the day into seconds: a check-in is about
seven messages in one chat, and Telegram (the emulator, and the bot's own pacing) allows about
one a second per chat, so a faster schedule would send the next check-in before the patient
had finished the last. Both clocks run together, so the flood limits are enforced all the same.
That clock stands still while the process is starved (bot/demo/setup.py WorldClock), so a busy
machine or --fast plays the same day: the same buckets, the same alerts to the same staff.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
import tempfile
import time
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from telegram.ext import Application

from bot.clinic.enrolment import create_enrolment
from bot.demo import script
from bot.demo.display import ChatDisplay
from bot.demo.options import CHECKIN_HOURS, DEFAULT_SPEED, DemoOptions, check_options
from bot.demo.outcome import DemoResult, check, summaries
from bot.demo.output import TrimmedLines
from bot.demo.setup import Cast, Timeline, WorldClock, build_bot, cast_the_day
from bot.demo.summary import header, summary
from bot.demo.web import serve_worklist
from bot.emulator import BotApiEmulator
from bot.followup.status import SessionStatus
from bot.store.database import Store
from bot.telegram.app import ALLOWED_UPDATES

__all__ = ["DemoOptions", "DemoResult", "main", "run_demo"]

QUIET_LOGGERS = {
    "apscheduler": logging.ERROR,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.WARNING,
    "aiohttp": logging.WARNING,
}
Played = tuple[
    dict[str, script.PatientLog], dict[str, str]
]  # each patient's log; who acknowledged whose alert


class _LogCatcher(logging.Handler):
    """Warnings and errors of the run: counted, and shown in the transcript unless quiet."""

    def __init__(self, display: ChatDisplay):
        super().__init__(logging.WARNING)
        self.display = display
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.levelname.lower()}: {record.name}: {record.getMessage()}"
        if record.levelno >= logging.ERROR:
            self.errors.append(line)
        self.display.note(f"  [log] {line}", "red" if record.levelno >= logging.ERROR else "yellow")


@contextmanager
def _logging(display: ChatDisplay) -> Iterator[_LogCatcher]:
    catcher = _LogCatcher(display)
    before = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    root = logging.getLogger()
    root.addHandler(catcher)
    try:
        yield catcher
    finally:
        root.removeHandler(catcher)
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)


async def run_demo(
    options: DemoOptions | None = None,
    console: Console | None = None,
    progress: TextIO | None = None,
    stop: asyncio.Event | None = None,
) -> DemoResult:
    """Play the day and return what happened; `result.failures` lists what did not go as scripted.
    Quiet, a line goes to `progress` as the day reaches each check-in hour. With `options.web`,
    the worklist stays up after the day until `stop` is set (without one, until Ctrl-C)."""
    options = options or DemoOptions()
    console = console or Console()
    problem = check_options(options)
    if problem:
        raise ValueError(problem)
    started = time.monotonic()
    timeline = Timeline(WorldClock(options.warp), options.speed, asyncio.get_running_loop())
    display = ChatDisplay(console, timeline.hours, quiet=options.quiet)
    result = DemoResult()
    beside = [timeline.clock.keep_time()]
    if options.quiet and progress is not None:
        print(f"Aftercare demo: 72 h in about {timeline.follow_up_real:.0f} s", file=progress, flush=True)
        beside.append(_show_progress(timeline, display, progress))
    async with _beside(*beside):
        with _logging(display) as logs, tempfile.TemporaryDirectory(prefix="aftercare-demo-") as tmp:
            async with BotApiEmulator(clock=timeline.clock, callback_timeout=15.0 * options.warp) as emu:
                cast = cast_the_day(emu, Path(tmp), options, timeline, display)
                if not options.quiet:
                    console.print(header(options, emu.url, cast, timeline.follow_up_real))
                store = Store(cast.config.storage.database)
                try:
                    after_day = (
                        functools.partial(
                            serve_worklist, cast=cast, console=console, warp=options.warp, stop=stop
                        )
                        if options.web
                        else None
                    )
                    patient_logs, acknowledged = await _play(
                        cast, store, emu, timeline, result.failures, after_day
                    )
                    result.patients = summaries(store, cast, options.speed)
                finally:
                    store.close()
                result.violations = len(emu.violations)
                result.api_calls = len(emu.calls)
                result.failures += [f"the emulator saw a violation: {v}" for v in emu.violations]
            result.errors_logged = len(logs.errors)
            result.failures += [f"the bot logged an error: {line}" for line in logs.errors]
    if options.quiet and progress is not None:
        print(
            f"The day is over ({display.messages} messages); the summary follows.", file=progress, flush=True
        )
    result.failures += check(result, cast, patient_logs, acknowledged)
    result.seconds = time.monotonic() - started
    console.print(summary(result, options))
    return result


@asynccontextmanager
async def _beside(*coroutines: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Tasks beside the block, cancelled and awaited when it ends."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _show_progress(timeline: Timeline, display: ChatDisplay, out: TextIO) -> None:
    """A line as the day reaches each check-in hour, so that a quiet run is not a silent one."""
    for hour in CHECKIN_HOURS:
        while (left := hour - timeline.hours()) > 0:
            await timeline.sleep_hours(left)
        print(f"  {hour:>2g}h: {display.messages} messages so far", file=out, flush=True)


async def _play(
    cast: Cast,
    store: Store,
    emu: BotApiEmulator,
    timeline: Timeline,
    failures: list[str],
    after_day: Callable[[Application], Awaitable[None]] | None = None,
) -> Played:
    """Start the bot, let everyone play their script until the follow-ups end, run `after_day`
    (--web) with the bot still up, stop the bot. A script that goes wrong is added to
    `failures`; the day's summary still follows."""
    app = build_bot(cast, store, emu, timeline.clock)
    patient_logs = {p.name: script.PatientLog() for p in cast.patient_scripts}
    acknowledged: dict[str, str] = {}
    updater = app.updater
    assert updater is not None  # build_application always builds one: the demo polls the emulator
    async with app:
        await app.start()
        await updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
        try:
            try:
                await _perform(cast, store, timeline, patient_logs, acknowledged)
            except script.ScriptError as error:
                failures.append(str(error))  # the day stops; its summary, and --web, still follow
            if after_day is not None:
                await after_day(app)
        finally:
            await updater.stop()
            await app.stop()
    return patient_logs, acknowledged


async def _perform(
    cast: Cast,
    store: Store,
    timeline: Timeline,
    patient_logs: dict[str, script.PatientLog],
    acknowledged: dict[str, str],
) -> None:
    """Enrol the patients as treated now, then run every patient's and staff member's script."""
    timeline.treated_at = treated_at = timeline.clock()
    tokens = [
        create_enrolment(
            store,
            cast.clinic,
            p.areas,
            p.intensity,
            p.activities,
            True,
            treated_at,
            cast.practitioner.id,
            timeline.clock(),
            guidance=cast.guidance,
        ).token
        for p in cast.patient_scripts
    ]
    actors = [
        script.play_patient(cast.stage, p, u, t, patient_logs[p.name])
        for p, u, t in zip(cast.patient_scripts, cast.patient_users, tokens, strict=True)
    ]
    actors += [
        script.play_staff(cast.stage, s, u, acknowledged)
        for s, u in zip(cast.staff_scripts, cast.staff_users, strict=True)
    ]
    await _all_or_nothing(actors)
    await _settle(store, timeline)


async def _all_or_nothing(coroutines: list[Coroutine[Any, Any, None]]) -> None:
    """Run the actors together; the first failure cancels the rest, and none is left running."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _settle(store: Store, timeline: Timeline) -> None:
    """Wait for the follow-ups to finish and the outbox to empty (acknowledgement edits are paced)."""
    loop = asyncio.get_running_loop()

    def done() -> bool:
        sessions = list(store.db.query("SELECT status FROM sessions"))
        return store.unsent() == 0 and all(s["status"] == SessionStatus.COMPLETED for s in sessions)

    while not done():
        if loop.time() > timeline.deadline_at:
            raise script.ScriptError("the follow-ups did not finish, or the outbox did not empty, in time")
        await asyncio.sleep(0.05)


def main(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """`aftercare demo [--speed N] [--quiet] [--seed N] [--fast] [--web]`: 0 when the day went as
    scripted (with --web, once stopped by Ctrl-C)."""
    speed = DEFAULT_SPEED if args.speed is None else args.speed
    options = DemoOptions(speed=speed, quiet=args.quiet, seed=args.seed, fast=args.fast, web=args.web)
    problem = check_options(options)
    if problem:
        print(f"aftercare: {problem}", file=sys.stderr)
        return 2
    # As wide as COLUMNS says, else the terminal, else 80 (rich's rule); the summary is whole from 60.
    lines = TrimmedLines(out)
    try:
        console = Console(file=typing.cast(TextIO, lines), highlight=False)  # a text stream, as rich needs
        result = asyncio.run(run_demo(options, console, sys.stderr))
    except KeyboardInterrupt:
        print("aftercare: demo interrupted", file=sys.stderr)
        return 130
    finally:
        lines.finish()
    return 0 if result.ok else 1
