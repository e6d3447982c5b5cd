"""The emulator's webhook: setWebhook checked as Telegram checks it, updates POSTed one by one with
the secret header and sent again until answered 2xx, getUpdates refused while it is set."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web

from bot.emulator.webhook import SECRET_HEADER

from .test_patient_journey import until


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def api(http, emu, method, **data):
    fields = {k: json.dumps(v) if isinstance(v, list) else str(v) for k, v in data.items()}
    async with http.post(f"{emu.base_url}{emu.token}/{method}", data=fields) as response:
        return response.status, await response.json()


class Receiver:
    """A webhook endpoint on 127.0.0.1 answering with `status`, recording what it got."""

    def __init__(self):
        self.status = 200
        self.got: list[tuple[dict, str | None]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((await request.json(), request.headers.get(SECRET_HEADER)))
        return web.Response(status=self.status)


@pytest.fixture
async def receiver():
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield found
    await runner.cleanup()


async def test_updates_are_posted_in_order_with_the_secret(http, emulator, receiver):
    ana = emulator.add_user("Ana")
    assert await api(http, emulator, "setWebhook", url=receiver.url, secret_token="s3cr-et_") == (
        200,
        {"ok": True, "result": True},
    )
    await emulator.send_text(ana, "one")
    await emulator.send_text(ana, "two")
    await until(lambda: len(receiver.got) == 2)
    assert [(u["message"]["text"], secret) for u, secret in receiver.got] == [
        ("one", "s3cr-et_"),
        ("two", "s3cr-et_"),
    ]
    assert emulator.pending_updates == []
    status, body = await api(http, emulator, "getWebhookInfo")
    assert body["result"] == {"url": receiver.url, "has_custom_certificate": False, "pending_update_count": 0,
                              "max_connections": 40}  # fmt: skip


async def test_an_update_not_answered_2xx_is_sent_again_and_the_error_shown(http, emulator, receiver):
    ana = emulator.add_user("Ana")
    receiver.status = 401
    await api(http, emulator, "setWebhook", url=receiver.url)
    await emulator.send_text(ana, "hello")
    await until(lambda: len(receiver.got) >= 2)
    _, body = await api(http, emulator, "getWebhookInfo")
    assert body["result"]["pending_update_count"] == 1
    assert body["result"]["last_error_message"] == "Wrong response from the webhook: 401 Unauthorized"
    assert receiver.got[0][1] is None  # no secret given, no header
    receiver.status = 200
    await until(lambda: emulator.pending_updates == [])
    assert {u["update_id"] for u, _ in receiver.got} == {emulator.last_update_id}


async def test_get_updates_is_refused_while_a_webhook_is_set(http, emulator, receiver):
    await api(http, emulator, "setWebhook", url=receiver.url)
    with emulator.expect_violation(409):
        status, body = await api(http, emulator, "getUpdates")
    assert (status, body["description"]) == (
        409,
        "Conflict: can't use getUpdates method while webhook is active;"
        " use deleteWebhook to delete the webhook first",
    )
    receiver.status = 500  # nothing reaches the webhook once it is deleted
    assert await api(http, emulator, "deleteWebhook") == (200, {"ok": True, "result": True})
    ana = emulator.add_user("Ana")
    await emulator.send_text(ana, "by polling")
    status, body = await api(http, emulator, "getUpdates")
    assert [u["message"]["text"] for u in body["result"]] == ["by polling"]
    assert receiver.got == []
    _, info = await api(http, emulator, "getWebhookInfo")
    assert info["result"]["url"] == ""


async def test_allowed_updates_and_drop_pending_apply_to_the_webhook(http, emulator, receiver):
    ana = emulator.add_user("Ana")
    await emulator.send_text(ana, "before, dropped")
    await api(
        http,
        emulator,
        "setWebhook",
        url=receiver.url,
        drop_pending_updates="true",
        allowed_updates=["callback_query"],
    )
    await emulator.send_text(ana, "a message: not allowed")
    await asyncio.sleep(0.1)
    assert receiver.got == []
    _, info = await api(http, emulator, "getWebhookInfo")
    assert info["result"]["allowed_updates"] == ["callback_query"]


HOOK = "https://bot.example.org/hook"
HTTPS_NEEDED = "bad webhook: An HTTPS URL must be provided for webhook"
REFUSED = [
    ({"url": "http://bot.example.org/hook"}, HTTPS_NEEDED),
    ({"url": "ftp://127.0.0.1/hook"}, HTTPS_NEEDED),
    (
        {"url": "https://bot.example.org:8080/hook"},
        "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
    ),
    ({"url": HOOK, "secret_token": "a b"}, "secret token contains unallowed characters"),
    ({"url": HOOK, "secret_token": "x" * 257}, "secret token must be at most 256 bytes long"),
]


@pytest.mark.parametrize(("data", "error"), REFUSED)
async def test_a_bad_webhook_is_refused_as_telegram_refuses_it(http, emulator, data, error):
    with emulator.expect_violation(error):
        status, body = await api(http, emulator, "setWebhook", **data)
    assert (status, body["description"]) == (400, f"Bad Request: {error}")
    _, info = await api(http, emulator, "getWebhookInfo")
    assert info["result"]["url"] == ""


async def test_an_empty_url_removes_the_webhook(http, emulator, receiver):
    await api(http, emulator, "setWebhook", url=receiver.url)
    assert await api(http, emulator, "setWebhook", url="") == (200, {"ok": True, "result": True})
    status, _ = await api(http, emulator, "getUpdates")
    assert status == 200
