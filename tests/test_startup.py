"""`aftercare run` at start-up: a fault is one clear line, never a traceback, and a Telegram that
cannot be reached yet is waited for."""

import asyncio
import os
import sys

import pytest

from bot.emulator import BotApiEmulator

from .conftest import ROOT
from .harness import free_port, write_config


async def start_bot(config, token: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        cwd=config.parent,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def output_of(bot: asyncio.subprocess.Process, timeout: float = 30) -> tuple[int, str]:
    out, _ = await asyncio.wait_for(bot.communicate(), timeout)
    return bot.returncode, out.decode()


def damage(config):
    (config.parent / "aftercare.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)


def no_folder(config):
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('"aftercare.sqlite3"', '"gone/aftercare.sqlite3"'), encoding="utf-8")


# (what is wrong with the database, the line the bot says)
BROKEN_DATABASES = [
    (damage, "is damaged"),
    (no_folder, "the folder"),
]


@pytest.mark.parametrize("breakage, says", BROKEN_DATABASES, ids=["damaged", "no folder"])
async def test_a_broken_database_is_one_line_and_exit_2(tmp_path, breakage, says):
    config = write_config(tmp_path, "http://127.0.0.1:9/bot", [(111, "Dana", "practitioner")])
    breakage(config)
    code, out = await output_of(await start_bot(config, "123456:TEST-TOKEN"))
    assert code == 2 and out.count("\n") == 1 and says in out and out.startswith("aftercare: "), out


async def test_a_refused_token_is_one_line_and_exit_2(emulator, tmp_path):
    config = write_config(tmp_path, emulator.base_url, [(111, "Dana", "practitioner")])
    with emulator.expect_violation("Unauthorized"):
        code, out = await output_of(await start_bot(config, "999:WRONG-TOKEN"))
    assert code == 2 and "Telegram does not accept the bot token" in out, out
    assert "Traceback" not in out and "Unclosed" not in out


@pytest.mark.drill  # a child process waits out its real back-off: about 12 s
async def test_the_bot_waits_for_an_unreachable_telegram_and_then_starts(tmp_path):
    port = free_port()
    emulator = BotApiEmulator(port=port)
    config = write_config(tmp_path, emulator.base_url, [(111, "Dana", "practitioner")])
    bot = await start_bot(config, emulator.token)
    first = await asyncio.wait_for(bot.stdout.readline(), 20)
    assert b"cannot reach" in first and b"retrying with backoff" in first, first
    async with emulator:
        await emulator.recorder.signal.wait_for(
            lambda: any(call.method == "getUpdates" for call in emulator.recorder.calls) or None,
            20,
            lambda: f"the bot never polled: {emulator.recorder.summary()}",
        )
        bot.terminate()
        code, out = await output_of(bot)
    assert code == 0, out
    assert "Telegram answers again" in out and "Traceback" not in out and "Unclosed" not in out
