"""Rows that leave the store for another package, as small typed records (NamedTuples).

Statuses and kinds arrive as their StrEnum (bot/followup/status.py); a NamedTuple still
compares, prints and writes to CSV like the plain values. `of` takes the columns in field
order, straight from a cursor; `from_row` takes a row read by column name.

The report reads its rows typed, the sender its OutboxMessage and the tick (bot/services/due.py)
its DueCheckin and DueAlert; those three are checked against the schema (tests/test_store.py).

Imports `bot.followup.status` only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from bot.followup.status import AlertStatus, CheckinStatus, MessageKind, SessionStatus


class ReportSession(NamedTuple):
    id: int
    patient_id: int
    treated_at: float
    status: SessionStatus

    @classmethod
    def of(cls, id: int, patient_id: int, treated_at: float, status: str) -> ReportSession:
        return cls(id, patient_id, treated_at, SessionStatus(status))


class ReportCheckin(NamedTuple):
    id: int
    session_id: int
    patient_id: int
    treated_at: float
    idx: int
    hours: float
    due_at: float
    sent_at: float | None
    answered_at: float | None
    status: CheckinStatus

    @classmethod
    def of(
        cls,
        id: int,
        session_id: int,
        patient_id: int,
        treated_at: float,
        idx: int,
        hours: float,
        due_at: float,
        sent_at: float | None,
        answered_at: float | None,
        status: str,
    ) -> ReportCheckin:
        return cls(
            id,
            session_id,
            patient_id,
            treated_at,
            idx,
            hours,
            due_at,
            sent_at,
            answered_at,
            CheckinStatus(status),
        )


class ReportAssessment(NamedTuple):
    id: int
    session_id: int
    checkin_id: int | None
    bucket: str
    created_at: float


class ReportAlert(NamedTuple):
    id: int
    session_id: int
    assessment_id: int | None
    checkin_id: int | None  # of the assessment that raised it
    bucket: str
    status: AlertStatus
    created_at: float
    acknowledged_at: float | None
    outcome: str | None = None  # how staff closed it (an id of outcomes.toml); None while not closed

    @classmethod
    def of(
        cls,
        id: int,
        session_id: int,
        assessment_id: int | None,
        checkin_id: int | None,
        bucket: str,
        status: str,
        created_at: float,
        acknowledged_at: float | None,
        outcome: str | None = None,
    ) -> ReportAlert:
        return cls(
            id,
            session_id,
            assessment_id,
            checkin_id,
            bucket,
            AlertStatus(status),
            created_at,
            acknowledged_at,
            outcome,
        )


class OutboxMessage(NamedTuple):
    """A queued message as a sender sends it: to `chat_id`, a new message or (with
    `edit_message_id`) an edit, with `photo` (bytes or a Telegram file_id) its text is a caption."""

    id: int
    chat_id: int
    kind: MessageKind
    text: str
    markup: dict[str, Any] | None  # decoded from its JSON
    priority: int  # lower goes first; below 0 is urgent
    attempts: int
    edit_message_id: int | None
    photo: bytes | str | None
    ref_id: int | None = None  # the row it is about (an alert's copy: the alert)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> OutboxMessage:
        return cls(
            row["id"],
            row["chat_id"],
            MessageKind(row["kind"]),
            row["text"],
            json.loads(row["markup"]) if row["markup"] else None,
            row["priority"],
            row["attempts"],
            row["edit_message_id"],
            row["photo"],
            row.get("ref_id"),
        )


class DueCheckin(NamedTuple):
    """A check-in the tick queues (when due) or reminds of (when sent and unanswered)."""

    id: int
    session_id: int
    idx: int
    hours: float  # nominal hours after treatment, as the guidance names the check-in
    due_at: float
    reminder_due_at: float | None
    sent_at: float | None  # when its message was queued; a reminder says it
    after_alert: int = 0  # 1: the first check-in after an alert, which asks if the patient reached the clinic

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DueCheckin:
        return cls(*(row[name] for name in cls._fields))


class DueAlert(NamedTuple):
    """An open alert whose next round to staff has fallen due."""

    id: int
    session_id: int
    assessment_id: int | None
    clinic_id: str
    bucket: str
    notify_count: int  # rounds sent so far
    created_at: float

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DueAlert:
        return cls(*(row[name] for name in cls._fields))
