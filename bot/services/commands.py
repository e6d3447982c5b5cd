"""The patient's commands on their follow-up: /status, /tips, /language, /pause, /resume, /stop
and /delete, and the opt-out a blocked bot means; the clinic is told when a patient leaves.

Imports the pure packages and the follow-up core (`bot.services.session`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.followup.plan import nominal_hours
from bot.followup.rounds import round_recipients
from bot.followup.status import RUNNING_SESSIONS, CheckinStatus, MessageKind, PatientStatus, SessionStatus
from bot.guidance.model import Guidance
from bot.render import checkin as cr
from bot.render import html as render
from bot.render.alerts import patient_name
from bot.render.html import Button, Safe
from bot.render.outgoing import Outgoing
from bot.render.status import answers_summary
from bot.services.checkins import render_reminder
from bot.services.session import (
    Followup,
    checkin_text,
    current,
    default_guidance,
    elapsed_hours,
    judge,
    next_question,
    open_checkin,
    questions,
    sent_at,
)
from bot.store.rows import DueCheckin
from bot.triage.engine import Reply

if TYPE_CHECKING:
    from bot.services.shared import Services

log = logging.getLogger(__name__)


def status(services: Services, f: Followup) -> Outgoing:
    store, now = services.store, services.now()
    checkins = store.checkins(f.session["id"])
    pending = sorted((c for c in checkins if c["status"] == CheckinStatus.PENDING), key=lambda c: c["due_at"])
    nxt: str
    if f.session["status"] == SessionStatus.PAUSED:
        nxt = f.say("next_checkin_paused")
    elif pending:
        nxt = cr.local_time(f.guidance, f.lang, pending[0]["due_at"], f.clinic.timezone, now)
    else:
        nxt = f.say("next_checkin_none")
    said = {c["id"]: elapsed_hours(f, sent_at(c)) for c in checkins if c["sent_at"]}
    summary = answers_summary(f.guidance, f.lang, checkins, store.session_answers(f.session["id"]), said)
    return Outgoing(f.say("status", next_checkin=nxt, answers_summary=summary))


def tips(services: Services, f: Followup) -> Outgoing:
    """Every tip that fits the check-in hour the patient is in, their session's intensity and their
    activities, the most tailored first: asked for, so those already sent come again."""
    assessment = judge(services, f, Reply(), nominal_hours(f.session, services.now()))
    if assessment.bucket != "normal" or not assessment.tips:
        return Outgoing(f.say("tips_none"))
    block = cr.tips_block(assessment.tips, f.lang)
    return Outgoing(Safe(f.say("tips_header") + "\n\n" + block))


def language_choice(
    services: Services,
    telegram_id: int,
    pending: dict[str, Any] | None = None,
    language_code: str | None = None,
    chosen: str | None = None,
) -> Outgoing | None:
    """The languages the patient's clinic ships, to choose from. Before consent (no patient record;
    `pending`, the link's enrolment row): its clinic's, the buttons naming no patient (0) and the
    current one `chosen` before, else Telegram's. None for someone with neither."""
    patient = services.store.patient_by_telegram(telegram_id)
    if patient is not None:
        guidance, _ = default_guidance(services, telegram_id)
        lang, owner = patient["language"] or "en", patient["id"]
    elif pending is not None:
        guidance = services.guidance(pending["clinic_id"])
        lang, owner = cr.language_for(guidance, language_code, chosen), 0
    else:
        return None
    markup = _language_keyboard(guidance, owner, lang)
    return Outgoing(render.message(guidance, "language_choose", lang), markup)


def language_set(services: Services, clinic_id: str, language: str, message_id: int) -> Outgoing:
    """The /language message, its buttons gone, saying the choice."""
    guidance = services.guidance(clinic_id)
    return Outgoing(render.message(guidance, "language_set", language), edit=message_id)


def _language_keyboard(guidance: Guidance, patient_id: int, current: str) -> dict:
    """A button per language the guidance ships, each named in its own language, the current one
    ticked; a press carries the patient's id, so only they can use it."""
    return render.keyboard(
        [
            [
                (
                    (cr.TICK if language == current else "")
                    + render.message(guidance, "language_name", language),
                    Button(cr.LANGUAGE, patient_id, language).pack(),
                )
            ]
            for language in guidance.messages
        ]
    )


def set_language(
    services: Services, telegram_id: int, data: Button, message_id: int
) -> list[Outgoing] | None:
    """A press of /language's buttons: every later message is in that language. None (stale) for
    someone else's buttons or an erased patient's."""
    patient = services.store.patient_by_telegram(telegram_id)
    if patient is None or patient["id"] != data.row_id:
        return None
    guidance, _ = default_guidance(services, telegram_id)
    if data.value not in guidance.messages:  # a language the clinic has stopped shipping, or forged
        return [Outgoing(render.message(guidance, "language_unknown", patient["language"] or "en"))]
    services.store.set_patient_language(patient["id"], data.value)
    log.info("patient %s chose the language %s", patient["id"], data.value)
    return [
        Outgoing(render.message(guidance, "language_set", data.value), edit=message_id),
        *_redrawn(services, telegram_id),
    ]


def _redrawn(services: Services, telegram_id: int) -> list[Outgoing]:
    """The open check-in's message and its reminder again, in the language just chosen (their
    buttons too, with the same data: a press answers as before)."""
    f = current(services, telegram_id)
    open_ = open_checkin(services, f) if f is not None else None
    if f is None or open_ is None:
        return []
    row, answers = open_
    index = next_question(f, row, answers)
    markup = cr.question_keyboard(f.guidance, f.lang, row["id"], index, questions(f, row)[index])
    outs = []
    for kind, message_id in services.store.checkin_messages(row["id"]):
        if kind == MessageKind.CHECKIN:
            outs.append(Outgoing(checkin_text(f, row, sent_at(row), answers, index), markup, edit=message_id))
        elif (reminder := render_reminder(services, DueCheckin.from_row(row))) is not None:
            outs.append(Outgoing(reminder.text, reminder.markup, edit=message_id))
    return outs


def pause(services: Services, f: Followup) -> Outgoing:
    if f.session["status"] == SessionStatus.COMPLETED:
        return Outgoing(f.say("status_none"))
    services.store.pause_session(f.session["id"])
    return Outgoing(f.say("paused"))


def resume(services: Services, f: Followup) -> Outgoing:
    if f.session["status"] == SessionStatus.COMPLETED:
        return Outgoing(f.say("status_none"))
    services.store.resume_session(f.session["id"], services.now())
    return Outgoing(f.say("resumed"))


def tell_clinic(
    services: Services, patient: dict[str, Any], session: dict[str, Any] | None
) -> list[Outgoing]:
    """`patient_unreachable` to whoever would get an alert first about this patient."""
    clinic = services.clinic(session["clinic_id"] if session else patient["clinic_id"])
    guidance = services.guidance(clinic.id)
    text = render.message(guidance, "patient_unreachable", clinic.language, first_name=patient_name(patient))
    practitioner = session["practitioner_id"] if session else None
    return [
        Outgoing(text, chat_id=chat, kind=MessageKind.STAFF, patient_id=patient["id"])
        for chat in round_recipients(clinic, practitioner, 0, services.store.unreachable_chats())
    ]


def stop(services: Services, f: Followup) -> list[Outgoing]:
    """Opt out: pending check-ins cancelled, the clinic told. The data stays until /delete."""
    services.store.stop_session(f.session["id"])
    services.store.set_patient_status(f.patient["id"], PatientStatus.OPTED_OUT)
    log.info("patient %s stopped session %s", f.patient["id"], f.session["id"])
    return [Outgoing(f.say("stopped")), *tell_clinic(services, f.patient, f.session)]


def unreachable(services: Services, chat_id: int) -> list[Outgoing]:
    """The patient blocked the bot: treat as opted out and tell the clinic (once)."""
    store = services.store
    patient = store.patient_by_telegram(chat_id)
    if patient is None or patient["status"] in (PatientStatus.UNREACHABLE, PatientStatus.OPTED_OUT):
        if patient is not None:
            store.set_patient_status(patient["id"], PatientStatus.UNREACHABLE)
        return []
    session = store.current_session(patient["id"])
    if session and session["status"] in RUNNING_SESSIONS:
        store.stop_session(session["id"])
    store.set_patient_status(patient["id"], PatientStatus.UNREACHABLE)
    log.warning(
        "patient %s unreachable; session %s stopped", patient["id"], session["id"] if session else None
    )
    return tell_clinic(services, patient, session)


def delete_confirm(services: Services, telegram_id: int) -> Outgoing | None:
    patient = services.store.patient_by_telegram(telegram_id)
    if patient is None:
        return None
    guidance, _ = default_guidance(services, telegram_id)
    lang = patient["language"] or "en"
    yes, no = Button(cr.DELETE, patient["id"], "y").pack(), Button(cr.DELETE, patient["id"], "n").pack()
    markup = render.keyboard(
        [
            [(render.message(guidance, "delete_confirm_button", lang), yes)],
            [(render.message(guidance, "delete_cancel_button", lang), no)],
        ]
    )
    return Outgoing(render.message(guidance, "delete_confirm", lang), markup)


def delete(services: Services, telegram_id: int, button: Button, message_id: int) -> list[Outgoing] | None:
    """Erase the patient (or not), answering in place of the question, and edit the staff's
    copies about them to say so. None: not theirs."""
    patient = services.store.patient_by_telegram(telegram_id)
    if patient is None or patient["id"] != button.row_id or button.value not in ("y", "n"):
        return None
    guidance, clinic = default_guidance(services, telegram_id)
    lang = patient["language"] or "en"
    if button.value == "n":
        return [Outgoing(render.message(guidance, "delete_cancelled", lang), edit=message_id)]
    # The staff's copies say so, in the clinic's language.
    erased = render.message(guidance, "erased_by_patient", clinic.language)
    copies = services.store.delete_patient(patient["id"], services.now(), erased)
    log.info("patient %s erased; %d staff copies to edit", patient["id"], len(copies))
    return [
        Outgoing(render.message(guidance, "deleted", lang), edit=message_id),
        *(Outgoing("", queued=row) for row in copies),
    ]
