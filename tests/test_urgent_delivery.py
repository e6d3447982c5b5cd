"""Answers to a patient's words: an emergency goes out at once, whatever its chat has queued or in
flight; any other answer is sent in the background once its chat is free, in order, a bounded
number at a time, and not at all if it was replaced meanwhile."""

import asyncio
import time

from bot.delivery.pacing import EMERGENCY

from .test_delivery import outbox  # noqa: F401 (the fixture)

HELD = 0.4  # seconds Telegram holds back the answer to a send


class Spawner:
    """`Application.create_task` for these tests: the tasks are kept, to be awaited."""

    def __init__(self):
        self.tasks: list[asyncio.Task] = []

    def __call__(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.append(task)
        return task

    async def done(self) -> None:
        await asyncio.gather(*self.tasks)


def calls_to(emulator, chat_id):
    return [c for c in emulator.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == chat_id]


async def test_an_emergency_answer_goes_beside_the_chats_answer_in_flight(outbox, emulator):  # noqa: F811
    ana, spawn = emulator.add_user("Ana"), Spawner()
    emulator.faults.delay(HELD, for_methods=("sendMessage",), times=1)
    await outbox.send_answer(ana.id, outbox.queue(ana.id, "answer", "a bit sore"), spawn)
    await emulator.wait_for_message(ana)  # delivered; its answer is held back
    written = time.monotonic()
    emergency = outbox.queue(ana.id, "answer", "emergency", priority=EMERGENCY)
    await outbox.send_answer(ana.id, emergency, spawn, urgent=True)
    assert (await emulator.wait_for_message(ana)).text == "emergency"
    assert time.monotonic() - written < HELD / 2
    await spawn.done()


async def test_other_answers_wait_in_the_background_for_their_chat_in_order(outbox, emulator):  # noqa: F811
    ana, spawn = emulator.add_user("Ana"), Spawner()
    emulator.faults.delay(HELD, for_methods=("sendMessage",), times=1)
    began = time.monotonic()
    for text in ("first", "second"):
        await outbox.send_answer(ana.id, outbox.queue(ana.id, "answer", text), spawn)
    assert time.monotonic() - began < HELD / 4  # the handler went on at once
    await spawn.done()
    first, second = calls_to(emulator, ana.id)
    assert [first.params["text"], second.params["text"]] == ["first", "second"]
    assert second.at - first.at >= HELD  # not before the first one's answer came


async def test_answers_in_flight_are_bounded(outbox, emulator):  # noqa: F811
    users, spawn = [emulator.add_user(f"P{i}") for i in range(4)], Spawner()
    emulator.faults.delay(HELD, for_methods=("sendMessage",))
    outbox.delivery.concurrency = 2
    for user in users:
        await outbox.send_answer(user.id, outbox.queue(user.id, "answer", "hello"), spawn)
    await spawn.done()
    starts = sorted(c.at for c in emulator.calls if c.method == "sendMessage")
    assert len(starts) == 4
    assert starts[1] - starts[0] < HELD and starts[2] - starts[0] >= HELD


async def test_an_answer_replaced_while_it_waited_is_not_sent(outbox, emulator):  # noqa: F811
    ana, spawn = emulator.add_user("Ana"), Spawner()
    emulator.faults.delay(HELD, for_methods=("sendMessage",), times=1)
    await outbox.send_answer(ana.id, outbox.queue(ana.id, "answer", "first"), spawn)
    await emulator.wait_for_message(ana)
    await outbox.send_answer(ana.id, outbox.queue(ana.id, "answer", "stale"), spawn)
    outbox.store.cancel_outbox_for_chat(ana.id)  # what a newer message does to the waiting answer
    await outbox.send_answer(ana.id, outbox.queue(ana.id, "answer", "newest"), spawn)
    await spawn.done()
    assert [m.text for m in emulator.messages_to(ana)] == ["first", "newest"]
