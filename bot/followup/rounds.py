"""Alert-round arithmetic: who is told in each round of an alert, and when the next round is due (pure).

Rounds are a pure function of the round number and the clinic's staff list, so nothing about
who was told needs storing:

- round 0: the session's practitioner, or every practitioner of the clinic when the session
  has none (every staff member if the clinic has no practitioner);
- round n > 0: the next staff member in config order not told in round 0, then, once all have
  been told, one staff member a round cycling through the whole list in config order;
- every round also goes to the clinic's alert chat, if it has one.

Staff alerts ignore quiet hours, whatever the bucket: a clinician decides when to look.
Imports `bot.guidance` only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.guidance.config import Clinic


def first_recipients(clinic: Clinic, practitioner_id: int | None) -> list[int]:
    """The staff told first: the session's practitioner, else every practitioner, else everyone."""
    if practitioner_id is not None and clinic.is_staff(practitioner_id):
        return [practitioner_id]
    practitioners = [s.telegram_id for s in clinic.staff if s.role == "practitioner"]
    return practitioners or [s.telegram_id for s in clinic.staff]


def round_recipients(clinic: Clinic, practitioner_id: int | None, round_: int) -> list[int]:
    """The chats (staff user ids, then the alert chat) that round `round_` of an alert goes to."""
    first = first_recipients(clinic, practitioner_id)
    if round_ == 0:
        people = first
    else:
        everyone = [s.telegram_id for s in clinic.staff]
        rest = [i for i in everyone if i not in first]
        step = round_ - 1
        people = [rest[step]] if step < len(rest) else [everyone[(step - len(rest)) % len(everyone)]]
    if clinic.alert_chat_id is not None and clinic.alert_chat_id not in people:
        people = [*people, clinic.alert_chat_id]
    return people


def renotify_seconds(clinic: Clinic, session: Mapping[str, Any] | None) -> float:
    """Real seconds until an unacknowledged alert is sent again (faster under a demo clock)."""
    speed = (session or {}).get("clock_speed") or clinic.clock_speed
    return clinic.alert_renotify_after.total_seconds() / speed
