"""The outbox delivers through Telegram's errors: permanent ones recorded, the rest retried."""

import asyncio
import json
import logging
import time

import pytest
from telegram.ext import ExtBot

from bot.delivery.pacing import EMERGENCY, TelegramPace
from bot.delivery.sender import Delivery
from bot.guidance.config import load_config
from bot.render.html import keyboard
from bot.services.due import Hooks, Ticker
from bot.services.shared import Services
from bot.store.database import Store
from bot.telegram.transport import AiohttpRequest

from .harness import FakeClock, write_config


@pytest.fixture
async def outbox(emulator, tmp_path, guidance):
    """A Delivery wired to a real Bot and store, and a tick whose hooks have nothing to queue; the
    chats found unreachable are recorded."""
    config = load_config(write_config(tmp_path, emulator.base_url, [(1, "Dana", "practitioner")]))
    store = Store(tmp_path / "db.sqlite3")
    clock = FakeClock()
    services = Services(config, store, {"harbour": guidance}, clock)
    unreachable: list[int] = []

    async def on_unreachable(chat_id):
        unreachable.append(chat_id)

    bot = ExtBot(
        emulator.token,
        base_url=emulator.base_url,
        request=AiohttpRequest(read_timeout=0.5),
        rate_limiter=TelegramPace(28),
    )
    async with bot:

        async def nothing(*_):
            return None

        services.delivery = Delivery(bot, store, clock, on_unreachable)
        services.ticker = Ticker(
            services, Hooks(lambda *_: None, lambda *_: None, lambda *_: ([], 0.0), nothing)
        )
        services.unreachable = unreachable
        services.clock = clock
        yield services
    store.close()


async def test_a_message_is_sent_once_and_recorded(outbox, emulator):
    ana = emulator.add_user("Ana")
    row = outbox.store.enqueue(
        ana.id, "reply", "<b>Hello</b> &amp; welcome", keyboard([[("OK", "pa:1:ok")]]), outbox.now()
    )
    assert await outbox.delivery.send(row)
    assert not await outbox.delivery.send(row)
    message = await emulator.wait_for_message(ana)
    assert message.text == "Hello & welcome"
    assert message.keyboard == [["OK"]] or message.buttons
    sent = outbox.store.outbox_row(row)
    assert (sent["status"], sent["message_id"]) == ("sent", message.message_id)
    assert len(emulator.messages_to(ana)) == 1


async def test_server_errors_are_retried_until_delivered(outbox, emulator):
    ana = emulator.add_user("Ana")
    emulator.faults.fail_next(2, status=500, methods=("sendMessage",))
    row = outbox.store.enqueue(ana.id, "reply", "hello", None, outbox.now())
    assert not await outbox.delivery.send(row)
    assert outbox.store.outbox_row(row)["status"] == "pending"
    for _ in range(3):
        outbox.clock.advance(60)
        await outbox.ticker.tick()
    assert outbox.store.outbox_row(row)["status"] == "sent"
    assert [m.text for m in emulator.messages_to(ana)] == ["hello"]


async def test_a_rate_limit_waits_for_retry_after(outbox, emulator):
    ana = emulator.add_user("Ana")
    emulator.faults.fail_next(
        1, status=429, methods=("sendMessage",), retry_after=2
    )  # the pace holds it in real time
    row = outbox.store.enqueue(ana.id, "reply", "hello", None, outbox.now())
    assert not await outbox.delivery.send(row)
    assert outbox.store.outbox_row(row)["due_at"] == pytest.approx(outbox.now() + 2)
    outbox.clock.advance(1)
    assert (await outbox.ticker.tick()).sent == 0
    outbox.clock.advance(1)
    assert (await outbox.ticker.tick()).sent == 1


async def test_a_blocked_chat_fails_for_good_and_is_reported(outbox, emulator):
    ana = emulator.add_user("Ana")
    emulator.block(ana)
    first = outbox.store.enqueue(ana.id, "reply", "one", None, outbox.now())
    second = outbox.store.enqueue(ana.id, "checkin", "two", None, outbox.now())
    with emulator.expect_violation("blocked"):
        await outbox.ticker.tick()
    assert outbox.unreachable == [ana.id]
    assert outbox.store.outbox_row(first)["status"] == "failed"
    assert outbox.store.outbox_row(second)["status"] == "cancelled"


async def test_a_time_out_is_retried_and_may_duplicate(outbox, emulator):
    """Telegram may have delivered a timed-out message: retrying risks a duplicate, never a loss."""
    ana = emulator.add_user("Ana")
    emulator.faults.delay(1.0, for_methods=("sendMessage",), times=1)
    row = outbox.store.enqueue(ana.id, "reply", "hello", None, outbox.now())
    assert not await outbox.delivery.send(row)
    outbox.clock.advance(60)
    await outbox.ticker.tick()
    await emulator.wait_for_message(ana)
    assert outbox.store.outbox_row(row)["status"] == "sent"
    assert 1 <= len(emulator.messages_to(ana)) <= 2


async def test_an_unchanged_edit_counts_as_done(outbox, emulator):
    ana = emulator.add_user("Ana")
    row = outbox.store.enqueue(ana.id, "reply", "same", None, outbox.now())
    await outbox.delivery.send(row)
    message_id = outbox.store.outbox_row(row)["message_id"]
    edit = outbox.store.enqueue(ana.id, "edit", "same", None, outbox.now(), edit_message_id=message_id)
    with emulator.expect_violation("not modified"):
        assert await outbox.delivery.send(edit)


async def test_a_malformed_message_is_recorded_not_retried(outbox, emulator):
    ana = emulator.add_user("Ana")
    row = outbox.store.enqueue(ana.id, "reply", "<blink>x</blink>", None, outbox.now())
    with emulator.expect_violation("can't parse entities"):
        assert not await outbox.delivery.send(row)
    assert outbox.store.outbox_row(row)["status"] == "failed"
    outbox.clock.advance(3600)
    assert (await outbox.ticker.tick()).sent == 0


async def test_urgent_messages_go_before_scheduled_ones(outbox, emulator):
    ana, ben = emulator.add_user("Ana"), emulator.add_user("Ben")
    outbox.store.enqueue(ana.id, "checkin", "scheduled", None, outbox.now(), priority=2)
    outbox.store.enqueue(ben.id, "alert", "urgent", None, outbox.now(), priority=0)
    await outbox.ticker.tick()
    order = [
        json.loads(json.dumps(c.params)).get("text") for c in emulator.calls if c.method == "sendMessage"
    ]
    assert order == ["urgent", "scheduled"]


async def test_a_burst_is_sent_several_at_a_time(outbox, emulator):
    """Each answer takes 0.3 s: one at a time, eight chats would take 2.4 s."""
    users = [emulator.add_user(f"P{i}") for i in range(8)]
    emulator.faults.delay(0.3, for_methods=("sendMessage",))
    for user in users:
        outbox.store.enqueue(user.id, "checkin", "How is the calf?", None, outbox.now(), priority=2)
    outbox.delivery.concurrency = 4
    started = time.monotonic()
    assert (await outbox.ticker.tick()).sent == 8
    assert time.monotonic() - started < 1.2


async def test_one_chats_messages_keep_their_order_while_others_go_beside_them(outbox, emulator):
    ana = emulator.add_user("Ana")
    others = [emulator.add_user(f"P{i}") for i in range(6)]
    emulator.faults.delay(0.05, for_methods=("sendMessage",))
    for n in range(2):  # Ana's burst, less the send kept for an emergency answer
        outbox.store.enqueue(ana.id, "reply", f"part {n}", None, outbox.now())
    for user in others:
        outbox.store.enqueue(user.id, "reply", "hello", None, outbox.now())
    outbox.delivery.concurrency = 4
    assert (await outbox.ticker.tick()).sent == 8
    assert [m.text for m in emulator.messages_to(ana)] == ["part 0", "part 1"]
    arrivals = [
        c.at for c in emulator.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == ana.id
    ]
    # never two in flight to one chat (over a real network they could overtake each other): each
    # left only once the previous one's answer, held back 0.05 s, had come
    assert all(later - earlier >= 0.05 for earlier, later in zip(arrivals, arrivals[1:], strict=False))
    others_began = min(
        c.at for c in emulator.calls if c.method == "sendMessage" and int(c.params["chat_id"]) != ana.id
    )
    assert others_began < arrivals[-1]  # the others went beside Ana's, not after them


async def test_a_stopping_bot_sends_nothing_new(outbox, emulator):
    """SIGTERM mid-burst: the sends in flight finish, the rest stay queued for the next start."""
    users = [emulator.add_user(f"P{i}") for i in range(10)]
    for user in users:
        outbox.store.enqueue(user.id, "checkin", "How is the calf?", None, outbox.now(), priority=2)
    running = [True]

    def stop_after_the_first(message, event):
        running[0] = False

    emulator.on_bot_message(stop_after_the_first)
    outbox.delivery.concurrency, outbox.delivery.running = 2, lambda: running[0]
    report = await outbox.ticker.tick()
    assert 1 <= report.sent <= 2
    assert outbox.store.unsent() == 10 - report.sent
    assert sum(len(emulator.messages_to(u)) for u in users) == report.sent


async def test_an_outage_is_probed_by_one_message_at_a_time_not_by_the_whole_queue(outbox, emulator):
    users = [emulator.add_user(f"P{i}") for i in range(20)]
    for user in users:
        outbox.store.enqueue(user.id, "checkin", "How is the calf?", None, outbox.now(), priority=2)
    outbox.delivery.concurrency = 4
    emulator.faults.fail_for(60, status=500, methods=("sendMessage",))
    for _ in range(30):  # half a minute of ticks while Telegram answers 500
        await outbox.ticker.tick()
        outbox.clock.advance(1)
    calls = [c for c in emulator.calls if c.method == "sendMessage"]
    # the sends already in flight when it began, then a probe after each hold (1, 2, 4, 8, 15 s);
    # each of the 20 messages retrying on its own backoff would have made about 100 calls
    assert len(calls) <= 4 + 5
    emulator.faults.clear()
    outbox.clock.advance(15)
    for _ in range(3):
        await outbox.ticker.tick()
    assert [len(emulator.messages_to(u)) for u in users] == [1] * 20


async def test_a_chat_is_free_only_once_its_message_in_flight_is_sent(outbox, emulator):
    """What a handler waits for before queuing a reply to a patient the tick is sending to."""
    ana = emulator.add_user("Ana")
    emulator.faults.delay(0.3, for_methods=("sendMessage",))
    row = outbox.store.enqueue(ana.id, "checkin", "How is the calf?", None, outbox.now(), priority=2)
    tick = asyncio.create_task(outbox.ticker.tick())
    await asyncio.sleep(0.1)
    assert outbox.store.outbox_row(row)["status"] == "sending"
    await outbox.delivery.chat_free(ana.id)
    assert outbox.store.outbox_row(row)["status"] == "sent"
    await tick
    await outbox.delivery.chat_free(ana.id)  # nothing in flight: at once


def sent_texts(emulator, status=200):
    return [c.params.get("text") for c in emulator.calls if c.method == "sendMessage" and c.status == status]


async def test_sends_in_flight_that_fail_together_pause_sending_once(outbox, emulator, caplog):
    """A blip of 502s across the sends in flight is one failure: a 1 s pause, not 15."""
    users = [emulator.add_user(f"P{i}") for i in range(9)]
    for user in users:
        outbox.store.enqueue(user.id, "checkin", "How is the calf?", None, outbox.now(), priority=2)
    outbox.delivery.concurrency = 9
    emulator.faults.fail_next(9, status=502, methods=("sendMessage",))
    assert (await outbox.ticker.tick()).retried == 9
    outbox.clock.advance(1)
    with caplog.at_level(logging.WARNING, logger="bot.delivery.sender"):
        assert (await outbox.ticker.tick()).sent == 9
    assert [len(emulator.messages_to(u)) for u in users] == [1] * 9
    back = [r.getMessage() for r in caplog.records if "back after" in r.getMessage()]
    assert len(back) == 1 and "(9 failed attempts; sending paused 1 time)" in back[0], back


async def test_the_probe_after_a_pause_is_the_most_urgent_row_and_the_pause_doubles(outbox, emulator):
    ana, ben = emulator.add_user("Ana"), emulator.add_user("Ben")
    others = [emulator.add_user(f"P{i}") for i in range(6)]
    for user in others:
        outbox.store.enqueue(user.id, "checkin", "How is the calf?", None, outbox.now(), priority=2)
    outbox.store.enqueue(ben.id, "reply", "reply", None, outbox.now())
    outbox.store.enqueue(ana.id, "reply", "emergency", None, outbox.now(), priority=EMERGENCY)
    outbox.delivery.concurrency = 8
    emulator.faults.fail_next(8, status=502, methods=("sendMessage",))
    await outbox.ticker.tick()
    assert len(sent_texts(emulator, 502)) == 8

    emulator.faults.fail_next(1, status=502, methods=("sendMessage",))
    outbox.clock.advance(1)  # the pause is over: one row probes, the most urgent
    await outbox.ticker.tick()
    assert sent_texts(emulator, 502)[8:] == ["emergency"]
    outbox.clock.advance(1)  # it failed again: the pause is 2 s now
    await outbox.ticker.tick()
    assert sent_texts(emulator) == []
    outbox.clock.advance(1)
    await outbox.ticker.tick()
    assert sent_texts(emulator)[:2] == ["emergency", "reply"]
    assert len(sent_texts(emulator)) == 8


@pytest.mark.parametrize("priority, goes", [(0, False), (EMERGENCY, True)])
async def test_only_an_emergency_answer_takes_a_chats_last_send(outbox, emulator, priority, goes):
    """Other messages leave a private chat's last send of its burst for an emergency answer."""
    ana = emulator.add_user("Ana")
    for n in range(2):
        sent = outbox.store.enqueue(ana.id, "reply", f"reply {n}", None, outbox.now())
        assert await outbox.delivery.send(sent)
    row = outbox.store.enqueue(ana.id, "reply", "third", None, outbox.now(), priority=priority)
    assert await outbox.delivery.send(row, urgent=priority == EMERGENCY) is goes
    assert outbox.store.outbox_row(row)["status"] == ("sent" if goes else "pending")
    assert len(emulator.messages_to(ana)) == 2 + goes  # and no 429 (the emulator fails the test on one)


async def test_an_emergency_row_goes_beside_its_chats_message_in_flight(outbox, emulator):
    """The pump waits for a slow check-in; the next tick sends an emergency answer to the same
    chat without waiting for it."""
    ana = emulator.add_user("Ana")
    emulator.faults.delay(0.4, for_methods=("sendMessage",), times=1)
    outbox.store.enqueue(ana.id, "checkin", "How is the calf?", None, outbox.now(), priority=2)
    pump = asyncio.create_task(outbox.ticker.tick())
    await emulator.wait_for_message(ana)
    outbox.store.enqueue(ana.id, "reply", "emergency", None, outbox.now(), priority=EMERGENCY)
    assert (await outbox.ticker.tick()).sent == 1
    assert not pump.done()  # the check-in's answer is still held back
    assert (await pump).sent == 1
    assert [m.text for m in emulator.messages_to(ana)] == ["How is the calf?", "emergency"]


async def test_an_emergency_answer_retries_at_once_through_a_blip(outbox, emulator):
    """Its first try meets the blip; it does not wait for the pause of everything else."""
    ana = emulator.add_user("Ana")
    emulator.faults.fail_next(2, status=502, methods=("sendMessage",))
    row = outbox.store.enqueue(ana.id, "reply", "emergency", None, outbox.now(), priority=EMERGENCY)
    started = time.monotonic()
    assert await outbox.delivery.send(row, urgent=True)
    assert time.monotonic() - started < 1.0
    assert [m.text for m in emulator.messages_to(ana)] == ["emergency"]


async def test_an_emergency_row_queued_mid_burst_goes_before_its_chats_queued_check_in(outbox, emulator):
    """The pump read its list of due rows before the emergency answer was queued; it looks for
    urgent rows twice a second, not only once the list is used up."""
    users = [emulator.add_user(f"P{i}") for i in range(60)]
    ana = users[30]  # her check-in about 1.1 s into the burst at 28/s, the list used up at 2.1 s
    for user in users:
        outbox.store.enqueue(user.id, "checkin", "How is the calf?", None, outbox.now(), priority=2)
    outbox.delivery.concurrency = 4
    pump = asyncio.create_task(outbox.ticker.tick())
    await asyncio.sleep(0.3)
    outbox.store.enqueue(ana.id, "reply", "emergency", None, outbox.now(), priority=EMERGENCY)
    assert (await pump).sent == 61
    assert [m.text for m in emulator.messages_to(ana)] == ["emergency", "How is the calf?"]
