"""The worklist as a Mini App from each staff member's menu button: the emulator's
setChatMenuButton checked as Telegram's, and the bot setting it at start only over https."""

from __future__ import annotations

import json

import aiohttp
import pytest

from bot.guidance.config import load_config
from bot.guidance.loader import load_all_guidance
from bot.store.database import Store
from bot.telegram.app import build_application

from .harness import add_clinic, write_config


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def api(http, emu, method, **data):
    fields = {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in data.items()}
    async with http.post(f"{emu.base_url}{emu.token}/{method}", data=fields) as response:
        return response.status, await response.json()


WORKLIST = {"type": "web_app", "text": "Worklist", "web_app": {"url": "https://clinic.example.org/"}}


async def test_a_chat_has_its_own_button_else_the_one_for_all_else_default(http, emulator):
    ana, ben = emulator.add_user("Ana"), emulator.add_user("Ben")
    assert (await api(http, emulator, "getChatMenuButton", chat_id=ana.id))[1]["result"] == {
        "type": "default"
    }
    assert await api(http, emulator, "setChatMenuButton", chat_id=ana.id, menu_button=WORKLIST) == (
        200,
        {"ok": True, "result": True},
    )
    await api(http, emulator, "setChatMenuButton", menu_button={"type": "commands"})
    assert (await api(http, emulator, "getChatMenuButton", chat_id=ana.id))[1]["result"] == WORKLIST
    assert (await api(http, emulator, "getChatMenuButton", chat_id=ben.id))[1]["result"] == {
        "type": "commands"
    }


REFUSED = [
    ({"menu_button": "{"}, "can't parse menu button JSON object"),
    ({"menu_button": "[]"}, "can't parse menu button: MenuButton must be an Object"),
    ({"menu_button": {"type": "url"}}, "can't parse menu button: MenuButton has unsupported type"),
    ({"menu_button": {"type": "web_app", "web_app": {"url": "https://x.org"}}}, 'Can\'t find field "text"'),
    ({"menu_button": {"type": "web_app", "text": "W"}}, 'Can\'t find field "web_app"'),
    (
        {"menu_button": {"type": "web_app", "text": "W", "web_app": {"url": "http://clinic.example.org/"}}},
        "menu button Web App URL 'http://clinic.example.org/' is invalid: Only HTTPS links are allowed",
    ),
    ({"menu_button": {**WORKLIST, "text": " "}}, "menu button text must be non-empty"),
    ({"chat_id": "-100123", "menu_button": WORKLIST}, "invalid chat_id specified"),
    ({"chat_id": "4242", "menu_button": WORKLIST}, "user not found"),
]


@pytest.mark.parametrize(("data", "error"), REFUSED)
async def test_a_bad_menu_button_is_refused_as_telegram_refuses_it(http, emulator, data, error):
    fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    with emulator.expect_violation(error):
        status, body = await api(http, emulator, "setChatMenuButton", **fields)
    assert status == 400 and error in body["description"]
    assert emulator.world.menu_buttons == {}


async def started_bot(emulator, tmp_path, web: str | None):
    """The bot's start (post_init) with two clinics, the second Spanish; `web`: its [web] table."""
    dana, sam, noor = emulator.add_user("Dana"), emulator.add_user("Sam"), emulator.add_user("Noor")
    path = write_config(
        tmp_path, emulator.base_url, [(dana.id, "Dana Reyes", "practitioner"), (sam.id, "Sam", "admin")]
    )
    add_clinic(path, [(noor.id, "Noor Haddad", "practitioner"), (sam.id, "Sam", "admin")], language="es")
    if web is not None:
        path.write_text(path.read_text(encoding="utf-8") + f"\n[web]\n{web}\n", encoding="utf-8")
    config = load_config(path)
    store = Store(config.storage.database)
    application = build_application(
        config, store, load_all_guidance(config), emulator.token, tick_seconds=None
    )
    async with application:
        await application.post_init(application)
    store.close()
    return dana, sam, noor


async def test_staff_get_the_worklist_as_a_mini_app_when_it_is_served_over_https(emulator, tmp_path):
    web = 'listen = "127.0.0.1:8080"\npublic_url = "https://clinic.example.org/aftercare/"'
    dana, sam, noor = await started_bot(emulator, tmp_path, web)
    url = {"url": "https://clinic.example.org/aftercare/app"}  # the Mini App page (bot/web/mini_app.py)
    assert emulator.world.menu_buttons == {
        dana.id: {"type": "web_app", "text": "Worklist", "web_app": url},
        sam.id: {"type": "web_app", "text": "Worklist", "web_app": url},  # his first clinic's language
        noor.id: {"type": "web_app", "text": "Lista de trabajo", "web_app": url},
    }


@pytest.mark.parametrize(
    "web",
    [None, 'listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:8080"\npublic_url = "http://127.0.0.1:8080"'],
)
async def test_no_menu_button_without_https(emulator, tmp_path, web):
    await started_bot(emulator, tmp_path, web)
    assert not [c for c in emulator.calls if c.method == "setChatMenuButton"]
    assert emulator.world.menu_buttons == {}
