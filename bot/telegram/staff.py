"""Staff handlers: /active, /alerts, /patient, the Acknowledge button of alerts and the entry to
the /enrol wizard (`bot/telegram/enrol_wizard.py`). Every callback action starts with "s".

Only configured staff of a clinic see that clinic's patients: each handler names its audience
(`bot/telegram/audience.py`), and anyone else gets `staff_only` and learns nothing. Staff
commands answer in private chats, or in the clinic's alert chat; /enrol in a private chat only.
Imports `bot.services`, `bot.clinic`, `bot.render`, `bot.followup` and `bot.guidance`.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from telegram import Chat, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.clinic.chart import scores_chart
from bot.followup.status import CheckinStatus, MessageKind, SessionStatus
from bot.guidance.config import Clinic
from bot.guidance.model import Guidance
from bot.render import alerts as texts
from bot.render import html as render
from bot.render import lifecycle
from bot.render.html import escape
from bot.services.shared import Services
from bot.telegram import alert_actions, enrol_wizard, parts, replies
from bot.telegram.audience import PRIVATE, Audiences, ButtonHandler
from bot.telegram.context import AftercareContext
from bot.telegram.replies import staff_label as _label
from bot.telegram.replies import staff_text as _text

STAFF_BUTTON = r"^s[a-z_]*:"
TEXT_LIMIT = 4000
PATIENT_PHOTOS = 5  # the newest photos /patient shows: each is a message, paced about one a second
CHECKIN_MARK = {
    CheckinStatus.ANSWERED: "✅",
    CheckinStatus.SENT: "📨",
    CheckinStatus.PENDING: "⏳",
    CheckinStatus.PAUSED: "⏸",
}


def register(application: Application, audience: Audiences) -> None:
    """Add the staff's handlers (before the patient's, so their commands win)."""
    commands = {"active": active_command, "alerts": alerts_command, "patient": patient_command}
    for name, handler in commands.items():
        application.add_handler(CommandHandler(name, handler, filters=audience.staff_here))
    application.add_handler(
        CommandHandler("enrol", enrol_wizard.enrol_command, filters=PRIVATE & audience.staff)
    )
    # Anyone else, or staff in a chat that is not their clinic's: a kind refusal that tells nothing.
    application.add_handler(CommandHandler([*commands, "enrol"], refuse_command))
    application.add_handler(ButtonHandler(staff_button, STAFF_BUTTON, audience.staff))
    application.add_handler(CallbackQueryHandler(refuse_button, pattern=STAFF_BUTTON))


# ---- who may do what -----------------------------------------------------------------------


def _clinics_here(services: Services, update: Update) -> list[Clinic]:
    """The clinics whose patients this user may see in this chat: their own, in a private chat
    or in the clinic's alert chat."""
    chat = parts.chat(update)
    return services.config.clinics_seen_in(parts.sender(update).id, chat.id, chat.type == Chat.PRIVATE)


async def refuse_command(update: Update, context: AftercareContext) -> None:
    """A staff command from someone who is not staff here."""
    services = context.services
    clinics = services.staff_clinics(parts.sender(update).id)
    await services.say(
        parts.chat(update).id,
        MessageKind.STAFF,
        _text(services, clinics[0] if clinics else None, "staff_only"),
    )


async def refuse_button(update: Update, context: AftercareContext) -> None:
    """A staff button pressed by someone who is not staff."""
    await replies.reply_kindly(context, update, _text(context.services, None, "staff_only"))


# ---- /active, /alerts, /patient ------------------------------------------------------------


async def active_command(update: Update, context: AftercareContext) -> None:
    """Patients in follow-up, with their last bucket."""
    services = context.services
    clinics = _clinics_here(services, update)
    parts = []
    for clinic in clinics:
        guidance = services.guidance(clinic.id)
        rows = services.store.active_sessions(clinic.id)
        lines = [_active_line(services, clinic, guidance, row) for row in rows]
        body = "\n".join(lines) if lines else _text(services, clinic, "active_none")
        parts.append(_heading(services, clinic, clinics, "active_header") + "\n" + body)
    await _say_long(services, update, "\n\n".join(parts))


def _active_line(services: Services, clinic: Clinic, guidance: Guidance, row: dict[str, Any]) -> str:
    hours = (services.now() - row["treated_at"]) * (row["clock_speed"] or 1) / 3600
    bucket = texts.bucket_label(guidance, row["last_bucket"] or "none", clinic.language)
    paused = " ⏸" if row["status"] == SessionStatus.PAUSED else ""
    # "#id name" stays as is: erasure finds a list that shows the patient by it
    return (
        f"{texts.reference_part(row)}#{row['patient_id']} {escape(texts.patient_name(row))}{paused}"
        f"{texts.phone_part(row)} · {escape(texts.area_labels(guidance, row['areas'], clinic.language))} · "
        f"{texts.format_hours(hours)} h · {bucket}"
    )


async def alerts_command(update: Update, context: AftercareContext) -> None:
    """Open (unacknowledged) alerts."""
    services = context.services
    clinics = _clinics_here(services, update)
    parts = []
    for clinic in clinics:
        guidance = services.guidance(clinic.id)
        lines = []
        for row in services.store.open_alerts(clinic.id):
            bucket = texts.bucket_label(guidance, row["bucket"], clinic.language)
            name = escape(texts.patient_name(row))
            updates = f" · 🔁×{row['updates']}" if row["updates"] else ""
            lines.append(
                f"{bucket} · {texts.reference_part(row)}#{row['patient_id']} {name}{texts.phone_part(row)} · "
                f"{texts.local_time(row['created_at'], clinic)} · ×{row['notify_count'] or 0}{updates}"
            )
        body = "\n".join(lines) if lines else _text(services, clinic, "alerts_none")
        parts.append(_heading(services, clinic, clinics, "alerts_header") + "\n" + body)
    await _say_long(services, update, "\n\n".join(parts))


async def patient_command(update: Update, context: AftercareContext) -> None:
    """One patient's timeline: check-ins, answers and assessments; `/patient 12`."""
    services, chat_id = context.services, parts.chat(update).id
    clinics = _clinics_here(services, update)
    args = context.args or []
    match = re.fullmatch(r"#?(\d{1,12})", args[0]) if len(args) == 1 else None
    if match is None:
        await services.say(chat_id, MessageKind.STAFF, _text(services, clinics[0], "patient_usage"))
        return
    patient = services.store.patient(int(match.group(1)))
    # Staff see their clinic's own follow-ups of a patient, never another clinic's, whichever
    # clinic follows the patient now; a patient with none here reads the same as no patient.
    seen = [
        (session, c)
        for c in clinics
        if patient and (session := services.store.latest_session(patient["id"], c.id))
    ]
    if patient is None or not seen:
        await services.say(chat_id, MessageKind.STAFF, _text(services, clinics[0], "patient_not_found"))
        return
    session, clinic = max(seen, key=lambda pair: pair[0]["id"])
    about = patient["id"]  # these messages are erased with the patient
    name = texts.patient_name(patient)
    # Drawing takes tens of milliseconds of CPU: off the event loop, so other chats go on; and
    # before the timeline is sent, so nothing waits between the timeline and its chart. The rows
    # are read here, on the loop: the store's connection belongs to this thread.
    assessments = services.store.assessments(session["id"])
    drawn = await asyncio.to_thread(
        scores_chart, assessments, services.guidance(clinic.id), clinic.language, name
    )
    await _say_long(services, update, timeline(services, clinic, patient, session, assessments), about)
    if drawn:  # the soreness chart, when the follow-up has a score
        await services.send_photo(chat_id, MessageKind.STAFF, *drawn, patient_id=about)
    caption = _text(services, clinic, "alert_photo_caption", first_name=name)
    for photo in services.store.photos(session["id"])[-PATIENT_PHOTOS:]:  # the latest, by Telegram file_id
        await services.send_photo(chat_id, MessageKind.STAFF, photo["file_id"], caption, patient_id=about)


def timeline(
    services: Services,
    clinic: Clinic,
    patient: dict[str, Any],
    session: dict[str, Any],
    assessments: list[dict[str, Any]],
) -> str:
    """The patient's latest follow-up at `clinic` (stopped too: staff see how it ended) as lines
    in time order (clinic local time). The patient's status shows only to the clinic following
    them now: after /stop elsewhere it is another clinic's news."""
    store, guidance, language = services.store, services.guidance(clinic.id), clinic.language
    status = f" · {escape(patient['status'])}" if patient["clinic_id"] == clinic.id else ""
    lines = [
        _text(services, clinic, "patient_header"),
        f"{texts.reference_part(session)}#{patient['id']} {texts.patient_link(patient)}"
        f"{texts.phone_part(session)}{status}",
    ]
    activities = ", ".join(
        _label(services, clinic, f"activity_{a}") for a in json.loads(session["activities"] or "[]")
    )
    first = _text(services, clinic, "patient_first_session") if session["first_session"] == 1 else ""
    details = [
        texts.area_labels(guidance, session["areas"], language),
        texts.intensity_label(guidance, session["intensity"], language),
        activities,
        first,
        texts.local_time(session["treated_at"], clinic),
        session["status"],
    ]
    lines.append(" · ".join(escape(d) for d in details if d))
    events: list[tuple[float, int, str]] = []
    for checkin in store.checkins(session["id"]):
        at = checkin["sent_at"] or checkin["due_at"]
        mark = CHECKIN_MARK.get(checkin["status"], "✖")
        hours = texts.format_hours(checkin["hours"] or 0)
        events.append((at, 0, f"{mark} <b>{hours} h</b> · {texts.local_time(at, clinic)}"))
    for answer in store.session_answers(session["id"]):
        line = texts.answer_line(guidance, language, answer["question_id"], answer["value"])
        events.append((answer["received_at"], 1, f"   {line}"))
    for photo in store.photos(session["id"]):
        events.append((photo["received_at"], 1, f"   📷 {texts.local_time(photo['received_at'], clinic)}"))
    for assessment in assessments:
        bucket = texts.bucket_label(guidance, assessment["bucket"], language)
        rules = f" [{escape(', '.join(assessment['rules']))}]" if assessment["rules"] else ""
        events.append((assessment["created_at"], 2, f"   → {bucket}{rules}"))
    events += lifecycle.timeline_events(
        guidance, clinic, store.session_alerts(session["id"]), store.staff_messages(session["id"])
    )
    lines += [line for _, _, line in sorted(events, key=lambda e: (e[0], e[1]))]
    lines.append(f"📈 {escape(texts.trend_text(assessments, None))}")
    return "\n".join(lines)


def _heading(services: Services, clinic: Clinic, clinics: list[Clinic], key: str) -> str:
    heading = _text(services, clinic, key)
    return f"{heading} · {escape(clinic.name)}" if len(clinics) > 1 else heading


async def _say_long(services: Services, update: Update, text: str, patient_id: int | None = None) -> None:
    await services.say(
        parts.chat(update).id, MessageKind.STAFF, texts.clip(text, TEXT_LIMIT), patient_id=patient_id
    )


# ---- buttons -------------------------------------------------------------------------------


async def staff_button(update: Update, context: AftercareContext) -> None:
    """Every staff button: an alert's (bot/telegram/alert_actions.py) and the /enrol steps."""
    services = context.services
    button = render.unpack(parts.press(update).data)
    if button is not None and button.action in alert_actions.ACTIONS:
        return await alert_actions.press(update, context, button)
    refusal = await enrol_wizard.press(update, context, button) if button is not None else "stale_button"
    if refusal:
        # A message in a private chat; in a group (or with no message behind the press) the notice
        # Telegram shows on the presser's screen alone.
        clinics = services.staff_clinics(parts.sender(update).id)
        await replies.reply_kindly(context, update, _text(services, clinics[0], refusal))
