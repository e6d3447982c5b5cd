"""The statuses a follow-up's rows move through, and the kinds of outgoing message (pure).

A StrEnum is a str: it binds as an SQL parameter and is stored as its value, and a value read
back compares equal to its member, so callers may still compare with plain strings while they
move to these names. Imports nothing of the bot.
"""

from __future__ import annotations

from enum import StrEnum


class PatientStatus(StrEnum):
    ACTIVE = "active"
    OPTED_OUT = "opted_out"  # the patient sent /stop
    UNREACHABLE = "unreachable"  # Telegram refuses messages to them (blocked the bot)


class SessionStatus(StrEnum):
    """A follow-up: one treatment's 72 hours."""

    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"  # every check-in sent or settled
    STOPPED = "stopped"  # by /stop, or when the patient became unreachable
    REPLACED = "replaced"  # a newer follow-up of the same patient started


class CheckinStatus(StrEnum):
    PENDING = "pending"  # waits for its due time
    PAUSED = "paused"  # its follow-up is paused
    SENT = "sent"  # queued to the patient, not answered yet
    ANSWERED = "answered"
    MISSED = "missed"  # unanswered when the next one went out, or long after the last
    MISSED_OUTAGE = "missed_outage"  # overtaken by a later one while the bot or Telegram was down
    SKIPPED = "skipped"  # fell due while its follow-up was paused
    CANCELLED = "cancelled"  # its follow-up ended before it fell due


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"  # a staff member is handling it
    CLOSED = "closed"  # with the outcome a staff member chose


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender
    SENT = "sent"
    FAILED = "failed"  # refused by Telegram for good
    CANCELLED = "cancelled"  # no longer to be sent (acknowledged alert, unreachable chat, overtaken)
    SUPERSEDED = "superseded"  # an answer replaced by a newer one before it went out


class MessageKind(StrEnum):
    """What an outbox row is: it decides what erasure, supersession and cancellation reach."""

    REPLY = "reply"  # to the patient: a command's answer, a notice
    ANSWER = "answer"  # to the patient's words: superseded by a newer one
    CHECKIN = "checkin"
    REMINDER = "reminder"
    MISSED = "missed"  # to the patient: a check-in went unanswered
    EDIT = "edit"  # an edit of a message already sent
    STAFF = "staff"  # to staff: a command's answer, a notice about a patient
    STAFF_EDIT = "staff_edit"  # an edit of the enrolment wizard's message
    ENROL_QR = "enrol_qr"  # an enrolment link's QR code
    ALERT = "alert"
    ALERT_CHART = "alert_chart"  # the soreness chart sent with an alert
    ALERT_PHOTO = "alert_photo"  # the patient's photo forwarded with an alert
    ALERT_ACK = "alert_ack"  # an alert's copy edited to say who acknowledged it
    ALERT_UPDATE = "alert_update"  # an alert's copy edited with a later finding folded into it
    CLINIC_MESSAGE = "clinic_message"  # to the patient: a staff member's words, signed
    ERASED = "erased"  # a staff copy about an erased patient, edited to say so
    ERASED_PHOTO = "erased_photo"  # a picture of an erased patient, deleted from a staff chat


RUNNING_SESSIONS = (SessionStatus.ACTIVE, SessionStatus.PAUSED)
# The follow-ups a patient can still talk to: never an older one, which may be another clinic's.
CURRENT_SESSIONS = (*RUNNING_SESSIONS, SessionStatus.COMPLETED)
OPEN_CHECKINS = (CheckinStatus.PENDING, CheckinStatus.PAUSED)  # not yet sent nor settled
UNSENT_MESSAGES = (OutboxStatus.PENDING, OutboxStatus.SENDING)
ALERT_KINDS = (MessageKind.ALERT, MessageKind.ALERT_CHART, MessageKind.ALERT_PHOTO)  # about one alert
# To staff, and may list a patient or carry an enrolment link.
STAFF_VIEWS = (MessageKind.STAFF, MessageKind.STAFF_EDIT, MessageKind.ENROL_QR)
