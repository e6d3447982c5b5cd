"""The intake drill: patients write while the real bot is SIGKILLed, and no message may be lost
(tests/test_intake_drill.py; bench/drill_intake.py says the kinds of kill and the verdict).

    result = await run_intake_drill(patients=200, kills=20, seed=1)
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.emulator import BotApiEmulator, RateLimits, User
from bot.store.database import Store

from .bot_process import BotProcess, KillDrillResult
from .burst import Burst, drill_folder, seed_burst

# Words about the patient (never small talk): each message is assessed, and answered. Now and
# then one needs the clinic or is an emergency (its answer goes at once, beside the others).
TEXTS = (
    "calf a bit sore today, about 3 out of 10, otherwise fine",
    "soreness 2/10 in the calf, walking normally",
    "still aching where the needles went in, 4 out of 10",
    "bruise on my calf, no pain to speak of",
    "i feel fine, a little stiff",
) * 8 + (
    "the calf is very swollen, hot and red, pain 7/10",
    "sudden chest pain and I can't catch my breath",
)
ROUND_SPREAD = 0.3  # seconds over which a round's messages are written
KILL_AFTER = (0.05, 0.6)  # seconds into a round
AT_FETCH = (0.0, 0.01)  # seconds after the bot confirmed the backlog it fetched
MODES = ("round", "at-fetch")
WRITERS = (0.15, 0.3)  # share of the patients writing in a round
BACKLOG = (0.3, 0.5)  # share writing while the bot is down, before an at-fetch kill
STARTUP_LIMIT = 20.0  # seconds a run gets to start polling
STOP_TIMEOUT = 5.0


@dataclass
class Record:
    run: int
    mode: str
    written: int  # messages written in this run's round
    kill_after: float  # seconds into the round
    kept_by_inbox: int  # confirmed to Telegram, not yet stored when killed
    crashed: int | None = None
    no_poll: bool = False


@dataclass
class IntakeResult(KillDrillResult):
    patients: int
    records: list[Record]
    written: int = 0
    stored: int = 0
    stored_twice: int = 0
    assessed: int = 0
    assessed_twice: int = 0
    lost: list[tuple[int, int]] = field(default_factory=list)  # (chat, message id) never stored
    unassessed: list[tuple[int, int]] = field(default_factory=list)
    writers: int = 0
    unanswered: list[int] = field(default_factory=list)  # chats whose last message got no answer after it
    answers: int = 0  # bot messages the patients received
    answers_resent: int = 0  # the same queued answer delivered twice (killed while sending it)
    answers_replayed: int = 0  # a second answer sent to one message (handled again after a kill)
    inbox_left: int = 0
    unsent: int = 0
    replayed: int = 0  # updates handled from the inbox at a start
    resent_skipped: int = 0  # updates Telegram handed over again, already handled
    requeued: int = 0
    too_many_requests: int = 0
    violations: list[str] = field(default_factory=list)
    complete: bool = False
    final_code: int | None = None
    final_stop_seconds: float = 0.0
    settle_seconds: float = 0.0
    elapsed: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def kept_by_inbox(self) -> int:
        return sum(r.kept_by_inbox for r in self.records)

    @property
    def duplicates(self) -> int:
        return self.answers_resent + self.answers_replayed


def _written(emu: BotApiEmulator, patients: list[User]) -> dict[int, list[int]]:
    """Each patient's messages, by message id, as the emulator holds them."""
    return {p.id: [m.message_id for m in emu.chat_history(p) if not m.from_bot] for p in patients}


def _counts(store: Store, table: str) -> Counter[tuple[int, int]]:
    """(chat, message id) -> rows of `table` (answers: the words; assessments) for that message."""
    words = " AND t.question_id = 'text'" if table == "answers" else ""
    rows = store.db.execute(
        f"""SELECT p.telegram_id, t.message_id, COUNT(*) FROM {table} t JOIN sessions s ON s.id = t.session_id
            JOIN patients p ON p.id = s.patient_id WHERE t.message_id IS NOT NULL{words}
            GROUP BY 1, 2"""
    ).fetchall()
    return Counter({(chat, mid): n for chat, mid, n in rows})


def _unsent_to(store: Store, chats: set[int]) -> int:
    """Messages to patients still waiting (the staff's alerts, paced per chat, may still be)."""
    waiting = store.db["outbox"].rows_where("status IN ('pending', 'sending')")
    return sum(1 for row in waiting if row["chat_id"] in chats)


def _stored_now(burst: Burst) -> set[tuple[int, int]]:
    store = Store(burst.database)
    try:
        return set(_counts(store, "answers"))
    finally:
        store.close()


async def _round(
    emu: BotApiEmulator, rng: random.Random, patients: list[User], share: tuple[float, float] = WRITERS
) -> int:
    """A group of patients (`share` of them) write 1-3 messages each, over ROUND_SPREAD seconds."""
    group = rng.sample(patients, max(1, int(len(patients) * rng.uniform(*share))))
    plan = sorted(
        (rng.uniform(0, ROUND_SPREAD), person, rng.choice(TEXTS))
        for person in group
        for _ in range(rng.choice((1, 1, 1, 2, 3)))
    )
    began = time.monotonic()
    for at, person, text in plan:
        await asyncio.sleep(max(0.0, began + at - time.monotonic()))
        await emu.send_text(person, text)
    return len(plan)


async def _polling(emu: BotApiEmulator, bot: BotProcess, since: int, timeout: float = STARTUP_LIMIT) -> bool:
    """Wait until this run asks for updates (it has handled what the last run left by then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and bot.alive:
        if any(c.method == "getUpdates" for c in emu.calls[since:]):
            return True
        await asyncio.sleep(0.02)
    return False


def _kept(emu: BotApiEmulator, burst: Burst, seen: set[tuple[int, int]]) -> int:
    """Messages Telegram has been told were received (offset confirmed) and the bot has not
    stored: read right after a kill, these are what the inbox alone keeps. Counted once each,
    though one may wait through several kills (`seen`: those counted at earlier kills)."""
    pending = {
        (u["message"]["chat"]["id"], u["message"]["message_id"])
        for u in emu.pending_updates
        if "message" in u
    }
    written = {(chat, mid) for chat, mids in _written(emu, burst.patients).items() for mid in mids}
    kept = written - pending - _stored_now(burst) - seen
    seen |= kept
    return len(kept)


async def _confirmed(emu: BotApiEmulator, backlog: set[int], limit: float) -> None:
    """Wait until the bot has confirmed every update of `backlog` (a getUpdates with a later
    offset), or `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and backlog & {u["update_id"] for u in emu.pending_updates}:
        await asyncio.sleep(0.001)


async def _one_kill(
    emu: BotApiEmulator,
    bot: BotProcess,
    burst: Burst,
    rng: random.Random,
    seen: set[tuple[int, int]],
    modes: tuple[str, ...] = MODES,
) -> Record:
    mode = rng.choice(modes)
    # At-fetch: a backlog, up to a getUpdates answer's 100, written while the bot is down.
    written = await _round(emu, rng, burst.patients, BACKLOG) if mode == "at-fetch" else 0
    since = len(emu.calls)
    await bot.start()
    record = Record(bot.starts, mode, written, 0.0, 0)
    kills_before = bot.kills
    if mode == "at-fetch":  # the first getUpdates hands the backlog over, the second confirms it
        began = bot.started_at
        await _confirmed(emu, {u["update_id"] for u in emu.pending_updates}, STARTUP_LIMIT)
        await asyncio.sleep(rng.uniform(*AT_FETCH))
    else:
        if not await _polling(emu, bot, since):
            record.no_poll = bot.alive
        began = time.monotonic()
        writing = asyncio.create_task(_round(emu, rng, burst.patients))
        await asyncio.sleep(rng.uniform(*KILL_AFTER))
    record.kill_after = time.monotonic() - began
    bot.kill()
    record.crashed = await bot.exit_code_unless_killed(kills_before)
    record.kept_by_inbox = _kept(emu, burst, seen)
    if mode == "round":
        record.written = await writing
    return record


def _settled(emu: BotApiEmulator, burst: Burst) -> bool:
    """Every message stored and assessed, every writer answered after their last message, the
    inbox and the outbox to patients empty."""
    written = _written(emu, burst.patients)
    store = Store(burst.database)
    try:
        stored, assessed = _counts(store, "answers"), _counts(store, "assessments")
        inbox = store.db.execute("SELECT COUNT(*) FROM inbox WHERE body IS NOT NULL").fetchone()[0]
        unsent = _unsent_to(store, burst.chats)
    finally:
        store.close()
    if inbox or unsent:
        return False
    for person in burst.patients:
        mids = written[person.id]
        if not mids:
            continue
        if any((person.id, m) not in stored or (person.id, m) not in assessed for m in mids):
            return False
        if max((m.message_id for m in emu.messages_to(person)), default=0) < max(mids):
            return False
    return True


def _verdict(result: IntakeResult, emu: BotApiEmulator, burst: Burst, bot: BotProcess) -> None:
    written = _written(emu, burst.patients)
    keys = [(chat, m) for chat, mids in written.items() for m in mids]
    chats = burst.chats
    store = Store(burst.database)
    try:
        stored, assessed = _counts(store, "answers"), _counts(store, "assessments")
        result.inbox_left = len(store.inbox_waiting())
        result.unsent = _unsent_to(store, chats)
        sent_rows = sum(
            1 for row in store.db["outbox"].rows_where("status = 'sent'") if row["chat_id"] in chats
        )
        # Answers sent per message: the outbox rows answering an assessment of it.
        per_message = store.db.execute(
            """SELECT p.telegram_id, a.message_id, COUNT(DISTINCT o.id) FROM outbox o
               JOIN assessments a ON a.id = o.ref_id JOIN sessions s ON s.id = a.session_id
               JOIN patients p ON p.id = s.patient_id
               WHERE o.kind = 'answer' AND o.status = 'sent' AND a.message_id IS NOT NULL
               GROUP BY 1, 2"""
        ).fetchall()
    finally:
        store.close()
    result.written, result.writers = len(keys), sum(1 for mids in written.values() if mids)
    result.stored = sum(1 for k in keys if stored[k])
    result.stored_twice = sum(stored[k] - 1 for k in keys if stored[k] > 1)
    result.assessed = sum(1 for k in keys if assessed[k])
    result.assessed_twice = sum(assessed[k] - 1 for k in keys if assessed[k] > 1)
    result.lost = [k for k in keys if not stored[k]]
    result.unassessed = [k for k in keys if stored[k] and not assessed[k]]
    result.unanswered = [
        p.id
        for p in burst.patients
        if written[p.id] and max((m.message_id for m in emu.messages_to(p)), default=0) < max(written[p.id])
    ]
    result.answers = sum(len(emu.messages_to(p)) for p in burst.patients)
    result.answers_resent = max(0, result.answers - sent_rows)
    result.answers_replayed = sum(n - 1 for _, _, n in per_message if n > 1)
    result.replayed = bot.logged_total(r"handling (\d+) updates received before the last stop")
    result.resent_skipped = len(bot.grep_logs("was handled before the restart"))
    result.requeued = bot.logged_total(r"re-queued (\d+)")
    result.too_many_requests = sum(1 for call in emu.calls if call.status == 429)
    result.violations = [str(v) for v in emu.violations if not v.expected and v.status != 429]


def _problems(result: IntakeResult, bot: BotProcess) -> list[str]:
    problems = []
    if result.lost:
        problems.append(f"{len(result.lost)} messages never stored (chat, message): {result.lost[:10]}")
    if result.unassessed:
        problems.append(f"{len(result.unassessed)} messages stored, never assessed: {result.unassessed[:10]}")
    if result.unanswered:
        problems.append(
            f"{len(result.unanswered)} patients not answered after their last message: "
            f"{result.unanswered[:10]}"
        )
    if result.duplicates > result.kills:
        problems.append(f"{result.duplicates} duplicate answers for {result.kills} kills")
    if result.inbox_left or result.unsent:
        problems.append(
            f"left behind: {result.inbox_left} updates in the inbox, {result.unsent} messages in the outbox"
        )
    if not result.complete:
        problems.append("the bot did not settle before the timeout")
    for r in result.records:
        if r.crashed is not None:
            problems.append(bot.crash_problem(r.run, r.crashed))
        if r.no_poll:
            problems.append(f"run {r.run} did not poll within {STARTUP_LIMIT:.0f} s")
    problems += bot.stop_problems(result.final_code, STOP_TIMEOUT)
    if result.violations:
        problems.append(f"{len(result.violations)} Telegram errors the bot caused: {result.violations[:5]}")
    return problems


def _say(record: Record) -> None:
    state = "CRASHED" if record.crashed is not None else "killed"
    since = "the round began" if record.mode == "round" else "the start"
    print(
        f"  run {record.run:2d}: {record.written:3d} messages, {record.mode:8s} {state} "
        f"{record.kill_after:.2f} s after {since}; kept by the inbox {record.kept_by_inbox}",
        file=sys.stderr,
    )


async def _last_run(
    emu: BotApiEmulator, bot: BotProcess, burst: Burst, result: IntakeResult, timeout: float
) -> None:
    """A run left alone until every message is handled and answered, then stopped by SIGTERM."""
    await bot.start()
    settle_from = time.monotonic()
    deadline = settle_from + timeout
    while bot.alive and time.monotonic() < deadline and not _settled(emu, burst):
        await asyncio.sleep(0.5)
    result.complete = bot.alive and _settled(emu, burst)
    result.settle_seconds = time.monotonic() - settle_from
    result.final_code, result.final_stop_seconds = await bot.stop(STOP_TIMEOUT)


async def run_intake_drill(
    patients: int = 200,
    kills: int = 20,
    seed: int = 1,
    timeout: float = 90.0,
    folder: Path | None = None,
    verbose: bool = False,
    modes: tuple[str, ...] = MODES,
) -> IntakeResult:
    """Run the whole drill; `folder` keeps the config, database and the bot's logs; `modes`, the
    kinds of kill drawn from."""
    began = time.monotonic()
    rng = random.Random(seed)
    with drill_folder(folder, "aftercare-intake-") as kept:
        async with BotApiEmulator(rate_limits=RateLimits()) as emu:
            burst = seed_burst(emu, kept, patients, first_in=3600.0)  # in follow-up, nothing due
            bot = BotProcess(burst.config, emu.token, kept / "logs")
            result = IntakeResult(patients, [])
            seen: set[tuple[int, int]] = set()
            try:
                for _ in range(kills):
                    result.records.append(await _one_kill(emu, bot, burst, rng, seen, modes))
                    if verbose:
                        _say(result.records[-1])
                await _last_run(emu, bot, burst, result, timeout)
            finally:
                await bot.ensure_dead()
            _verdict(result, emu, burst, bot)
        result.elapsed = time.monotonic() - began
        result.problems = _problems(result, bot)
    return result
