"""What the patients received, from the emulator's own record, and what the database says.

A check-in message is recognised by its buttons: each carries the check-in's row id
(`render.Button(action, row_id, value)`), so a copy is counted against the exact check-in, not
just the chat. The live count drives a drill's timing (kill at the n-th message); the verdict
is read again at the end from `emu.messages_to` and `emu.calls`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.emulator import BotApiEmulator, Message
from bot.render import html as render
from bot.store.database import Store

from .burst import Burst

DELIVERED = frozenset({"sent", "missed", "answered"})  # the bot handed it to Telegram
NOT_SENT_ON_PURPOSE = frozenset({"missed_outage", "cancelled", "skipped"})  # a recorded decision
SENDING_METHODS = frozenset({"sendMessage", "sendPhoto", "editMessageText"})


def checkin_of(message: Message, burst: Burst) -> int | None:
    """The seeded check-in this bot message asks, or None."""
    for button in message.buttons:
        packed = render.unpack(button.get("callback_data"))
        if packed and burst.checkins.get(packed.row_id) == message.chat_id:
            return packed.row_id
    return None


@dataclass
class Verdict:
    expected: int  # check-ins that had to reach their patient
    delivered: int  # of those, how many did (at least once)
    lost: int
    duplicated: int  # extra copies beyond one per check-in
    lost_ids: list[int]
    other_messages: int  # bot messages to patients that are not a seeded check-in
    accepted_sends: int  # sendMessage calls answered 200 to patient chats
    too_many_requests: int  # 429s the emulator answered, for any method
    violations: list[str]  # other errors the bot brought on itself

    @property
    def ok(self) -> bool:
        return self.lost == 0

    def problems(self) -> list[str]:
        """Check-ins lost, and Telegram errors the bot brought on itself."""
        problems = []
        if self.lost:
            problems.append(
                f"{self.lost} check-ins never reached their patient (row ids {self.lost_ids[:10]})"
            )
        if self.violations:
            problems.append(f"{len(self.violations)} Telegram errors the bot caused: {self.violations[:5]}")
        return problems


@dataclass
class DatabaseCheck:
    statuses: Counter  # seeded check-ins by status
    outbox: Counter  # check-in outbox rows by status
    unsent: int  # outbox rows still pending or sending, any kind
    queued_twice: int  # check-ins with more than one outbox row
    not_sent_on_purpose: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        undelivered = sum(n for s, n in self.statuses.items() if s not in DELIVERED | NOT_SENT_ON_PURPOSE)
        stuck = sum(n for s, n in self.outbox.items() if s in ("pending", "sending"))
        return undelivered == 0 and stuck == 0 and self.unsent == 0 and self.queued_twice == 0

    def problems(self) -> list[str]:
        if self.ok:
            return []
        return [
            f"database: check-ins {dict(self.statuses)}, check-in outbox {dict(self.outbox)}, "
            f"unsent {self.unsent}, queued twice {self.queued_twice}"
        ]


class Tally:
    """Counts check-in messages as the emulator accepts them; `hooks` run after each one."""

    def __init__(self, emu: BotApiEmulator, burst: Burst):
        self.emu = emu
        self.burst = burst
        self.copies: Counter[int] = Counter()
        self.first_at: dict[int, float] = {}  # check-in -> when its first copy arrived (monotonic)
        self.sent = 0  # every accepted check-in message, copies included
        self.hooks: list[Callable[[Tally], None]] = []
        self.last_sent_at = 0.0
        self._changed = asyncio.Event()
        emu.on_bot_message(self._on_message)

    def _on_message(self, message: Message, event: str) -> None:
        if event != "sent":
            return
        checkin = checkin_of(message, self.burst)
        if checkin is None:
            return
        self.copies[checkin] += 1
        self.sent += 1
        self.last_sent_at = time.monotonic()
        self.first_at.setdefault(checkin, self.last_sent_at)
        for hook in list(self.hooks):
            hook(self)
        self._changed.set()

    @property
    def distinct(self) -> int:
        return len(self.copies)

    def complete(self, settled: set[int] = frozenset()) -> bool:
        """Every seeded check-in has arrived, but those in `settled` (not sent on purpose)."""
        return all(c in self.copies or c in settled for c in self.burst.checkins)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float, poll: float = 0.5) -> bool:
        """Wake on each message (and every `poll` seconds) until `predicate()` or `timeout`."""
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(poll, left))
        return True

    def verdict(self, settled: set[int] = frozenset()) -> Verdict:
        """From the emulator's record as it stands: the chats themselves and the call log."""
        copies: Counter[int] = Counter()
        other = 0
        for person in self.burst.patients:
            for message in self.emu.messages_to(person):
                checkin = checkin_of(message, self.burst)
                if checkin is None:
                    other += 1
                else:
                    copies[checkin] += 1
        expected = [c for c in self.burst.checkins if c not in settled]
        lost = sorted(c for c in expected if not copies[c])
        chats = self.burst.chats
        accepted = sum(
            1
            for call in self.emu.calls
            if call.method == "sendMessage" and call.ok and _chat(call.params) in chats
        )
        throttled = sum(1 for call in self.emu.calls if call.status == 429)
        violations = [str(v) for v in self.emu.violations if not v.expected and v.status != 429]
        return Verdict(
            expected=len(expected),
            delivered=len(expected) - len(lost),
            lost=len(lost),
            duplicated=sum(n - 1 for n in copies.values() if n > 1),
            lost_ids=lost,
            other_messages=other,
            accepted_sends=accepted,
            too_many_requests=throttled,
            violations=violations,
        )


def _chat(params: dict) -> int | None:
    try:
        return int(params.get("chat_id"))
    except (TypeError, ValueError):
        return None


def settled_in_database(burst: Burst) -> set[int]:
    """Seeded check-ins the bot decided not to send (missed by an outage, cancelled), read-only."""
    store = Store(burst.database)
    try:
        return {
            row["id"]
            for s in burst.sessions
            for row in store.checkins(s)
            if row["status"] in NOT_SENT_ON_PURPOSE
        }
    finally:
        store.close()


def crosscheck_database(burst: Burst) -> DatabaseCheck:
    """Read the database after the bot has stopped (reads only, through Store)."""
    store = Store(burst.database)
    try:
        rows = [row for s in burst.sessions for row in store.checkins(s)]
        outbox = [
            row
            for row in store.db["outbox"].rows
            if row["kind"] == "checkin" and row["ref_id"] in burst.checkins
        ]
        per_checkin = Counter(row["ref_id"] for row in outbox)
        return DatabaseCheck(
            statuses=Counter(row["status"] for row in rows),
            outbox=Counter(row["status"] for row in outbox),
            unsent=store.unsent(),
            queued_twice=sum(1 for n in per_checkin.values() if n > 1),
            not_sent_on_purpose={row["id"] for row in rows if row["status"] in NOT_SENT_ON_PURPOSE},
        )
    finally:
        store.close()
