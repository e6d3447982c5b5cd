"""Right after a start the pump sends one message, the most urgent, and waits for Telegram's
answer before sending several at a time: a run killed early (a crash loop) leaves one send that
Telegram may have taken and the next run sends again, not one per send in flight."""

import pytest

from .test_delivery import outbox  # noqa: F401 (the fixture)

LATENCY = 0.3


@pytest.mark.parametrize(
    "answered_before, alone_first",
    [(False, True), (True, False)],
    ids=["fresh start: one probes", "Telegram answered already: several at once"],
)
async def test_the_first_send_of_a_run_goes_alone(outbox, emulator, answered_before, alone_first):  # noqa: F811
    outbox.delivery.answered = False  # as the bot starts (bot/telegram/app.py)
    if answered_before:
        warm = emulator.add_user("Warm")
        assert await outbox.delivery.send(outbox.store.enqueue(warm.id, "reply", "hello", None, outbox.now()))
    users = [emulator.add_user(f"P{i}") for i in range(6)]
    zoe = emulator.add_user("Zoe")
    for user in users:
        outbox.store.enqueue(user.id, "checkin", "How is the calf?", None, outbox.now(), priority=2)
    outbox.store.enqueue(zoe.id, "alert", "urgent", None, outbox.now(), priority=0)
    emulator.faults.delay(LATENCY, for_methods=("sendMessage",))
    outbox.delivery.concurrency = 4
    since = len(emulator.calls)

    assert (await outbox.ticker.tick()).sent == 7

    calls = [c for c in emulator.calls[since:] if c.method == "sendMessage"]
    assert calls[0].params["text"] == "urgent"
    beside_first = [c for c in calls[1:] if c.at < calls[0].at + LATENCY * 0.8]
    assert (beside_first == []) == alone_first
    if alone_first:  # then several at once, not one by one
        assert sum(1 for c in calls[1:] if c.at < calls[0].at + LATENCY * 1.8) >= 3
