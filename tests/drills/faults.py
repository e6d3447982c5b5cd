"""One fault during a burst: the runner of the fault drills (tests/test_fault_drills.py,
bench/drill_faults.py).

    result = await run_fault_drill(ServerErrors(seconds=60), patients=200)

The emulator (Telegram's limits on) runs in this process, the bot as a child process. Once a
tenth of the burst has arrived the fault begins; it lasts `fault.seconds`, then ends; the bot
must then deliver the rest by itself within `fault.recover_within` seconds. The verdict comes
from the emulator's record (Tally), cross-checked with the database, and from the bot's own log:
the line that says what was wrong must be there, and neither the token nor a patient's name or
message text may be.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.emulator import BotApiEmulator, RateLimits
from bot.store.database import Store

from .bot_process import BotProcess
from .burst import Burst, drill_folder, seed_burst
from .tally import SENDING_METHODS, DatabaseCheck, Tally, Verdict, crosscheck_database

START_AFTER = 0.1  # the fault begins once this share of the burst has arrived
STARTUP_LIMIT = 30.0  # seconds the bot gets to deliver that share
STOP_TIMEOUT = 5.0


@dataclass
class DrillRun:
    """What a fault sees while it runs, and how the run went."""

    emu: BotApiEmulator
    burst: Burst
    tally: Tally
    bot: BotProcess
    folder: Path
    started: float = 0.0  # wall clock (the emulator's calls are stamped with it)
    ended: float = 0.0
    ended_mono: float = 0.0
    began_in_burst: bool = False  # the fault began while check-ins were still to arrive
    during: int = 0  # check-ins that arrived during the fault (distinct)
    complete: bool = False  # every check-in arrived within the fault's recover_within
    crashed: int | None = None  # the exit code, had the bot ended by itself
    final_code: int | None = None
    final_stop_seconds: float = 0.0


class Fault:
    """A fault to inject: `begin` and `end` it; say which lines of the bot's log must tell it."""

    name = "fault"
    title = "fault"
    seconds = 5.0
    # The bot's log must hold a line with each of these (what is wrong, then its recovery); an
    # entry may be a tuple of alternatives.
    says: tuple[str | tuple[str, ...], ...] = ()
    method = ""  # how the fault was made, where there is a choice

    @property
    def recover_within(self) -> float:
        """Seconds after the fault ends by which every check-in must have arrived."""
        return 60.0

    def data_folder(self, folder: Path) -> Path:
        """Where the database goes (a fault may put it on a filesystem of its own)."""
        return folder

    async def begin(self, run: DrillRun) -> None:
        raise NotImplementedError

    async def end(self, run: DrillRun) -> None:
        raise NotImplementedError

    def cleanup(self) -> None:
        """Undo what data_folder did; called once whatever happened."""

    def must_say(self, run: DrillRun) -> tuple[str | tuple[str, ...], ...]:
        return self.says

    def figures(self, result: FaultResult) -> list[tuple[str, object]]:
        return []

    def problems(self, result: FaultResult) -> list[str]:
        return []


@dataclass
class FaultResult:
    fault: Fault
    patients: int
    checkins: int
    verdict: Verdict
    database: DatabaseCheck
    integrity: str
    complete: bool
    began_in_burst: bool  # the fault began while check-ins were still to arrive
    during: int  # check-ins that arrived during the fault (distinct)
    sends_during: int  # message-sending calls the bot made during the fault
    recovered_after: float | None  # seconds from the fault's end to the last check-in
    said: list[str]  # the bot's log lines about the fault (what is wrong / recovery)
    missing: list[str]  # lines it had to say and did not
    leaks: list[str]
    crashed: int | None
    final_code: int | None
    final_stop_seconds: float
    elapsed: float
    calls: list = field(default_factory=list)  # the emulator's calls during the fault
    window: tuple[float, float] = (0.0, 0.0)
    log_tail: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def _outbox_emptied(burst: Burst, bot: BotProcess, deadline: float) -> bool:
    while bot.alive and time.monotonic() < deadline:
        store = Store(burst.database)
        try:
            if not store.unsent():
                return True
        finally:
            store.close()
        await asyncio.sleep(0.5)
    return False


def _options(entry: str | tuple[str, ...]) -> tuple[str, ...]:
    return (entry,) if isinstance(entry, str) else tuple(entry)


def _integrity(path: Path) -> str:
    store = Store(path)
    try:
        return next(store.db.query("PRAGMA integrity_check"))["integrity_check"]
    finally:
        store.close()


def leaks_in(text: str, emu: BotApiEmulator, burst: Burst, texts: list[str]) -> list[str]:
    """The token, a patient's name or a line of a message to a patient, found in the bot's log."""
    found = []
    secret = emu.token.partition(":")[2]
    if emu.token in text or (secret and secret in text):
        found.append("the bot token")
    names = sorted({p.first_name for p in burst.patients if p.first_name in text})
    if names:
        found.append(f"patient names {names[:3]}")
    lines = {line.strip() for t in texts for line in t.splitlines() if len(line.strip()) >= 20}
    shown = sorted(line for line in lines if line in text)
    if shown:
        found.append(f"message text {shown[0][:40]!r}")
    return found


def _message_texts(burst: Burst) -> list[str]:
    store = Store(burst.database)
    try:
        return [row["text"] for row in store.db.query("SELECT text FROM outbox LIMIT 50")]
    finally:
        store.close()


async def run_fault_drill(fault: Fault, patients: int = 200, folder: Path | None = None) -> FaultResult:
    """Seed, start the bot, inject `fault` mid-burst, end it, let the bot finish, judge."""
    began = time.monotonic()
    with drill_folder(folder, f"aftercare-{fault.name}-") as folder:
        try:  # the fault's cleanup (a tmpfs to unmount) comes before the folder's removal
            async with BotApiEmulator(rate_limits=RateLimits()) as emu:
                burst = seed_burst(emu, fault.data_folder(folder), patients)
                bot = BotProcess(burst.config, emu.token, folder / "logs")
                run = DrillRun(emu, burst, Tally(emu, burst), bot, folder)
                try:
                    await _through_the_fault(run, fault)
                finally:
                    if not run.ended:
                        await fault.end(run)
                    await bot.ensure_dead()
                result = _judge(run, fault, patients, time.monotonic() - began)
        finally:
            fault.cleanup()
    result.problems = _problems(result) + fault.problems(result)
    return result


async def _through_the_fault(run: DrillRun, fault: Fault) -> None:
    """Start the bot, begin the fault once a share of the burst has arrived, end it, wait for the
    bot to deliver the rest, stop it."""
    bot, tally = run.bot, run.tally
    await bot.start()
    first = max(1, int(len(run.burst.checkins) * START_AFTER))
    await tally.wait_until(lambda: tally.distinct >= first or not bot.alive, STARTUP_LIMIT, poll=0.05)
    run.began_in_burst = not tally.complete()
    before = tally.distinct
    run.started = time.time()
    await fault.begin(run)
    run.crashed = await bot.wait(max(0.0, fault.seconds - (time.time() - run.started)))
    await fault.end(run)
    run.ended, run.ended_mono = time.time(), time.monotonic()
    run.during = tally.distinct - before
    if run.crashed is not None:
        return
    deadline = time.monotonic() + fault.recover_within
    run.complete = await tally.wait_until(lambda: tally.complete() or not bot.alive, fault.recover_within)
    run.complete = run.complete and tally.complete()
    # A copy Telegram took while the bot timed out has arrived, but the bot still owes its
    # retry: let it empty the outbox before judging the database.
    await _outbox_emptied(run.burst, bot, deadline)
    await asyncio.sleep(0.5)  # let the last answer be recorded before the stop
    if bot.alive:
        run.final_code, run.final_stop_seconds = await bot.stop(STOP_TIMEOUT)
    else:
        run.crashed = bot.proc.returncode


def _judge(run: DrillRun, fault: Fault, patients: int, elapsed: float) -> FaultResult:
    """The emulator's record, the database and the bot's log, after the bot has stopped."""
    emu, burst, tally = run.emu, run.burst, run.tally
    database = crosscheck_database(burst)
    window = (run.started, run.ended or time.time())
    calls = [c for c in emu.calls if window[0] <= c.at <= window[1]]
    log_text = "\n".join(
        p.read_text(errors="replace") for p in sorted((run.folder / "logs").glob("run-*.log"))
    )
    said = [line for line in log_text.splitlines() if any(a in line for e in fault.says for a in _options(e))]
    missing = [
        " or ".join(_options(e))
        for e in fault.must_say(run)
        if not any(a in line for a in _options(e) for line in said)
    ]
    recovered = tally.last_sent_at - run.ended_mono if run.complete and tally.last_sent_at else None
    return FaultResult(
        fault=fault,
        patients=patients,
        checkins=len(burst.checkins),
        verdict=tally.verdict(database.not_sent_on_purpose),
        database=database,
        integrity=_integrity(burst.database),
        complete=run.complete,
        began_in_burst=run.began_in_burst,
        during=run.during,
        sends_during=sum(1 for c in calls if c.method in SENDING_METHODS),
        recovered_after=recovered,
        said=said,
        missing=missing,
        leaks=leaks_in(log_text, emu, burst, _message_texts(burst)),
        crashed=run.crashed,
        final_code=run.final_code,
        final_stop_seconds=run.final_stop_seconds,
        elapsed=elapsed,
        calls=calls,
        window=window,
        log_tail=run.bot.log_tail(15),
    )


def _problems(result: FaultResult) -> list[str]:
    problems = result.verdict.problems() + result.database.problems()
    if result.crashed is not None:
        problems.append(f"the bot exited by itself with code {result.crashed}:\n{result.log_tail}")
    elif not result.complete:
        problems.append(
            f"not every check-in arrived within {result.fault.recover_within:.0f} s of the fault's "
            "end: the bot did not recover by itself"
        )
    if not result.began_in_burst:
        problems.append("the burst was over before the fault began: nothing was tested")
    if result.missing:
        problems.append(f"the bot's log does not say {result.missing}")
    if result.leaks:
        problems.append(f"the bot's log holds {', '.join(result.leaks)}")
    if result.integrity != "ok":
        problems.append(f"database integrity check: {result.integrity}")
    if result.crashed is None and result.complete and result.final_code != 0:
        problems.append(f"after SIGTERM the bot exited with {result.final_code} (None: had to be killed)")
    return problems


def common_figures(result: FaultResult) -> list[tuple[str, object]]:
    v, db, f = result.verdict, result.database, result.fault
    fault = f.title + (f" ({f.method})" if f.method else "")
    recovered = (
        "no"
        if result.recovered_after is None
        else f"yes, last check-in {max(0.0, result.recovered_after):.1f} s after"
    )
    said = result.said[0].split("msg=", 1)[-1][:110] if result.said else "nothing"
    per_second = result.sends_during / max(0.001, result.window[1] - result.window[0])
    return [
        ("fault", fault),
        ("patients / check-ins due", f"{result.patients} / {result.checkins}"),
        ("check-ins arrived during the fault", result.during),
        ("sent (delivered / expected)", f"{v.delivered} / {v.expected}"),
        ("lost", v.lost),
        ("duplicated", v.duplicated),
        ("429s from the emulator", v.too_many_requests),
        ("sending calls during the fault", f"{result.sends_during} ({per_second:.1f}/s)"),
        ("recovered by itself", recovered),
        ("bot's log lines about it", f"{len(result.said)}; first: {said}"),
        ("token / patient text in the log", ", ".join(result.leaks) or "none"),
        (
            "database: check-ins / outbox / integrity",
            f"{dict(db.statuses)} / {dict(db.outbox)} / {result.integrity}",
        ),
        ("final SIGTERM", f"exit {result.final_code} in {result.final_stop_seconds:.2f} s"),
        ("elapsed", f"{result.elapsed:.1f} s"),
    ]
