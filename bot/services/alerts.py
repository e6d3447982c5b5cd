"""Practitioner alerts: each round's messages, the pictures behind round 0, and acknowledgement.

An alert is a row; the delivery tick asks `alert_round` for each round that falls due and
queues the result in the outbox in the same transaction that moves the alert on, so no round
is lost or sent twice across restarts. Who each round goes to is `bot.followup.rounds`; what
an alert says is `bot.render.alerts`: this module reads the rows they need and queues the result.
Imports the pure packages, `bot.store` (through `Services`, and its typed `DueAlert`) and
`bot.clinic.chart`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from bot.clinic.chart import scores_chart
from bot.followup.rounds import renotify_seconds, round_recipients
from bot.followup.status import AlertStatus, MessageKind
from bot.render import alerts as texts
from bot.render import html as render
from bot.render.html import Safe
from bot.render.outgoing import Outgoing
from bot.services import alert_lifecycle
from bot.store.rows import DueAlert

if TYPE_CHECKING:
    from bot.services.shared import Services

log = logging.getLogger(__name__)


def alert_round(services: Services, alert: DueAlert) -> tuple[list[Outgoing], float]:
    """The messages of the alert's next round (one per chat), and when the round after is due."""
    clinic = services.clinic(alert.clinic_id)
    session = services.store.session(alert.session_id)
    round_ = alert.notify_count
    next_at = services.now() + renotify_seconds(clinic, session)
    if session is None:  # erased with the patient; nothing left to tell
        return [], next_at
    guidance = services.guidance(clinic.id)
    text = alert_text(services, alert, session)
    if round_ > 0:
        text = texts.renotified(guidance, clinic, text)
    markup = texts.ack_keyboard(guidance, clinic, alert.id)
    chats = round_recipients(clinic, session["practitioner_id"], round_)
    log.info("alert %s round %s to %d chats", alert.id, round_, len(chats))
    return [
        Outgoing(
            text,
            markup,
            chat_id=chat,
            kind=MessageKind.ALERT,
            patient_id=session["patient_id"],
        )
        for chat in chats
    ], next_at


def alert_text(services: Services, alert: DueAlert, session: dict[str, Any]) -> Safe:
    """The alert's text from the rows it reads (patient, assessments, answers)."""
    clinic = services.clinic(alert.clinic_id)
    store = services.store
    return texts.alert_text(
        services.guidance(clinic.id),
        clinic,
        alert.bucket,
        alert.assessment_id,
        session,
        store.patient(session["patient_id"]) or {},
        store.assessments(session["id"]),
        store.session_answers(session["id"]),
        services.now(),
    )


async def after_first_round(services: Services, alert: DueAlert, chats: list[int]) -> int:
    """After an alert's first round is queued: the soreness chart and the patient's photos not
    yet sent to staff, to the same chats, behind the alert's text. Returns the pictures queued."""
    charts = await send_chart(services, alert, chats)
    if alert.notify_count or not chats:  # a reminder repeats the text, not the pictures
        return charts
    session = services.store.session(alert.session_id)
    return charts + (forward_photos(services, alert, session, chats) if session else 0)


def forward_photos(
    services: Services, alert: DueAlert, session: dict[str, Any], chats: list[int] | None = None
) -> int:
    """The follow-up's photos not yet sent to staff, by Telegram file_id, to `chats` (by
    default those the alert's first round went to), as part of `alert`."""
    clinic = services.clinic(alert.clinic_id)
    chats = chats if chats is not None else round_recipients(clinic, session["practitioner_id"], 0)
    patient = services.store.patient(session["patient_id"]) or {}
    caption = render.message(
        services.guidance(clinic.id),
        "alert_photo_caption",
        clinic.language,
        first_name=texts.patient_name(patient),
    )
    sent = services.store.forward_photos(session["id"], alert.id, chats, caption, services.now())
    if sent:
        log.info("alert %s: %d photos queued to %d chats", alert.id, sent, len(chats))
    return sent


async def send_chart(services: Services, alert: DueAlert, chats: list[int]) -> int:
    """After an alert's first round is queued: the patient's soreness chart to the same chats.

    Queued in the outbox behind the alert texts (priority 1, so each chat gets the text first)
    and sent by the same tick; nothing when the session has no score. The rows are read here and
    the picture is drawn in a worker thread, so drawing holds up no other chat. A chart that
    cannot be drawn is logged and skipped: it must never hold up an alert. Returns the photos queued."""
    if alert.notify_count:  # round 0 only: a reminder repeats the text, not the picture
        return 0
    store = services.store
    session = store.session(alert.session_id)
    if session is None or not chats:
        return 0
    clinic = services.clinic(alert.clinic_id)
    try:
        name = texts.patient_name(store.patient(session["patient_id"]) or {})
        scores, guidance = store.assessments(session["id"]), services.guidance(clinic.id)
        drawn = await asyncio.to_thread(scores_chart, scores, guidance, clinic.language, name)
    except Exception:  # the alert itself is queued; the picture is extra
        log.exception("alert %s: soreness chart not drawn", alert.id)
        return 0
    if drawn is None:
        return 0
    png, caption = drawn
    for chat in chats:
        store.enqueue(
            chat,
            MessageKind.ALERT_CHART,
            caption,
            None,
            services.now(),
            ref_id=alert.id,
            priority=1,
            photo=png,
            patient_id=session["patient_id"],
        )
    log.info("alert %s chart queued to %d chats", alert.id, len(chats))
    return len(chats)


async def acknowledge(services: Services, alert_id: int, staff_id: int) -> Safe | None:
    """Staff member `staff_id` takes the alert. The first press wins: every copy of the alert is
    edited to say who took it and when (a copy still in flight, once it arrives:
    `alert_lifecycle.copy_sent`), the patient is told the clinic has seen it, and None is
    returned; a later press gets back a message saying who already has it. The caller has
    checked that `staff_id` is staff of its clinic."""
    store = services.store
    alert = store.alert(alert_id)
    assert alert is not None  # the caller read it a moment ago, on this event loop
    clinic = services.clinic(alert["clinic_id"])
    guidance = services.guidance(clinic.id)
    now = services.now()
    if not store.acknowledge_alert(alert_id, staff_id, now):
        taken = store.alert(alert_id)
        if taken is None or taken["status"] == AlertStatus.OPEN:
            return render.message(guidance, "stale_button", clinic.language)
        return render.message(
            guidance,
            "alert_already_acknowledged",
            clinic.language,
            staff_name=texts.staff_name(clinic, taken["acknowledged_by"]),
            time_local=texts.local_clock(taken["acknowledged_at"], clinic),
        )
    log.info("alert %s acknowledged", alert_id)  # by whom is in its row: no Telegram id in logs
    store.cancel_alert_messages(alert_id)
    await alert_lifecycle.show_taken(services, alert_id)  # first: the other staff stop at once
    await alert_lifecycle.tell_patient_seen(services, alert)
    return None
