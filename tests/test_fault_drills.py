"""Telegram or the database failing mid-burst loses no check-in, and the bot says what is wrong
and recovers by itself: the fault drills (tests/drills/faults.py; bench/drill_faults.py runs them
at full size), with short fault windows and
few patients, the real bot as a child process against the emulator on 127.0.0.1."""

import logging
import sqlite3
from itertools import pairwise

import pytest
from telegram.ext import ExtBot

from bot.delivery.pacing import TelegramPace
from bot.delivery.sender import Delivery
from bot.guidance.config import load_config
from bot.services.due import Hooks, Ticker
from bot.services.shared import Services
from bot.store.database import Store
from bot.telegram.transport import AiohttpRequest

from .drills.faults import run_fault_drill
from .drills.injectors import DatabaseLocked, DiskFull, RateLimitStorm, ServerErrors, SlowReplies
from .harness import FakeClock, write_config

PATIENTS = 40

DRILLS = [
    pytest.param(lambda: ServerErrors(seconds=5), id="five-hundred"),
    # PTB's limiter waits out three 429s itself (2.1 s each): a longer storm reaches the bot.
    pytest.param(lambda: RateLimitStorm(seconds=8, retry_after=2), id="storm-429"),
    pytest.param(lambda: SlowReplies(seconds=6, delay=10), id="slow"),
    # Longer than the bot's busy_timeout (5 s), so its writes fail and it must say so.
    pytest.param(lambda: DatabaseLocked(seconds=7), id="db-locked"),
    pytest.param(lambda: DiskFull(seconds=4), id="disk-full"),
]


@pytest.mark.drill
@pytest.mark.parametrize("make", DRILLS)
async def test_a_fault_mid_burst_loses_nothing_is_told_and_heals_by_itself(make, tmp_path):
    fault = make()
    result = await run_fault_drill(fault, patients=PATIENTS, folder=tmp_path)

    assert result.began_in_burst
    assert result.verdict.lost == 0, result.verdict.lost_ids
    assert result.verdict.delivered == result.checkins == PATIENTS
    assert result.complete and result.recovered_after is not None, result.problems
    assert result.said and not result.missing, result.log_tail
    assert not result.leaks
    assert result.database.ok and result.integrity == "ok"
    assert result.final_code == 0
    assert result.ok, "\n".join(result.problems)
    if isinstance(fault, RateLimitStorm):  # retry_after honoured: no hammering
        refused = sorted(c.at for c in result.calls if c.status == 429)
        assert 2 <= len(refused) <= fault.allowed
        assert min(b - a for a, b in pairwise(refused)) >= 0.9 * fault.retry_after
        assert any("Telegram rate limited" in line for line in result.said)


class Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
async def outbox(emulator, tmp_path, guidance):
    config = load_config(write_config(tmp_path, emulator.base_url, [(1, "Dana", "practitioner")]))
    store = Store(tmp_path / "db.sqlite3")
    store.db.execute("PRAGMA busy_timeout = 0")  # a locked database fails at once, not after 5 s
    services = Services(config, store, {"harbour": guidance}, FakeClock())

    async def nothing(*_):
        return None

    lines = Lines()
    logger = logging.getLogger("bot.delivery.sender")
    logger.addHandler(lines)
    bot = ExtBot(
        emulator.token,
        base_url=emulator.base_url,
        request=AiohttpRequest(read_timeout=0.5),
        rate_limiter=TelegramPace(28),
    )
    try:
        async with bot:
            services.delivery = Delivery(bot, store, services.now, nothing)
            services.ticker = Ticker(
                services, Hooks(lambda *_: None, lambda *_: None, lambda *_: ([], 0.0), nothing)
            )
            services.lines = lines.lines
            yield services
    finally:
        logger.removeHandler(lines)
        store.close()


async def test_a_send_the_locked_database_could_not_record_is_recorded_later_not_sent_again(
    outbox, emulator, tmp_path
):
    ana = emulator.add_user("Ana")
    locker = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    armed = [True]

    def lock_once_telegram_took_it(message, event):
        if event == "sent" and armed[0]:
            armed[0] = False
            locker.execute("BEGIN EXCLUSIVE")

    emulator.on_bot_message(lock_once_telegram_took_it)
    row = outbox.store.enqueue(ana.id, "checkin", "How is the calf?", None, outbox.now())

    await outbox.ticker.tick()  # Telegram takes it; recording it fails: the tick, not the job
    assert outbox.store.outbox_row(row)["status"] == "sending"
    assert outbox.lines == ["database unavailable (database is locked; will retry next tick)"]

    locker.execute("COMMIT")
    locker.close()
    await outbox.ticker.tick()

    message = emulator.messages_to(ana)
    assert len(message) == 1
    sent = outbox.store.outbox_row(row)
    assert (sent["status"], sent["message_id"]) == ("sent", message[0].message_id)
    assert outbox.lines[1].startswith("database back after")
    assert outbox.store.unsent() == 0
