"""Practitioner alerts: each round's messages, the pictures behind round 0, an open alert's
copies edited when a later finding is folded into it (and its chart, when the finding has a
score), and acknowledgement.

An alert is a row; the delivery tick asks `alert_round` for each round that falls due and
queues the result in the outbox in the same transaction that moves the alert on, so no round
is lost or sent twice across restarts. Who each round goes to is `bot.followup.rounds`; what
an alert says is `bot.render.alerts`: this module reads the rows they need and queues the result.
Imports the pure packages, `bot.store` (through `Services`, and its typed `DueAlert`) and
`bot.clinic.chart`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from bot.clinic.chart import scores_chart
from bot.followup.rounds import (
    EMERGENCY,
    admins,
    demo_speed,
    is_same_day,
    next_round_at,
    round_recipients,
    rounds_exhausted,
)
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


def alert_round(services: Services, alert: DueAlert) -> tuple[list[Outgoing], float | None]:
    """The messages of the alert's next round (one per chat), and when the round after is due
    (None: none after it). Past its last round, a contact alert's round is the admins' one
    "still unacknowledged" message."""
    clinic = services.clinic(alert.clinic_id)
    session = services.store.session(alert.session_id)
    round_, now = alert.notify_count, services.now()
    if session is None:  # erased with the patient; nothing left to tell
        return [], None
    guidance = services.guidance(clinic.id)
    skip = services.store.unreachable_chats()
    text = alert_text(services, alert, session)
    if rounds_exhausted(clinic, alert.bucket, round_):
        chats, next_at = admins(clinic, skip), None
        header = render.message(guidance, "alert_still_unacknowledged", clinic.language, rounds=round_)
        text = Safe(f"{header}\n\n{text}")
    else:
        chats = round_recipients(clinic, session["practitioner_id"], round_, skip, alert.bucket)
        same_day = alert.bucket != EMERGENCY and _same_day(services, alert, session)
        next_at = next_round_at(clinic, alert.bucket, same_day, now, demo_speed(clinic, session))
        text = texts.renotified(guidance, clinic, text) if round_ > 0 else text
    markup = texts.ack_keyboard(guidance, clinic, alert.id)
    log.info("alert %s round %s to %d chats", alert.id, round_, len(chats))
    return [
        Outgoing(text, markup, chat_id=chat, kind=MessageKind.ALERT, patient_id=session["patient_id"])
        for chat in chats
    ], next_at


def _same_day(services: Services, alert: DueAlert, session: dict[str, Any]) -> bool:
    """Whether a rule behind the alert (its assessment, or a later one it was updated with)
    needs the clinic the same day."""
    rules = [
        rule_id
        for a in services.store.assessments(session["id"])
        if alert.assessment_id is None or a["id"] >= alert.assessment_id
        for rule_id in a["rules"]
    ]
    areas = json.loads(session["areas"] or "[]")
    return is_same_day(services.guidance(alert.clinic_id), rules, areas)


def alert_text(services: Services, alert: DueAlert, session: dict[str, Any]) -> Safe:
    """The alert's text from the rows it reads (the alert, patient, assessments, answers)."""
    clinic = services.clinic(alert.clinic_id)
    store = services.store
    return texts.alert_text(
        services.guidance(clinic.id),
        clinic,
        store.alert(alert.id) or alert._asdict(),
        session,
        store.patient(session["patient_id"]) or {},
        store.assessments(session["id"]),
        store.session_answers(session["id"]),
        services.now(),
    )


def restate(services: Services, alert_id: int) -> list[int]:
    """A later finding was folded into the open alert: each copy already in Telegram is edited
    to its new text, through the outbox (the tick sends the edits), keeping its button and a
    reminder's prefix; copies still waiting go out with the new text. Inside the caller's
    transaction. Returns the outbox rows of the edits, to send once it is committed."""
    store = services.store
    row = store.alert(alert_id)
    session = store.session(row["session_id"]) if row else None
    if row is None or session is None:
        return []
    alert = DueAlert.from_row(row)
    clinic = services.clinic(alert.clinic_id)
    guidance = services.guidance(clinic.id)
    text = alert_text(services, alert, session)
    prefix = texts.renotify_prefix(guidance, clinic)
    markup = texts.ack_keyboard(guidance, clinic, alert_id)
    copies = store.restate_alert(alert_id, text, prefix)
    edits = [
        services.queue(
            copy["chat_id"],
            MessageKind.ALERT_UPDATE,
            prefix + text if copy["text"].startswith(prefix) else text,
            markup,
            ref_id=alert_id,
            edit_message_id=copy["message_id"],
            patient_id=session["patient_id"],
        )
        for copy in copies
    ]
    log.info("alert %s updated: %d copies edited", alert_id, len(edits))
    return edits


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
    if chats is None:
        chats = round_recipients(clinic, session["practitioner_id"], 0, services.store.unreachable_chats())
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
    """After an alert's first round is queued: the patient's soreness chart to the same chats,
    behind the alert texts (`queue_chart`). Returns the photos queued."""
    if alert.notify_count:  # round 0 only: a reminder repeats the text, not the picture
        return 0
    return len(await queue_chart(services, alert, chats))


async def chart_after_growth(services: Services, edits: tuple[int, ...]) -> int:
    """An open alert grew in place: `edits` are the outbox rows that edit its copies. When the
    finding it grew with has a score, the chats holding a copy get the updated chart (once per
    change, `queue_chart`), sent now if the chat allows (the tick sends it otherwise). A finding
    without a score changes no score, so its edit says all. Returns the photos queued."""
    store, chats_of = services.store, dict[int, list[int]]()
    for row in filter(None, map(store.outbox_row, edits)):
        if row["kind"] == MessageKind.ALERT_UPDATE and row["ref_id"] is not None:
            chats_of.setdefault(row["ref_id"], []).append(row["chat_id"])
    queued: list[int] = []
    for alert_id, chats in chats_of.items():
        alert = store.alert(alert_id)
        if alert is None or alert["status"] != AlertStatus.OPEN:
            continue
        latest = alert["latest_assessment_id"]
        scored = {a["id"] for a in store.assessments(alert["session_id"]) if a["soreness"] is not None}
        if latest in scored:
            queued += await queue_chart(services, DueAlert.from_row(alert), sorted(set(chats)))
    for row_id in queued:
        await services.delivery.send(row_id)
    return len(queued)


async def queue_chart(services: Services, alert: DueAlert, chats: list[int]) -> list[int]:
    """The patient's soreness chart to `chats`, about `alert`, once per change: a chat that has
    this very chart (the same scores, alerts and caption) from this or an earlier alert about the
    patient does not get it again.

    Queued in the outbox behind the alert texts (priority 1, so each chat gets the text first)
    and sent by the tick; nothing when the session has no score. The rows are read here and
    the picture is drawn in a worker thread, so drawing holds up no other chat. A chart that
    cannot be drawn is logged and skipped: it must never hold up an alert. Returns the rows queued."""
    store = services.store
    session = store.session(alert.session_id)
    if session is None or not chats:
        return []
    clinic = services.clinic(alert.clinic_id)
    try:
        name = texts.patient_name(store.patient(session["patient_id"]) or {})
        scores, guidance = store.assessments(session["id"]), services.guidance(clinic.id)
        drawn = await asyncio.to_thread(scores_chart, scores, guidance, clinic.language, name)
    except Exception:  # the alert itself is queued; the picture is extra
        log.exception("alert %s: soreness chart not drawn", alert.id)
        return []
    if drawn is None:
        return []
    png, caption = drawn
    patient_id = session["patient_id"]
    # Drawing is deterministic: the same rows give the same bytes, so bytes compare the charts.
    unseen = [chat for chat in chats if store.last_alert_chart(chat, patient_id) != (caption, png)]
    rows = [
        store.enqueue(
            chat,
            MessageKind.ALERT_CHART,
            caption,
            None,
            services.now(),
            ref_id=alert.id,
            priority=1,
            photo=png,
            patient_id=patient_id,
        )
        for chat in unseen
    ]
    log.info("alert %s chart queued to %d of %d chats", alert.id, len(unseen), len(chats))
    return rows


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
    session = store.session(alert["session_id"]) or {}
    # Every copy says the same once taken, as of now (how long ago the patient wrote, too).
    current = alert_text(services, DueAlert.from_row(alert), session) if session else None
    await alert_lifecycle.show_taken(services, alert_id, current)  # first: the other staff stop at once
    await alert_lifecycle.tell_patient_seen(services, alert)
    return None
