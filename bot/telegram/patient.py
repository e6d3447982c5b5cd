"""The patient's side in Telegram: thin PTB handlers of the private chat and the delivery hooks.

Handlers parse the update, call the use cases in `bot/services/` and send what they return through the
outbox (`services.say` / `services.edit`); the answer to a patient's words goes out while the
next update is handled (`services.send_answer`). Who each handler serves is said where it is
registered (`bot/telegram/audience.py`); a failure is the error handler's (`replies.on_error`).
Everything the follow-up needs to remember is in the database, so a restart between two taps
loses nothing. Logs carry ids and buckets only: never a patient's words, name or enrolment
token. Imports `bot.services`, `bot.delivery`, `bot.store` (its rows), `bot.followup`, `bot.privacy`,
`bot.render` and `bot.triage`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Chat, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.delivery.pacing import EMERGENCY
from bot.followup.status import MessageKind
from bot.privacy.pseudonym import pseudonym
from bot.render import checkin as cr
from bot.render import html as render
from bot.render.outgoing import Outgoing
from bot.services import alerts, checkins, commands, consent, session, words
from bot.services.shared import Services
from bot.telegram import parts, replies
from bot.telegram.audience import Audiences
from bot.telegram.context import AftercareContext
from bot.telegram.language import (
    PENDING_LANGUAGE,
    PENDING_TOKEN,
    language_command,
    language_press,
    pending_language,
)
from bot.triage.engine import NO_BUCKET

log = logging.getLogger(__name__)

PATIENT_BUTTON = r"^p"
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
# Whatever a patient sends or edits in the private chat, except commands and service messages.
INCOMING = (
    filters.ChatType.PRIVATE & filters.UpdateType.MESSAGES & ~filters.COMMAND & ~filters.StatusUpdate.ALL
)

Handler = Callable[[Update, AftercareContext], Coroutine[Any, Any, None]]


def register(application: Application, audience: Audiences) -> None:
    """Add the handlers of the private chat (after the staff's, so their commands win). Staff
    writing here get their own help, unless a command of a follow-up of theirs applies."""
    staff = PRIVATE & audience.staff
    application.add_handler(CommandHandler("start", link_command, filters=PRIVATE, has_args=True))
    application.add_handler(CommandHandler("start", staff_help, filters=staff))
    application.add_handler(CommandHandler("help", staff_help, filters=staff & ~audience.followed))
    by_name = {
        "start": introduce,
        "help": help_command,
        "status": status_command,
        "tips": tips_command,
        "language": language_command,
        "pause": pause_command,
        "resume": resume_command,
        "stop": stop_command,
        "delete": delete_command,
    }
    for name, handler in by_name.items():
        application.add_handler(CommandHandler(name, handler, filters=PRIVATE))
    application.add_handler(CallbackQueryHandler(button, pattern=PATIENT_BUTTON))
    application.add_handler(MessageHandler(staff & filters.COMMAND, staff_help))
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, introduce))
    application.add_handler(MessageHandler(PRIVATE & filters.CONTACT & ~audience.staff, contact))
    # Staff's words get their help; their edits, nothing.
    application.add_handler(
        MessageHandler(INCOMING & filters.UpdateType.MESSAGE & audience.staff, staff_help)
    )
    application.add_handler(MessageHandler(INCOMING & ~audience.staff, incoming))
    # Registered last (staff.register runs first): a press no other handler claims is answered too.
    application.add_handler(CallbackQueryHandler(unknown_button))


# ---- delivery hooks


async def on_missed(services: Services, session_id: int, in_a_row: int) -> None:
    """A check-in went unanswered; enough in a row and the clinic and the patient hear of it."""
    f = session.of_session(services, session_id)
    if f is not None:
        await send(services, f.chat_id, checkins.missed(services, f, in_a_row))


async def on_unreachable(services: Services, chat_id: int) -> None:
    """The patient blocked the bot: opted out, check-ins stopped, the clinic told."""
    await send(services, chat_id, commands.unreachable(services, chat_id))


# ---- plumbing


async def send(services: Services, chat_id: int, outs: list[Outgoing]) -> None:
    for out in outs:
        target = out.chat_id if out.chat_id is not None else chat_id
        if out.queued is not None:
            await services.delivery.send(out.queued)  # left to the tick if it cannot go now
        elif out.edit is not None:
            await services.edit(target, out.edit, out.text, out.markup, patient_id=out.patient_id)
        else:
            plain = out.markup is None and out.chat_id is None  # to the patient, with no buttons
            markup = consent.lapsed_keyboard(services, target) if plain else out.markup
            await services.say(target, out.kind, out.text, markup, patient_id=out.patient_id)


def _lang(services: Services, update: Update, chosen: str | None = None) -> str:
    """The sender's language: `chosen` with /language before consent, the patient's, Telegram's."""
    user = parts.sender(update)
    guidance, _ = session.default_guidance(services, user.id)
    patient = services.store.patient_by_telegram(user.id)
    return cr.language_for(guidance, user.language_code, chosen or (patient["language"] if patient else None))


def _text(services: Services, update: Update, key: str, chosen: str | None = None) -> render.Safe:
    """A message for someone who may have no follow-up: their clinic's words, their language."""
    guidance, clinic = session.default_guidance(services, parts.sender(update).id)
    lang = _lang(services, update, chosen)
    return render.message(guidance, key, lang, emergency_number=clinic.emergency_number)


async def _say(services: Services, update: Update, key: str) -> None:
    await services.say(parts.chat(update).id, MessageKind.REPLY, _text(services, update, key))


# ---- commands


async def link_command(update: Update, context: AftercareContext) -> None:
    """/start <token> from an enrolment link shows the consent."""
    services = context.services
    payload = context.args[0] if context.args else ""  # registered with has_args=True: one at least
    row = consent.valid_token(services, payload)
    if row is None:
        return await _say(services, update, "enrol_link_invalid")
    context.user_state[PENDING_TOKEN] = payload
    user = parts.sender(update)
    out = consent.consent(services, row, user.id, user.language_code, pending_language(context))
    await send(services, parts.chat(update).id, [out])


async def introduce(update: Update, context: AftercareContext) -> None:
    """Plain /start, or a command I do not know: what I do, or how to start."""
    services = context.services
    f = session.current(services, parts.sender(update).id)
    await _say(services, update, "help" if f else "not_enrolled")


async def help_command(update: Update, context: AftercareContext) -> None:
    await _say(context.services, update, "help")


async def staff_help(update: Update, context: AftercareContext) -> None:
    """Staff in their private chat: what they can do."""
    await _say(context.services, update, "staff_help")


def _with_followup(action: Callable[[Services, session.Followup], Outgoing | list[Outgoing]]) -> Handler:
    """A command that needs a follow-up; anyone without one is told how to start."""

    async def command(update: Update, context: AftercareContext) -> None:
        services = context.services
        f = session.current(services, parts.sender(update).id)
        if f is None:
            return await _say(services, update, "not_enrolled")
        outs = action(services, f)
        await send(services, parts.chat(update).id, outs if isinstance(outs, list) else [outs])

    command.__name__ = action.__name__
    return command


status_command = _with_followup(commands.status)
tips_command = _with_followup(commands.tips)
pause_command = _with_followup(commands.pause)
resume_command = _with_followup(commands.resume)
stop_command = _with_followup(commands.stop)


async def delete_command(update: Update, context: AftercareContext) -> None:
    """/delete asks first; it works after /stop too (the data is kept until erased)."""
    services = context.services
    out = commands.delete_confirm(services, parts.sender(update).id)
    if out is None:
        return await _say(services, update, "not_enrolled")
    await send(services, parts.chat(update).id, [out])


# ---- messages


async def incoming(update: Update, context: AftercareContext) -> None:
    """Whatever the patient sends is read: text, a caption, a photo, an edit. Words are stored,
    triaged, alerted on and answered at once, whatever the chat's pace: its answer waits for
    the chat, the rest does not."""
    services = context.services
    message, edited = parts.message(update), update.edited_message is not None
    text = message.text or message.caption or ""
    # The largest size comes last; an edited caption is new words, its photo is kept already.
    photo = message.photo[-1].file_id if message.photo and not edited else None
    skipped = (
        consent.skip_phone(services, parts.sender(update).id, text) if message.text and not edited else None
    )
    if skipped is not None:  # "Skip" under the phone question: an answer to it, not words to read
        return await send(services, parts.chat(update).id, [skipped])
    if not text.strip() and photo is None:  # a voice note, sticker, location...: say what I can read
        if edited:
            return None
        f = session.current(services, parts.sender(update).id)
        if f is None:
            return await _answer(services, update, context, _reply(services, update, "not_enrolled"))
        unread = cr.with_emergency_line(f.guidance, f.clinic, f.lang, "media_unreadable")
        return await _answer(services, update, context, words.Answer(unread, None, NO_BUCKET))
    taken = words.take_words(services, parts.sender(update).id, text, message.message_id, photo)
    if taken is None:
        return await _unfollowed(services, update, context, text, edited)
    if taken.replayed and (
        edited or services.store.message_answered(taken.followup.session["id"], message.message_id)
    ):
        return None  # handled before a restart, up to its answer: nothing left to do
    assessed = None
    if text.strip():
        with services.store.transaction():  # the assessment, any alert and the answered check-in together
            assessed = words.assess_words(services, taken, edited)
        if not assessed.news:
            return await _send_queued(context, assessed.alert_edits)  # stored and judged: nothing new
    await _answer(services, update, context, words.answer(services, taken, assessed))
    await _send_queued(context, (*assessed.alert_edits, *assessed.checkin_edits) if assessed else ())


async def _send_queued(context: AftercareContext, row_ids: tuple[int, ...]) -> None:
    """Rows queued with the writes just committed (an open alert's copies edited), sent now;
    the tick sends what cannot go yet."""
    for row_id in row_ids:
        await context.services.delivery.send(row_id)
    await _updated_chart(context, row_ids)


async def _updated_chart(context: AftercareContext, row_ids: tuple[int, ...]) -> None:
    """An open alert's copies were edited: its new chart, drawn while the next update is handled."""
    drawing = alerts.chart_after_growth(context.services, row_ids)
    if row_ids and context.application.running:
        context.application.create_task(drawing)
    else:  # nothing to draw, or the bot is stopping: a task started now would not be awaited
        await drawing


async def _answer(
    services: Services, update: Update, context: AftercareContext, answer: words.Answer
) -> None:
    """Queue the answer to the conversation so far and send it, in the background: an emergency
    at once, ahead of anything else for this chat; any other when the chat is free, unless a
    newer one replaced it."""
    chat_id = parts.chat(update).id
    with services.store.transaction():
        chosen = words.supersede(services, chat_id, answer)
        if chosen is None:
            return
        row_id = services.queue(
            chat_id,
            MessageKind.ANSWER,
            chosen.text,
            chosen.markup if chosen.markup is not None else consent.lapsed_keyboard(services, chat_id),
            ref_id=chosen.assessment_id,
            priority=EMERGENCY if chosen.urgent else 0,
        )
    spawn = functools.partial(context.application.create_task, update=update)
    await services.send_answer(chat_id, row_id, spawn, urgent=chosen.urgent)


async def _unfollowed(
    services: Services, update: Update, context: AftercareContext, text: str, edited: bool
) -> None:
    """No follow-up: a red flag still gets the emergency text; anything else (not an edit) how
    to start, or to answer the consent. Nothing of it is stored."""
    chosen = pending_language(context)
    lang = _lang(services, update, chosen)
    emergency = words.unfollowed(services, parts.sender(update).id, text, lang) if text else None
    if emergency is not None:
        return await _answer(services, update, context, emergency)
    if edited:
        return None
    pending = consent.valid_token(services, context.user_state.get(PENDING_TOKEN))
    key = "consent_pending" if pending else "not_enrolled"
    await _answer(services, update, context, _reply(services, update, key, chosen))


def _reply(services: Services, update: Update, key: str, chosen: str | None = None) -> words.Answer:
    """A message answering whatever was sent, replaced by a newer one like any answer: a flood
    of stickers gets one reply, and never holds the next update while the chat is paced."""
    return words.Answer(_text(services, update, key, chosen), None, NO_BUCKET)


async def contact(update: Update, context: AftercareContext) -> None:
    """A contact shared (the one-tap phone button at consent): the patient's own number is kept
    for their clinic; anyone else's is refused."""
    services = context.services
    shared = parts.message(update).contact
    assert shared is not None  # the handler's filter
    out = consent.take_contact(services, parts.sender(update).id, shared.user_id, shared.phone_number)
    if out is None:
        return await _say(services, update, "not_enrolled")
    await send(services, parts.chat(update).id, [out])


# ---- buttons


async def button(update: Update, context: AftercareContext) -> None:
    """Every patient button. A stale, foreign or forged press is refused and changes nothing."""
    services = context.services
    query = parts.press(update)
    user = query.from_user
    data = render.unpack(query.data)
    message = query.message
    if data is None or message is None or message.chat.type != Chat.PRIVATE:
        return await _stale(context, update)
    await replies.answer_press(context, update)
    chat_id, message_id = message.chat.id, message.message_id
    if data.action in (cr.CONSENT_YES, cr.CONSENT_NO):
        return await _consent(services, update, context, data, message_id)
    if data.action in (cr.ANSWER, cr.TOGGLE, cr.DONE):
        outs = checkins.press(services, user.id, data, message_id)
    elif data.action == cr.DELETE:
        outs = commands.delete(services, user.id, data, message_id)
    elif data.action == cr.LANGUAGE:
        outs = language_press(context, update, data, message_id)
    else:
        outs = None
    if outs is None:
        return await _stale(context, update)
    await send(services, chat_id, outs)
    await _updated_chart(context, tuple(out.queued for out in outs if out.queued is not None))


async def unknown_button(update: Update, context: AftercareContext) -> None:
    """A press whose data no handler knows (forged, or from an older bot): answered, refused."""
    await _stale(context, update)


async def _stale(context: AftercareContext, update: Update) -> None:
    log.info("stale or foreign button from %s", who(context, parts.sender(update).id))
    await replies.reply_kindly(context, update, "stale_button")


def who(context: AftercareContext, telegram_id: int) -> str:
    """A user as the log names them: a patient by their internal id, anyone else by pseudonym."""
    patient = context.services.store.patient_by_telegram(telegram_id)
    return f"patient {patient['id']}" if patient else f"user {pseudonym(context.bot.token, telegram_id)}"


async def _consent(
    services: Services, update: Update, context: AftercareContext, data: render.Button, message_id: int
) -> None:
    """Accept: the token is claimed and the follow-up planned. Decline: nothing is kept, and the
    link stays usable until it expires, so the patient may still change their mind."""
    user = parts.sender(update)
    token = data.value or context.user_state.get(PENDING_TOKEN)
    row = services.store.enrol_token(token) if token else None
    chosen = pending_language(context)
    if data.action == cr.CONSENT_NO:
        context.user_state.pop(PENDING_TOKEN, None)
        if row is None:
            return await _stale(context, update)
        guidance = services.guidance(row["clinic_id"])
        lang = consent.language(services, guidance, user.id, user.language_code, chosen)
        text = render.message(guidance, "consent_declined", lang)
        return await send(services, user.id, [Outgoing(text, edit=message_id)])
    accepted = (
        consent.accept(services, token, user.id, user.first_name, user.language_code, chosen)
        if token
        else None
    )
    if accepted is None or row is None:  # a token accepted has its row
        if row is None or row["used_at"] is not None:  # a second tap, or a forged token
            return await _stale(context, update)
        return await _say(services, update, "enrol_link_invalid")  # expired while deciding
    context.user_state.pop(PENDING_TOKEN, None)
    context.user_state.pop(PENDING_LANGUAGE, None)
    asked = consent.consent(services, row, user.id, user.language_code, chosen)
    await send(services, user.id, [Outgoing(asked.text, None, edit=message_id), accepted])
