"""The only place that sends: turns due rows into outbox messages and delivers them.

Each outbox row is claimed by a conditional update before it is sent, so a second tick or an
immediate `send` never sends it twice. Telegram's errors are sorted into permanent (the chat is
gone, or the message is wrong: recorded, never retried) and retryable (rate limit, time-out,
network, server error: retried later, so nothing is lost). A time-out may hide a delivered
message; retrying it risks a duplicate, which we prefer to a loss.

An emergency answer (priority EMERGENCY) is never held by what else goes to its chat or by a
brief fault: it may go while the chat has another message in flight, each private chat keeps a
send of its bucket in reserve for it, it goes through a pause after failures (a probe of its
own), and it retries on a short schedule of its own.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import sqlite3
import time
from collections import Counter
from dataclasses import astuple, dataclass, field
from typing import Any, Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ExtBot

from bot.delivery.pacing import EMERGENCY, retry_seconds
from bot.services.shared import Services
from bot.store.database import ERASED_PHOTO

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0  # the longest a failed message waits for its next try
MAX_PAUSE = 15.0  # the longest all sending pauses after Telegram failed: how late we notice it is back
# An emergency answer that failed tries again after these waits of its own, whatever the pause of
# everything else (one call each, nothing to an outage), then is left to the tick.
URGENT_RETRIES = (0.25, 0.5, 1.0, 2.0)
# Telegram allows about one message a second in a chat, with a small burst, and 20 a minute in a
# group; edits count. Paced a little under that so our clock and Telegram's never disagree.
CHAT_BURST, CHAT_RATE = 3.0, 0.95
GROUP_BURST, GROUP_RATE = 3.0, 19 / 60
# Of a private chat's burst, one send is kept for an emergency answer: other messages leave it, so
# however chatty the conversation, the emergency finds the chat's allowance free.
URGENT_RESERVE = 1.0
# This often the pump looks whether an urgent row fell due since it read its list of due rows (a
# list lasts up to two seconds of sending), and reads the list again if so.
FRESH_ROWS = 0.5
GONE = ("chat not found", "user is deactivated", "bot was kicked", "not enough rights to send")
ALREADY_DONE = ("message is not modified",)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Check-ins queued between two chances for sends to run: about 5 ms of work, well inside the
# 20 ms the pace forgives (bot/delivery/pacing.py). 560 queued in one stretch took 190 ms, in which no
# message went out (bench/delivery.py at 280/s).
QUEUE_STRETCH = 16

Rendered = "tuple[int, str, dict | None] | None"


@dataclass(frozen=True)
class Hooks:
    """What delivery asks of the rest of the bot; it knows rows, not what they mean."""

    render_checkin: Callable[[Services, dict], Rendered]  # (chat, text, markup), None if over
    render_reminder: Callable[[Services, dict], Rendered]
    alert_round: Callable[[Services, dict], "tuple[list[tuple[int, str, dict | None]], float]"]
    on_missed: Callable[[Services, int, int], Awaitable[None]]  # session, missed in a row
    on_unreachable: Callable[[Services, int], Awaitable[None]]  # chat
    on_alert_queued: Callable[[Services, dict, list[int]], Awaitable[object]] | None = None  # alert, its chats


@dataclass
class TickReport:
    missed_by_outage: int = 0
    missed: int = 0
    reminders_queued: int = 0
    checkins_queued: int = 0
    alerts_queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    paced: int = 0


def telegram_markup(markup: dict | None) -> InlineKeyboardMarkup | None:
    if not markup:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row] for row in markup["inline_keyboard"]]
    )


def _trouble(error: TelegramError) -> str:
    """What kind of Telegram fault a retryable error shows, for the log."""
    if isinstance(error, RetryAfter):
        return "rate limited"
    if isinstance(error, TimedOut):
        return "not answering in time"
    if isinstance(error, NetworkError):  # bot/telegram/transport.py names the HTTP library when no answer came
        return "unreachable" if re.match(r"aiohttp\.|Unknown error in HTTP", str(error)) else "server error"
    return "error"


def _count_of(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _urgent(row: dict[str, Any]) -> bool:
    return row["priority"] <= EMERGENCY


@dataclass
class Episode:
    """One fault, told once: the first failure logs what is wrong, the first success after it
    logs the recovery; the failures in between are only counted, and so are the pauses they
    began (sends in flight together that fail begin one pause, not one each)."""

    name: str
    what: str | None = None
    since: float = 0.0
    failures: int = 0
    pauses: int = 0

    def failing(self, what: str, detail: str, pause: bool = False) -> None:
        self.failures += 1
        self.pauses += pause
        if what == self.what:
            return
        if self.what is None:
            self.since = time.monotonic()
        self.what = what
        log.error("%s %s (%s)", self.name, what, detail)

    def ok(self, detail: str) -> None:
        if self.what is not None:
            counts = _count_of(self.failures, "failed attempt") + (
                f"; sending paused {_count_of(self.pauses, 'time')}" if self.pauses else "")
            log.warning("%s back after %.1f s (%s); %s",
                        self.name, time.monotonic() - self.since, counts, detail)
            self.what, self.failures, self.pauses = None, 0, 0


@dataclass
class Delivery:
    services: Services
    bot: ExtBot  # with bot/delivery/pacing.py's TelegramPace, which reads each send's priority
    hooks: Hooks
    batch: int = 100
    # Sends in flight at once: enough to keep Telegram's allowance busy while each waits for its
    # answer, few enough that a reply queued behind them waits a fraction of a second.
    concurrency: int = 8
    running: Callable[[], bool] = lambda: True  # False once the bot is stopping: no new sends
    counts: dict[str, int] = field(default_factory=lambda: {"sent": 0, "retried": 0, "failed": 0, "paced": 0})
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict)
    # A claimed row whose outcome the database refused (locked, full): row -> (sent, message_id),
    # recorded at the next tick, so it is neither stuck in 'sending' nor sent twice.
    _unsettled: dict[int, tuple[bool, int | None]] = field(default_factory=dict)
    _sending: dict[int, tuple[bool, int | None]] = field(default_factory=dict)
    _telegram: Episode = field(default_factory=lambda: Episode("Telegram"))
    _database: Episode = field(default_factory=lambda: Episode("database"))
    _held_until: float = 0.0  # after a 429: no send until then (Telegram's order; the pace holds too)
    # After a failure, no send until then but one probe (and emergency answers). A success that
    # started after the last failure ends it; failures in a row lengthen it (1 s, doubling).
    _paused_until: float = 0.0
    _pauses: int = 0  # pauses begun so far: a send notes it as it starts, to tell whether its failure is news
    _pauses_in_a_row: int = 0
    # False until Telegram has answered a send of this process: meanwhile the pump sends one at a
    # time, the most urgent due row probing Telegram alone. A run killed before then (a crash loop,
    # a restart into an outage) leaves one send that Telegram may have taken, not one per send in
    # flight, to be sent again by the next (bench/drill_restart.py). The bot starts with False.
    answered: bool = True
    _pumping: bool = False  # one tick at a time sends; later ticks only queue what fell due
    # Sends in flight per chat, from the pump and from `send` alike: the pump leaves a chat with
    # one in flight alone, which keeps a chat's messages in order; an emergency answer waits only
    # for another emergency answer in flight.
    _chats_in_flight: Counter[int] = field(default_factory=Counter)
    _urgent_in_flight: Counter[int] = field(default_factory=Counter)
    _chat_free: dict[int, asyncio.Future[None]] = field(default_factory=dict)  # who waits for a chat's sends to end

    def _wait_for_chat(self, chat_id: int, now: float, urgent: bool = False) -> float:
        """Seconds until this chat may get another message (a token bucket per chat); in a private
        chat only an urgent message may take the last send."""
        burst, rate = (GROUP_BURST, GROUP_RATE) if chat_id < 0 else (CHAT_BURST, CHAT_RATE)
        need = 1.0 if urgent or chat_id < 0 else 1.0 + URGENT_RESERVE
        tokens, last = self._buckets.get(chat_id, (burst, now))
        tokens = min(burst, tokens + max(0.0, now - last) * rate)
        if tokens >= need - 1e-6:  # a rounding error short: its wait would not move a clock at 1.8e9 s
            self._buckets[chat_id] = (tokens - 1, now)
            return 0.0
        self._buckets[chat_id] = (tokens, now)
        return (need - tokens) / rate

    def _reached_chat(self, chat_id: int, now: float) -> None:
        """The message charged to this chat's bucket reached Telegram by now, perhaps long after
        it was charged (it waited for a slot of the overall pace, behind more urgent ones): the
        bucket refills from now, so the next message keeps its distance from this one."""
        tokens, last = self._buckets.get(chat_id, (0.0, now))
        self._buckets[chat_id] = (tokens, max(last, now))

    async def tick(self) -> TickReport:
        """Queue what has fallen due, then send what is waiting, most urgent first. A database
        that is locked or full fails this tick only: said once, retried at the next tick."""
        report = TickReport()
        try:
            settled = self._settle()
            await self._tick(report)
        except sqlite3.OperationalError as error:
            self._database.failing("unavailable", f"{error}; will retry next tick")
            return report
        if settled or any(astuple(report)):  # this tick wrote: the database takes writes again
            self._database.ok("ticks run again")
        return report

    def _settle(self) -> int:
        """Record the outcomes the database refused earlier; how many."""
        settled = len(self._unsettled)
        for row_id, (sent, message_id) in list(self._unsettled.items()):
            if sent:
                self.services.store.outbox_sent(row_id, message_id, self.services.now())
            else:
                self.services.store.outbox_retry(row_id, self.services.now(), "database unavailable")
            del self._unsettled[row_id]
        return settled

    async def _tick(self, report: TickReport) -> TickReport:
        store, now = self.services.store, self.services.now()
        report.missed_by_outage = store.skip_overtaken_checkins(now)
        for position, checkin in enumerate(store.due_checkins(now, self.batch)):
            if position % QUEUE_STRETCH == QUEUE_STRETCH - 1:
                await asyncio.sleep(0)  # let the sends of a burst already under way have their slots
            rendered = self.hooks.render_checkin(self.services, checkin)
            if rendered is None:
                store.drop_checkin(checkin["id"])
                continue
            chat_id, text, markup = rendered
            if store.queue_checkin(checkin["id"], chat_id, text, markup, now, now + self._reminder_delay(checkin)) is not None:
                report.checkins_queued += 1
        for session_id in store.mark_missed(now):
            report.missed += 1
            await self.hooks.on_missed(self.services, session_id, store.missed_in_a_row(session_id))
        for checkin in store.due_reminders(now):
            rendered = self.hooks.render_reminder(self.services, checkin)
            if rendered and store.queue_reminder(checkin["id"], rendered[0], rendered[1], now):
                report.reminders_queued += 1
        for alert in store.due_alerts(now):
            messages, next_notify_at = self.hooks.alert_round(self.services, alert)
            if store.queue_alert_round(alert["id"], alert["notify_count"], next_notify_at, messages, now):
                report.alerts_queued += 1
                if self.hooks.on_alert_queued:
                    await self.hooks.on_alert_queued(self.services, alert, [chat for chat, _, _ in messages])
        store.complete_finished_sessions()
        if not self._pumping:
            self._pumping = True
            try:
                await self._send_due(report)
            finally:
                self._pumping = False
        else:  # the pump may be waiting for a slow send; an emergency answer does not wait with it
            await self._send_urgent_due(report)
        return report

    async def _send_urgent_due(self, report: TickReport) -> None:
        first: dict[int, int] = {}  # chat -> its first urgent row: one at a time to a chat
        due = self.services.store.due_outbox(self.services.now(), self.concurrency)
        for row in itertools.takewhile(_urgent, due):
            if self._free_for(row):
                first.setdefault(row["chat_id"], row["id"])
        outcomes = await asyncio.gather(*(self._deliver(row_id) for row_id in first.values()))
        for outcome in filter(None, outcomes):
            setattr(report, outcome, getattr(report, outcome) + 1)

    async def _send_due(self, report: TickReport) -> None:
        """Send every due message, most urgent first, `concurrency` at a time, until none is due.
        A burst can outlast many ticks; they queue what falls due meanwhile and this picks it up."""
        store, looked_at = self.services.store, time.monotonic()
        waiting: list[dict[str, Any]] = []

        def urgent_news() -> bool:
            nonlocal looked_at
            if time.monotonic() - looked_at < FRESH_ROWS:
                return False
            looked_at, top = time.monotonic(), store.due_outbox(self.services.now(), 1)
            return bool(top) and _urgent(top[0]) and all(row["id"] != top[0]["id"] for row in waiting)

        def next_row() -> dict[str, Any] | None:
            nonlocal waiting
            for read in ((True,) if urgent_news() else (False, True)):
                if read:
                    waiting = store.due_outbox(self.services.now(), self.batch)
                for index, row in enumerate(waiting):  # most urgent first
                    if self._free_for(row):
                        del waiting[index]
                        return row
            return None  # what is left waits for a chat in flight; that chat's sender takes it next

        failures: list[Exception] = []  # the first stops every sender: the tick reports it
        room, in_flight = asyncio.Condition(), 0

        def going() -> bool:
            return not failures and self.running() and not self._paused()

        def may_send() -> bool:
            # While Telegram is failing, one message probes it: a burst sent into an outage or a
            # slow Telegram would only multiply the failed calls, and the time-outs that arrive anyway.
            return in_flight < (self.concurrency if self.answered and not self._telegram.what else 1)

        async def sender() -> None:
            nonlocal in_flight
            while going():
                async with room:
                    await room.wait_for(lambda: may_send() or not going())
                    if not going():
                        return
                    in_flight += 1
                try:
                    row = next_row()
                    if row is None:
                        return
                    outcome = await self._deliver(row["id"])
                except Exception as error:
                    failures.append(error)
                    return
                finally:
                    async with room:
                        in_flight -= 1
                        room.notify_all()
                if outcome:
                    setattr(report, outcome, getattr(report, outcome) + 1)

        await asyncio.gather(*(sender() for _ in range(self.concurrency)))
        if failures:
            raise failures[0]

    def _free_for(self, row: dict[str, Any]) -> bool:
        """Whether the pump may send this row now: its chat has nothing in flight, or, for an
        emergency answer, no other emergency answer."""
        return not (self._urgent_in_flight if _urgent(row) else self._chats_in_flight)[row["chat_id"]]

    def _paused(self) -> bool:
        return self.services.now() < max(self._held_until, self._paused_until)

    def _reminder_delay(self, checkin: dict[str, Any]) -> float:
        session = self.services.store.session(checkin["session_id"])
        clinic = self.services.clinic(session["clinic_id"])
        return clinic.reminder_after.total_seconds() / (session["clock_speed"] or 1.0)

    async def send(self, row_id: int, urgent: bool = False) -> bool:
        """Try one queued message now; True when Telegram took it. While sending is paused (Telegram
        failed, or asked us to wait) a message is left to the tick, where one probes Telegram; an
        urgent one goes anyway, and after a failure tries again on its own short schedule."""
        if not urgent:
            return not self._paused() and await self._deliver(row_id) == "sent"
        for wait in (*URGENT_RETRIES, None):
            outcome = await self._deliver(row_id)
            if outcome != "retried" or wait is None or not self.running():
                return outcome == "sent"
            await asyncio.sleep(wait)
        return False

    async def _deliver(self, row_id: int) -> str | None:
        row = self.services.store.claim_outbox(row_id)
        if row is None:
            return None
        self._database.ok("writes succeed again")  # the claim was a write
        self._sending[row_id] = (False, None)  # (Telegram took it, message id) while in flight
        chat_id, urgent = row["chat_id"], _urgent(row)
        self._chats_in_flight[chat_id] += 1
        self._urgent_in_flight[chat_id] += urgent
        try:
            return await self._deliver_claimed(row)
        except sqlite3.OperationalError:
            self._unsettled[row_id] = self._sending[row_id]  # recorded at the next tick (_settle)
            raise
        finally:
            del self._sending[row_id]
            if urgent:
                self._urgent_in_flight[chat_id] -= 1
                if not self._urgent_in_flight[chat_id]:
                    del self._urgent_in_flight[chat_id]
            self._chats_in_flight[row["chat_id"]] -= 1
            if not self._chats_in_flight[row["chat_id"]]:
                del self._chats_in_flight[row["chat_id"]]
                waiting = self._chat_free.pop(row["chat_id"], None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(None)

    async def chat_free(self, chat_id: int) -> None:
        """Wait until no message to this chat is in flight: queue the next one after that, and
        the chat's messages arrive in the order they were written."""
        while self._chats_in_flight[chat_id]:
            waiting = self._chat_free.setdefault(chat_id, asyncio.get_running_loop().create_future())
            await asyncio.shield(waiting)  # a cancelled waiter must not cancel it for the others

    async def _deliver_claimed(self, row: dict[str, Any]) -> str:
        store, row_id, urgent = self.services.store, row["id"], _urgent(row)
        wait = self._wait_for_chat(row["chat_id"], self.services.now(), urgent)
        if wait and urgent and wait <= 1 / CHAT_RATE:  # another emergency answer took the reserve just now
            await asyncio.sleep(wait)
            wait = self._wait_for_chat(row["chat_id"], self.services.now(), urgent)
        if wait:
            store.outbox_retry(row_id, self.services.now() + wait, "paced")
            return self._count("paced")
        pauses = self._pauses  # a failure is news only if no pause began since this send started
        try:
            try:
                message_id = await self._call(row)
            finally:
                self._reached_chat(row["chat_id"], self.services.now())
            self._sending[row_id] = (True, message_id)
            self.answered = True
        except Forbidden as error:
            return await self._gone(row, error)
        except BadRequest as error:
            text = str(error).lower()
            if any(marker in text for marker in ALREADY_DONE):
                store.outbox_sent(row_id, row["edit_message_id"], self.services.now())
                return self._count("sent")
            if any(marker in text for marker in GONE):
                return await self._gone(row, error)
            log.error("outbox %s (%s) refused by Telegram: %s", row_id, row["kind"], error)
            store.outbox_failed(row_id, str(error))
            return self._count("failed")
        except RetryAfter as error:
            self._telegram.failing("rate limited", f"retry after {retry_seconds(error):.0f} s; messages stay queued")
            self._held_until = max(self._held_until, self.services.now() + retry_seconds(error))
            store.outbox_retry(row_id, self.services.now() + retry_seconds(error), "rate limited")
            return self._count("retried")
        except (NetworkError, TelegramError) as error:
            now, news = self.services.now(), pauses == self._pauses
            if news:  # the sends in flight with this one fail together: one pause, not one each
                # Every send waits, longer after each failure in a row, then one probes (_send_due).
                self._pauses, self._pauses_in_a_row = self._pauses + 1, self._pauses_in_a_row + 1
                pause = min(MAX_PAUSE, 2.0 ** (self._pauses_in_a_row - 1))
                self._paused_until = max(self._paused_until, now + pause)
            detail = f"{type(error).__name__}: {error}; messages stay queued and are retried" + (
                "; one it took anyway may arrive twice" if isinstance(error, TimedOut) else "")
            self._telegram.failing(_trouble(error), detail, news)
            # Due when the pause ends (the most urgent due row probes), or later after failing again
            # and again; an emergency answer at once for its first tries (`send` retries it too).
            quick = urgent and row["attempts"] <= len(URGENT_RETRIES) + 1
            delay = 0.0 if quick else min(MAX_BACKOFF, 2.0 ** (row["attempts"] - 1))
            log.debug("outbox %s: %s; retrying in %.0f s", row_id, type(error).__name__, delay)
            store.outbox_retry(row_id, max(self._paused_until, now + delay), type(error).__name__)
            return self._count("retried")
        if pauses == self._pauses:  # it left after the last failure: Telegram is back
            self._paused_until, self._pauses_in_a_row = 0.0, 0
            self._telegram.ok("sending again")
        store.outbox_sent(row_id, message_id, self.services.now())
        return self._count("sent")

    async def _call(self, row: dict[str, Any]) -> int:
        markup = telegram_markup(json.loads(row["markup"]) if row["markup"] else None)
        common = {"parse_mode": ParseMode.HTML, "reply_markup": markup, "rate_limit_args": row["priority"]}  # see bot/delivery/pacing.py
        if row["kind"] == ERASED_PHOTO:  # a picture of a patient who had their data erased leaves the chat
            message_id = row["edit_message_id"]
            await self.bot.delete_message(row["chat_id"], message_id, rate_limit_args=row["priority"])
            return message_id
        if row["edit_message_id"]:
            result = await self.bot.edit_message_text(row["text"], chat_id=row["chat_id"], message_id=row["edit_message_id"], **common)
            return row["edit_message_id"] if result is True else result.message_id
        if row["photo"]:
            message = await self.bot.send_photo(row["chat_id"], row["photo"], caption=row["text"], **common)
        else:
            message = await self.bot.send_message(row["chat_id"], row["text"], link_preview_options=NO_PREVIEW, **common)
        return message.message_id

    async def _gone(self, row: dict[str, Any], error: TelegramError) -> str:
        """The chat cannot be reached any more: stop sending to it and let the owner react."""
        log.warning("outbox %s: its chat is unreachable (%s)", row["id"], type(error).__name__)  # no chat ids
        self.services.store.outbox_failed(row["id"], str(error))
        self.services.store.cancel_outbox_for_chat(row["chat_id"])
        await self.hooks.on_unreachable(self.services, row["chat_id"])
        return self._count("failed")

    def _count(self, outcome: str) -> str:
        self.counts[outcome] += 1
        return outcome
