"""What falls due, put in the outbox at each tick: check-ins, reminders, missed check-ins and alert
rounds; then the sender (bot/delivery/sender.py) sends what is waiting.

Each due row is claimed by a conditional update as it is queued (bot/store), so a second tick, or
one running beside a long burst, never queues it twice. What the rows mean is the hooks': provided
by bot/telegram/patient.py and bot/services/alerts.py, registered in bot/telegram/app.py.
Imports bot.services.shared, bot.delivery, bot.render.outgoing and the store's typed rows."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import astuple, dataclass
from datetime import UTC, datetime

from bot.delivery.report import TickReport
from bot.followup.schedule import reminder_due
from bot.followup.status import CheckinStatus
from bot.render.outgoing import Outgoing
from bot.services.shared import Services
from bot.store.rows import DueAlert, DueCheckin

# Check-ins queued between two chances for sends to run: about 5 ms of work, well inside the
# 20 ms the pace forgives (bot/delivery/pacing.py). 560 queued in one stretch took 190 ms, in which
# no message went out (bench/delivery.py at 280/s).
QUEUE_STRETCH = 16


@dataclass(frozen=True)
class Hooks:
    """What the tick asks of the rest of the bot; it knows rows, not what they mean. A rendered
    message names its chat."""

    render_checkin: Callable[[Services, DueCheckin], Outgoing | None]  # None if the follow-up is over
    render_reminder: Callable[[Services, DueCheckin], Outgoing | None]
    alert_round: Callable[
        [Services, DueAlert], tuple[list[Outgoing], float | None]
    ]  # and the next's due time
    on_missed: Callable[[Services, int, int], Awaitable[None]]  # session, missed in a row
    on_alert_queued: Callable[[Services, DueAlert, list[int]], Awaitable[object]] | None = None  # its chats


def _chat_of(message: Outgoing) -> int:
    """The chat a rendered message goes to: the hooks name it (None would mean "the patient" to a
    caller that knows them, which the tick does not)."""
    if message.chat_id is None:
        raise ValueError(f"a {message.kind} message rendered without its chat")
    return message.chat_id


@dataclass
class Ticker:
    """At each tick, queues what has fallen due, then has the sender send what is waiting."""

    services: Services
    hooks: Hooks

    async def tick(self) -> TickReport:
        """Queue what has fallen due, then send what is waiting, most urgent first. A database
        that is locked or full fails this tick only: said once, retried at the next tick."""
        report, sender = TickReport(), self.services.delivery
        try:
            settled = sender.settle()
            await self._queue_due(report)
            await sender.send_waiting(report)
        except sqlite3.OperationalError as error:
            sender.database.failing("unavailable", f"{error}; will retry next tick")
            return report
        if settled or any(astuple(report)):  # this tick wrote: the database takes writes again
            sender.database.ok("ticks run again")
        return report

    async def _queue_due(self, report: TickReport) -> None:
        store, now = self.services.store, self.services.now()
        report.missed_by_outage = store.skip_overtaken_checkins(now)
        await self._queue_checkins(report, now)
        for session_id in store.mark_missed(now):
            report.missed += 1
            await self.hooks.on_missed(self.services, session_id, store.missed_in_a_row(session_id))
        for checkin in store.due_reminders(now):
            reminder = self.hooks.render_reminder(self.services, checkin)
            if reminder and store.queue_reminder(
                checkin.id, _chat_of(reminder), reminder.text, now, reminder.markup
            ):
                report.reminders_queued += 1
        await self._queue_alert_rounds(report, now)
        store.complete_finished_sessions()

    async def _queue_checkins(self, report: TickReport, now: float) -> None:
        store = self.services.store
        for position, checkin in enumerate(store.due_checkins(now, self.services.delivery.batch)):
            if position % QUEUE_STRETCH == QUEUE_STRETCH - 1:
                await asyncio.sleep(0)  # let the sends of a burst already under way have their slots
            message = self.hooks.render_checkin(self.services, checkin)
            if message is None:
                store.drop_checkin(checkin.id)
                continue
            reminder_at = self._reminder_at(checkin, now)
            if (
                store.queue_checkin(
                    checkin.id, _chat_of(message), message.text, message.markup, now, reminder_at
                )
                is not None
            ):
                report.checkins_queued += 1

    async def _queue_alert_rounds(self, report: TickReport, now: float) -> None:
        store = self.services.store
        for alert in store.due_alerts(now):
            messages, next_notify_at = self.hooks.alert_round(self.services, alert)
            rows = [(_chat_of(m), m.text, m.markup) for m in messages]
            if store.queue_alert_round(alert.id, alert.notify_count, next_notify_at, rows, now):
                report.alerts_queued += 1
                if self.hooks.on_alert_queued:
                    await self.hooks.on_alert_queued(self.services, alert, [chat for chat, _, _ in rows])

    def _reminder_at(self, checkin: DueCheckin, now: float) -> float | None:
        """When the check-in's reminder is due: never inside quiet hours; None when the next
        check-in comes first."""
        store = self.services.store
        session = store.session(checkin.session_id)
        assert session is not None  # the check-in was rendered from it a moment ago
        clinic = self.services.clinic(session["clinic_id"])
        delay = clinic.reminder_after / (session["clock_speed"] or 1.0)
        later = [
            c["due_at"]
            for c in store.checkins(checkin.session_id)
            if c["idx"] > checkin.idx and c["status"] == CheckinStatus.PENDING
        ]
        next_at = datetime.fromtimestamp(min(later), UTC) if later else None
        due = reminder_due(
            datetime.fromtimestamp(now, UTC), delay, clinic.timezone, clinic.quiet_hours, next_at
        )
        return None if due is None else due.timestamp()
