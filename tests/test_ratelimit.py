"""The bot's pace against the emulator with Telegram's limits on: evenly spaced slots, the most
urgent request first, and a 429 that holds every send until its retry_after is over."""

import asyncio

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.delivery.pacing import LATE_WAKE_UP, TelegramPace

RATE = 25.0  # under the emulator's 30/s, like the bot's default 28

pytestmark = pytest.mark.drill  # the pace measured on the real clock, a second or more a test


@pytest.fixture
async def paced_bot(emulator):
    bot = ExtBot(emulator.token, base_url=emulator.base_url, rate_limiter=TelegramPace(RATE))
    async with bot:
        yield bot


def sends(emulator):
    return [c for c in emulator.calls if c.method == "sendMessage"]


async def test_sends_are_spaced_and_no_second_holds_more_than_the_bound(paced_bot, emulator):
    users = [emulator.add_user(f"P{i}") for i in range(40)]
    await asyncio.gather(*(paced_bot.send_message(u.id, "hello") for u in users))

    times = sorted(c.at for c in sends(emulator))
    assert len(times) == 40
    bound = 1 + RATE * (1 + LATE_WAKE_UP)
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= bound
    assert times[-1] - times[0] >= (40 - 1 - RATE * LATE_WAKE_UP) / RATE  # paced, not a burst
    assert times[-1] - times[0] < 40 / RATE + 0.5  # and not slower than the pace


async def test_the_most_urgent_waiting_request_takes_the_next_slot(paced_bot, emulator):
    patients = [emulator.add_user(f"P{i}") for i in range(30)]
    talker = emulator.add_user("Talker")
    checkins = [
        asyncio.create_task(paced_bot.send_message(p.id, "check-in", rate_limit_args=2)) for p in patients
    ]
    await asyncio.sleep(0.1)  # a few check-ins are out; the rest wait for slots
    await paced_bot.send_message(talker.id, "reply", rate_limit_args=0)
    await asyncio.gather(*checkins)

    order = [int(c.params["chat_id"]) for c in sends(emulator)]
    sent_before_reply = order.index(talker.id)
    assert sent_before_reply < 10, order  # ahead of the 20 or more check-ins still waiting


async def test_a_request_without_priority_counts_as_urgent(paced_bot, emulator):
    patients = [emulator.add_user(f"P{i}") for i in range(20)]
    alert = emulator.add_user("Practitioner")
    checkins = [
        asyncio.create_task(paced_bot.send_message(p.id, "check-in", rate_limit_args=2)) for p in patients
    ]
    await asyncio.sleep(0.1)
    await paced_bot.send_message(alert.id, "alert")
    await asyncio.gather(*checkins)
    assert [int(c.params["chat_id"]) for c in sends(emulator)].index(alert.id) < 10


async def test_a_429_holds_every_send_then_they_go_one_slot_at_a_time(paced_bot, emulator):
    users = [emulator.add_user(f"P{i}") for i in range(6)]
    emulator.faults.fail_next(1, 429, methods=["sendMessage"], retry_after=1)

    results = await asyncio.gather(
        *(paced_bot.send_message(u.id, "hello") for u in users), return_exceptions=True
    )

    refused = [r for r in results if isinstance(r, RetryAfter)]
    assert len(refused) == 1  # raised to the caller, whose outbox retries it later
    calls = sends(emulator)
    assert calls[0].status == 429 and all(c.ok for c in calls[1:]) and len(calls) == 6
    assert calls[1].at - calls[0].at >= 1.0  # nothing went during the hold
    released = calls[1:]
    capacity = 1 + RATE * LATE_WAKE_UP
    assert (
        released[-1].at - released[0].at >= (len(released) - capacity) / RATE * 0.9
    )  # at the pace, not all at once


async def test_calls_that_name_no_chat_are_not_paced(paced_bot, emulator):
    user = emulator.add_user("Ana")
    emulator.faults.fail_next(1, 429, methods=["sendMessage"], retry_after=2)
    with pytest.raises(RetryAfter):
        await paced_bot.send_message(user.id, "hello")
    started = asyncio.get_running_loop().time()
    await paced_bot.get_me()  # polling and button answers must not wait out a flood hold
    assert asyncio.get_running_loop().time() - started < 0.5
