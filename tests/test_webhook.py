"""Webhook mode end to end: the real Application receives Telegram's posts from the emulator,
through the same intake as polling; a post without the right secret is refused and not handled."""

from __future__ import annotations

import asyncio
import functools

import aiohttp
import pytest
from telegram.ext import Application

from bot.guidance.config import load_config
from bot.guidance.loader import load_all_guidance
from bot.store.database import Store
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.telegram.webhook import SECRET_HEADER, RouteAdder, serve_webhook, webhook_address
from bot.web.server import start as start_web

from .harness import free_port, running_bot, write_config
from .test_patient_journey import answer_checkin, consent, next_checkin, session_of, until


@pytest.fixture
async def webhook_bot(emulator, tmp_path):
    async with running_bot(emulator, tmp_path, webhook=True) as h:
        yield h


def posted_updates(emu) -> int:
    return emu.world.webhook.delivered


async def test_a_full_check_in_over_the_webhook(webhook_bot):
    h = webhook_bot
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    assert "How sore is the treated area" in checkin.text
    outcome = await answer_checkin(h, ana, checkin, 4)
    assert outcome.text.startswith(
        "Thank you. From what you've told me, this sounds like an expected reaction"
    )
    session = session_of(h, ana)
    assert [c["status"] for c in h.store.checkins(session["id"])][0] == "answered"
    assert [(a["hours"], a["bucket"], a["soreness"]) for a in h.store.assessments(session["id"])] == [
        (6, "normal", 4)
    ]
    # every update came by POST, none by getUpdates, and each was emptied from the inbox once handled
    assert posted_updates(h.emu) == h.emu.last_update_id
    assert not [c for c in h.emu.calls if c.method == "getUpdates"]
    assert h.store.inbox_waiting() == []


async def test_a_red_flag_over_the_webhook_is_answered_and_alerted(webhook_bot):
    h = webhook_bot
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    await h.emu.send_text(ana, "my chest feels tight and I can't breathe")
    answer = await h.emu.wait_for_message(ana)
    assert "999" in answer.text
    await until(lambda: h.store.open_alerts(h.clinic.id) != [])


async def post(url: str, body: object, secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as response:
        return response.status


def forged_start(user_id: int, update_id: int = 990_000_001) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Mallory"}
    message = {
        "message_id": 1, "date": 1_800_000_000, "chat": {"id": user_id, "type": "private"}, "from": user,
        "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
    }  # fmt: skip
    return {"update_id": update_id, "message": message}


@pytest.mark.parametrize("secret", [None, "", "wrong", "x" * 64])
async def test_a_post_without_the_right_secret_gets_401_and_is_not_handled(webhook_bot, secret):
    h = webhook_bot
    mallory = h.emu.add_user("Mallory")
    url = h.emu.world.webhook.url
    assert await post(url, forged_start(mallory.id), secret) == 401
    await asyncio.sleep(0.2)
    assert h.store.inbox_waiting() == [] and not h.store.inbox_handled(990_000_001)
    assert h.emu.messages_to(mallory) == []


async def test_the_right_secret_with_a_body_that_is_no_update_gets_400(webhook_bot):
    webhook = webhook_bot.emu.world.webhook
    assert await post(webhook.url, {"message": {}}, webhook.secret) == 400
    assert await post(webhook.url, [1, 2], webhook.secret) == 400


async def test_an_update_posted_twice_is_handled_once(webhook_bot):
    """Telegram posts an update again when its answer was lost: the inbox recognises it."""
    h = webhook_bot
    sam = h.emu.add_user("Sam")
    webhook = h.emu.world.webhook
    for _ in range(2):
        assert await post(webhook.url, forged_start(sam.id), webhook.secret) == 200
    await until(lambda: h.store.inbox_handled(990_000_001))
    await asyncio.sleep(0.2)
    assert len(h.emu.messages_to(sam)) == 1


async def test_webhook_mode_sets_the_webhook_and_polling_removes_it(emulator, tmp_path):
    """`aftercare run` in webhook mode: setWebhook with the secret and the updates the bot reads;
    the next start in polling mode deletes it (else Telegram would refuse getUpdates)."""
    port = free_port()
    dana = emulator.add_user("Dana")
    path = write_config(tmp_path, emulator.base_url, [(dana.id, "Dana Reyes", "practitioner")])
    text = path.read_text(encoding="utf-8").replace(
        "[telegram]\n",
        f'[telegram]\nmode = "webhook"\nwebhook_url = "http://127.0.0.1:{port}/tg"\n'
        f'webhook_listen = "127.0.0.1:{port}"\n',
    )
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    store = Store(config.storage.database)
    application = build_application(
        config, store, load_all_guidance(config), emulator.token, tick_seconds=None
    )
    stop = asyncio.Event()
    running = asyncio.create_task(serve_webhook(application, config.telegram, ALLOWED_UPDATES, stop))
    await until(lambda: emulator.world.webhook.active)
    address = webhook_address(f"http://127.0.0.1:{port}/tg", emulator.token)
    assert (emulator.world.webhook.url, emulator.world.webhook.secret) == (address.url, address.secret)
    assert emulator.world.webhook.info()["allowed_updates"] == ALLOWED_UPDATES
    await emulator.send_text(dana, "/help")
    assert "/enrol" in (await emulator.wait_for_message(dana)).text
    stop.set()
    await running
    polling = Application.builder().token(emulator.token).base_url(emulator.base_url).build()
    async with polling:
        await polling.updater.start_polling(poll_interval=0.0, timeout=0)
        await until(lambda: not emulator.world.webhook.active)
        await polling.updater.stop()
    store.close()


async def test_an_update_the_database_refuses_gets_500_and_is_handled_when_telegram_posts_it_again(
    webhook_bot,
):
    h = webhook_bot
    h.store.db.execute("ALTER TABLE inbox RENAME TO inbox_away")  # any sqlite3 error: locked, disk full
    await h.emu.send_text(h.practitioner, "/help")
    await until(lambda: h.emu.world.webhook.last_error_message is not None)
    assert (
        h.emu.world.webhook.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert [u["update_id"] for u in h.emu.pending_updates] == [h.emu.last_update_id]  # Telegram keeps it
    assert h.emu.messages_to(h.practitioner) == []
    h.store.db.execute("ALTER TABLE inbox_away RENAME TO inbox")
    assert "/enrol" in (await h.emu.wait_for_message(h.practitioner)).text
    assert h.emu.pending_updates == []


async def test_with_the_web_worklist_on_one_server_takes_the_webhook_beside_the_pages(emulator, tmp_path):
    """[web] listen and mode = "webhook": the worklist's server receives Telegram's posts (secret
    checked) and serves the pages; nothing listens on webhook_listen."""
    web_port, unused_port = free_port(), free_port()
    dana = emulator.add_user("Dana")
    path = write_config(tmp_path, emulator.base_url, [(dana.id, "Dana Reyes", "practitioner")])
    text = path.read_text(encoding="utf-8").replace(
        "[telegram]\n",
        f'[telegram]\nmode = "webhook"\nwebhook_url = "http://127.0.0.1:{web_port}/tg"\n'
        f'webhook_listen = "127.0.0.1:{unused_port}"\n',
    )
    path.write_text(text + f'\n[web]\nlisten = "127.0.0.1:{web_port}"\n', encoding="utf-8")
    config = load_config(path)
    store = Store(config.storage.database)
    web_routes: list[RouteAdder] = []  # as bot.telegram.app.run wires them
    application = build_application(
        config,
        store,
        load_all_guidance(config),
        emulator.token,
        tick_seconds=None,
        companions=[functools.partial(start_web, routes=web_routes)],
    )
    stop = asyncio.Event()
    running = asyncio.create_task(
        serve_webhook(application, config.telegram, ALLOWED_UPDATES, stop, web_routes)
    )
    try:
        await until(lambda: emulator.world.webhook.active)
        address = webhook_address(f"http://127.0.0.1:{web_port}/tg", emulator.token)
        assert emulator.world.webhook.url == address.url
        await emulator.send_text(dana, "/help")
        assert "/enrol" in (await emulator.wait_for_message(dana)).text
        assert posted_updates(emulator) >= 1
        assert await post(address.url, forged_start(dana.id), "wrong") == 401
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{web_port}/") as page:
                assert page.status == 401 and "Send /web" in await page.text()  # the worklist's
            with pytest.raises(aiohttp.ClientConnectionError):
                await http.get(f"http://127.0.0.1:{unused_port}/")
    finally:
        stop.set()
        await running
        store.close()
