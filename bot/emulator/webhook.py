"""setWebhook and the delivery of updates by POST to the webhook, as Telegram does it.

Semantics from core.telegram.org/bots/api#setwebhook and tdlib/telegram-bot-api: while a webhook
is set, each update is POSTed as JSON to its URL, with `X-Telegram-Bot-Api-Secret-Token` when a
secret was given; a 2xx answer confirms it, anything else (or no answer) keeps it and it is sent
again later, its error shown by getWebhookInfo; getUpdates is refused with 409. An empty URL, or
deleteWebhook, ends it. Two differences, both stated: updates go one at a time, in order (Telegram
may use up to max_connections at once and then keeps no order), and http to a loopback address is
accepted, since only a local server can be reached from here (Telegram wants https on 443, 80,
88 or 8443).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .errors import bad_request
from .limits import Clock
from .polling import UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PORTS = (80, 88, 443, 8443)
_SECRET = re.compile(r"[A-Za-z0-9_-]*")
RETRY_FIRST, RETRY_MOST = 0.05, 1.0  # seconds: Telegram's waits are longer, a test's are not


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Refuse a webhook URL as Telegram does (bar http to loopback)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "http" and _loopback(host):
        return
    if parts.scheme != "https" or not host:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if (parts.port or 443) not in WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def check_secret(secret: str) -> None:
    if len(secret) > 256:
        raise bad_request("secret token must be at most 256 bytes long")
    if not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")


class Webhook:
    """The webhook set (url "" when none) and the task that delivers to it."""

    def __init__(self, updates: UpdateQueue, clock: Clock):
        self.updates = updates
        self.clock = clock
        self.url = ""
        self.secret: str | None = None
        self.max_connections = 40
        self.allowed_updates: list[str] | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.delivered = 0  # updates a 2xx answer confirmed
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        return bool(self.url)

    def set(self, url: str, secret: str | None, max_connections: int, allowed: list[str] | None) -> None:
        check_url(url)
        if secret is not None:
            check_secret(secret)
        self.url, self.secret = url, secret or None
        self.max_connections = min(max(max_connections or 40, 1), 100)  # Telegram clamps it
        if allowed is not None:
            self.allowed_updates = allowed
            self.updates.set_allowed(allowed)
        self.last_error_date = self.last_error_message = None
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._deliver())
        self.updates.arrived.set()  # what waits goes to the new address at once

    async def delete(self) -> None:
        self.url, self.secret = "", None
        self.last_error_date = self.last_error_message = None
        await self.close()

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates.pending),
        }
        if self.url:
            info["max_connections"] = self.max_connections
            if self.allowed_updates is not None:
                info["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            info.update(last_error_date=self.last_error_date, last_error_message=self.last_error_message)
        return info

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _deliver(self) -> None:
        wait = RETRY_FIRST
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while self.url:
                pending = self.updates.pending
                if not pending:
                    self.updates.arrived.clear()
                    await self.updates.arrived.wait()
                    continue
                if await self._post(session, pending[0]):
                    self.updates.confirm(pending[0]["update_id"])
                    self.delivered += 1
                    wait = RETRY_FIRST
                else:
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, RETRY_MOST)

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        headers = {SECRET_HEADER: self.secret} if self.secret else {}
        try:
            async with session.post(self.url, json=update, headers=headers) as response:
                if 200 <= response.status < 300:
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as failure:
            error = "Connection refused" if isinstance(failure, aiohttp.ClientConnectorError) else "Timeout"
        self.last_error_date, self.last_error_message = int(self.clock()), error
        return False
