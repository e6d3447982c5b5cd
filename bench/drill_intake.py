"""Intake drill: patients write while the real bot is SIGKILLed; no message may be lost.

    .venv/bin/python bench/drill_intake.py [--patients 200] [--kills 20] [--seed 1] [--timeout 90]
                                           [--keep DIR]

The Bot API emulator (Telegram's limits on) runs in this process; the bot runs as a child process
(`python -m bot run --config ...`) polling it. Every patient is in follow-up, no check-in due. For
each kill: the bot starts; once it polls, a round begins in which a random group of patients
write one to three messages each within 0.3 s, and the bot is SIGKILLed, two kinds mixed:

  round     0.05-0.6 s into the round, as issue 12 measured it (half a round lost);
  at-fetch  a larger round is written while the bot is down; its first getUpdates fetches the
            backlog, its next one confirms it, and 0-10 ms later the bot is killed, before it
            has handled it all (without the inbox, the rest is lost).

Patients still writing after the kill write to a bot that is down.
After the last kill the bot runs until every message is stored, assessed and answered, then
gets SIGTERM and must exit 0 within 5 s.

The verdict joins the emulator's record (what each patient wrote and saw) with the database:
every message stored and assessed, every patient answered after their last message (a burst may
get one answer), the inbox empty. "Kept by the inbox" counts messages Telegram had been told
were received (their offset confirmed) but the bot had not stored when it was killed: without
the inbox each of those is lost (bench/README.md has a run without it). Duplicate answers are
counted, at most one per kill allowed.
Exits 1 on a miss.
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

from bench.drills import BotProcess, print_table, seed_burst
from bench.drills.burst import Burst
from bot.emulator import BotApiEmulator, RateLimits, User
from bot.store.database import Store

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
class IntakeResult:
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
    def kills(self) -> int:
        return sum(1 for r in self.records if r.crashed is None)

    @property
    def kept_by_inbox(self) -> int:
        return sum(r.kept_by_inbox for r in self.records)

    @property
    def duplicates(self) -> int:
        return self.answers_resent + self.answers_replayed

    @property
    def ok(self) -> bool:
        return not self.problems


def _written(emu: BotApiEmulator, patients: list[User]) -> dict[int, list[int]]:
    """Each patient's messages, by message id, as the emulator holds them."""
    return {p.id: [m.message_id for m in emu.chat_history(p) if not m.from_bot] for p in patients}


def _counts(store: Store, table: str) -> Counter[tuple[int, int]]:
    """(chat, message id) -> rows of `table` (answers: the words; assessments) for that message."""
    words = " AND t.question_id = 'text'" if table == "answers" else ""
    rows = store.db.execute(
        f"""SELECT p.telegram_id, t.message_id, COUNT(*) FROM {table} t JOIN sessions s ON s.id = t.session_id
            JOIN patients p ON p.id = s.patient_id WHERE t.message_id IS NOT NULL{words}
            GROUP BY 1, 2""").fetchall()
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


async def _round(emu: BotApiEmulator, rng: random.Random, patients: list[User],
                 share: tuple[float, float] = WRITERS) -> int:
    """A group of patients (`share` of them) write 1-3 messages each, over ROUND_SPREAD seconds."""
    group = rng.sample(patients, max(1, int(len(patients) * rng.uniform(*share))))
    plan = sorted((rng.uniform(0, ROUND_SPREAD), person, rng.choice(TEXTS))
                  for person in group for _ in range(rng.choice((1, 1, 1, 2, 3))))
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
    pending = {(u["message"]["chat"]["id"], u["message"]["message_id"])
               for u in emu.pending_updates if "message" in u}
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


async def _one_kill(emu: BotApiEmulator, bot: BotProcess, burst: Burst, rng: random.Random,
                    seen: set[tuple[int, int]], modes: tuple[str, ...] = MODES) -> Record:
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
    code = await bot.wait()
    if bot.kills == kills_before:
        record.crashed = code
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
        sent_rows = sum(1 for row in store.db["outbox"].rows_where("status = 'sent'")
                        if row["chat_id"] in chats)
        # Answers sent per message: the outbox rows answering an assessment of it.
        per_message = store.db.execute(
            """SELECT p.telegram_id, a.message_id, COUNT(DISTINCT o.id) FROM outbox o
               JOIN assessments a ON a.id = o.ref_id JOIN sessions s ON s.id = a.session_id
               JOIN patients p ON p.id = s.patient_id
               WHERE o.kind = 'answer' AND o.status = 'sent' AND a.message_id IS NOT NULL
               GROUP BY 1, 2""").fetchall()
    finally:
        store.close()
    result.written, result.writers = len(keys), sum(1 for mids in written.values() if mids)
    result.stored = sum(1 for k in keys if stored[k])
    result.stored_twice = sum(stored[k] - 1 for k in keys if stored[k] > 1)
    result.assessed = sum(1 for k in keys if assessed[k])
    result.assessed_twice = sum(assessed[k] - 1 for k in keys if assessed[k] > 1)
    result.lost = [k for k in keys if not stored[k]]
    result.unassessed = [k for k in keys if stored[k] and not assessed[k]]
    result.unanswered = [p.id for p in burst.patients if written[p.id]
                         and max((m.message_id for m in emu.messages_to(p)), default=0) < max(written[p.id])]
    result.answers = sum(len(emu.messages_to(p)) for p in burst.patients)
    result.answers_resent = max(0, result.answers - sent_rows)
    result.answers_replayed = sum(n - 1 for _, _, n in per_message if n > 1)
    result.replayed = sum(int(m.group(1)) for line in bot.grep_logs("received before the last stop")
                          if (m := re.search(r"handling (\d+) updates", line)))
    result.resent_skipped = len(bot.grep_logs("was handled before the restart"))
    result.requeued = sum(int(m.group(1)) for line in bot.grep_logs("re-queued")
                          if (m := re.search(r"re-queued (\d+)", line)))
    result.too_many_requests = sum(1 for call in emu.calls if call.status == 429)
    result.violations = [str(v) for v in emu.violations if not v.expected and v.status != 429]


def _problems(result: IntakeResult, bot: BotProcess) -> list[str]:
    problems = []
    if result.lost:
        problems.append(f"{len(result.lost)} messages never stored (chat, message): {result.lost[:10]}")
    if result.unassessed:
        problems.append(f"{len(result.unassessed)} messages stored, never assessed: {result.unassessed[:10]}")
    if result.unanswered:
        problems.append(f"{len(result.unanswered)} patients not answered after their last message: "
                        f"{result.unanswered[:10]}")
    if result.duplicates > result.kills:
        problems.append(f"{result.duplicates} duplicate answers for {result.kills} kills")
    if result.inbox_left or result.unsent:
        problems.append(f"left behind: {result.inbox_left} updates in the inbox, "
                        f"{result.unsent} messages in the outbox")
    if not result.complete:
        problems.append("the bot did not settle before the timeout")
    for r in result.records:
        if r.crashed is not None:
            problems.append(f"run {r.run} exited by itself with code {r.crashed}:\n{bot.log_tail(15, r.run)}")
        if r.no_poll:
            problems.append(f"run {r.run} did not poll within {STARTUP_LIMIT:.0f} s")
    if result.final_code != 0:
        what = "did not exit" if result.final_code is None else f"exited with code {result.final_code}"
        problems.append(f"after SIGTERM the bot {what} within {STOP_TIMEOUT:.0f} s:\n{bot.log_tail(15)}")
    if result.violations:
        problems.append(f"{len(result.violations)} Telegram errors the bot caused: {result.violations[:5]}")
    return problems


async def drill(patients: int = 200, kills: int = 20, seed: int = 1, timeout: float = 90.0,
                folder: Path | None = None, verbose: bool = False,
                modes: tuple[str, ...] = MODES) -> IntakeResult:
    """Run the whole drill; `folder` keeps the config, database and the bot's logs; `modes`, the
    kinds of kill drawn from."""
    began = time.monotonic()
    rng = random.Random(seed)
    own_folder = None
    if folder is None:
        own_folder = tempfile.TemporaryDirectory(prefix="aftercare-intake-")
        folder = Path(own_folder.name)
    try:
        async with BotApiEmulator(rate_limits=RateLimits()) as emu:
            burst = seed_burst(emu, folder, patients, first_in=3600.0)  # in follow-up, nothing due
            bot = BotProcess(burst.config, emu.token, folder / "logs")
            result = IntakeResult(patients, [])
            seen: set[tuple[int, int]] = set()
            try:
                for _ in range(kills):
                    record = await _one_kill(emu, bot, burst, rng, seen, modes)
                    result.records.append(record)
                    if verbose:
                        state = "CRASHED" if record.crashed is not None else "killed"
                        print(f"  run {record.run:2d}: {record.written:3d} messages, "
                              f"{record.mode:8s} {state} "
                              f"{record.kill_after:.2f} s "
                              f"after {'the round began' if record.mode == 'round' else 'the start'}; "
                              f"kept by the inbox {record.kept_by_inbox}", file=sys.stderr)
                await bot.start()
                settle_from = time.monotonic()
                deadline = settle_from + timeout
                while bot.alive and time.monotonic() < deadline and not _settled(emu, burst):
                    await asyncio.sleep(0.5)
                result.complete = bot.alive and _settled(emu, burst)
                result.settle_seconds = time.monotonic() - settle_from
                if bot.alive:
                    result.final_code, result.final_stop_seconds = await bot.stop(STOP_TIMEOUT)
                else:
                    result.final_code = bot.proc.returncode
            finally:
                await bot.ensure_dead()
            _verdict(result, emu, burst, bot)
        result.elapsed = time.monotonic() - began
        result.problems = _problems(result, bot)
        return result
    finally:
        if own_folder is not None:
            own_folder.cleanup()


def _span(result: IntakeResult, mode: str) -> str:
    at = [r.kill_after for r in result.records if r.mode == mode]
    return f"{min(at):.2f}-{max(at):.2f}" if at else "-"


def table(result: IntakeResult, seed: int) -> None:
    modes = Counter(r.mode for r in result.records if r.crashed is None)
    print_table(f"Intake drill: {result.patients} patients, seed {seed}", [
        ("patients who wrote / messages written", f"{result.writers} / {result.written}"),
        ("kills (round: s into it / at-fetch: s after start)",
         f"{result.kills} ({modes['round']}: {_span(result, 'round')} / "
         f"{modes['at-fetch']}: {_span(result, 'at-fetch')})"),
        ("confirmed to Telegram but not yet stored at a kill (kept by the inbox)", result.kept_by_inbox),
        ("messages stored", f"{result.stored} / {result.written} (twice: {result.stored_twice})"),
        ("messages assessed", f"{result.assessed} / {result.written} (twice: {result.assessed_twice})"),
        ("lost", len(result.lost)),
        ("patients answered after their last message",
         f"{result.writers - len(result.unanswered)} / {result.writers}"),
        ("answers the patients received", result.answers),
        ("duplicate answers (same answer resent / message answered again)",
         f"{result.duplicates} ({result.answers_resent} / {result.answers_replayed}); <= 1 per kill: "
         f"{'yes' if result.duplicates <= result.kills else 'NO'}"),
        ("updates handled from the inbox at a start", result.replayed),
        ("updates Telegram handed over again, skipped", result.resent_skipped),
        ("interrupted sends re-queued at start", result.requeued),
        ("inbox / outbox to patients left at the end", f"{result.inbox_left} / {result.unsent}"),
        ("429s from the emulator", result.too_many_requests),
        ("other Telegram errors caused", len(result.violations)),
        ("last run: settled in", f"{result.settle_seconds:.1f} s"),
        ("final SIGTERM", f"exit {result.final_code} in {result.final_stop_seconds:.2f} s"),
        ("elapsed", f"{result.elapsed:.1f} s"),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds the last run gets to settle")
    parser.add_argument("--keep", metavar="DIR", help="keep config, database and the bot's logs in DIR")
    args = parser.parse_args(argv)
    if args.patients < 2 or args.kills < 1:
        parser.error("need at least 2 patients and 1 kill")
    folder = Path(args.keep) if args.keep else None
    result = asyncio.run(drill(args.patients, args.kills, args.seed, args.timeout, folder, verbose=True))
    table(result, args.seed)
    for problem in result.problems:
        print(f"\nPROBLEM: {problem}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
