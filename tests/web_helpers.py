"""The web worklist against the running bot (tests/harness.py): its aiohttp app on aiohttp's
test server, sharing the bot's services, and signing in as a staff member with a /web link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from aiohttp.test_utils import TestClient, TestServer

from bot.guidance.web_config import WebConfig
from bot.services import web_access
from bot.web.server import create_app

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def turn_on_web(h, public_url: str | None = None, port: int = 8080) -> None:
    """[web] listen (and public_url) as the config file would set them."""
    h.services.file_config = replace(h.services.file_config, web=WebConfig("127.0.0.1", port, public_url))
    h.services.settings_changed()


@asynccontextmanager
async def web_client(h) -> AsyncIterator[TestClient]:
    turn_on_web(h)
    async with TestClient(TestServer(create_app(h.services))) as client:
        yield client


def link_token(link: str) -> str:
    return link.rsplit(web_access.SIGN_IN_PATH, 1)[1]


async def sign_in(client: TestClient, h, user) -> str:
    """Sign `user` in with a fresh link; the CSRF token of their session."""
    token = link_token(web_access.issue_link(h.services, user.id))
    response = await client.post("/signin", data={"token": token}, allow_redirects=False)
    assert response.status == 303, await response.text()
    page = await client.get("/")
    return CSRF.search(await page.text()).group(1)
