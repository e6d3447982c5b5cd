"""Transactional intake: no update Telegram hands over is lost to a crash.

Telegram forgets an update once a later getUpdates names an offset past it. PTB's Updater sends
that offset with its next getUpdates, whether or not the handlers have stored what the update
said: a kill in between lost half of a 30-patient round (issue 12). Here every update of a
getUpdates answer is stored in the inbox (bot/store/database.py) before the answer reaches PTB; PTB cannot
ask for the next batch, and so confirm this one, before that. Each update is handled in order
and emptied from the inbox once handled; a start handles what the last run left first.

Why a request wrapper and an update processor, not a polling loop of our own: PTB's Updater keeps
its retry with backoff, its 409 handling, its last confirming getUpdates on stop and
`run_polling`'s signal handling, all of which the bot relies on; the two hooks PTB documents
(`BaseRequest`, `BaseUpdateProcessor`) are enough to store before confirming and to empty after
handling.

In webhook mode (`bot/telegram/webhook.py`) Telegram posts each update instead: it is stored the
same way (`store_updates`) before the post is answered, which is Telegram's confirmation there,
and handed to the same processor (`queue`).

Handlers see an update at least once: a kill after handling and before the update is emptied
hands it to them again at the next start (`bot/services/words.py` recognises words already taken). An
update Telegram sends again after a restart (stored, not yet confirmed) is handled only once.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import NetworkError
from telegram.ext import Application, BaseUpdateProcessor
from telegram.request import BaseRequest, RequestData

from bot.store.database import Store
from bot.telegram.transport import AiohttpRequest

log = logging.getLogger(__name__)

RESEND_WINDOW = 24 * 3600.0  # Telegram keeps an unconfirmed update this long: an emptied row as long


def sender(update: dict[str, Any]) -> int | None:
    """The Telegram id of whoever the update comes from, for erasure; None if it names nobody."""
    for value in update.values():
        if isinstance(value, dict):
            who = value.get("from") or value.get("chat") or value.get("user")
            if isinstance(who, dict) and isinstance(who.get("id"), int):
                return who["id"]
    return None


class InboxRequest(AiohttpRequest):
    """The getUpdates request: every update of an answer is in the inbox before PTB sees it. If
    the database refuses it, PTB gets a network error and asks again for the same updates."""

    def __init__(self, store: Store, now: Callable[[], float] = time.time, **kwargs: Any):
        super().__init__(**kwargs)
        self.store, self.now = store, now

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        status, body = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if status == 200 and url.endswith("/getUpdates"):
            self._store(body)
        return status, body

    def _store(self, body: bytes) -> None:
        try:
            updates = json.loads(body).get("result") or []
        except (ValueError, AttributeError):
            return  # not an answer PTB can read either: it reports it
        try:
            store_updates(self.store, updates, self.now())
        except sqlite3.Error as error:
            # Not confirmed: Telegram hands these over again once the database takes writes.
            raise NetworkError(f"inbox unavailable: {error}") from error


def store_updates(store: Store, updates: list[Any], now: float) -> int:
    """Store updates in the inbox, polled or posted to the webhook alike; how many were new.
    Raises sqlite3.Error when the database refuses them: the caller must not confirm them."""
    rows = [
        (u["update_id"], sender(u), json.dumps(u, separators=(",", ":"), ensure_ascii=False))
        for u in updates
        if isinstance(u, dict) and isinstance(u.get("update_id"), int)
    ]
    return store.inbox_add(rows, now) if rows else 0


class InboxProcessor(BaseUpdateProcessor):
    """Handles updates one at a time, in order, and empties each from the inbox once handled.
    One Telegram sent again after a restart, already handled from the inbox, is skipped."""

    def __init__(self, store: Store):
        super().__init__(max_concurrent_updates=1)
        self.store = store
        self.resent = 0  # updates skipped as already handled

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None and self.store.inbox_handled(update_id):
            self.resent += 1
            log.info("update %d was handled before the restart; skipped", update_id)
            if isinstance(coroutine, Coroutine):  # what PTB hands over: closed, no "never awaited" warning
                coroutine.close()
            return
        await coroutine
        if update_id is not None:
            self.store.inbox_done(update_id)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def replay(application: Application, store: Store) -> int:
    """Queue the updates the last run stored and did not handle, oldest first, ahead of anything
    polled (call before polling starts, e.g. in post_init). How many."""
    waiting = store.inbox_waiting()
    for row in waiting:
        queue(application, store, row["update_id"], row["body"])
    if waiting:
        log.warning("handling %d updates received before the last stop", len(waiting))
    return len(waiting)


def queue(application: Application, store: Store, update_id: int, body: str | dict[str, Any]) -> None:
    """Hand a stored update (JSON text, or decoded) to the handlers; InboxProcessor empties it
    once handled."""
    try:
        update = Update.de_json(json.loads(body) if isinstance(body, str) else body, application.bot)
    except (ValueError, TypeError, KeyError, AttributeError) as error:  # unreadable: say so, go on
        log.error("stored update %d cannot be read (%s); dropped", update_id, type(error).__name__)
        store.inbox_done(update_id)
        return
    application.update_queue.put_nowait(update)
