"""The /enrol wizard: staff pick clinic (if several), areas, intensity, activities and first
session with buttons, then get the enrolment link and its printable card (`bot.clinic.card`).

The flow lives in `context.user_data` (it lasts minutes) inside one message that each press
edits; its result, the token, lives in the store. Its button actions start with "se", and the
row id of each is the flow's number, so a press from an older flow is stale. Imports
`bot.services`, `bot.clinic`, `bot.render`, `bot.followup`, `bot.privacy` and `bot.guidance`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from telegram import Chat, Update

from bot.clinic.card import card_png
from bot.clinic.enrolment import (
    ACTIVITIES,
    REFERENCE_LIMIT,
    EnrolmentError,
    create_enrolment,
    deep_link,
    patient_reference,
)
from bot.followup.status import MessageKind
from bot.guidance.config import Clinic
from bot.guidance.model import INTENSITIES
from bot.privacy.pseudonym import pseudonym
from bot.render import alerts as texts
from bot.render import html as render
from bot.render.html import Button, Safe, escape
from bot.services.shared import Services
from bot.telegram import parts, replies
from bot.telegram.context import AftercareContext
from bot.telegram.replies import staff_label as _label
from bot.telegram.replies import staff_text as _text

log = logging.getLogger(__name__)

FLOW = "enrol"
PICKED = "✓ "
EDIT_GAP = 1.0  # seconds between edits of the /enrol message: Telegram allows about one a second per chat
CLINIC, AREA, INTENSITY, ACTIVITY, FIRST = "sec", "sea", "sei", "set", "sef"
# The flow in user_data: its number, step, choices so far, message, and the screen to show.
Flow = dict[str, Any]
Screen = tuple[Safe, dict[str, Any]]  # a step's text and its buttons


async def enrol_command(update: Update, context: AftercareContext) -> None:
    """Start the guided enrolment of a session: clinic (if several), areas, intensity, activity,
    first session; the treatment time is now. `/enrol A-1234` gives the clinic's own reference
    for the patient (kept with the link, never in it)."""
    services = context.services
    clinics = services.staff_clinics(parts.sender(update).id)
    try:
        reference = patient_reference(" ".join(context.args or []))
    except EnrolmentError:
        text = _text(services, clinics[0], "enrol_reference_too_long", limit=REFERENCE_LIMIT)
        await services.say(parts.chat(update).id, MessageKind.STAFF, text)
        return
    flow: Flow = {
        "reference": reference,
        "flow": secrets.randbelow(10**9),
        "step": AREA,
        "clinic": clinics[0].id,
        "areas": [],
        "intensity": None,
        "activities": [],
    }
    context.user_state[FLOW] = flow
    heading = _text(services, clinics[0], "enrol_start")
    intro = heading + "\n" + _reference_line(services, clinics[0], reference)
    if len(clinics) == 1:
        text, markup = _area_step(services, clinics[0], flow)
    else:
        flow["step"] = CLINIC
        text = _text(services, clinics[0], "enrol_pick_clinic")
        markup = render.keyboard(
            [[(c.name, Button(CLINIC, flow["flow"], str(i)).pack())] for i, c in enumerate(clinics)]
        )
    await services.say(parts.chat(update).id, MessageKind.STAFF, Safe(intro + "\n\n" + text), markup)


def _reference_line(services: Services, clinic: Clinic, reference: str | None) -> str:
    if reference is None:
        return _text(services, clinic, "enrol_reference_hint")
    return _text(services, clinic, "enrol_reference", reference=reference)


def _area_step(services: Services, clinic: Clinic, flow: Flow) -> Screen:
    guidance = services.guidance(clinic.id)
    buttons = [
        (
            (PICKED if area.id in flow["areas"] else "") + area.label_in(clinic.language),
            Button(AREA, flow["flow"], str(i)).pack(),
        )
        for i, area in enumerate(guidance.areas.values())
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [(_label(services, clinic, "enrol_select_done_button"), Button(AREA, flow["flow"], "done").pack())]
    )
    return _text(services, clinic, "enrol_pick_area"), render.keyboard(rows)


def _intensity_step(services: Services, clinic: Clinic, flow: Flow) -> Screen:
    row = [
        (_label(services, clinic, f"intensity_{i}"), Button(INTENSITY, flow["flow"], i).pack())
        for i in INTENSITIES
    ]
    return _text(services, clinic, "enrol_pick_intensity"), render.keyboard([row])


def _activity_step(services: Services, clinic: Clinic, flow: Flow) -> Screen:
    row = [
        (
            (PICKED if a in flow["activities"] else "") + _label(services, clinic, f"activity_{a}"),
            Button(ACTIVITY, flow["flow"], a).pack(),
        )
        for a in ACTIVITIES
    ]
    end = [
        (_label(services, clinic, "enrol_select_done_button"), Button(ACTIVITY, flow["flow"], "done").pack()),
        (
            _label(services, clinic, "enrol_activity_none_button"),
            Button(ACTIVITY, flow["flow"], "none").pack(),
        ),
    ]
    return _text(services, clinic, "enrol_pick_activity"), render.keyboard([row, end])


def _first_step(services: Services, clinic: Clinic, flow: Flow) -> Screen:
    row = [
        (_label(services, clinic, "enrol_yes_button"), Button(FIRST, flow["flow"], "1").pack()),
        (_label(services, clinic, "enrol_no_button"), Button(FIRST, flow["flow"], "0").pack()),
    ]
    return _text(services, clinic, "enrol_first_session"), render.keyboard([row])


STEPS: dict[str, Callable[[Services, Clinic, Flow], Screen]] = {
    AREA: _area_step,
    INTENSITY: _intensity_step,
    ACTIVITY: _activity_step,
    FIRST: _first_step,
}


async def press(update: Update, context: AftercareContext, button: Button) -> str | None:
    """Apply one /enrol button press; returns a refusal message key, or None when handled.

    A press counts only on the flow's own message and for the step it is at: a button of an
    earlier step, still on screen while an edit is on its way, is stale."""
    services = context.services
    flow = context.user_state.get(FLOW)
    message = parts.press(update).message
    if (
        not flow
        or flow["flow"] != button.row_id
        or message is None
        or parts.chat(update).type != Chat.PRIVATE
    ):
        return "stale_button"
    if flow.setdefault("message", message.message_id) != message.message_id or button.action != flow["step"]:
        return "stale_button"
    flow.setdefault("chat", message.chat.id)
    user_id, value = parts.sender(update).id, button.value
    if button.action == CLINIC:
        clinics = services.staff_clinics(user_id)
        if not value.isdigit() or int(value) >= len(clinics):
            return "stale_button"
        flow["clinic"] = clinics[int(value)].id
        await _show(update, context, flow, AREA)
        return None
    clinic = services.clinic(flow["clinic"])
    if not clinic.is_staff(user_id):
        return "stale_button"
    if button.action == AREA:
        return await _press_area(update, context, clinic, flow, value)
    if button.action == INTENSITY and value in INTENSITIES:
        flow["intensity"] = value
        await _show(update, context, flow, ACTIVITY)
    elif button.action == ACTIVITY and value in ACTIVITIES:
        _toggle(flow["activities"], value)
        await _show(update, context, flow, ACTIVITY)
    elif button.action == ACTIVITY and value in ("done", "none"):
        if value == "none":
            flow["activities"] = []
        await _show(update, context, flow, FIRST)
    elif button.action == FIRST and value in ("0", "1"):
        await _finish(update, context, clinic, flow, value == "1")
    else:
        return "stale_button"
    return None


async def _press_area(
    update: Update, context: AftercareContext, clinic: Clinic, flow: Flow, value: str
) -> str | None:
    """An area picked or dropped, or the areas done (one at least); a refusal key, or None."""
    services = context.services
    areas = list(services.guidance(clinic.id).areas)
    if value == "done" and not flow["areas"]:
        notice = render.plain(_text(services, clinic, "enrol_pick_area"))
        await replies.answer_press(context, update, notice)
    elif value == "done":
        await _show(update, context, flow, INTENSITY)
    elif value.isdigit() and int(value) < len(areas):
        _toggle(flow["areas"], areas[int(value)])
        await _show(update, context, flow, AREA)
    else:
        return "stale_button"
    return None


def _toggle(chosen: list[str], item: str) -> None:
    chosen.remove(item) if item in chosen else chosen.append(item)


async def _show(update: Update, context: AftercareContext, flow: Flow, step: str) -> None:
    """Move the flow to `step` and its message to that screen (an edit: old buttons go)."""
    services = context.services
    flow["step"] = step
    flow["screen"] = STEPS[step](services, services.clinic(flow["clinic"]), flow)
    await replies.answer_press(context, update)
    await _publish(context, flow)


async def _publish(context: AftercareContext, flow: Flow) -> None:
    """Edit the flow's message to its latest screen at most once a second, Telegram's pace for
    one chat: presses that come faster are folded into one later edit showing them all."""
    services = context.services
    if flow.get("pending"):
        return
    wait = flow.get("edited_at", float("-inf")) + EDIT_GAP - services.now()
    if wait > 0:
        flow["pending"] = True
        context.application.create_task(_publish_later(services, flow, wait))
        return
    await _edit(services, flow)


async def _publish_later(services: Services, flow: Flow, wait: float) -> None:
    await asyncio.sleep(min(wait, EDIT_GAP))
    flow["pending"] = False
    await _edit(services, flow)


async def _edit(services: Services, flow: Flow) -> None:
    flow["edited_at"] = services.now()
    text, markup = flow["screen"]
    await services.edit(flow["chat"], flow["message"], text, markup, kind=MessageKind.STAFF_EDIT)


async def _finish(
    update: Update, context: AftercareContext, clinic: Clinic, flow: Flow, first_session: bool
) -> None:
    services = context.services
    context.user_state.pop(FLOW, None)
    flow["step"] = "done"
    now = services.now()
    who = pseudonym(context.bot.token, parts.sender(update).id)
    guidance = services.guidance(clinic.id)
    try:
        enrolment = create_enrolment(
            services.store,
            clinic,
            flow["areas"],
            flow["intensity"],
            flow["activities"],
            first_session,
            now,
            parts.sender(update).id,
            now,
            guidance=guidance,
            patient_ref=flow["reference"],
        )
        link = deep_link(services.bot_username, enrolment.token)
    except EnrolmentError as error:  # no patient data nor token in the message
        log.error("enrolment by staff %s failed: %s", who, error)
        return await replies.reply_kindly(context, update, _text(services, clinic, "error_generic"))
    log.info("enrolment link made by staff %s for clinic %s", who, clinic.id)
    reference = [escape(flow["reference"])] if flow["reference"] else []
    summary = " · ".join(
        reference
        + [
            escape(texts.area_labels(guidance, json.dumps(flow["areas"]), clinic.language)),
            texts.intensity_label(guidance, flow["intensity"], clinic.language),
        ]
        + [escape(_label(services, clinic, f"activity_{a}")) for a in flow["activities"]]
        + [escape(_label(services, clinic, "enrol_yes_button" if first_session else "enrol_no_button"))]
    )
    flow["screen"] = (Safe(f"{summary}\n\n{_text(services, clinic, 'enrol_done', link=link)}"), None)
    await replies.answer_press(context, update)
    await _publish(context, flow)
    # The printable card, drawn off the event loop (a third of a second of CPU at 300 dpi).
    card = await asyncio.to_thread(card_png, link, enrolment.expires_at, clinic, guidance)
    await services.send_photo(parts.chat(update).id, MessageKind.ENROL_QR, card, escape(link))
