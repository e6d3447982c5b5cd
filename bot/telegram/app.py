"""Build the python-telegram-bot Application from config, guidance and store, and run it.

Wires the typed context (`bot/telegram/context.py`), the handlers by audience (staff first, then
the patient's), the one error handler (`replies.on_error`), the jobs, and at start the bot's
menus and descriptions (`bot/telegram/profile.py`). Imports every package below it."""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

from telegram import Update
from telegram.ext import Application

from bot.delivery.pacing import TelegramPace
from bot.delivery.sender import Delivery
from bot.guidance.config import Config
from bot.guidance.loader import load_all_guidance
from bot.guidance.model import Guidance
from bot.services import alert_lifecycle, alerts, checkins, reachability
from bot.services.due import Hooks, Ticker
from bot.services.shared import Services
from bot.store.database import Store
from bot.telegram import (
    alert_actions,
    intake,
    patient,
    profile,
    replies,
    settings,
    staff,
    web_signin,
    webhook,
    whoami,
)
from bot.telegram.audience import Audiences
from bot.telegram.context import CONTEXT_TYPES, SERVICES, AftercareContext
from bot.telegram.transport import AiohttpRequest

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
# A slow answer from Telegram (seconds): sends in flight = rate x this keeps the allowance used.
TELEGRAM_ROUND_TRIP = 0.3
# Each send in flight holds a claimed row and a connection: a kill re-sends those (duplicates)
# and a slow Telegram times them all out together. 16 already keeps 280/s busy
# (bench/delivery.py); only a Bot API server allowing more than ~50/s needs more than 16.
MAX_IN_FLIGHT = 16
PURGE_SECONDS = 24 * 3600
REACH_SECONDS = 24 * 3600  # staff and alert chats are probed at start, then daily
# Seconds after the start of that first probe: what the last run left (the inbox replayed, the
# outbox's backlog) goes first, and a bot restarted again and again spends no sends on probes.
REACH_AFTER_START = 30
# The updates the handlers read (words and their edits, presses), and changes to the bot's own
# membership of a chat (a patient blocking it, a group adding it) for the conversation-safety
# work. Telegram sends nothing else, so nothing else waits in the inbox.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
# Something that runs beside the bot in its event loop (the web worklist, bot/web): started once
# the bot is initialised, given the services; it returns the coroutine function that stops it.
Companion = Callable[[Services], Awaitable[Callable[[], Awaitable[None]]]]
# The web worklist's start: a companion that also serves the routes it is given (the webhook's).
WebServer = Callable[[Services, Sequence[webhook.RouteAdder]], Awaitable[Callable[[], Awaitable[None]]]]


def file_url(api_base_url: str) -> str:
    """Telegram serves files from /file/bot<token> beside /bot<token>."""
    return api_base_url[: -len("/bot")] + "/file/bot" if api_base_url.endswith("/bot") else api_base_url


def sends_in_flight(per_second: float) -> int:
    return min(MAX_IN_FLIGHT, max(4, math.ceil(per_second * TELEGRAM_ROUND_TRIP)))


async def _tick(context: AftercareContext) -> None:
    services = context.services
    services.store.retry_truncate_wal()  # an erasure's truncation a reader (a backup) held off
    await context.bot_data["ticker"].tick()


async def _purge(context: AftercareContext) -> None:
    """Daily: erase what each clinic's retention period no longer allows us to keep."""
    services: Services = context.bot_data[SERVICES]  # bot_data alone: callable with any holder of it
    services.store.inbox_prune(services.now() - intake.RESEND_WINDOW)
    for clinic in services.config.clinics:
        erased = services.store.purge_expired(clinic.id, services.now() - clinic.retention_days * 86400)
        if erased:
            log.info("retention: erased %d follow-ups of clinic %s", erased, clinic.id)
    services.store.prune_web_access(services.now())


async def _reach(context: AftercareContext) -> None:
    """Daily: can every staff member and alert chat still be reached? The admins are told who not."""
    await reachability.check_reach(context.bot_data[SERVICES])


def build_application(
    config: Config,
    store: Store,
    guidance_by_clinic: Mapping[str, Guidance],
    token: str,
    now: Callable[[], float] = time.time,
    tick_seconds: float | None = TICK_SECONDS,
    companions: Sequence[Companion] = (),
) -> Application:
    """The bot, ready to start. `tick_seconds=None` leaves ticking to the caller (tests);
    `companions` start after it is initialised and stop after it has stopped."""
    services = Services(config, store, guidance_by_clinic, now)
    post_init, post_stop = _lifecycle(services, companions)
    application = (
        Application.builder()
        .token(token)
        .base_url(config.telegram.api_base_url)
        .base_file_url(file_url(config.telegram.api_base_url))
        .request(AiohttpRequest())
        # Each update is stored before its offset is confirmed, and emptied once handled (intake.py).
        .get_updates_request(intake.InboxRequest(store, now, connection_pool_size=1))
        .concurrent_updates(intake.InboxProcessor(store))
        .rate_limiter(TelegramPace(config.telegram.max_messages_per_second))
        .post_init(post_init)
        .post_stop(post_stop)
        .context_types(CONTEXT_TYPES)
        .build()
    )
    rate = config.telegram.max_messages_per_second
    services.delivery = Delivery(
        application.bot,
        store,
        now,
        on_unreachable=functools.partial(_unreachable, services),
        on_sent=functools.partial(alert_lifecycle.copy_sent, services),
        # Queue per tick what can go out in two ticks, so a burst's outbox never runs dry.
        batch=max(100, math.ceil(2 * rate * (tick_seconds or TICK_SECONDS))),
        concurrency=sends_in_flight(rate),
        running=lambda: application.running,
        answered=False,  # the first send probes Telegram alone (bot/delivery/sender.py)
    )
    application.bot_data[SERVICES] = services
    application.bot_data["ticker"] = _ticker(services)
    audiences = Audiences.of(services)
    whoami.register(application, audiences)
    settings.register(application, audiences)
    staff.register(application, audiences)
    alert_actions.register(application, audiences, services)  # before the patient's: staff's replies
    web_signin.register(application, audiences)
    patient.register(application, audiences)
    application.add_error_handler(replies.on_error)
    if tick_seconds is not None:
        _schedule(application, tick_seconds)
    return application


async def _unreachable(services: Services, chat_id: int) -> None:
    """A chat Telegram refuses for good: staff left out of alert rounds, a patient's follow-up stopped."""
    reachability.refused(services, chat_id, "Telegram refused a message (blocked, or left the chat)")
    await patient.on_unreachable(services, chat_id)


def _lifecycle(services: Services, companions: Sequence[Companion]) -> tuple[Callable, Callable]:
    """What runs once the bot is initialised (before polling), and once it has stopped."""
    store, now = services.store, services.now
    stops: list[Callable[[], Awaitable[None]]] = []

    async def post_init(application: Application) -> None:
        recovered = store.recover_interrupted()
        if recovered:
            log.warning("re-queued %d messages interrupted by the last stop", recovered)
        store.inbox_prune(now() - intake.RESEND_WINDOW)
        intake.replay(application, store)  # before polling starts: what the last run left goes first
        await profile.publish(application.bot, services)  # menus and descriptions: never stops the start
        stops.extend([await start(services) for start in companions])

    async def post_stop(application: Application) -> None:
        while stops:
            await stops.pop()()

    return post_init, post_stop


def _ticker(services: Services) -> Ticker:
    """What falls due each tick, queued with the patient's texts and the alert rounds."""
    hooks = Hooks(
        checkins.render_checkin,
        checkins.render_reminder,
        alerts.alert_round,
        patient.on_missed,
        on_alert_queued=alerts.after_first_round,
    )
    return Ticker(services, hooks)


def _schedule(application: Application, tick_seconds: float) -> None:
    """The repeating jobs: the tick, the daily purge of what retention no longer allows, and the
    check that staff can be reached (at start, then daily)."""
    jobs = application.job_queue
    if jobs is None:
        raise RuntimeError("the job queue is missing: install python-telegram-bot[job-queue]")
    repeating = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
    # A tick that sends a burst runs for as long as the burst; the next tick runs beside it
    # and only queues what falls due (the sender pumps from one tick at a time).
    jobs.run_repeating(
        _tick,
        interval=tick_seconds,
        first=0,
        name="delivery",
        job_kwargs={**repeating, "max_instances": 2},
    )
    jobs.run_repeating(_purge, interval=PURGE_SECONDS, first=60, name="retention", job_kwargs=repeating)
    # Just after the start (beside the bot, not before it: probing waits on Telegram), then daily.
    jobs.run_repeating(
        _reach, interval=REACH_SECONDS, first=REACH_AFTER_START, name="reach", job_kwargs=repeating
    )


def run(config: Config, web_server: WebServer | None = None) -> None:
    """Poll Telegram, or receive its updates by webhook, until stopped (SIGINT/SIGTERM); the
    database keeps everything between runs. Polling removes a webhook set before (PTB's
    start_polling calls deleteWebhook), so switching back needs nothing more. `web_server` (the
    web worklist) starts with the bot and stops after it, in either mode; in webhook mode it
    serves the webhook too, as the one server."""
    store = Store(config.storage.database)
    guidance = load_all_guidance(config)
    # Filled below once the application exists, read when the worklist starts (post_init).
    web_routes: list[webhook.RouteAdder] = []
    companions: list[Companion] = []
    if web_server is not None:

        async def start_web(services: Services) -> Callable[[], Awaitable[None]]:
            return await web_server(services, web_routes)

        companions.append(start_web)
    application = build_application(config, store, guidance, config.telegram.token(), companions=companions)
    try:
        if config.telegram.mode == "webhook":
            shared = web_routes if web_server else None
            webhook.run_webhook(application, config.telegram, ALLOWED_UPDATES, shared)
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    finally:
        store.close()
