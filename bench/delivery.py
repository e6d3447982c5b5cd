"""Delivery at Telegram's limit: a burst of due check-ins through the real bot, replies meanwhile.

    .venv/bin/python bench/delivery.py [--patients N] [--talkers 4] [--every 0.5] [--only slow|fast]
                                       [--rtt SECONDS] [--batch ROWS]

Two runs, each with a fresh database and a fresh Bot API emulator. The emulator runs in a child
process (Telegram does not share the bot's CPU either) on 127.0.0.1; the bot is built in this
process by `build_application`: real clock, the real JobQueue tick every second, the rate
limiter from `telegram.max_messages_per_second`.

  slow   the emulator enforces Telegram's limits (30 messages/s overall); the bot at its default
         28/s; 1,500 check-ins by default (3,000 take ~110 s alone: `--patients 3000`);
  fast   the emulator allows 300 messages/s; the bot is configured for 280/s; 3,000 check-ins.
         Here one core's CPU, not the limit, decides the rate, so the same run also measures a
         baseline: a bare python-telegram-bot ExtBot sending the same check-in (text and keyboard)
         to as many chats, through the same pace and as many sends in flight, with no database,
         no polling and no tick. "vs bare" is the bot's rate over the baseline's.

`--patients N` sets both runs. While the burst goes out, `--talkers` enrolled patients take turns
to write free text, one message every `--every` seconds (so each talker every talkers x every
seconds, inside Telegram's one message a second per chat). Their replies share the limit.

Per run, from the emulator's record of calls:
  check-ins/s   check-ins delivered / time from the first to the last check-in accepted;
  msgs/s        every message the emulator accepted in that window (check-ins and replies);
  use           msgs/s / the emulator's limit: how much of Telegram's allowance the bot uses
                (target >= 0.9; the replies count, since they take their share of it);
  429s, lost, dups (targets 0); p50/p99 reply latency: the time of the bot's reply minus the time
  the patient wrote (target p99 < 2 s).
Exits 1 on a missed target. `--rtt` holds every sendMessage answer back that long (the network
between a clinic and Telegram); `--batch` and `--in-flight` override the delivery rows per tick
and the sends in flight, to show
their effect.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.emulator import BotApiEmulator, RateLimits

TARGET_USE = 0.9
TARGET_P99 = 2.0
TALK = "a little sore today but fine"  # triaged "normal": one reply, no alert to the clinic
CHECKIN_MARK = "hours since your session"


# ---- the emulator in a child process, driven over a pipe (also used by bench/throughput.py)


class _Child:
    """What runs in the child: the emulator, users, talkers, and an incremental log of sends."""

    def __init__(self, emu: BotApiEmulator):
        self.emu = emu
        self.users: dict[int, Any] = {}
        self.sent: list[tuple[float, int, str]] = []  # (time accepted, chat, text) of each message
        self.written: list[tuple[int, float]] = []  # (chat, time) of each patient message
        self.http_429 = 0
        self._cursor = 0
        self._talk: asyncio.Task | None = None

    def _scan(self) -> None:
        calls = self.emu.calls
        for call in calls[self._cursor :]:
            if call.status == 429:
                self.http_429 += 1
            elif call.ok and call.method in ("sendMessage", "sendPhoto"):
                self.sent.append(
                    (
                        call.at,
                        int(call.params.get("chat_id")),
                        str(call.params.get("text") or call.params.get("caption")),
                    )
                )
        self._cursor = len(calls)

    async def _talker(self, ids: list[int], text: str, every: float) -> None:
        turn = 0
        while True:  # cancelled by "quiet"
            user = self.users[ids[turn % len(ids)]]
            self.written.append((user.id, time.time()))
            await self.emu.send_text(user, text)
            turn += 1
            await asyncio.sleep(every)

    async def handle(self, command: str, *args: Any) -> Any:
        if command == "users":
            made = [self.emu.add_user(name) for name in args[0]]
            self.users.update((u.id, u) for u in made)
            return [u.id for u in made]
        if command == "delay":
            self.emu.faults.delay(args[0], for_methods=["sendMessage"])
            return None
        if command == "talk":
            self._talk = asyncio.create_task(self._talker(*args))
            return None
        if command == "quiet":
            if self._talk:
                self._talk.cancel()
            return None
        if command == "flood":  # every user writes `rounds` messages (texts in turn), all queued at once
            ids, rounds, texts = args
            started = time.time()
            for r in range(rounds):
                for chat in ids:
                    self.written.append((chat, time.time()))
                    await self.emu.send_text(self.users[chat], texts[r % len(texts)])
            return started
        if command == "count":  # messages accepted to these chats (whose text holds `mark`)
            self._scan()
            chats, mark = set(args[0]), args[1]
            return sum(1 for _, chat, text in self.sent if chat in chats and mark in text)
        if command == "report":
            self._scan()
            return {"sent": self.sent, "written": self.written, "http_429": self.http_429}
        raise ValueError(f"unknown command {command!r}")


async def _child_main(conn, limits: RateLimits | None, make_child: type[_Child]) -> None:
    async with BotApiEmulator(rate_limits=limits) as emu:
        child = make_child(emu)
        conn.send((emu.base_url, emu.token))
        while True:
            request = await asyncio.to_thread(conn.recv)
            if request[0] == "stop":
                conn.send(None)
                return
            try:
                conn.send(await child.handle(*request))
            except Exception as error:  # sent back and raised in the parent
                conn.send(error)


def _child_process(conn, limits: RateLimits | None, make_child: type[_Child]) -> None:
    asyncio.run(_child_main(conn, limits, make_child))


class EmulatorProcess:
    """The Bot API emulator in a child process on 127.0.0.1: `call(command, ...)` from sync code,
    `await acall(...)` from the bot's event loop (the pipe is read in a worker thread). `child`: a
    subclass of `_Child` with more commands (it must be importable by the child: module level)."""

    def __init__(self, limits: RateLimits | None, timeout: float = 30.0, child: type[_Child] = _Child):
        context = multiprocessing.get_context("spawn")
        self._conn, pipe = context.Pipe()
        self._process = context.Process(target=_child_process, args=(pipe, limits, child), daemon=True)
        self._process.start()
        self.timeout = timeout
        self.base_url, self.token = self._receive()

    def _receive(self) -> Any:
        deadline = time.monotonic() + self.timeout
        while not self._conn.poll(0.1):
            if not self._process.is_alive():
                raise RuntimeError(f"the emulator process died (exit code {self._process.exitcode})")
            if time.monotonic() > deadline:
                raise TimeoutError("the emulator process did not answer")
        reply = self._conn.recv()
        if isinstance(reply, Exception):
            raise reply
        return reply

    def call(self, command: str, *args: Any) -> Any:
        self._conn.send((command, *args))
        return self._receive()

    async def acall(self, command: str, *args: Any) -> Any:
        return await asyncio.to_thread(self.call, command, *args)

    def close(self) -> None:
        try:
            if self._process.is_alive():
                self.call("stop")
        finally:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def write_bench_config(folder: Path, base_url: str, staff: list[int], bot_rate: float) -> Path:
    """The test harness's clinic (no quiet hours, real-time clock) with the bot's send rate."""
    from tests.harness import write_config

    path = write_config(
        folder,
        base_url,
        [(staff[0], "Dana Reyes", "practitioner"), (staff[1], "Sam Okafor", "admin")],
        quiet_hours=None,
        clock_speed=1,
    )
    text = path.read_text(encoding="utf-8").replace(
        "[telegram]\n", f"[telegram]\nmax_messages_per_second = {bot_rate!r}\n", 1
    )
    path.write_text(text, encoding="utf-8")
    return path


def seed_followups(
    database: Path,
    clinic_id: str,
    practitioner: int,
    patients: list[tuple[int, str]],
    first_due: float,
    now: float,
) -> None:
    """Follow-ups as enrolment leaves them, treated 6 h ago: the 6 h check-in due at `first_due`,
    the 24 h one 18 h from now. One transaction; not the bot's connection."""
    from bot.store.database import Store

    store = Store(database)
    store.db.execute("PRAGMA synchronous = OFF")  # this connection only: seeding is not measured
    token = {
        "clinic_id": clinic_id,
        "areas": json.dumps(["calf"]),
        "intensity": "moderate",
        "activities": "[]",
        "first_session": 1,
        "treated_at": now - 6 * 3600,
        "practitioner_id": practitioner,
    }
    try:
        with store.db.conn:
            for telegram_id, name in patients:
                patient = store.save_patient(telegram_id, name, "en", clinic_id, now - 6 * 3600)
                store.start_session(
                    patient, token, 1.0, [(0, 6.0, first_due), (1, 24.0, now + 18 * 3600)], now - 6 * 3600
                )
    finally:
        store.close()


# ---- the benchmark


@dataclass(frozen=True)
class Setup:
    name: str
    limit: int  # the emulator's overall messages/s
    bot_rate: float  # telegram.max_messages_per_second
    patients: int
    baseline: bool = False  # also time a bare PTB sender (where CPU, not the limit, decides)


@dataclass
class Result:
    setup: Setup
    delivered: int
    seconds: float
    in_window: int  # every message accepted between the first and the last check-in
    http_429: int
    lost: int
    duplicates: int
    unsent_rows: int
    latencies: list[float]
    unanswered: int
    wall: float
    bare_rate: float | None = None  # the bare PTB sender's msgs/s (fast run)

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0

    @property
    def all_rate(self) -> float:
        return self.in_window / self.seconds if self.seconds > 0 else 0.0

    @property
    def use(self) -> float:
        return self.all_rate / self.setup.limit

    @property
    def vs_bare(self) -> float | None:
        return self.all_rate / self.bare_rate if self.bare_rate else None

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def ok(self) -> bool:
        return (
            self.use >= TARGET_USE
            and self.http_429 == 0
            and self.lost == 0
            and self.duplicates == 0
            and self.unsent_rows == 0
            and self.unanswered == 0
            and bool(self.latencies)
            and self.percentile(0.99) < TARGET_P99
        )


async def _burst(
    emu: EmulatorProcess,
    setup: Setup,
    config,
    burst: list[int],
    talkers: list[int],
    every: float,
    batch: int | None,
    in_flight: int | None,
) -> int:
    """Run the bot until every check-in is accepted (or a deadline), talkers writing meanwhile;
    returns how many outbox rows were left unsent."""
    from bot.guidance.loader import load_all_guidance
    from bot.store.database import Store
    from bot.telegram.app import build_application

    store = Store(config.storage.database)
    app = build_application(config, store, load_all_guidance(config), emu.token)
    if batch:
        app.bot_data["services"].delivery.batch = batch
    if in_flight:
        app.bot_data["services"].delivery.concurrency = in_flight
    deadline = time.monotonic() + 30 + 3 * setup.patients / setup.bot_rate
    try:
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            try:
                if talkers:
                    await emu.acall("talk", talkers, TALK, every)
                while (
                    time.monotonic() < deadline
                    and await emu.acall("count", burst, CHECKIN_MARK) < setup.patients
                ):
                    await asyncio.sleep(0.25)
                await emu.acall("quiet")
                settle = time.monotonic() + 5  # the last replies (and any late duplicate)
                while time.monotonic() < settle and store.unsent():
                    await asyncio.sleep(0.05)
                await asyncio.sleep(1.0)
            finally:
                await app.updater.stop()
                await app.stop()
        return store.unsent()
    finally:
        store.close()


async def _bare_sender(
    emu: EmulatorProcess, setup: Setup, chats: list[int], text: str, markup: dict | None, in_flight: int
) -> float:
    """msgs/s of a bare PTB bot sending `text` to every chat through the bot's pace."""
    from telegram.ext import ExtBot

    from bot.delivery.markup import telegram_markup
    from bot.delivery.pacing import TelegramPace
    from bot.delivery.sender import NO_PREVIEW

    bot = ExtBot(emu.token, base_url=emu.base_url, rate_limiter=TelegramPace(setup.bot_rate))
    waiting = iter(chats)

    async def sender() -> None:
        for chat in waiting:
            await bot.send_message(
                chat,
                text,
                parse_mode="HTML",
                reply_markup=telegram_markup(markup),
                link_preview_options=NO_PREVIEW,
                rate_limit_args=2,
            )

    async with bot:
        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(in_flight)))
        return len(chats) / (time.perf_counter() - started)


def bare_baseline(setup: Setup, config, in_flight: int) -> float:
    """The baseline on a fresh emulator with the same limits, sending the bench's check-in."""
    from bot.guidance.loader import load_all_guidance
    from bot.services.shared import Services
    from bot.store.database import Store
    from bot.telegram.patient import render_checkin

    store = Store(config.storage.database)
    try:
        services = Services(config, store, load_all_guidance(config), time.time)
        checkin = render_checkin(services, store.due_checkins(time.time(), 1)[0])
    finally:
        store.close()
    with EmulatorProcess(RateLimits(overall_per_second=setup.limit)) as emu:
        chats = emu.call("users", [f"Bare{i:05d}" for i in range(setup.patients)])
        return asyncio.run(_bare_sender(emu, setup, chats, checkin.text, checkin.markup, in_flight))


def run(
    setup: Setup, talkers: int, every: float, rtt: float, batch: int | None, in_flight: int | None = None
) -> Result:
    from bot.guidance.config import load_config
    from bot.telegram.app import sends_in_flight

    started = time.perf_counter()
    with (
        EmulatorProcess(RateLimits(overall_per_second=setup.limit)) as emu,
        tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp,
    ):
        staff = emu.call("users", ["Dana", "Sam"])
        burst = emu.call("users", [f"Patient{i:05d}" for i in range(setup.patients)])
        talking = emu.call("users", [f"Talker{i}" for i in range(talkers)])
        if rtt:
            emu.call("delay", rtt)
        config = load_config(write_bench_config(Path(tmp), emu.base_url, staff, setup.bot_rate))
        now = time.time()
        seed_followups(
            config.storage.database,
            config.clinics[0].id,
            staff[0],
            [(chat, f"Patient{i:05d}") for i, chat in enumerate(burst)],
            now,
            now,
        )
        seed_followups(
            config.storage.database,
            config.clinics[0].id,
            staff[0],
            [(chat, f"Talker{i}") for i, chat in enumerate(talking)],
            now + 3600,
            now,
        )
        bare = (
            bare_baseline(setup, config, in_flight or sends_in_flight(setup.bot_rate))
            if setup.baseline
            else None
        )
        unsent = asyncio.run(_burst(emu, setup, config, burst, talking, every, batch, in_flight))
        report = emu.call("report")

    burst_chats, talk_chats = set(burst), set(talking)
    checkins = [
        (at, chat) for at, chat, text in report["sent"] if chat in burst_chats and CHECKIN_MARK in text
    ]
    per_chat: dict[int, int] = {}
    for _, chat in checkins:
        per_chat[chat] = per_chat.get(chat, 0) + 1
    first, last = (min(at for at, _ in checkins), max(at for at, _ in checkins)) if checkins else (0.0, 0.0)
    in_window = sum(1 for at, _, _ in report["sent"] if first <= at <= last)
    replies: dict[int, list[float]] = {}
    for at, chat, _ in sorted(report["sent"]):
        if chat in talk_chats:
            replies.setdefault(chat, []).append(at)
    latencies, seen = [], {}
    for chat, at in report["written"]:  # a talker's k-th message is answered by the bot's k-th message
        k = seen[chat] = seen.get(chat, -1) + 1
        if k < len(replies.get(chat, [])):
            latencies.append(replies[chat][k] - at)
    return Result(
        setup,
        len(per_chat),
        last - first,
        in_window,
        report["http_429"],
        sum(1 for chat in burst if chat not in per_chat),
        sum(n - 1 for n in per_chat.values()),
        unsent,
        latencies,
        len(report["written"]) - len(latencies),
        time.perf_counter() - started,
        bare,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--patients", type=int, help="check-ins due in each run (default: 1,500 slow, 3,000 fast)"
    )
    parser.add_argument("--talkers", type=int, default=4)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between two talkers' messages")
    parser.add_argument("--only", choices=("slow", "fast"))
    parser.add_argument(
        "--rtt", type=float, default=0.0, help="seconds the emulator holds each sendMessage answer back"
    )
    parser.add_argument(
        "--batch", type=int, help="delivery rows per tick (the bot's default: 2 s of sending, at least 100)"
    )
    parser.add_argument(
        "--in-flight", type=int, help="sends in flight at once (the bot's default: from its rate)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")

    setups = [
        Setup("slow", 30, 28.0, args.patients or 1500),
        Setup("fast", 300, 280.0, args.patients or 3000, baseline=True),
    ]
    setups = [s for s in setups if args.only in (None, s.name)]
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}, "
        f"{multiprocessing.cpu_count()} cores; emulator in a child process; {args.talkers} talkers, "
        f"a message every {args.every} s; rtt {args.rtt} s; delivery batch {args.batch or 'default'}, "
        f"in flight {args.in_flight or 'default'}"
    )
    results = [run(s, args.talkers, args.every, args.rtt, args.batch, args.in_flight) for s in setups]

    print(
        f"{'run':<5}{'limit':>6}{'bot':>5}{'due':>6}{'sent':>6}{'check-ins/s':>12}{'msgs/s':>8}{'use':>6}"
        f"{'bare/s':>8}{'vs bare':>8}{'429s':>6}{'lost':>6}{'dups':>6}{'replies':>8}{'p50 s':>7}{'p99 s':>7}"
        f"{'wall s':>8}"
    )
    for r in results:
        s = r.setup
        bare = f"{r.bare_rate:>8.1f}{r.vs_bare:>8.2f}" if r.bare_rate else f"{'-':>8}{'-':>8}"
        print(
            f"{s.name:<5}{s.limit:>6}{s.bot_rate:>5.0f}{s.patients:>6}{r.delivered:>6}{r.rate:>12.1f}{r.all_rate:>8.1f}"
            f"{r.use:>6.2f}{bare}{r.http_429:>6}{r.lost:>6}{r.duplicates:>6}{len(r.latencies):>8}{r.percentile(0.5):>7.3f}"
            f"{r.percentile(0.99):>7.3f}{r.wall:>8.1f}"
        )
    print(
        f"targets: use >= {TARGET_USE}, 0 429s, 0 lost, 0 duplicates, every reply answered, "
        f"p99 < {TARGET_P99} s"
    )
    for r in results:
        if not r.ok:
            notes = [
                f"{r.unanswered} replies unanswered" if r.unanswered else "",
                f"{r.unsent_rows} outbox rows unsent" if r.unsent_rows else "",
            ]
            print(f"MISSED: run {r.setup.name} " + "; ".join(n for n in notes if n))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
