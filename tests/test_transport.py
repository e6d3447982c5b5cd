"""PTB's requests over aiohttp (bot/telegram/transport.py) against the emulator: forms, uploads, long
polling, and Telegram's faults turned into the errors delivery sorts (bot/delivery/sender.py)."""

import socket

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.delivery.sender import _trouble
from bot.telegram.transport import AiohttpRequest

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def _bot(emulator, **request) -> Bot:
    return Bot(
        emulator.token,
        base_url=emulator.base_url,
        request=AiohttpRequest(**request),
        get_updates_request=AiohttpRequest(connection_pool_size=1, **request),
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_message_with_html_and_a_keyboard_arrives_as_sent(emulator):
    ana = emulator.add_user("Ana")
    async with _bot(emulator) as bot:
        sent = await bot.send_message(ana.id, "<b>6 h</b> &amp; more: é ✓", parse_mode="HTML")
    message = await emulator.wait_for_message(ana)
    assert (message.text, message.message_id) == ("6 h & more: é ✓", sent.message_id)


async def test_a_photo_upload_arrives_byte_for_byte(emulator):
    ana = emulator.add_user("Ana")
    async with _bot(emulator) as bot:
        await bot.send_photo(ana.id, PNG, caption="Ana · soreness")
    message = await emulator.wait_for_message(ana)
    assert message.photo.data == PNG and message.text == "Ana · soreness"


async def test_a_long_poll_waits_longer_than_the_read_time_out(emulator):
    """PTB adds the poll's own timeout to the read time-out; an empty poll is not a time-out."""
    async with _bot(emulator, read_timeout=0.3) as bot:
        assert await bot.get_updates(timeout=1) == ()


async def test_a_slow_answer_is_a_time_out(emulator):
    ana = emulator.add_user("Ana")
    emulator.faults.delay(1.0, for_methods=["sendMessage"], times=1)
    async with _bot(emulator, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(ana.id, "hello")
    assert _trouble(TimedOut()) == "not answering in time"


@pytest.mark.parametrize(
    ("where", "trouble"),
    [
        ("no server listening", "unreachable"),
        ("the server answers 502", "server error"),
    ],
)
async def test_network_faults_say_which_fault_it_is(emulator, where, trouble):
    ana = emulator.add_user("Ana")
    base_url = emulator.base_url
    if where == "no server listening":
        base_url = f"http://127.0.0.1:{_closed_port()}/bot"
    else:
        emulator.faults.fail_next(1, status=502, methods=["sendMessage"])
    bot = Bot(emulator.token, base_url=base_url, request=AiohttpRequest())
    async with bot.request:  # the request alone: initialising the bot would ask getMe
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(ana.id, "hello")
    assert _trouble(raised.value) == trouble
