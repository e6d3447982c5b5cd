"""The web worklist's aiohttp application, and starting it beside the bot: the same process and
event loop as the PTB Application, so pages read the same store and acknowledge through the same
services. No access log: a sign-in link's path is a secret, and a page's path names a patient id.
Imports the rest of `bot.web` and `bot.services`."""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.services.shared import Services
from bot.services.web_access import MINI_APP_PATH, SIGN_IN_PATH
from bot.web import mini_app, pages, signin, summary
from bot.web.security import SERVICES, secure_headers

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
Stop = Callable[[], Awaitable[None]]
RouteAdder = Callable[[web.Application], None]
FORM_MAX_SIZE = 64 * 1024
UPDATE_MAX_SIZE = 1024 * 1024  # as the webhook's own server (bot/telegram/webhook.py)


def create_app(services: Services, extra_routes: Sequence[RouteAdder] = ()) -> web.Application:
    """The worklist's app, with `extra_routes` added beside its pages (the webhook's, when Telegram
    posts updates to this server: an update can be larger than any of the pages' forms)."""
    max_size = UPDATE_MAX_SIZE if extra_routes else FORM_MAX_SIZE
    app = web.Application(middlewares=[secure_headers], client_max_size=max_size)
    app[SERVICES] = services
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    routes = app.router
    routes.add_get("/", pages.worklist)
    routes.add_get(MINI_APP_PATH, mini_app.shell)
    routes.add_get("/patients", pages.patients)
    routes.add_get("/patients/{patient_id}", pages.timeline)
    routes.add_get("/patients/{patient_id}/chart.svg", pages.chart)
    routes.add_get("/photos/{photo_id}", pages.photo)
    routes.add_get("/alerts/{alert_id}", pages.alert_page)
    routes.add_post("/alerts/{alert_id}/{action}", pages.alert_action)
    routes.add_get("/summary", summary.summary)
    routes.add_get("/summary/report.csv", summary.report_csv)
    routes.add_get("/summary/fhir.json", summary.fhir_json)
    routes.add_get(SIGN_IN_PATH + "{token}", signin.signin_form)
    routes.add_post("/signin", signin.signin)
    routes.add_post("/signout", signin.signout)
    routes.add_static("/static", HERE / "static")
    for add_route in extra_routes:
        add_route(app)
    return app


def settle_heap() -> None:
    """What is loaded by now (the bot's modules, guidance, matplotlib) stays for good: moved out
    of the collector's sight, a full collection no longer walks it. Those pauses were most of a
    page's p99 (bench/web.py: the worklist's 110 ms p99 of CPU fell to about 30)."""
    gc.collect()
    gc.freeze()


async def start(services: Services, routes: Sequence[RouteAdder] = ()) -> Stop:
    """Serve the worklist (and `routes`) on `[web] listen`; the coroutine that stops it."""
    settle_heap()
    web_config = services.config.web
    runner = web.AppRunner(create_app(services, routes), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, web_config.host, web_config.port).start()
    log.info("web worklist on %s:%s", web_config.host, web_config.port)
    return runner.cleanup
