"""The only place that sends: claims outbox rows, paces them, sends them, retries them.

Each outbox row is claimed by a conditional update before it is sent, so a second tick or an
immediate `send` never sends it twice. Telegram's errors are sorted into permanent (the chat is
gone, or the message is wrong: recorded, never retried) and retryable (rate limit, time-out,
network, server error: retried later, so nothing is lost). A time-out may hide a delivered
message; retrying it risks a duplicate, which we prefer to a loss.

An emergency answer (priority EMERGENCY) is never held by what else goes to its chat or by a
brief fault: it may go while the chat has another message in flight, each private chat keeps a
send of its bucket in reserve for it, it goes through a pause after failures (a probe of its
own), and it retries on a short schedule of its own.

What falls due (check-ins, reminders, alert rounds) is put in the outbox by bot/services/due.py,
which then asks `send_waiting` to send it. A chat's messages go one at a time, and none while an
earlier one as urgent waits in the outbox: those of one priority arrive in the order they were
queued, while a more urgent one may go first (a reply before a check-in held back).
Imports PTB, `bot.store`, `bot.followup.status` and this package only.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ExtBot

from bot.delivery.due_rows import DueRows, is_urgent
from bot.delivery.episode import Episode
from bot.delivery.in_flight import ChatsInFlight
from bot.delivery.markup import telegram_markup
from bot.delivery.pacing import CHAT_RATE, ChatPace, retry_seconds
from bot.delivery.report import Outcome, TickReport
from bot.followup.status import MessageKind, OutboxStatus
from bot.store.database import Store
from bot.store.outbox import PACED
from bot.store.rows import OutboxMessage

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0  # the longest a failed message waits for its next try
MAX_PAUSE = 15.0  # the longest all sending pauses after Telegram failed: how late we notice it is back
# An emergency answer that failed tries again after these waits of its own, whatever the pause of
# everything else (one call each, nothing to an outage), then is left to the tick.
URGENT_RETRIES = (0.25, 0.5, 1.0, 2.0)
GONE = ("chat not found", "user is deactivated", "bot was kicked", "not enough rights to send")
ALREADY_DONE = ("message is not modified",)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# last_error of a message put back for a flood wait, and of one whose outcome the database refused
RATE_LIMITED, DATABASE_UNAVAILABLE = "rate limited", "database unavailable"

Spawn = Callable[[Coroutine[Any, Any, Any]], asyncio.Task]  # Application.create_task


def _trouble(error: TelegramError) -> str:
    """What kind of Telegram fault a retryable error shows, for the log."""
    if isinstance(error, RetryAfter):
        return RATE_LIMITED
    if isinstance(error, TimedOut):
        return "not answering in time"
    if isinstance(error, NetworkError):  # bot/telegram/transport.py names the HTTP library if no answer came
        return "unreachable" if re.match(r"aiohttp\.|Unknown error in HTTP", str(error)) else "server error"
    return "error"


@dataclass
class Delivery:
    """Sends the outbox: claims a row, paces it (overall and per chat), sends it, records the
    outcome or retries; and knows what is in flight to each chat."""

    bot: ExtBot  # with bot/delivery/pacing.py's TelegramPace, which reads each send's priority
    store: Store
    now: Callable[[], float]
    on_unreachable: Callable[[int], Awaitable[object]]  # a chat that blocked the bot: its owner reacts
    # A message Telegram took, and its id: the owner may queue (not send: it is in flight) what follows.
    on_sent: Callable[[OutboxMessage, int | None], Awaitable[object]] | None = None
    batch: int = 100  # due rows read at a time
    # Sends in flight at once: enough to keep Telegram's allowance busy while each waits for its
    # answer, few enough that a reply queued behind them waits a fraction of a second.
    concurrency: int = 8
    running: Callable[[], bool] = lambda: True  # False once the bot is stopping: no new sends
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    # False until Telegram has answered a send of this process: meanwhile the pump sends one at a
    # time, the most urgent due row probing Telegram alone. A run killed before then (a crash loop,
    # a restart into an outage) leaves one send that Telegram may have taken, not one per send in
    # flight, to be sent again by the next (bench/drill_restart.py). The bot starts with False.
    answered: bool = True
    # Sends in flight per chat, from the pump, `send` and the answers alike: the pump leaves a chat
    # with one in flight alone, which keeps a chat's messages in order; an emergency answer waits
    # only for another emergency answer in flight.
    in_flight: ChatsInFlight = field(default_factory=ChatsInFlight)
    database: Episode = field(default_factory=lambda: Episode("database", log))
    _telegram: Episode = field(default_factory=lambda: Episode("Telegram", log))
    _chat_pace: ChatPace = field(default_factory=ChatPace)
    # A claimed row whose outcome the database refused (locked, full): row -> (sent, message_id),
    # recorded at the next tick, so it is neither stuck in 'sending' nor sent twice.
    _unsettled: dict[int, tuple[bool, int | None]] = field(default_factory=dict)
    _sending: dict[int, tuple[bool, int | None]] = field(default_factory=dict)
    _held_until: float = 0.0  # after a 429: no send until then (Telegram's order; the pace holds too)
    # After a failure, no send until then but one probe (and emergency answers). A success that
    # started after the last failure ends it; failures in a row lengthen it (1 s, doubling).
    _paused_until: float = 0.0
    _pauses: int = 0  # pauses begun so far: a send notes it as it starts, to tell whether its failure is news
    _pauses_in_a_row: int = 0
    _pumping: bool = False  # one tick at a time sends; later ticks only send urgent rows
    _answer_slots: asyncio.Semaphore | None = None  # answers sent at once, as many as the pump's
    # chat -> its messages (not emergency answers) this sender put back in the outbox (paced, or
    # to retry): a later message as urgent or less waits behind them, wherever it is sent from, so
    # a chat's messages of one priority arrive in the order they were queued.
    _held: dict[int, set[int]] = field(default_factory=dict)

    def settle(self) -> int:
        """Record the outcomes the database refused earlier; how many."""
        settled = len(self._unsettled)
        for row_id, (sent, message_id) in list(self._unsettled.items()):
            if sent:
                self.store.outbox_sent(row_id, message_id, self.now())
            else:
                self.store.outbox_retry(row_id, self.now(), DATABASE_UNAVAILABLE)
            del self._unsettled[row_id]
        return settled

    async def send_waiting(self, report: TickReport) -> None:
        """Send what is waiting in the outbox, most urgent first, counting outcomes in `report`. One
        caller at a time pumps; another meanwhile sends only the emergency answers, which do not
        wait for a slow send."""
        if self._pumping:
            await self._send_urgent_due(report)
            return
        self._pumping = True
        try:
            await self._send_due(report)
        finally:
            self._pumping = False

    async def _send_urgent_due(self, report: TickReport) -> None:
        first: dict[int, int] = {}  # chat -> its first urgent row: one at a time to a chat
        due = self.store.due_outbox(self.now(), self.concurrency)
        for row in itertools.takewhile(is_urgent, due):
            if self._free_for(row):
                first.setdefault(row.chat_id, row.id)
        for outcome in await asyncio.gather(*(self._deliver(row_id) for row_id in first.values())):
            report.count(outcome)

    async def _send_due(self, report: TickReport) -> None:
        """Send every due message, most urgent first, `concurrency` at a time, until none is due.
        A burst can outlast many ticks; they queue what falls due meanwhile and this picks it up."""
        rows = DueRows(self.store, self.now, self.batch, self._free_for)
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
                    row = rows.next()
                    if row is None:
                        return
                    report.count(await self._deliver(row.id))
                except Exception as error:
                    failures.append(error)
                    return
                finally:
                    async with room:
                        in_flight -= 1
                        room.notify_all()

        await asyncio.gather(*(sender() for _ in range(self.concurrency)))
        if failures:
            raise failures[0]

    def _free_for(self, row: OutboxMessage) -> bool:
        """Whether the pump may send this row now: its chat has nothing in flight, or, for an
        emergency answer, no other emergency answer."""
        return not self.in_flight.busy(row.chat_id, is_urgent(row))

    def _paused(self) -> bool:
        return self.now() < max(self._held_until, self._paused_until)

    async def send(self, row_id: int, urgent: bool = False) -> bool:
        """Try one queued message now; True when Telegram took it. While sending is paused (Telegram
        failed, or asked us to wait) a message is left to the tick, where one probes Telegram; an
        urgent one goes anyway, and after a failure tries again on its own short schedule."""
        if not urgent:
            return not self._paused() and await self._deliver(row_id) == Outcome.SENT
        for wait in (*URGENT_RETRIES, None):
            outcome = await self._deliver(row_id)
            if outcome != Outcome.RETRIED or wait is None or not self.running():
                return outcome == Outcome.SENT
            await asyncio.sleep(wait)
        return False

    async def send_answer(self, chat_id: int, row_id: int, spawn: Spawn, urgent: bool = False) -> None:
        """Send a queued answer in the background: the handler goes on to the next update at once,
        never waiting for the chat's pace or for Telegram (a third of each reply's time in
        bench/throughput.py, README there). An urgent one goes now, beside whatever the chat has
        queued or in flight. Any other waits for the chat's earlier answers and its message in
        flight, and for a place among the answers in flight (as many as the pump sends at once),
        then is sent unless a newer answer took its place meanwhile (its claim fails).
        `spawn` is `Application.create_task`: errors reach the error handler, and stopping the
        bot waits for the send. The row is committed, so a send that fails is left to the tick."""
        if urgent:
            answer = spawn(self.send(row_id, urgent=True))
        else:
            answer = spawn(self._answer_in_turn(chat_id, row_id, self.in_flight.newest_answer(chat_id)))
        self.in_flight.answering(chat_id, answer)
        await asyncio.sleep(0)  # an urgent one claims its row now, before the tick could see it pending

    async def _answer_in_turn(self, chat_id: int, row_id: int, earlier: asyncio.Task | None) -> None:
        if earlier is not None:
            await asyncio.wait([earlier])
        await self.in_flight.sends_done(chat_id)
        if self._answer_slots is None:
            self._answer_slots = asyncio.Semaphore(self.concurrency)
        async with self._answer_slots:
            await self.send(row_id)

    async def chat_free(self, chat_id: int) -> None:
        """Wait until this chat's answers are sent and no message to it is in flight: queue the
        next one after that, and the chat's messages arrive in the order they were written."""
        await self.in_flight.chat_free(chat_id)

    async def _deliver(self, row_id: int) -> Outcome | None:
        row = self.store.claim_outbox(row_id)
        if row is None:
            return None
        self.database.ok("writes succeed again")  # the claim was a write
        self._sending[row_id] = (False, None)  # (Telegram took it, message id) while in flight
        chat_id, urgent = row.chat_id, is_urgent(row)
        self._held.get(chat_id, set()).discard(row_id)
        self.in_flight.started(chat_id, urgent)
        try:
            return await self._deliver_claimed(row)
        except sqlite3.OperationalError:
            self._unsettled[row_id] = self._sending[row_id]  # recorded at the next tick (settle)
            raise
        finally:
            del self._sending[row_id]
            self.in_flight.ended(chat_id, urgent)

    async def _deliver_claimed(self, row: OutboxMessage) -> Outcome:
        row_id, urgent = row.id, is_urgent(row)
        ahead = None if urgent else self._held_ahead(row)
        if ahead is not None:  # an earlier message to the chat waits in the outbox: this one follows it
            self._put_back(row, max(self.now(), ahead), PACED)
            return self._count(Outcome.PACED)
        wait = self._chat_pace.wait(row.chat_id, self.now(), urgent)
        if wait and urgent and wait <= 1 / CHAT_RATE:  # another emergency answer took the reserve just now
            await asyncio.sleep(wait)
            wait = self._chat_pace.wait(row.chat_id, self.now(), urgent)
        if wait:
            self._put_back(row, self.now() + wait, PACED)
            return self._count(Outcome.PACED)
        pauses = self._pauses  # a failure is news only if no pause began since this send started
        try:
            try:
                message_id = await self._call(row)
            finally:
                self._chat_pace.reached(row.chat_id, self.now())
            self._sending[row_id] = (True, message_id)
            self.answered = True
        except Forbidden as error:
            return await self._gone(row, error)
        except BadRequest as error:
            return await self._refused(row, error)
        except RetryAfter as error:
            wait = retry_seconds(error)
            self._telegram.failing(RATE_LIMITED, f"retry after {wait:.0f} s; messages stay queued")
            self._held_until = max(self._held_until, self.now() + wait)
            self._put_back(row, self.now() + wait, RATE_LIMITED)
            return self._count(Outcome.RETRIED)
        except (NetworkError, TelegramError) as error:
            return self._failed(row, error, news=pauses == self._pauses)
        if pauses == self._pauses:  # it left after the last failure: Telegram is back
            self._paused_until, self._pauses_in_a_row = 0.0, 0
            self._telegram.ok("sending again")
        self.store.outbox_sent(row_id, message_id, self.now())
        if self.on_sent is not None:
            await self.on_sent(row, message_id)
        return self._count(Outcome.SENT)

    def _put_back(self, row: OutboxMessage, due_at: float, reason: str) -> None:
        """Leave a claimed row in the outbox until `due_at`; the chat's later messages as urgent
        or less wait behind it."""
        self.store.outbox_retry(row.id, due_at, reason)
        if not is_urgent(row):
            self._held.setdefault(row.chat_id, set()).add(row.id)

    def _held_ahead(self, row: OutboxMessage) -> float | None:
        """When the last of this chat's messages put back that were queued before `row`, as
        urgent or more, falls due, if any still waits (a more urgent row goes first: a reply does
        not wait for a check-in). Those sent, superseded or cancelled meanwhile are forgotten.
        Such a row sorts before `row` among the due rows, so the pump reaches it first."""
        held = self._held.get(row.chat_id)
        if not held:
            return None
        ahead = None
        for row_id in [r for r in held if r < row.id]:
            waiting = self.store.outbox_row(row_id)
            if waiting is None or waiting["status"] != OutboxStatus.PENDING:
                held.discard(row_id)
            elif waiting["priority"] <= row.priority:
                ahead = max(ahead or 0.0, waiting["due_at"])
        if not held:
            del self._held[row.chat_id]
        return ahead

    async def _refused(self, row: OutboxMessage, error: BadRequest) -> Outcome:
        """Telegram refused the message: done already, its chat gone, or the message wrong."""
        text = str(error).lower()
        if any(marker in text for marker in ALREADY_DONE):
            self.store.outbox_sent(row.id, row.edit_message_id, self.now())
            return self._count(Outcome.SENT)
        if any(marker in text for marker in GONE):
            return await self._gone(row, error)
        log.error("outbox %s (%s) refused by Telegram: %s", row.id, row.kind, error)
        self.store.outbox_failed(row.id, str(error))
        return self._count(Outcome.FAILED)

    def _failed(self, row: OutboxMessage, error: TelegramError, news: bool) -> Outcome:
        """Telegram failed (no answer, a server error): pause sending and retry the row later.
        `news`: no pause began since the send started."""
        now = self.now()
        if news:  # the sends in flight with this one fail together: one pause, not one each
            # Every send waits, longer after each failure in a row, then one probes (_send_due).
            self._pauses, self._pauses_in_a_row = self._pauses + 1, self._pauses_in_a_row + 1
            pause = min(MAX_PAUSE, 2.0 ** (self._pauses_in_a_row - 1))
            self._paused_until = max(self._paused_until, now + pause)
        detail = f"{type(error).__name__}: {error}; messages stay queued and are retried" + (
            "; one it took anyway may arrive twice" if isinstance(error, TimedOut) else ""
        )
        self._telegram.failing(_trouble(error), detail, news)
        # Due when the pause ends (the most urgent due row probes), or later after failing again
        # and again; an emergency answer at once for its first tries (`send` retries it too).
        quick = is_urgent(row) and row.attempts <= len(URGENT_RETRIES) + 1
        delay = 0.0 if quick else min(MAX_BACKOFF, 2.0 ** (row.attempts - 1))
        log.debug("outbox %s: %s; retrying in %.0f s", row.id, type(error).__name__, delay)
        self._put_back(row, max(self._paused_until, now + delay), type(error).__name__)
        return self._count(Outcome.RETRIED)

    async def _call(self, row: OutboxMessage) -> int:
        markup = telegram_markup(row.markup)
        common: dict[str, Any] = {
            "parse_mode": ParseMode.HTML,
            "reply_markup": markup,
            "rate_limit_args": row.priority,  # bot/delivery/pacing.py's TelegramPace reads it
        }
        chat_id, text, edited = row.chat_id, row.text, row.edit_message_id
        if row.kind == MessageKind.ERASED_PHOTO and edited:  # an erased patient's picture leaves the chat
            await self.bot.delete_message(chat_id, edited, rate_limit_args=row.priority)
            return edited
        if edited:  # only an inline keyboard can be edited in
            common["reply_markup"] = markup if isinstance(markup, InlineKeyboardMarkup) else None
            result = await self.bot.edit_message_text(text, chat_id=chat_id, message_id=edited, **common)
            return edited if isinstance(result, bool) else result.message_id
        if row.photo:
            message = await self.bot.send_photo(chat_id, row.photo, caption=text, **common)
        else:
            message = await self.bot.send_message(chat_id, text, link_preview_options=NO_PREVIEW, **common)
        return message.message_id

    async def _gone(self, row: OutboxMessage, error: TelegramError) -> Outcome:
        """The chat cannot be reached any more: stop sending to it and let the owner react."""
        log.warning("outbox %s: its chat is unreachable (%s)", row.id, type(error).__name__)  # no chat ids
        self.store.outbox_failed(row.id, str(error))
        self.store.cancel_outbox_for_chat(row.chat_id)
        await self.on_unreachable(row.chat_id)
        return self._count(Outcome.FAILED)

    def _count(self, outcome: Outcome) -> Outcome:
        self.counts[outcome] += 1
        return outcome
