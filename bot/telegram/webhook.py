"""Webhook mode: Telegram posts each update to a secret path of ours instead of being polled.

Two separate steps, so the clinic's web app can carry the route too: `add_webhook_route` adds the
route to any aiohttp.web Application, `make_web_app` + `serve` make one that serves it alone
(`[telegram] webhook_listen`). With the web worklist on (`[web] listen`) there is one server:
the route is added to the worklist's app, and `webhook_listen` is not used.
A post must carry `X-Telegram-Bot-Api-Secret-Token` (compared in constant time): without it,
401 and nothing is handled. An update goes through the same intake as a polled one
(`intake.py`): stored in the inbox before Telegram is answered 200 (an answer is Telegram's
confirmation, after which it forgets the update), then handled in order and emptied.
A database that refuses it gets a 500: Telegram posts it again later.

The secret path and token are derived from the bot token (HMAC), so they stay the same over
restarts: updates Telegram posts while the bot restarts still reach it. Telegram is told to use
one connection: updates then arrive in Telegram's order, as when polled; each post is answered
as soon as the update is stored, so one connection carries many updates a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import signal
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from telegram.ext import Application

from bot.guidance.config import TelegramConfig
from bot.services.shared import Services
from bot.telegram import intake
from bot.telegram.context import SERVICES

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CONNECTIONS = 1  # Telegram's order kept; see above
RouteAdder = Callable[[web.Application], None]


@dataclass(frozen=True)
class WebhookAddress:
    url: str  # given to setWebhook: the configured webhook_url and the secret path segment
    path: str  # the route this process serves
    secret: str  # the header Telegram sends with each post


def webhook_address(webhook_url: str, token: str) -> WebhookAddress:
    def derived(purpose: str) -> str:
        return hmac.new(token.encode(), f"aftercare webhook {purpose}".encode(), hashlib.sha256).hexdigest()

    segment = derived("path")[:32]
    base = webhook_url.rstrip("/")
    return WebhookAddress(f"{base}/{segment}", f"{urlsplit(base).path}/{segment}", derived("secret"))


def add_webhook_route(web_app: web.Application, application: Application, address: WebhookAddress) -> None:
    """Telegram's posts to `address.path` go to the bot's intake, once their secret is checked."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), address.secret.encode()):
            log.warning("webhook: a post without the right secret token refused")
            return web.Response(status=401)
        try:
            update = json.loads(await request.read())
        except ValueError:
            update = None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400)
        services: Services = application.bot_data[SERVICES]
        try:
            intake.store_updates(services.store, [update], services.now())
        except sqlite3.Error as error:
            log.error("webhook: inbox unavailable (%s); Telegram will post again", type(error).__name__)
            return web.Response(status=500)
        intake.queue(application, services.store, update["update_id"], update)
        return web.Response()

    web_app.router.add_post(address.path, receive)


def make_web_app() -> web.Application:
    return web.Application(client_max_size=1024 * 1024)  # an update is far smaller


async def serve(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None)  # the access log would show the secret path
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def serve_webhook(
    application: Application,
    telegram: TelegramConfig,
    allowed_updates: list[str],
    stop: asyncio.Event,
    web_routes: list[RouteAdder] | None = None,
) -> None:
    """Start the bot, serve the webhook, tell Telegram where it is, and run until `stop` is set.
    The webhook stays set when the bot stops: Telegram keeps the updates until it is back.
    `web_routes`: the routes the web worklist adds when it starts (with the bot, in post_init);
    given, the webhook is one of them and no server of its own is started."""
    if telegram.webhook_url is None:
        raise ValueError('mode = "webhook" needs webhook_url')  # the config check says so first
    address = webhook_address(telegram.webhook_url, application.bot.token)
    web_app = None
    if web_routes is None:
        web_app = make_web_app()
        add_webhook_route(web_app, application, address)
    else:
        web_routes.append(lambda worklist: add_webhook_route(worklist, application, address))
    # The hooks in the order run_polling calls them, so whatever they start also stops.
    async with application:
        if application.post_init is not None:
            await application.post_init(application)  # what the last run left goes first
        await application.start()
        runner = None if web_app is None else await serve(web_app, *telegram.webhook_listen)
        try:
            await application.bot.set_webhook(
                address.url,
                secret_token=address.secret,
                allowed_updates=allowed_updates,
                max_connections=CONNECTIONS,
            )
            host, port = telegram.webhook_listen
            where = "the web worklist's server" if runner is None else f"{host}:{port}"
            log.info("receiving updates by webhook on %s", where)
            await stop.wait()
        finally:
            if runner is not None:
                await runner.cleanup()
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


def run_webhook(
    application: Application,
    telegram: TelegramConfig,
    allowed_updates: list[str],
    web_routes: list[RouteAdder] | None = None,
) -> None:
    """Serve the webhook until SIGINT or SIGTERM (on the web worklist's server: `web_routes`)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # no signal handlers on this platform
                loop.add_signal_handler(signum, stop.set)
        await serve_webhook(application, telegram, allowed_updates, stop, web_routes)

    asyncio.run(main())
