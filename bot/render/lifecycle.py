"""Pure rendering of an alert after "I'm handling it": each copy's text and buttons as the alert
moves from acknowledged to closed, the outcome's label, the staff's prompts and notices, the
patient's messages, and the timeline's lines about the alert.

Data in (guidance, clinic, rows already read), Telegram HTML (`Safe`) or keyboard dicts out.
Imports `bot.guidance`, `bot.followup` and `bot.render`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.followup.status import AlertStatus
from bot.guidance.config import Clinic
from bot.guidance.model import Guidance
from bot.guidance.outcomes import LABEL_PREFIX
from bot.render import html as render
from bot.render.alerts import (
    MESSAGE,
    button_label,
    local_clock,
    local_time,
    quote,
    renotify_prefix,
    staff_name,
)
from bot.render.html import Button, Safe

CLOSE, NOTE = "sc", "sn"  # callback actions: close with an outcome, add a note
PROMPT_MINUTES = 30  # a message in the private chat answers a prompt this long after it was asked

Row = Mapping[str, Any]


def outcome_label(guidance: Guidance, outcome: str | None, language: str) -> str:
    """An outcome's label as plain text (an id the guidance no longer lists: the id)."""
    key = LABEL_PREFIX + (outcome or "")
    return button_label(guidance, key, language) if key in guidance.messages["en"] else outcome or "?"


def taken_copy(guidance: Guidance, clinic: Clinic, text: str, alert: Row) -> tuple[Safe, dict]:
    """A copy of an alert once acknowledged (`text`: the copy as sent): without the reminder
    prefix, then who took it and when and, once closed, the outcome; its buttons then close it
    (or add a note), and message the patient."""
    language = clinic.language
    lines = [
        text.removeprefix(renotify_prefix(guidance, clinic)),
        render.message(
            guidance,
            "alert_acknowledged",
            language,
            staff_name=staff_name(clinic, alert["acknowledged_by"]),
            time_local=local_clock(alert["acknowledged_at"], clinic),
        ),
    ]
    message_row = [(button_label(guidance, "alert_message_button", language), Button(MESSAGE, alert["id"]))]
    if alert["status"] == AlertStatus.CLOSED:
        lines.append(closed_note(guidance, clinic, alert, "alert_closed"))
        rows = [
            [(button_label(guidance, "alert_note_button", language), Button(NOTE, alert["id"]))],
            message_row,
        ]
    else:
        outcomes = [
            (outcome_label(guidance, outcome, language), Button(CLOSE, alert["id"], outcome))
            for outcome in guidance.alert_outcomes
        ]
        rows = [outcomes[i : i + 2] for i in range(0, len(outcomes), 2)] + [message_row]
    keyboard = render.keyboard([[(label, button.pack()) for label, button in row] for row in rows])
    return Safe(lines[0] + "\n\n" + "\n".join(lines[1:])), keyboard


def closed_note(guidance: Guidance, clinic: Clinic, alert: Row, key: str) -> Safe:
    """Who closed the alert, when, and how (`key`: alert_closed or alert_already_closed)."""
    return render.message(
        guidance,
        key,
        clinic.language,
        staff_name=staff_name(clinic, alert["closed_by"]),
        time_local=local_clock(alert["closed_at"], clinic),
        outcome=outcome_label(guidance, alert["outcome"], clinic.language),
    )


FORCE_REPLY = {"force_reply": True}  # opens the reply field to the prompt (in a group, for everyone)


def timeline_events(
    guidance: Guidance, clinic: Clinic, alerts: Sequence[Row], messages: Sequence[Row]
) -> list[tuple[float, int, str]]:
    """What staff did about the follow-up's alerts, as /patient's timeline events (time, order
    within the same time, line): taken, closed with its outcome and notes, messages sent."""
    language, events = clinic.language, []
    for alert in alerts:
        if alert["acknowledged_at"] is not None:
            who = staff_name(clinic, alert["acknowledged_by"])
            line = render.message(guidance, "timeline_handling", language, staff_name=who)
            events.append(
                (alert["acknowledged_at"], 3, f"   {local_time(alert['acknowledged_at'], clinic)} {line}")
            )
        if alert["closed_at"] is not None:
            line = render.message(
                guidance,
                "timeline_closed",
                language,
                staff_name=staff_name(clinic, alert["closed_by"]),
                outcome=outcome_label(guidance, alert["outcome"], language),
            )
            events.append((alert["closed_at"], 3, f"   {local_time(alert['closed_at'], clinic)} {line}"))
        noted_at = alert["closed_at"] or alert["acknowledged_at"] or alert["created_at"]
        for note in (alert["note"] or "").splitlines():
            text = render.message(guidance, "timeline_note", language, note=quote(note))
            events.append((noted_at, 4, f"      {text}"))
    for message in messages:
        line = render.message(
            guidance,
            "timeline_staff_message",
            language,
            staff_name=staff_name(clinic, message["staff_id"]),
            text=quote(message["text"]),
        )
        events.append((message["sent_at"], 3, f"   {local_time(message['sent_at'], clinic)} {line}"))
    return events


def signed(guidance: Guidance, clinic: Clinic, language: str, staff_id: int, text: str) -> Safe:
    """A staff member's words as the patient reads them: escaped, signed with their name and the clinic."""
    return render.message(
        guidance,
        "clinic_message",
        language,
        staff_name=staff_name(clinic, staff_id),
        clinic_name=clinic.name,
        text=text.strip(),
    )
