"""Staff handlers: /enrol (a guided flow with buttons), /active, /alerts, /patient and the
Acknowledge button of alerts. Every callback action starts with "s".

Only configured staff of a clinic see that clinic's patients; anyone else gets `staff_only` and
learns nothing. Staff commands answer in private chats, or in the clinic's alert chat. The
/enrol flow lives in `context.user_data` (it lasts minutes) inside one message that each press
edits; its result, the token, lives in the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.services import alerts

from bot.render import html as render

from bot.telegram import replies
from bot.clinic.chart import session_chart
from bot.guidance.config import Clinic
from bot.clinic.enrolment import ACTIVITIES, EnrolmentError, create_enrolment, deep_link, qr_png
from bot.guidance.loader import INTENSITIES, Guidance
from bot.privacy.pseudonym import pseudonym
from bot.render.html import Button, Safe, escape
from bot.services.shared import Services

log = logging.getLogger(__name__)

STAFF_BUTTON = r"^s[a-z_]*:"
FLOW = "enrol"
PICKED = "✓ "
TEXT_LIMIT = 4000
PATIENT_PHOTOS = 5  # the newest photos /patient shows: each is a message, paced about one a second
EDIT_GAP = 1.0  # seconds between edits of the /enrol message: Telegram allows about one a second per chat
CHECKIN_MARK = {"answered": "✅", "sent": "📨", "pending": "⏳", "sending": "⏳", "paused": "⏸"}
# /enrol button actions; row_id is the flow's number, so a press from an older flow is stale.
CLINIC, AREA, INTENSITY, ACTIVITY, FIRST = "sec", "sea", "sei", "set", "sef"


def register(application: Application) -> None:
    application.add_handler(CommandHandler("enrol", enrol_command))
    application.add_handler(CommandHandler("active", active_command))
    application.add_handler(CommandHandler("alerts", alerts_command))
    application.add_handler(CommandHandler("patient", patient_command))
    application.add_handler(CallbackQueryHandler(staff_button, pattern=STAFF_BUTTON))


# ---- who may do what -----------------------------------------------------------------------

def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data["services"]


def _text(services: Services, clinic: Clinic | None, key: str, **values: object) -> Safe:
    clinic = clinic or services.config.clinics[0]
    return render.message(services.guidance(clinic.id), key, clinic.language, **values)


def _label(services: Services, clinic: Clinic, key: str) -> str:
    return alerts.button_label(services.guidance(clinic.id), key, clinic.language)


def _clinics_here(services: Services, update: Update) -> list[Clinic]:
    """The clinics whose patients this user may see in this chat: their own, in a private chat
    or in the clinic's alert chat."""
    chat = update.effective_chat
    clinics = services.staff_clinics(update.effective_user.id)
    if chat.type == "private":
        return clinics
    return [c for c in clinics if c.alert_chat_id == chat.id]


async def _refuse(services: Services, update: Update, key: str = "staff_only") -> None:
    clinics = services.staff_clinics(update.effective_user.id)
    await services.say(update.effective_chat.id, "staff", _text(services, clinics[0] if clinics else None, key))


# ---- /active, /alerts, /patient ------------------------------------------------------------

async def active_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Patients in follow-up, with their last bucket."""
    services = _services(context)
    clinics = _clinics_here(services, update)
    if not clinics:
        return await _refuse(services, update)
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
    bucket = alerts.bucket_label(guidance, row["last_bucket"] or "none", clinic.language)
    paused = " ⏸" if row["status"] == "paused" else ""
    return (f"#{row['patient_id']} {escape(alerts.patient_name(row))}{paused} · "
            f"{escape(alerts.area_labels(guidance, row['areas']))} · {alerts.format_hours(hours)} h · {bucket}")


async def alerts_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Open (unacknowledged) alerts."""
    services = _services(context)
    clinics = _clinics_here(services, update)
    if not clinics:
        return await _refuse(services, update)
    parts = []
    for clinic in clinics:
        guidance = services.guidance(clinic.id)
        lines = []
        for row in services.store.open_alerts(clinic.id):
            session = services.store.session(row["session_id"]) or {}
            bucket = alerts.bucket_label(guidance, row["bucket"], clinic.language)
            name = escape(alerts.patient_name(row))
            lines.append(f"{bucket} · #{session.get('patient_id', '?')} {name} · "
                         f"{alerts.local_time(row['created_at'], clinic)} · ×{row['notify_count'] or 0}")
        body = "\n".join(lines) if lines else _text(services, clinic, "alerts_none")
        parts.append(_heading(services, clinic, clinics, "alerts_header") + "\n" + body)
    await _say_long(services, update, "\n\n".join(parts))


async def patient_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One patient's timeline: check-ins, answers and assessments; `/patient 12`."""
    services = _services(context)
    clinics = _clinics_here(services, update)
    if not clinics:
        return await _refuse(services, update)
    match = re.fullmatch(r"#?(\d{1,12})", context.args[0]) if len(context.args or []) == 1 else None
    if match is None:
        return await services.say(update.effective_chat.id, "staff", _text(services, clinics[0], "patient_usage"))
    patient = services.store.patient(int(match.group(1)))
    # Staff see their clinic's own follow-ups of a patient, never another clinic's, whichever
    # clinic follows the patient now; a patient with none here reads the same as no patient.
    seen = [(session, c) for c in clinics
            if patient and (session := services.store.latest_session(patient["id"], c.id))]
    if not seen:
        return await services.say(update.effective_chat.id, "staff", _text(services, clinics[0], "patient_not_found"))
    session, clinic = max(seen, key=lambda pair: pair[0]["id"])
    about = patient["id"]  # these messages are erased with the patient
    await _say_long(services, update, timeline(services, clinic, patient, session), about)
    name = alerts.patient_name(patient)
    drawn = session_chart(services.store, services.guidance(clinic.id), clinic.language, session["id"], name)
    if drawn:  # the soreness chart, when the follow-up has a score
        await services.send_photo(update.effective_chat.id, "staff", *drawn, patient_id=about)
    caption = _text(services, clinic, "alert_photo_caption", first_name=name)
    for photo in services.store.photos(session["id"])[-PATIENT_PHOTOS:]:  # the latest, by Telegram file_id
        await services.send_photo(update.effective_chat.id, "staff", photo["file_id"], caption,
                                  patient_id=about)


def timeline(services: Services, clinic: Clinic, patient: dict[str, Any], session: dict[str, Any]) -> str:
    """The patient's latest follow-up at `clinic` (stopped too: staff see how it ended) as lines
    in time order (clinic local time). The patient's status shows only to the clinic following
    them now: after /stop elsewhere it is another clinic's news."""
    store, guidance, language = services.store, services.guidance(clinic.id), clinic.language
    status = f" · {escape(patient['status'])}" if patient["clinic_id"] == clinic.id else ""
    lines = [_text(services, clinic, "patient_header"),
             f"#{patient['id']} {alerts.patient_link(patient)}{status}"]
    activities = ", ".join(_label(services, clinic, f"activity_{a}") for a in json.loads(session["activities"] or "[]"))
    first = _text(services, clinic, "patient_first_session") if session["first_session"] == 1 else ""
    details = [alerts.area_labels(guidance, session["areas"]), alerts.intensity_label(guidance, session["intensity"], language),
               activities, first, alerts.local_time(session["treated_at"], clinic), session["status"]]
    lines.append(" · ".join(escape(d) for d in details if d))
    events: list[tuple[float, int, str]] = []
    for checkin in store.checkins(session["id"]):
        at = checkin["sent_at"] or checkin["due_at"]
        mark = CHECKIN_MARK.get(checkin["status"], "✖")
        events.append((at, 0, f"{mark} <b>{alerts.format_hours(checkin['hours'] or 0)} h</b> · {alerts.local_time(at, clinic)}"))
    for answer in store.session_answers(session["id"]):
        line = alerts.answer_line(guidance, language, answer["question_id"], answer["value"])
        events.append((answer["received_at"], 1, f"   {line}"))
    for photo in store.photos(session["id"]):
        events.append((photo["received_at"], 1, f"   📷 {alerts.local_time(photo['received_at'], clinic)}"))
    for assessment in store.assessments(session["id"]):
        bucket = alerts.bucket_label(guidance, assessment["bucket"], language)
        rules = f" [{escape(', '.join(assessment['rules']))}]" if assessment["rules"] else ""
        events.append((assessment["created_at"], 2, f"   → {bucket}{rules}"))
    lines += [line for _, _, line in sorted(events, key=lambda e: (e[0], e[1]))]
    lines.append(f"📈 {escape(alerts.trend_text(store.assessments(session['id']), None))}")
    return "\n".join(lines)


def _heading(services: Services, clinic: Clinic, clinics: list[Clinic], key: str) -> str:
    heading = _text(services, clinic, key)
    return f"{heading} · {escape(clinic.name)}" if len(clinics) > 1 else heading


async def _say_long(services: Services, update: Update, text: str, patient_id: int | None = None) -> None:
    await services.say(update.effective_chat.id, "staff", alerts.clip(text, TEXT_LIMIT),
                       patient_id=patient_id)


# ---- /enrol --------------------------------------------------------------------------------

async def enrol_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start the guided enrolment of a session: clinic (if several), areas, intensity, activity,
    first session; the treatment time is now."""
    services = _services(context)
    clinics = services.staff_clinics(update.effective_user.id)
    if not clinics or update.effective_chat.type != "private":
        return await _refuse(services, update)
    flow = {"flow": secrets.randbelow(10**9), "step": AREA, "clinic": clinics[0].id, "areas": [], "intensity": None,
            "activities": []}
    context.user_data[FLOW] = flow
    intro = _text(services, clinics[0], "enrol_start")
    if len(clinics) == 1:
        text, markup = _area_step(services, clinics[0], flow)
    else:
        flow["step"] = CLINIC
        text = _text(services, clinics[0], "enrol_pick_clinic")
        markup = render.keyboard([[(c.name, Button(CLINIC, flow["flow"], str(i)).pack())] for i, c in enumerate(clinics)])
    await services.say(update.effective_chat.id, "staff", Safe(intro + "\n\n" + text), markup)


def _area_step(services: Services, clinic: Clinic, flow: dict) -> tuple[Safe, dict]:
    guidance = services.guidance(clinic.id)
    buttons = [((PICKED if area.id in flow["areas"] else "") + area.label, Button(AREA, flow["flow"], str(i)).pack())
               for i, area in enumerate(guidance.areas.values())]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(_label(services, clinic, "enrol_select_done_button"), Button(AREA, flow["flow"], "done").pack())])
    return _text(services, clinic, "enrol_pick_area"), render.keyboard(rows)


def _intensity_step(services: Services, clinic: Clinic, flow: dict) -> tuple[Safe, dict]:
    row = [(_label(services, clinic, f"intensity_{i}"), Button(INTENSITY, flow["flow"], i).pack()) for i in INTENSITIES]
    return _text(services, clinic, "enrol_pick_intensity"), render.keyboard([row])


def _activity_step(services: Services, clinic: Clinic, flow: dict) -> tuple[Safe, dict]:
    row = [((PICKED if a in flow["activities"] else "") + _label(services, clinic, f"activity_{a}"),
            Button(ACTIVITY, flow["flow"], a).pack()) for a in ACTIVITIES]
    end = [(_label(services, clinic, "enrol_select_done_button"), Button(ACTIVITY, flow["flow"], "done").pack()),
           (_label(services, clinic, "enrol_activity_none_button"), Button(ACTIVITY, flow["flow"], "none").pack())]
    return _text(services, clinic, "enrol_pick_activity"), render.keyboard([row, end])


def _first_step(services: Services, clinic: Clinic, flow: dict) -> tuple[Safe, dict]:
    row = [(_label(services, clinic, "enrol_yes_button"), Button(FIRST, flow["flow"], "1").pack()),
           (_label(services, clinic, "enrol_no_button"), Button(FIRST, flow["flow"], "0").pack())]
    return _text(services, clinic, "enrol_first_session"), render.keyboard([row])


STEPS: dict[str, Callable[[Services, Clinic, dict], tuple[Safe, dict]]] = {
    AREA: _area_step, INTENSITY: _intensity_step, ACTIVITY: _activity_step, FIRST: _first_step,
}


async def _enrol_press(services: Services, update: Update, context: ContextTypes.DEFAULT_TYPE, button: Button) -> str | None:
    """Apply one /enrol button press; returns a refusal message key, or None when handled.

    A press counts only on the flow's own message and for the step it is at: a button of an
    earlier step, still on screen while an edit is on its way, is stale."""
    flow = context.user_data.get(FLOW)
    message = update.callback_query.message
    if not flow or flow["flow"] != button.row_id or message is None or update.effective_chat.type != "private":
        return "stale_button"
    if flow.setdefault("message", message.message_id) != message.message_id or button.action != flow["step"]:
        return "stale_button"
    flow.setdefault("chat", message.chat_id)
    user_id, value = update.effective_user.id, button.value
    if button.action == CLINIC:
        clinics = services.staff_clinics(user_id)
        if not value.isdigit() or int(value) >= len(clinics):
            return "stale_button"
        flow["clinic"] = clinics[int(value)].id
        return await _show(services, update, context, flow, AREA)
    clinic = services.clinic(flow["clinic"])
    if not clinic.is_staff(user_id):
        return "stale_button"
    if button.action == AREA:
        areas = list(services.guidance(clinic.id).areas)
        if value == "done" and not flow["areas"]:
            notice = render.plain(_text(services, clinic, "enrol_pick_area"))
            await replies.answer_press(context, update, notice)
            return None
        if value == "done":
            return await _show(services, update, context, flow, INTENSITY)
        if not value.isdigit() or int(value) >= len(areas):
            return "stale_button"
        _toggle(flow["areas"], areas[int(value)])
        return await _show(services, update, context, flow, AREA)
    if button.action == INTENSITY and value in INTENSITIES:
        flow["intensity"] = value
        return await _show(services, update, context, flow, ACTIVITY)
    if button.action == ACTIVITY and value in ACTIVITIES:
        _toggle(flow["activities"], value)
        return await _show(services, update, context, flow, ACTIVITY)
    if button.action == ACTIVITY and value in ("done", "none"):
        if value == "none":
            flow["activities"] = []
        return await _show(services, update, context, flow, FIRST)
    if button.action == FIRST and value in ("0", "1"):
        return await _finish(services, update, context, clinic, flow, value == "1")
    return "stale_button"


def _toggle(chosen: list[str], item: str) -> None:
    chosen.remove(item) if item in chosen else chosen.append(item)


async def _show(services: Services, update: Update, context: ContextTypes.DEFAULT_TYPE, flow: dict, step: str) -> None:
    """Move the flow to `step` and its message to that screen (an edit: old buttons go)."""
    flow["step"] = step
    flow["screen"] = STEPS[step](services, services.clinic(flow["clinic"]), flow)
    await replies.answer_press(context, update)
    await _publish(services, context, flow)


async def _publish(services: Services, context: ContextTypes.DEFAULT_TYPE, flow: dict) -> None:
    """Edit the flow's message to its latest screen at most once a second, Telegram's pace for
    one chat: presses that come faster are folded into one later edit showing them all."""
    if flow.get("pending"):
        return
    wait = flow.get("edited_at", float("-inf")) + EDIT_GAP - services.now()
    if wait > 0:
        flow["pending"] = True
        context.application.create_task(_publish_later(services, flow, wait))
        return
    await _edit(services, flow)


async def _publish_later(services: Services, flow: dict, wait: float) -> None:
    await asyncio.sleep(min(wait, EDIT_GAP))
    flow["pending"] = False
    await _edit(services, flow)


async def _edit(services: Services, flow: dict) -> None:
    flow["edited_at"] = services.now()
    text, markup = flow["screen"]
    await services.edit(flow["chat"], flow["message"], text, markup, kind="staff_edit")


async def _finish(services: Services, update: Update, context: ContextTypes.DEFAULT_TYPE, clinic: Clinic,
                  flow: dict, first_session: bool) -> None:
    context.user_data.pop(FLOW, None)
    flow["step"] = "done"
    now = services.now()
    who = pseudonym(context.bot.token, update.effective_user.id)
    try:
        enrolment = create_enrolment(services.store, clinic, flow["areas"], flow["intensity"], flow["activities"], first_session,
                                     now, update.effective_user.id, now, guidance=services.guidance(clinic.id))
        link = deep_link(services.bot_username, enrolment.token)
    except EnrolmentError as error:  # no patient data nor token in the message
        log.error("enrolment by staff %s failed: %s", who, error)
        return await replies.reply_kindly(context, update, _text(services, clinic, "error_generic"))
    log.info("enrolment link made by staff %s for clinic %s", who, clinic.id)
    guidance = services.guidance(clinic.id)
    summary = " · ".join(
        [escape(alerts.area_labels(guidance, json.dumps(flow["areas"]))), alerts.intensity_label(guidance, flow["intensity"], clinic.language)]
        + [escape(_label(services, clinic, f"activity_{a}")) for a in flow["activities"]]
        + [escape(_label(services, clinic, "enrol_yes_button" if first_session else "enrol_no_button"))]
    )
    flow["screen"] = (Safe(f"{summary}\n\n{_text(services, clinic, 'enrol_done', link=link)}"), None)
    await replies.answer_press(context, update)
    await _publish(services, context, flow)
    await services.send_photo(update.effective_chat.id, "enrol_qr", qr_png(link), escape(link))


# ---- buttons -------------------------------------------------------------------------------

async def staff_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every staff button: Acknowledge on alerts and the /enrol steps."""
    services = _services(context)
    button = render.unpack(update.callback_query.data)
    clinics = services.staff_clinics(update.effective_user.id)
    if not clinics:
        return await replies.reply_kindly(context, update, _text(services, None, "staff_only"))
    if button is not None and button.action == alerts.ACK:
        return await _acknowledge(services, update, context, button)
    refusal = await _enrol_press(services, update, context, button) if button is not None else "stale_button"
    if refusal:
        # A message in a private chat; in a group (or with no message behind the press) the notice
        # Telegram shows on the presser's screen alone.
        await replies.reply_kindly(context, update, _text(services, clinics[0], refusal))


async def _acknowledge(services: Services, update: Update, context: ContextTypes.DEFAULT_TYPE,
                       button: Button) -> None:
    alert = services.store.alert(button.row_id)
    user_id = update.effective_user.id
    if alert is None or button.value or not services.clinic(alert["clinic_id"]).is_staff(user_id):
        # another clinic's alert reads the same as no alert
        stale = _text(services, services.staff_clinics(user_id)[0], "stale_button")
        return await replies.reply_kindly(context, update, stale)
    reply = await alerts.acknowledge(services, alert["id"], user_id)
    if reply is None:
        await replies.answer_press(context, update)
    else:
        await replies.reply_kindly(context, update, reply)
