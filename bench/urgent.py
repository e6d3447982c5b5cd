"""How late an emergency answer is: from a patient's red-flag message to the emergency text
reaching Telegram (the emulator), in four conditions.

    .venv/bin/python bench/urgent.py [--trials 100] [--only a,b,c,d] [--timeout 10] [--burst 3000]

Each condition gets a fresh database and a fresh Bot API emulator in a child process with
Telegram's limits on (30 messages/s overall; per private chat a burst of 3, then 1 a second).
The bot is built in this process by `build_application`: real clock, the real tick every
second, its default 28 messages/s. Each trial's patient is enrolled (first check-in an hour
away) and writes RED_FLAG once. The figure is the emulator's clock when the emergency text's
sendMessage reached it minus its clock when the patient wrote.

  a  idle: nothing else is going on;
  b  during a burst of `--burst` check-ins due at once: the trials start once 100 check-ins have
     arrived and are spread over the burst (3,000 take ~107 s at 28/s);
  c  right after the same patient sent 50 messages, all at once (a patient typing in a panic,
     or pasting): the red flag is the 51st;
  d  around a 1 s blip of 502s: talkers keep answers going out, every send is answered 502
     for 1 s, and the red flag is written between 0.1 s before and 0.1 s after the blip ends,
     so its first try may meet the blip.

Prints p50, p99 and max per condition, the trials answered and the 429s Telegram returned.
Exits 1 when a p99 is 1 s or more, a trial got no emergency text within `--timeout` seconds, or
any 429 was drawn.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import platform
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.delivery import (
    CHECKIN_MARK,
    EmulatorProcess,
    _Child,
    seed_followups,
    write_bench_config,
)
from bot.emulator import RateLimits
from bot.emulator.faults import EDITING_METHODS, SENDING_METHODS

TARGET_P99 = 1.0
RED_FLAG = "now I have chest pain and I can't breathe"
EMERGENCY_MARK = "Call 999 now"  # the start of outcome_emergency with the bench clinic's number
CHATTER = ["a little sore today but fine", "still a bit achy", "ok", "the calf feels tight", "thanks"]
CHATTY_MESSAGES = 50
BLIP_SECONDS = 1.0
BLIP_OFFSETS = (-0.1, -0.05, 0.0, 0.05, 0.1)  # when the red flag is written, from the blip's end
TALKERS, TALK_EVERY = 8, 0.12  # condition d: each talker writes about once a second
GAP = 0.3  # seconds between two trials: the next patient writes after the last answer arrived
CONDITIONS = {
    "a": "idle",
    "b": "during a check-in burst",
    "c": "after 50 messages",
    "d": "around a 1 s blip of 502s",
}


class UrgentChild(_Child):
    """The emulator's side: patients write, faults begin, and the emergency texts are watched."""

    def __init__(self, emu: Any):
        super().__init__(emu)
        self.arrived: dict[int, list[tuple[float, str]]] = {}  # chat -> (time accepted, text)
        self.refused = 0  # 429s
        self._watched = 0

    def _watch(self) -> None:
        calls = self.emu.calls
        for call in calls[self._watched :]:
            if call.status == 429:
                self.refused += 1
            elif call.ok and call.method == "sendMessage":
                chat, text = int(call.params.get("chat_id")), str(call.params.get("text"))
                self.arrived.setdefault(chat, []).append((call.at, text))
        self._watched = len(calls)

    async def _write(self, chat: int, text: str) -> float:
        written = time.time()
        await self.emu.send_text(self.users[chat], text)
        return written

    async def _arrival(self, chat: int, mark: str, since: float, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._watch()
            found = [at for at, text in self.arrived.get(chat, []) if at >= since and mark in text]
            if found:
                return min(found)
            await asyncio.sleep(0.005)
        return None

    async def handle(self, command: str, *args: Any) -> Any:
        if command == "write":  # chat, text -> when it was written
            return await self._write(*args)
        if command == "chatter_then":  # chat, texts, n, last -> when `last` was written, after n texts
            chat, texts, n, last = args
            for i in range(n):
                await self._write(chat, texts[i % len(texts)])
            return await self._write(chat, last)
        if command == "blip_then":  # seconds, chat, text, offset -> `text` written `offset` s after it ends
            seconds, chat, text, offset = args
            self.emu.faults.fail_for(
                seconds, status=502, description="Bad Gateway", methods=SENDING_METHODS | EDITING_METHODS
            )
            await asyncio.sleep(seconds + offset)
            return await self._write(chat, text)
        if command == "arrival":  # chat, mark, since, timeout -> when the first such message arrived
            return await self._arrival(*args)
        if command == "refused":
            self._watch()
            return self.refused
        return await super().handle(command, *args)


@dataclass
class Outcome:
    name: str
    latencies: list[float | None] = field(default_factory=list)  # None: no emergency text in time
    refused: int = 0
    note: str = ""
    wall: float = 0.0

    @property
    def answered(self) -> list[float]:
        return sorted(x for x in self.latencies if x is not None)

    def percentile(self, q: float) -> float:
        """Over every trial; one without an answer counts as infinitely late."""
        ordered = self.answered + [float("inf")] * (len(self.latencies) - len(self.answered))
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")

    @property
    def ok(self) -> bool:
        return bool(self.latencies) and self.percentile(0.99) < TARGET_P99 and self.refused == 0


Trial = Callable[[EmulatorProcess, int], Awaitable[float | None]]


async def _trial(emu: EmulatorProcess, chat: int, timeout: float, written: float) -> float | None:
    arrived = await emu.acall("arrival", chat, EMERGENCY_MARK, written, timeout)
    return None if arrived is None else arrived - written


async def _run_bot(config, emu: EmulatorProcess, drive: Callable[[], Awaitable[str]]) -> str:
    """The bot as in production, polling the emulator, while `drive` runs the trials."""
    from bot.guidance.loader import load_all_guidance
    from bot.store.database import Store
    from bot.telegram.app import build_application

    store = Store(config.storage.database)
    app = build_application(config, store, load_all_guidance(config), emu.token)
    try:
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            try:
                return await drive()
            finally:
                await app.updater.stop()
                await app.stop()
    finally:
        store.close()


def run(condition: str, trials: int, timeout: float, burst: int) -> Outcome:
    from bot.guidance.config import load_config

    outcome = Outcome(condition)
    started = time.perf_counter()
    with (
        EmulatorProcess(RateLimits(), timeout + 30, child=UrgentChild) as emu,
        tempfile.TemporaryDirectory(prefix="bench-urgent-") as tmp,
    ):
        staff = emu.call("users", ["Dana", "Sam"])
        config = load_config(write_bench_config(Path(tmp), emu.base_url, staff, 28.0))
        now = time.time()

        def patients(names: list[str], first_due: float) -> list[int]:
            chats = emu.call("users", names) if names else []
            seed_followups(
                config.storage.database,
                config.clinics[0].id,
                staff[0],
                list(zip(chats, names, strict=True)),
                first_due,
                now,
            )
            return chats

        reds = patients([f"Red{i:04d}" for i in range(trials)], now + 3600)
        due = patients([f"Patient{i:05d}" for i in range(burst)] if condition == "b" else [], now)
        talkers = patients([f"Talker{i}" for i in range(TALKERS)] if condition == "d" else [], now + 3600)

        async def drive() -> str:
            note = ""
            if condition == "b":
                deadline = time.monotonic() + 60
                begun = min(100, burst)  # check-ins arrived before the trials begin
                while time.monotonic() < deadline and await emu.acall("count", due, CHECKIN_MARK) < begun:
                    await asyncio.sleep(0.1)
                spacing = max(GAP, 0.8 * burst / 28.0 / max(1, trials))
            if condition == "d":
                await emu.acall("talk", talkers, CHATTER[0], TALK_EVERY)
            first = time.monotonic()
            for i, chat in enumerate(reds):
                if condition == "c":
                    written = await emu.acall("chatter_then", chat, CHATTER, CHATTY_MESSAGES, RED_FLAG)
                elif condition == "d":
                    offset = BLIP_OFFSETS[i % len(BLIP_OFFSETS)]
                    written = await emu.acall("blip_then", BLIP_SECONDS, chat, RED_FLAG, offset)
                else:
                    written = await emu.acall("write", chat, RED_FLAG)
                outcome.latencies.append(await _trial(emu, chat, timeout, written))
                if condition == "b":
                    await asyncio.sleep(max(0.0, first + (i + 1) * spacing - time.monotonic()))
                else:
                    await asyncio.sleep(GAP if condition != "d" else BLIP_SECONDS)
            if condition == "b":
                arrived = await emu.acall("count", due, CHECKIN_MARK)
                note = f"{arrived} of {burst} check-ins had arrived when the last trial ended"
                if arrived >= burst:
                    note += " (the burst was over: fewer trials, or a larger --burst)"
            if condition == "d":
                await emu.acall("quiet")
            outcome.refused = await emu.acall("refused")
            return note

        outcome.note = asyncio.run(_run_bot(config, emu, drive))
    outcome.wall = time.perf_counter() - started
    return outcome


class _TelegramLines(logging.Handler):
    """The bot's log lines about Telegram failing and coming back (no patient data in them)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Telegram"):
            self.lines.append(record.getMessage())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=100, help="trials a condition (100 reported)")
    parser.add_argument("--only", help="comma-separated conditions among a, b, c, d")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a trial waits for its answer")
    parser.add_argument("--burst", type=int, default=3000, help="check-ins due at once in condition b")
    args = parser.parse_args()
    chosen = [c.strip() for c in (args.only or "a,b,c,d").split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CONDITIONS]
    if unknown:
        parser.error(f"unknown condition {unknown}; choose among {', '.join(CONDITIONS)}")
    logging.basicConfig(level=logging.CRITICAL)
    said = _TelegramLines()
    delivery_log = logging.getLogger("bot.delivery.sender")
    delivery_log.addHandler(said)
    delivery_log.setLevel(logging.WARNING)
    delivery_log.propagate = False  # collected, and summed up under the table

    print(
        f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}, "
        f"{multiprocessing.cpu_count()} cores; emulator in a child process with Telegram's limits; "
        f"{args.trials} trials a condition; red flag: {RED_FLAG!r}"
    )
    outcomes = []
    columns = f"{'trials':>7}{'answered':>9}{'p50 s':>8}{'p99 s':>8}{'max s':>8}{'429s':>6}{'wall s':>8}"
    print(f"{'condition':<30}{columns}", flush=True)
    for condition in chosen:
        said.lines.clear()
        o = run(condition, args.trials, args.timeout, args.burst)
        o.note = "; ".join(n for n in (o.note, _said(said.lines)) if n)
        outcomes.append(o)
        label = f"{o.name} {CONDITIONS[o.name]}"
        worst = o.answered[-1] if o.answered else float("nan")
        print(
            f"{label:<30}{len(o.latencies):>7}{len(o.answered):>9}{o.percentile(0.5):>8.3f}"
            f"{o.percentile(0.99):>8.3f}{worst:>8.3f}{o.refused:>6}{o.wall:>8.1f}",
            flush=True,
        )
    for o in outcomes:
        if o.note:
            print(f"  {o.name}: {o.note}")
    print(f"target: p99 < {TARGET_P99} s in every condition, every trial answered, 0 429s")
    missed = [o.name for o in outcomes if not o.ok]
    if missed:
        print(f"MISSED: {', '.join(missed)}")
    return 1 if missed else 0


def _said(lines: list[str]) -> str:
    if not lines:
        return ""
    backs = [line for line in lines if " back after " in line]
    said = f"bot said {len(lines)} lines about Telegram, e.g. {lines[0]!r}"
    return said + (f", {backs[0]!r}" if backs else "")


if __name__ == "__main__":
    sys.exit(main())
