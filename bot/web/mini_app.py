"""The worklist inside Telegram: the page its menu button opens (`/app`).

It holds no data, only Telegram's script and ours (static/mini_app.js), which then fetch every
page with Telegram's signed initData in a header and show it here (bot/web/security.py checks
it). Served with `mini_app_policy()`, as every request carrying initData is.
Imports its siblings."""

from __future__ import annotations

from aiohttp import web

from bot.web.mini_app_csp import TELEGRAM_WEB_APP_JS
from bot.web.security import SERVICES
from bot.web.texts import page


async def shell(request: web.Request) -> web.Response:
    clinic = request.app[SERVICES].config.clinics[0]  # who is asking is known at the first fetch
    return page(request, "mini_app.html", clinic, None, telegram_js=TELEGRAM_WEB_APP_JS)
