"""`aftercare demo --web`: once the day is played, the web worklist on its data, with the bot
still running (an alert acknowledged on the page reaches the Telegram copies in the emulator),
until Ctrl-C or `stop`. A one-time sign-in link for the clinic's admin is printed, as /web
would send it (bot/services/web_access.py)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

from rich.console import Console
from telegram.ext import Application

from bot.demo.setup import Cast
from bot.services import web_access
from bot.telegram.context import SERVICES
from bot.web.server import start as start_web

SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def serve_worklist(
    app: Application, cast: Cast, console: Console, warp: float, stop: asyncio.Event | None
) -> None:
    """Serve the worklist until `stop` is set, or, without one, until SIGINT or SIGTERM."""
    services = app.bot_data[SERVICES]
    stop_web = await start_web(services)
    with _stopped_by_signals() if stop is None else contextlib.nullcontext(stop) as stopped:
        try:
            link = web_access.issue_link(services, cast.staff_member("admin").id)
            minutes = web_access.LINK_SECONDS / 60 / warp  # the link expires on the demo's clock
            console.print(
                f"\nThe clinic worklist, on the day's data: {link}\n"
                f"A sign-in link for the admin: it works once, for {minutes:g} min."
                " Ctrl-C stops the demo.",
                soft_wrap=True,
                markup=False,
                highlight=False,
            )
            await stopped.wait()
        finally:
            await stop_web()


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[asyncio.Event]:
    """An event SIGINT or SIGTERM sets, in place of KeyboardInterrupt (the demo then ends as
    usual, exit 0), from before the link is shown: a Ctrl-C right after it counts."""
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in SIGNALS:
        with contextlib.suppress(NotImplementedError):  # no signal handlers on this platform
            loop.add_signal_handler(signum, stopped.set)
    try:
        yield stopped
    finally:
        for signum in SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signum)
