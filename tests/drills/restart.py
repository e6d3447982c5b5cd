"""The restart drill: SIGKILL the real bot at random moments during a burst of due check-ins, then
let a last run finish the burst and stop it with SIGTERM (tests/test_restart_drill.py,
bench/drill_restart.py says the kinds of kill).

    result = await run_restart_drill(patients=300, kills=20, seed=1)
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.emulator import BotApiEmulator, RateLimits

from .bot_process import BotProcess, KillDrillResult
from .burst import Burst, drill_folder, seed_burst
from .tally import DatabaseCheck, Tally, Verdict, crosscheck_database, settled_in_database

MODES = ("startup", "at-send", "after-send")
STARTUP_WINDOW = 1.5  # seconds after spawn for a startup kill
AFTER_SEND_WINDOW = 0.08  # seconds after the n-th message for an after-send kill
STALL = 30.0  # a run that sends nothing for this long is killed anyway and reported
STOP_TIMEOUT = 5.0  # the final SIGTERM must end the bot within this
LATENCY = (0.1, 0.3)  # seconds Telegram takes to answer a send
SENDS = ("sendMessage", "sendPhoto", "editMessageText")


@dataclass(frozen=True)
class Kill:
    mode: str
    target: int  # at-send / after-send: kill once this many check-in messages have arrived in all
    delay: float  # startup: seconds after spawn; after-send: seconds after the target


@dataclass
class KillRecord:
    kill: Kill
    run: int
    alive_for: float  # seconds from spawn to SIGKILL
    sent_before: int  # check-in messages accepted before this run started
    sent_at_kill: int
    mid_burst: bool  # some check-in had not yet arrived when the bot was killed
    started_at: float = 0.0  # monotonic
    crashed: int | None = None  # exit code if the bot died before we killed it
    stalled: bool = False


@dataclass
class DrillResult(KillDrillResult):
    patients: int
    checkins: int
    records: list[KillRecord]
    verdict: Verdict
    database: DatabaseCheck
    final_code: int | None
    final_stop_seconds: float
    burst_seconds: float  # from the first start to the last check-in's arrival
    elapsed: float
    requeued: int  # messages the bot found interrupted ('sending') at start, summed over runs
    complete: bool
    latency: tuple[float, float] = (0.0, 0.0)
    # duplicates whose first copy went in a run killed so
    duplicates_by_mode: Counter = field(default_factory=Counter)
    logs: Path | None = None
    problems: list[str] = field(default_factory=list)


def plan_kills(rng: random.Random, kills: int, total: int) -> list[Kill]:
    """Kill moments spread over the burst: targets are sorted positions in it (1 .. total-1)."""
    targets = sorted(rng.randint(1, max(1, total - 1)) for _ in range(kills))
    plan = []
    for target in targets:
        mode = rng.choice(MODES)
        delays = {
            "startup": rng.uniform(0.0, STARTUP_WINDOW),
            "after-send": rng.uniform(0.0, AFTER_SEND_WINDOW),
        }
        plan.append(Kill(mode, target, delays.get(mode, 0.0)))
    return plan


class Progress:
    """Whether the burst is over: every seeded check-in arrived, but those the database records
    as not sent on purpose (missed by an outage), read at most once a second."""

    def __init__(self, tally: Tally, burst: Burst, read_database: bool):
        self.tally, self.burst, self.read_database = tally, burst, read_database
        self.settled: set[int] = set()
        self._read_at = 0.0

    def done(self) -> bool:
        if self.tally.complete(self.settled):
            return True
        if self.read_database and time.monotonic() - self._read_at > 1.0:
            self.settled, self._read_at = settled_in_database(self.burst), time.monotonic()
        return self.tally.complete(self.settled)


async def _kill_on_sends(bot: BotProcess, progress: Progress, kill: Kill, record: KillRecord) -> None:
    """At-send: SIGKILL inside the emulator's sendMessage of the target message (accepted, its
    answer not yet read); after-send: `kill.delay` seconds after it."""
    tally, kills_before = progress.tally, bot.kills
    threshold = max(kill.target, record.sent_before + 1)

    def at_send(t: Tally) -> None:
        if t.sent >= threshold and bot.alive:
            record.mid_burst = not t.complete(progress.settled)
            bot.kill()

    if kill.mode == "at-send":
        tally.hooks.append(at_send)
    try:
        reached = await tally.wait_until(
            lambda: tally.sent >= threshold or not bot.alive or bot.kills > kills_before or progress.done(),
            timeout=STALL,
        )
    finally:
        if at_send in tally.hooks:
            tally.hooks.remove(at_send)
    if bot.alive:
        record.stalled = not reached
        if kill.mode == "after-send" and tally.sent >= threshold:
            await asyncio.sleep(kill.delay)
        record.mid_burst = not progress.done()
        bot.kill()


async def _one_kill(bot: BotProcess, progress: Progress, kill: Kill) -> KillRecord:
    """Start the bot, kill it as `kill` says, wait until it is gone."""
    tally = progress.tally
    await bot.start()
    kills_before = bot.kills
    record = KillRecord(kill, bot.starts, 0.0, tally.sent, 0, mid_burst=False, started_at=bot.started_at)
    if kill.mode != "startup" and not progress.done():
        await _kill_on_sends(bot, progress, kill, record)
    elif await bot.wait(kill.delay) is None:  # nothing left to send: kill it while it starts instead
        record.mid_burst = not progress.done()
        bot.kill()
    record.crashed = await bot.exit_code_unless_killed(kills_before)
    record.alive_for = time.monotonic() - bot.started_at
    record.sent_at_kill = tally.sent
    return record


async def _handling_signals(
    emu: BotApiEmulator, tally: Tally, bot: BotProcess, since: int, timeout: float = 15.0
) -> bool:
    """Wait until this run has called getMe: PTB installs its SIGTERM handler before that (a
    SIGTERM while it is still importing ends it by the default action, -15: no test of its stop)."""
    return await tally.wait_until(
        lambda: not bot.alive or any(c.method == "getMe" for c in emu.calls[since:]), timeout, poll=0.05
    )


def duplicates_by_mode(tally: Tally, records: list[KillRecord]) -> Counter:
    """Each duplicated check-in, by the kind of kill that ended the run its first copy went in."""
    found: Counter = Counter()
    for checkin, copies in tally.copies.items():
        if copies < 2:
            continue
        at = tally.first_at[checkin]
        run = next((r for r in records if r.started_at <= at <= r.started_at + r.alive_for), None)
        found[run.kill.mode if run else "last run"] += copies - 1
    return found


def _say(record: KillRecord) -> None:
    state = "CRASHED" if record.crashed is not None else ("stalled" if record.stalled else "killed")
    print(
        f"  run {record.run:2d}: {record.kill.mode:10s} {state} after {record.alive_for:5.2f} s, "
        f"check-ins {record.sent_before} -> {record.sent_at_kill}",
        file=sys.stderr,
    )


@dataclass
class _LastRun:
    complete: bool
    burst_seconds: float
    crashed: bool
    code: int | None
    stop_seconds: float


async def _last_run(
    emu: BotApiEmulator, bot: BotProcess, progress: Progress, started: float, timeout: float
) -> _LastRun:
    """A run left alone until the burst is over, then stopped by SIGTERM."""
    since = len(emu.calls)
    await bot.start()
    complete = await progress.tally.wait_until(progress.done, timeout)
    burst_seconds = (progress.tally.last_sent_at or time.monotonic()) - started
    await _handling_signals(emu, progress.tally, bot, since)
    await asyncio.sleep(0.5)  # let the last answer be recorded before the stop
    crashed = not bot.alive
    code, stop_seconds = await bot.stop(STOP_TIMEOUT)
    return _LastRun(complete, burst_seconds, crashed, code, stop_seconds)


async def run_restart_drill(
    patients: int = 300,
    kills: int = 20,
    seed: int = 1,
    timeout: float = 60.0,
    second_after: float | None = None,
    folder: Path | None = None,
    verbose: bool = False,
    latency: tuple[float, float] = LATENCY,
) -> DrillResult:
    """Run the whole drill; `folder` keeps the config, database and the bot's logs."""
    began = time.monotonic()
    with drill_folder(folder, "aftercare-drill-") as kept:
        async with BotApiEmulator(rate_limits=RateLimits()) as emu:
            burst = seed_burst(emu, kept, patients, second_after=second_after)
            if latency[1] > 0:
                emu.faults.latency(*latency, for_methods=SENDS, seed=seed)
            tally = Tally(emu, burst)
            bot = BotProcess(burst.config, emu.token, kept / "logs")
            records: list[KillRecord] = []
            started = time.monotonic()
            progress = Progress(tally, burst, read_database=second_after is not None)
            try:
                for kill in plan_kills(random.Random(seed), kills, len(burst.checkins)):
                    records.append(await _one_kill(bot, progress, kill))
                    if verbose:
                        _say(records[-1])
                last = await _last_run(emu, bot, progress, started, timeout)
            finally:
                await bot.ensure_dead()
            database = crosscheck_database(burst)
            verdict = tally.verdict(database.not_sent_on_purpose)
        result = DrillResult(
            patients=patients,
            checkins=len(burst.checkins),
            records=records,
            verdict=verdict,
            database=database,
            final_code=last.code,
            final_stop_seconds=last.stop_seconds,
            burst_seconds=last.burst_seconds,
            elapsed=time.monotonic() - began,
            requeued=bot.logged_total(r"re-queued (\d+)"),
            complete=last.complete,
            logs=None if folder is None else kept / "logs",
            latency=latency,
            duplicates_by_mode=duplicates_by_mode(tally, records),
        )
        result.problems = _problems(result, last.crashed, bot)
    return result


def _problems(result: DrillResult, crashed_last: bool, bot: BotProcess) -> list[str]:
    problems = result.verdict.problems() + result.database.problems()
    if not result.complete:
        problems.append("the burst did not finish before the timeout")
    for r in result.records:
        if r.crashed is not None:
            problems.append(bot.crash_problem(r.run, r.crashed))
        if r.stalled:
            problems.append(f"run {r.run} sent nothing for {STALL:.0f} s")
    if crashed_last:
        problems.append(f"the last run exited by itself with code {result.final_code}:\n{bot.log_tail(15)}")
    else:
        problems += bot.stop_problems(result.final_code, STOP_TIMEOUT)
    return problems
