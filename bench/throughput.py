"""Update throughput: patient replies handled end to end per second, against a bare PTB echo bot.

    .venv/bin/python bench/throughput.py [--patients 200] [--messages 3] [--rounds 1]

The Bot API emulator runs in a child process on 127.0.0.1 with its rate limits off: this measures
processing, not Telegram's limits. `--patients` enrolled patients (each with a follow-up, so their
words are triaged) each write `--messages` messages in turns, all queued at once; the bot under
test polls them with getUpdates and answers each. Wall time runs from the first message queued
to the last answer the emulator accepted.

  echo       a bare python-telegram-bot Application: one MessageHandler answering with the same
             text (the baseline: PTB's own polling, dispatch and HTTP cost);
  aftercare  the real bot from `build_application` with its database: receive, look the patient
             up, store the words, triage them, record the assessment, queue the answer in the
             outbox and send it; `telegram.max_messages_per_second` raised to 1000.

Both run in this process, one after the other, each against a fresh emulator. Prints both rates,
the bot's CPU time per reply (this process only: what is not CPU was spent waiting for the
emulator) and aftercare/echo (target >= 0.5); `--rounds` repeats the pair and keeps each one's
best. Exits 1 when the target is missed or a message goes unanswered.
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.delivery import EmulatorProcess, seed_followups, write_bench_config

TARGET_RATIO = 0.5
# Words a recovering patient writes; each is triaged "normal", so one answer and no alert.
TEXTS = (
    "a little sore today but fine",
    "feeling fine, slightly stiff",
    "all good thanks, mild ache",
    "bit tender where the needles went but ok",
)


@dataclass
class Result:
    name: str
    messages: int
    answered: int
    wall: float
    cpu: float  # this process's CPU seconds, from the flood until every answer was counted
    paced: int = 0

    @property
    def rate(self) -> float:
        return self.answered / self.wall if self.wall > 0 else 0.0


async def _echo(update, context) -> None:
    """Answer with the same text: the least a bot can do with a message."""
    await update.message.reply_text(update.message.text)


def _echo_bot(emu: EmulatorProcess):
    from telegram.ext import Application, MessageHandler, filters

    app = Application.builder().token(emu.token).base_url(emu.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    return app, None


def _aftercare_bot(emu: EmulatorProcess, folder: Path, staff: list[int], patients: list[int]):
    from bot.guidance.config import load_config
    from bot.guidance.loader import load_all_guidance
    from bot.store.database import Store
    from bot.telegram.app import build_application

    config = load_config(write_bench_config(folder, emu.base_url, staff, 1000.0))
    now = time.time()
    seed_followups(
        config.storage.database,
        config.clinics[0].id,
        staff[0],
        [(chat, f"Patient{i:04d}") for i, chat in enumerate(patients)],
        now + 3600,
        now,
    )
    store = Store(config.storage.database)
    return build_application(config, store, load_all_guidance(config), emu.token), store


async def _drive(
    app, emu: EmulatorProcess, patients: list[int], messages: int, timeout: float
) -> tuple[int, float, float]:
    """Start polling, queue every message at once, wait for the answers; (answered, wall seconds,
    CPU seconds)."""
    total = len(patients) * messages
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            cpu = time.process_time()
            started = await emu.acall("flood", patients, messages, TEXTS)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and await emu.acall("count", patients, "") < total:
                await asyncio.sleep(0.05)
            cpu = time.process_time() - cpu
        finally:
            await app.updater.stop()
            await app.stop()
    report = emu.call("report")
    chats = set(patients)
    answers = [at for at, chat, _ in report["sent"] if chat in chats]
    return len(answers), (max(answers) - started) if answers else 0.0, cpu


def measure(name: str, patients: int, messages: int, timeout: float) -> Result:
    with EmulatorProcess(None) as emu, tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        staff = emu.call("users", ["Dana", "Sam"])
        chats = emu.call("users", [f"Patient{i:04d}" for i in range(patients)])
        app, store = _echo_bot(emu) if name == "echo" else _aftercare_bot(emu, Path(tmp), staff, chats)
        try:
            answered, wall, cpu = asyncio.run(_drive(app, emu, chats, messages, timeout))
            paced = app.bot_data["services"].delivery.counts["paced"] if store else 0
        finally:
            if store:
                store.close()
    return Result(name, patients * messages, answered, wall, cpu, paced)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument(
        "--messages",
        type=int,
        default=3,
        help="messages each patient writes (3 stay inside "
        "Telegram's per-chat burst, so the bot's per-chat pacing does not hold answers back)",
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the answers of one run"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")

    best: dict[str, Result] = {}
    for _ in range(args.rounds):
        for name in ("echo", "aftercare"):
            result = measure(name, args.patients, args.messages, args.timeout)
            if name not in best or (result.answered, result.rate) > (best[name].answered, best[name].rate):
                best[name] = result
    echo, bot = best["echo"], best["aftercare"]
    ratio = bot.rate / echo.rate if echo.rate else 0.0
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}, "
        f"{multiprocessing.cpu_count()} cores; emulator in a child process, rate limits off"
    )
    print(
        f"{args.patients} patients x {args.messages} messages = {bot.messages} messages; "
        f"best of {args.rounds}"
    )
    print(f"{'bot':<11}{'answered':>9}{'wall s':>8}{'replies/s':>11}{'ms/reply':>10}{'cpu ms/reply':>14}")
    for r in (echo, bot):
        ms_per_reply = 1000 / r.rate if r.rate else float("nan")
        cpu_ms = 1000 * r.cpu / r.answered if r.answered else float("nan")
        print(f"{r.name:<11}{r.answered:>9}{r.wall:>8.2f}{r.rate:>11.1f}{ms_per_reply:>10.2f}{cpu_ms:>14.2f}")
    print(
        f"ratio aftercare/echo: {ratio:.2f} (target >= {TARGET_RATIO})"
        + (f"; {bot.paced} answers held back by per-chat pacing" if bot.paced else "")
    )
    ok = ratio >= TARGET_RATIO and echo.answered == echo.messages and bot.answered == bot.messages
    if not ok:
        print(
            "MISSED"
            + ("" if bot.answered == bot.messages else f": {bot.messages - bot.answered} messages unanswered")
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
