"""A chat's messages arrive in the order they were queued, also while Telegram's pace for the chat
holds one of them back: the running bot (tests/harness.py) against the emulator with Telegram's
limits on, and the pump alone (tests/test_delivery.py's `outbox`)."""

import asyncio

import pytest

from bot.followup.status import MessageKind

from .test_delivery import outbox  # noqa: F401 (the fixture)

PNG = b"\x89PNG\r\n\x1a\n a chart"


async def ticks_until(done, h) -> None:
    """Tick, as production does every second, until `done()`: the harness's pacer ticks once when
    a paced row falls due, and a tick that runs while another pumps sends only emergency answers."""
    while not done():
        await h.tick()
        await asyncio.sleep(0.01)


async def test_a_message_queued_after_a_paced_one_arrives_after_it(make_bot):
    h = await make_bot()
    emu, sam, services = h.emu, h.admin, h.services
    for text in ("one", "two"):  # what the chat's pace lets go at once
        await services.say(sam.id, MessageKind.STAFF, text)
        assert (await emu.wait_for_message(sam)).text == text
    await services.say(sam.id, MessageKind.STAFF, "timeline")  # held back for the chat's pace
    slot = h.store.next_paced()
    assert slot is not None and slot > h.clock()
    h.clock.time = slot  # its slot comes before the next tick sends it
    await asyncio.sleep(0)
    await services.send_photo(sam.id, MessageKind.STAFF, PNG, "chart")
    await asyncio.wait_for(ticks_until(lambda: len(emu.messages_to(sam)) == 4, h), timeout=5)
    timeline, chart = emu.messages_to(sam)[2:]
    assert (timeline.text, chart.text) == ("timeline", "chart") and chart.photo and not timeline.photo


@pytest.mark.drill  # on the real clock, at the chat's pace: about 5 s
async def test_paced_messages_queued_back_to_back_keep_their_order(make_bot):
    h = await make_bot(real_time=True)  # each is paced to a slot reckoned from its own moment
    emu, sam, services = h.emu, h.admin, h.services
    for text in ("one", "two"):
        await services.say(sam.id, MessageKind.STAFF, text)
    for n in range(2):  # each held back for the chat's pace, a turn of the loop apart
        await services.say(sam.id, MessageKind.STAFF, f"timeline {n}")
        await asyncio.sleep(0)
        await services.send_photo(sam.id, MessageKind.STAFF, PNG, f"chart {n}")
    texts = [(await emu.wait_for_message(sam, timeout=10)).text for _ in range(6)]
    assert texts == ["one", "two"] + [f"{kind} {n}" for n in range(2) for kind in ("timeline", "chart")]


async def test_the_pump_sends_a_chats_rows_of_one_priority_in_the_order_they_were_queued(
    outbox,  # noqa: F811
    emulator,
):
    """A row put back until later can fall due after one queued behind it (a reply queued while
    sending paused after a failure is due at once); the pump still sends the earlier one first.
    A more urgent row goes first, as it does in every chat."""
    ana, ben = emulator.add_user("Ana"), emulator.add_user("Ben")
    now = outbox.now()
    outbox.store.enqueue(ana.id, MessageKind.REPLY, "first", None, now, priority=0)
    outbox.store.enqueue(ana.id, MessageKind.REPLY, "second", None, now - 1, priority=0)
    outbox.store.enqueue(ben.id, MessageKind.CHECKIN, "check-in", None, now, priority=2)
    outbox.store.enqueue(ben.id, MessageKind.ALERT, "alert", None, now, priority=0)
    outbox.delivery.concurrency = 1
    assert (await outbox.ticker.tick()).sent == 4
    assert [m.text for m in emulator.messages_to(ana)] == ["first", "second"]
    assert [m.text for m in emulator.messages_to(ben)] == ["alert", "check-in"]
