"""`aftercare run` with [web] listen set: the worklist is served in the bot's own process and
event loop, from the moment the bot is initialised until it stops; a /web link sent by the
real Application signs in on it."""

import logging
import re

import aiohttp
import pytest
from telegram.ext import Application

from bot.guidance.config import load_config
from bot.guidance.loader import load_all_guidance
from bot.store.database import Store
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.web.server import start

from .harness import free_port, write_config
from .web_helpers import link_token


async def test_the_worklist_runs_beside_the_bot_and_stops_with_it(emulator, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    dana = emulator.add_user("Dana")
    port = free_port()
    path = write_config(tmp_path, emulator.base_url, [(dana.id, "Dana Reyes", "practitioner")])
    path.write_text(path.read_text() + f'\n[web]\nlisten = "127.0.0.1:{port}"\n')
    config = load_config(path)
    store = Store(config.storage.database)
    guidance = load_all_guidance(config)
    app: Application = build_application(
        config, store, guidance, emulator.token, tick_seconds=None, companions=[start]
    )
    base = f"http://127.0.0.1:{port}"
    # A browser keeps a cookie set by an IP address; aiohttp's client only when told to.
    jar = aiohttp.CookieJar(unsafe=True)
    async with app, aiohttp.ClientSession(cookie_jar=jar) as browser:
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
        try:
            await emulator.send_text(dana, "/web")
            link = re.search(rf"{base}/signin/\S+", (await emulator.wait_for_message(dana)).text).group(0)
            token = link_token(link)
            assert (await browser.get(link)).status == 200
            signed = await browser.post(f"{base}/signin", data={"token": token})
            assert signed.status == 200 and "Open alerts" in await signed.text()
        finally:
            await app.updater.stop()
            await app.stop()
            await app.post_stop(app)
            store.close()
        with pytest.raises(aiohttp.ClientConnectionError):
            await browser.get(base)
    # No access log: the link's path is its secret (the emulator's own log names other paths).
    assert not [r for r in caplog.records if token in r.getMessage()]
