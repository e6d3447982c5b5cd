"""Restart drill: SIGKILL the real bot at random moments during a burst of due check-ins.

    .venv/bin/python bench/drill_restart.py [--patients 300] [--kills 20] [--seed 1] [--timeout 60]
                                            [--latency LOW HIGH] [--second-after SECONDS] [--keep]

The Bot API emulator (Telegram's rate limits on) runs in this process; the bot runs as a child
process (`python -m bot run --config ...`) polling it. Every patient has a check-in due now.
The bot is killed `--kills` times and restarted each time; the kill moments are drawn from a
seeded RNG and spread over the burst, three kinds mixed:

  startup     a random moment in the first 1.5 s of a run: while importing, initialising,
              re-queuing interrupted messages or claiming the first due check-ins;
  at-send     inside the emulator, at the instant it accepts the n-th check-in message and before
              the bot reads the answer: the worst case, it must cost exactly one duplicate;
  after-send  a few milliseconds after the n-th accepted message: between the answer and the
              row being marked sent, or in the next claim.

Telegram answers each send after a random 0.1-0.3 s (`--latency`; `--latency 0 0` for none), as
over a real network: the message is delivered at once, the bot hears so later. Every send in
flight at a kill was taken by Telegram and is sent again after the restart: a duplicate. So
duplicates per kill are about the sends in flight, which is what the bot's pace and its start
(few sends in flight until Telegram has answered) decide; they are counted per kind of kill.

The last run goes on until every check-in has arrived (or `--timeout`), then gets SIGTERM and
must exit 0 within 5 s. The verdict comes from the emulator's record (each check-in message is
matched to its check-in by the row id in its buttons), cross-checked with the database.
Exits 1 if a check-in was lost, a run crashed, the database was left inconsistent or the final
stop was not clean. Duplicates are reported, per kill and by kind of kill.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.drills import BotProcess, Tally, crosscheck_database, print_table, seed_burst
from bench.drills.burst import Burst
from bench.drills.tally import DatabaseCheck, Verdict, settled_in_database
from bot.emulator import BotApiEmulator, RateLimits

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
class DrillResult:
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
    duplicates_by_mode: Counter = field(default_factory=Counter)  # duplicates whose first copy went in a run killed so
    logs: Path | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def kills(self) -> int:
        return sum(1 for r in self.records if r.crashed is None)

    @property
    def ok(self) -> bool:
        return not self.problems


def plan_kills(rng: random.Random, kills: int, total: int) -> list[Kill]:
    """Kill moments spread over the burst: targets are sorted positions in it (1 .. total-1)."""
    targets = sorted(rng.randint(1, max(1, total - 1)) for _ in range(kills))
    plan = []
    for target in targets:
        mode = rng.choice(MODES)
        delay = {"startup": rng.uniform(0.0, STARTUP_WINDOW), "after-send": rng.uniform(0.0, AFTER_SEND_WINDOW)}.get(mode, 0.0)
        plan.append(Kill(mode, target, delay))
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


async def _one_kill(bot: BotProcess, progress: Progress, kill: Kill) -> KillRecord:
    """Start the bot, kill it as `kill` says, wait until it is gone."""
    tally = progress.tally
    await bot.start()
    sent_before, kills_before = tally.sent, bot.kills
    record = KillRecord(kill, bot.starts, 0.0, sent_before, 0, mid_burst=False, started_at=bot.started_at)
    mode = kill.mode
    if mode != "startup" and progress.done():
        mode = "startup"  # nothing left to send: kill it while it starts instead
    if mode == "startup":
        if await bot.wait(kill.delay) is None:
            record.mid_burst = not progress.done()
            bot.kill()
    else:
        threshold = max(kill.target, sent_before + 1)

        def at_send(t: Tally) -> None:
            if t.sent >= threshold and bot.alive:
                record.mid_burst = not t.complete(progress.settled)
                bot.kill()  # inside the emulator's sendMessage: accepted, answer not yet read

        if mode == "at-send":
            tally.hooks.append(at_send)
        try:
            reached = await tally.wait_until(
                lambda: tally.sent >= threshold or not bot.alive or bot.kills > kills_before or progress.done(), timeout=STALL)
        finally:
            if at_send in tally.hooks:
                tally.hooks.remove(at_send)
        if bot.alive:
            record.stalled = not reached
            if mode == "after-send" and tally.sent >= threshold:
                await asyncio.sleep(kill.delay)
            record.mid_burst = not progress.done()
            bot.kill()
    code = await bot.wait()
    if bot.kills == kills_before:
        record.crashed = code
    record.alive_for = time.monotonic() - bot.started_at
    record.sent_at_kill = tally.sent
    return record


async def _handling_signals(emu: BotApiEmulator, tally: Tally, bot: BotProcess, since: int, timeout: float = 15.0) -> bool:
    """Wait until this run has called getMe: PTB installs its SIGTERM handler before that (a
    SIGTERM while it is still importing ends it by the default action, -15: no test of its stop)."""
    return await tally.wait_until(
        lambda: not bot.alive or any(c.method == "getMe" for c in emu.calls[since:]), timeout, poll=0.05)


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


async def drill(patients: int = 300, kills: int = 20, seed: int = 1, timeout: float = 60.0,
                second_after: float | None = None, folder: Path | None = None, verbose: bool = False,
                latency: tuple[float, float] = LATENCY) -> DrillResult:
    """Run the whole drill; `folder` keeps the config, database and the bot's logs."""
    began = time.monotonic()
    rng = random.Random(seed)
    own_folder = None
    if folder is None:
        own_folder = tempfile.TemporaryDirectory(prefix="aftercare-drill-")
        folder = Path(own_folder.name)
    try:
        async with BotApiEmulator(rate_limits=RateLimits()) as emu:
            burst = seed_burst(emu, folder, patients, second_after=second_after)
            if latency[1] > 0:
                emu.faults.latency(*latency, for_methods=SENDS, seed=seed)
            tally = Tally(emu, burst)
            bot = BotProcess(burst.config, emu.token, folder / "logs")
            plan = plan_kills(rng, kills, len(burst.checkins))
            records: list[KillRecord] = []
            started = time.monotonic()
            progress = Progress(tally, burst, read_database=second_after is not None)
            try:
                for kill in plan:
                    record = await _one_kill(bot, progress, kill)
                    records.append(record)
                    if verbose:
                        state = "CRASHED" if record.crashed is not None else ("stalled" if record.stalled else "killed")
                        print(f"  run {record.run:2d}: {kill.mode:10s} {state} after {record.alive_for:5.2f} s, "
                              f"check-ins {record.sent_before} -> {record.sent_at_kill}", file=sys.stderr)
                since = len(emu.calls)
                await bot.start()
                complete = await tally.wait_until(progress.done, timeout)
                burst_seconds = (tally.last_sent_at or time.monotonic()) - started
                await _handling_signals(emu, tally, bot, since)
                await asyncio.sleep(0.5)  # let the last answer be recorded before the stop
                if not bot.alive:
                    final_code, stop_seconds = bot.proc.returncode, 0.0
                    crashed_last = True
                else:
                    final_code, stop_seconds = await bot.stop(STOP_TIMEOUT)
                    crashed_last = False
            finally:
                await bot.ensure_dead()
            database = crosscheck_database(burst)
            verdict = tally.verdict(database.not_sent_on_purpose)
        requeued = sum(int(m.group(1)) for line in bot.grep_logs("re-queued") if (m := re.search(r"re-queued (\d+)", line)))
        result = DrillResult(
            patients=patients, checkins=len(burst.checkins), records=records, verdict=verdict, database=database,
            final_code=final_code, final_stop_seconds=stop_seconds, burst_seconds=burst_seconds,
            elapsed=time.monotonic() - began, requeued=requeued, complete=complete,
            logs=None if own_folder is not None else folder / "logs", latency=latency,
            duplicates_by_mode=duplicates_by_mode(tally, records),
        )
        result.problems = _problems(result, crashed_last, bot)
        return result
    finally:
        if own_folder is not None:
            own_folder.cleanup()


def _problems(result: DrillResult, crashed_last: bool, bot: BotProcess) -> list[str]:
    problems = []
    v, db = result.verdict, result.database
    if v.lost:
        problems.append(f"{v.lost} check-ins never reached their patient (row ids {v.lost_ids[:10]})")
    if not result.complete:
        problems.append("the burst did not finish before the timeout")
    for r in result.records:
        if r.crashed is not None:
            problems.append(f"run {r.run} exited by itself with code {r.crashed}:\n{bot.log_tail(15, r.run)}")
        if r.stalled:
            problems.append(f"run {r.run} sent nothing for {STALL:.0f} s")
    if crashed_last:
        problems.append(f"the last run exited by itself with code {result.final_code}:\n{bot.log_tail(15)}")
    elif result.final_code != 0:
        what = "did not exit" if result.final_code is None else f"exited with code {result.final_code}"
        problems.append(f"after SIGTERM the bot {what} within {STOP_TIMEOUT:.0f} s:\n{bot.log_tail(15)}")
    if not db.ok:
        problems.append(f"database: check-ins {dict(db.statuses)}, check-in outbox {dict(db.outbox)}, "
                        f"unsent {db.unsent}, queued twice {db.queued_twice}")
    if v.violations:
        problems.append(f"{len(v.violations)} Telegram errors the bot caused: {v.violations[:5]}")
    return problems


def table(result: DrillResult, seed: int) -> None:
    v, db = result.verdict, result.database
    modes = {m: sum(1 for r in result.records if r.kill.mode == m and r.crashed is None) for m in MODES}
    mid = sum(1 for r in result.records if r.mid_burst)
    stop = "exit 0" if result.final_code == 0 else f"exit {result.final_code}"
    print_table(f"Restart drill: {result.patients} patients, seed {seed}", [
        ("patients / check-ins due", f"{result.patients} / {result.checkins}"),
        ("kills (startup / at-send / after-send)", f"{result.kills} ({modes['startup']} / {modes['at-send']} / {modes['after-send']})"),
        ("kills mid-burst", mid),
        ("check-ins delivered", f"{v.delivered} / {v.expected}"),
        ("not sent on purpose (missed by outage)", len(db.not_sent_on_purpose)),
        ("lost", v.lost),
        ("Telegram's answer to a send", f"{result.latency[0]:.1f}-{result.latency[1]:.1f} s"),
        ("duplicated", f"{v.duplicated} ({v.duplicated / max(1, result.kills):.2f} per kill)"),
        ("duplicates by kill (startup / at-send / after-send / last run)",
         " / ".join(str(result.duplicates_by_mode[m]) for m in (*MODES, "last run"))),
        ("interrupted sends re-queued at start", result.requeued),
        ("sendMessage accepted (to patients)", v.accepted_sends),
        ("429s from the emulator", v.too_many_requests),
        ("other Telegram errors caused", len(v.violations)),
        ("database: check-ins / check-in outbox", f"{dict(db.statuses)} / {dict(db.outbox)}"),
        ("final SIGTERM", f"{stop} in {result.final_stop_seconds:.2f} s"),
        ("burst (first start to last check-in)", f"{result.burst_seconds:.1f} s"),
        ("elapsed", f"{result.elapsed:.1f} s"),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds the last run gets to finish the burst")
    parser.add_argument("--latency", type=float, nargs=2, default=LATENCY, metavar=("LOW", "HIGH"),
                        help="seconds Telegram takes to answer each send (default 0.1 0.3)")
    parser.add_argument("--second-after", type=float, default=None,
                        help="give each patient a second check-in due this many seconds after the first")
    parser.add_argument("--keep", metavar="DIR", help="keep config, database and the bot's logs in DIR")
    args = parser.parse_args(argv)
    if args.patients < 2 or args.kills < 1:
        parser.error("need at least 2 patients and 1 kill")
    folder = Path(args.keep) if args.keep else None
    result = asyncio.run(drill(args.patients, args.kills, args.seed, args.timeout, args.second_after, folder, verbose=True,
                               latency=tuple(args.latency)))
    table(result, args.seed)
    for problem in result.problems:
        print(f"\nPROBLEM: {problem}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
