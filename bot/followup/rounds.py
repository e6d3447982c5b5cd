"""Alert-round arithmetic: who is told in each round of an alert, and when the next round is due (pure).

Rounds are a pure function of the round number and the clinic's staff list, so nothing about
who was told needs storing:

- round 0: the session's practitioner, or every practitioner of the clinic when the session
  has none (every staff member if the clinic has no practitioner);
- round n > 0: the next staff member in config order not told in round 0; once all have been
  told, an emergency goes to everyone each round, any other alert to one staff member a round,
  cycling through the whole list in config order;
- every round also goes to the clinic's alert chat, if it has one.

Staff found unreachable (they never pressed Start, or blocked the bot) are left out, as if they
were not on the list: a round is never spent waiting on someone Telegram will not deliver to.

When: the first round goes at once, day or night. An emergency is re-sent every
`emergency_renotify_after` until acknowledged. Any other alert is re-sent every
`alert_renotify_after`, at any hour when a rule the guidance marks `same_day` raised it, else
only within the clinic's opening hours; after `max_alert_rounds` rounds it stops, and the admins
get one "still unacknowledged" message. Quiet hours are for patients, not staff.
Imports `bot.guidance` only."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from bot.guidance.config import Clinic
from bot.guidance.model import Guidance

EMERGENCY = "emergency"


def first_recipients(clinic: Clinic, practitioner_id: int | None, skip: Collection[int] = ()) -> list[int]:
    """The staff told first: the session's practitioner, else every practitioner, else everyone."""
    if practitioner_id is not None and clinic.is_staff(practitioner_id) and practitioner_id not in skip:
        return [practitioner_id]
    reachable = [s for s in clinic.staff if s.telegram_id not in skip]
    practitioners = [s.telegram_id for s in reachable if s.role == "practitioner"]
    return practitioners or [s.telegram_id for s in reachable]


def round_recipients(
    clinic: Clinic,
    practitioner_id: int | None,
    round_: int,
    skip: Collection[int] = (),
    bucket: str = "contact_practitioner",
) -> list[int]:
    """The chats (staff user ids, then the alert chat) that round `round_` of an alert goes to,
    leaving out the chats in `skip` (found unreachable)."""
    first = first_recipients(clinic, practitioner_id, skip)
    everyone = [s.telegram_id for s in clinic.staff if s.telegram_id not in skip]
    rest = [i for i in everyone if i not in first]
    step = round_ - 1
    if round_ == 0:
        people = first
    elif step < len(rest):
        people = [rest[step]]
    elif bucket == EMERGENCY or not everyone:
        people = everyone
    else:
        people = [everyone[(step - len(rest)) % len(everyone)]]
    chat = clinic.alert_chat_id
    if chat is not None and chat not in people and chat not in skip:
        people = [*people, chat]
    return people


def admins(clinic: Clinic, skip: Collection[int] = ()) -> list[int]:
    """Who is told that an alert stopped unacknowledged: the admins, else all staff (reachable)."""
    reachable = [s for s in clinic.staff if s.telegram_id not in skip]
    chosen = [s.telegram_id for s in reachable if s.role == "admin"]
    return chosen or [s.telegram_id for s in reachable]


def rounds_exhausted(clinic: Clinic, bucket: str, round_: int) -> bool:
    """Whether round `round_` of an alert is past its last: the admins' message instead."""
    return bucket != EMERGENCY and round_ >= clinic.max_alert_rounds


def next_round_at(clinic: Clinic, bucket: str, same_day: bool, now: float, speed: float = 1.0) -> float:
    """When the round after one queued at `now` falls due (`speed`: a demo clock's)."""
    if bucket == EMERGENCY:
        return now + clinic.emergency_renotify_after.total_seconds() / speed
    at = now + clinic.alert_renotify_after.total_seconds() / speed
    if same_day or clinic.opening_hours is None:
        return at
    return clinic.opening_hours.next_opening(at, clinic.timezone)


def is_same_day(guidance: Guidance, rule_ids: Iterable[str], areas: Iterable[str | None]) -> bool:
    """Whether a rule that fired needs the clinic the same day (rules.toml `same_day`): "always",
    or "thoracic" when a treated area is thoracic-risk (an unknown or missing one counts, A3)."""
    treated = list(areas)
    thoracic = not treated or any(guidance.is_thoracic(a) for a in treated)
    marks = {rule.id: rule.same_day for rule in guidance.rules}
    return any(marks.get(i) == "always" or (marks.get(i) == "thoracic" and thoracic) for i in rule_ids)


def demo_speed(clinic: Clinic, session: Mapping[str, Any] | None) -> float:
    """How much faster than real time the session's clock runs (1 in real use)."""
    return float((session or {}).get("clock_speed") or clinic.clock_speed)
