"""An alert after "I'm handling it": every copy shows who took it (also a copy still in flight
when the button was pressed), the patient is told the clinic has seen it, staff close it with an
outcome and a note, and write to the patient through the bot, signed.

A prompt (a note, a message to the patient) is a row: the staff member answers by replying to
the prompt's message (a group with privacy mode shows the bot replies only), or by writing in
their private chat within `PROMPT_MINUTES`. The caller has checked that the staff member is staff
of the alert's clinic. Imports the pure packages and `bot.store` (through `Services`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.followup.status import AlertStatus, MessageKind, PatientStatus
from bot.render import html as render
from bot.render import lifecycle as texts
from bot.render.alerts import patient_name, staff_name
from bot.render.html import Safe
from bot.store.lifecycle import MESSAGE, NOTE
from bot.store.rows import OutboxMessage

if TYPE_CHECKING:
    from bot.guidance.config import Clinic
    from bot.services.shared import Services

log = logging.getLogger(__name__)


def _about(services: Services, alert: dict[str, Any]) -> tuple[Clinic, dict[str, Any], dict[str, Any]]:
    """The alert's clinic, follow-up and patient (empty when erased)."""
    session = services.store.session(alert["session_id"]) or {}
    patient = services.store.patient(session["patient_id"]) if session else None
    return services.clinic(alert["clinic_id"]), session, patient or {}


def _say(services: Services, clinic: Clinic, key: str, **values: object) -> Safe:
    return render.message(services.guidance(clinic.id), key, clinic.language, **values)


async def show_taken(services: Services, alert_id: int, current: str | None = None) -> None:
    """Edit every copy of the alert sent so far to show who took it (and how it was closed), on
    `current`, the alert's text as of now, when given (else each copy's own)."""
    store = services.store
    alert = store.alert(alert_id)
    if alert is None or alert["status"] == AlertStatus.OPEN:
        return
    clinic, session, _ = _about(services, alert)
    guidance = services.guidance(clinic.id)
    for row in store.sent_alert_messages(alert_id):
        if row["message_id"] is None:
            continue
        text, markup = texts.taken_copy(guidance, clinic, current or row["text"], alert)
        await services.edit(
            row["chat_id"],
            row["message_id"],
            text,
            markup,
            kind=MessageKind.ALERT_ACK,
            patient_id=session.get("patient_id"),
        )


async def copy_sent(services: Services, row: OutboxMessage, message_id: int | None) -> None:
    """A copy of an alert reached Telegram: if the alert was taken while it was in flight, its
    edit is queued (sent by the tick), so no copy keeps a live "I'm handling it"."""
    if row.kind != MessageKind.ALERT or row.ref_id is None or message_id is None:
        return
    alert = services.store.alert(row.ref_id)
    if alert is None or alert["status"] == AlertStatus.OPEN:
        return
    clinic, session, _ = _about(services, alert)
    text, markup = texts.taken_copy(services.guidance(clinic.id), clinic, row.text, alert)
    services.queue(
        row.chat_id,
        MessageKind.ALERT_ACK,
        text,
        markup,
        edit_message_id=message_id,
        patient_id=session.get("patient_id"),
    )
    log.info("alert %s: a copy sent after it was taken is edited", alert["id"])


async def tell_patient_seen(services: Services, alert: dict[str, Any]) -> None:
    """Tell the patient, in their language, that the clinic has seen what they said; nothing to
    a patient who stopped or cannot be reached."""
    clinic, _, patient = _about(services, alert)
    if patient.get("status") != PatientStatus.ACTIVE:
        return
    text = render.message(
        services.guidance(clinic.id),
        "alert_seen_patient",
        patient["language"] or "en",
        clinic_name=clinic.name,
        emergency_number=clinic.emergency_number,
    )
    await services.say(patient["telegram_id"], MessageKind.REPLY, text, ref_id=alert["id"])


async def close(
    services: Services, alert_id: int, staff_id: int, outcome: str, chat_id: int | None, note: str = ""
) -> Safe | None:
    """Close the alert with `outcome`, show it on every copy, and store `note`, or ask in `chat_id`
    for one (the web page gives it with the outcome: no chat). None when done; otherwise what the
    presser is told (closed already, not taken yet)."""
    store = services.store
    alert = store.alert(alert_id)
    assert alert is not None  # the caller read it a moment ago, on this event loop
    clinic, session, _ = _about(services, alert)
    if outcome not in services.guidance(clinic.id).alert_outcomes:
        return _say(services, clinic, "stale_button")
    if not store.close_alert(alert_id, staff_id, outcome, services.now()):
        alert = store.alert(alert_id) or alert
        if alert["status"] == AlertStatus.CLOSED:
            return texts.closed_note(services.guidance(clinic.id), clinic, alert, "alert_already_closed")
        return _say(services, clinic, "alert_not_acknowledged")
    log.info("alert %s closed", alert_id)  # by whom and how is in its row
    await show_taken(services, alert_id)
    if note.strip():
        store.add_alert_note(alert_id, note.strip())
    elif session and chat_id is not None:
        label = texts.outcome_label(services.guidance(clinic.id), outcome, clinic.language)
        await ask(services, alert, staff_id, chat_id, NOTE, "alert_note_prompt", outcome=label)
    return None


async def ask(
    services: Services,
    alert: dict[str, Any],
    staff_id: int,
    chat_id: int,
    purpose: str,
    key: str,
    **values: Any,
) -> Safe | None:
    """Ask the staff member in `chat_id` for a note or a message to the patient (message `key`),
    with the reply field open. Returns what to tell them instead when there is no one to write to."""
    clinic, session, patient = _about(services, alert)
    name = {"first_name": patient_name(patient), "patient_id": session.get("patient_id", "?")}
    if not session or (purpose == MESSAGE and patient.get("status") != PatientStatus.ACTIVE):
        return _say(services, clinic, "staff_message_unreachable", **name)
    store = services.store
    prompt = store.add_staff_prompt(session["id"], alert["id"], staff_id, chat_id, purpose, services.now())
    text = _say(
        services,
        clinic,
        key,
        **name,
        minutes=texts.PROMPT_MINUTES,
        staff_name=staff_name(clinic, staff_id),
        clinic_name=clinic.name,
        **values,
    )
    await services.chat_free(chat_id)
    row = services.queue(chat_id, MessageKind.STAFF, text, texts.FORCE_REPLY, patient_id=patient.get("id"))
    store.prompt_sent_as(prompt, row)
    await services.delivery.send(row)
    return None


async def answer(services: Services, prompt: dict[str, Any], staff_id: int, words: str) -> Safe | None:
    """The staff member's reply to a prompt: a note stored on the alert, or a message relayed to
    the patient signed and stored on the timeline. Returns their confirmation (None: answered already)."""
    store, now = services.store, services.now()
    alert = store.alert(prompt["alert_id"])
    if alert is None or not words.strip() or not store.finish_prompt(prompt["id"], now):
        return None
    clinic, session, patient = _about(services, alert)
    name = {"first_name": patient_name(patient), "patient_id": session.get("patient_id", "?")}
    if prompt["purpose"] == NOTE:
        store.add_alert_note(alert["id"], words.strip())
        return _say(services, clinic, "alert_note_saved", **name)
    return await relay(services, alert, staff_id, words)


async def relay(services: Services, alert: dict[str, Any], staff_id: int, words: str) -> Safe:
    """Staff's words to the alert's patient, signed, in the outbox and on the timeline (from a
    prompt's reply in Telegram, or the web page's form). Returns the staff member's confirmation."""
    clinic, session, patient = _about(services, alert)
    name = {"first_name": patient_name(patient), "patient_id": session.get("patient_id", "?")}
    if not session or patient.get("status") != PatientStatus.ACTIVE:
        return _say(services, clinic, "staff_message_unreachable", **name)
    guidance = services.guidance(clinic.id)
    text = texts.signed(guidance, clinic, patient["language"] or "en", staff_id, words)
    services.store.add_staff_message(session["id"], alert["id"], staff_id, words.strip(), services.now())
    log.info("alert %s: a staff message relayed to the patient", alert["id"])
    await services.say(patient["telegram_id"], MessageKind.CLINIC_MESSAGE, text, patient_id=patient["id"])
    return _say(services, clinic, "staff_message_sent", **name, text=words.strip())
