"""Every button press is answered, and whatever cannot be handled gets a kind reply.

Telegram shows a spinner on a pressed button until the bot answers the press (answerCallbackQuery),
and takes one answer per press: a second is refused. Handlers answer through `answer_press`,
which remembers the presses answered, so a failure after the answer does not answer twice.

A refusal or an apology (`stale_button`, `staff_only`, `error_generic`) goes to the person in
their words: a staff member's clinic and its language; anyone else, the clinic they last
belonged to and their language. To a press in a private chat it is a message; in a group, or
when no message is behind the press (an inline message, one too old for Telegram to pass), it is
the notice Telegram shows on the presser's screen alone.

`on_error` is the bot's one error handler: a failure in any handler or job is one log line
without private data, and whoever wrote or pressed gets the kind reply.
Imports `bot.services`, `bot.render`, `bot.followup` and `bot.guidance`.
"""

from __future__ import annotations

import logging
import traceback
from collections import OrderedDict
from pathlib import Path

from telegram import Chat, Update
from telegram.error import BadRequest

from bot.followup.status import MessageKind
from bot.guidance.config import Clinic
from bot.render import alerts as texts
from bot.render import checkin as cr
from bot.render import html as render
from bot.services import session
from bot.services.shared import Services
from bot.telegram.context import AftercareContext

log = logging.getLogger(__name__)

ANSWERED = "answered_presses"  # bot_data: the ids of the presses answered lately
REMEMBERED = 4096  # a press is answered within seconds; older ids can be forgotten
NOTICE_LIMIT = 200  # characters Telegram shows in a press's notice
PACKAGE = Path(__file__).resolve().parents[1]  # the bot package: frames outside it are libraries


async def answer_press(context: AftercareContext, update: Update, notice: str | None = None) -> None:
    """Answer the press behind `update` (if any) unless it was answered already; `notice` (plain
    text) shows on the presser's screen."""
    query = update.callback_query
    if query is None:
        return
    answered = context.bot_data.setdefault(ANSWERED, OrderedDict())
    if query.id in answered:
        return
    answered[query.id] = None
    if len(answered) > REMEMBERED:
        answered.popitem(last=False)
    try:
        await query.answer(notice[:NOTICE_LIMIT] if notice else None)
    except BadRequest as error:
        # A press handled again after a restart (bot/telegram/intake.py) was answered before the kill, or
        # is too old to answer now: what it asks is still done.
        if "query is too old" not in str(error).lower():
            raise


def kind_text(services: Services, update: Update, key: str) -> render.Safe:
    """The message `key` for whoever pressed or wrote, in their clinic's words and their language."""
    user = update.effective_user
    clinics = services.staff_clinics(user.id) if user else []
    if clinics:
        return render.message(services.guidance(clinics[0].id), key, clinics[0].language)
    guidance, clinic = session.default_guidance(services, user.id if user else None)
    patient = services.store.patient_by_telegram(user.id) if user else None
    code = user.language_code if user else None
    lang = cr.language_for(guidance, code, patient["language"] if patient else None)
    return render.message(guidance, key, lang, emergency_number=clinic.emergency_number)


async def reply_kindly(context: AftercareContext, update: Update, what: str | render.Safe) -> None:
    """Answer with `what`: a message key, or a rendered message. A press is always answered."""
    services = context.services
    text = what if isinstance(what, render.Safe) else kind_text(services, update, what)
    chat = update.effective_chat
    if update.callback_query is not None and (chat is None or chat.type != Chat.PRIVATE):
        return await answer_press(context, update, render.plain(text))
    await answer_press(context, update)
    if chat is not None:
        staff = update.effective_user is not None and services.staff_clinics(update.effective_user.id)
        await services.say(chat.id, MessageKind.STAFF if staff else MessageKind.REPLY, text)


def staff_text(services: Services, clinic: Clinic | None, key: str, **values: object) -> render.Safe:
    """The message `key` in a clinic's language (the first clinic's when none is known)."""
    clinic = clinic or services.config.clinics[0]
    return render.message(services.guidance(clinic.id), key, clinic.language, **values)


def staff_label(services: Services, clinic: Clinic, key: str) -> str:
    """A button's label in a clinic's language."""
    return texts.button_label(services.guidance(clinic.id), key, clinic.language)


async def on_error(update: object, context: AftercareContext) -> None:
    """A failure in a handler or a job: one line in the log (its type and where, no traceback,
    nor the update: they may hold a patient's words), and whoever pressed or wrote gets the kind
    error reply (a press is answered). A background send has no one waiting on it: its row is
    left to the tick."""
    if context.error is None:  # PTB always passes the error: nothing to report without one
        return
    log.error("handler failed: %s", describe(context.error))
    if not isinstance(update, Update) or update.effective_user is None or context.job or context.coroutine:
        return
    try:
        await reply_kindly(context, update, "error_generic")
    except Exception as error:
        log.error("could not send the error reply: %s", describe(error))


def describe(error: BaseException) -> str:
    """An error for the log in one line: its type and where in our code it happened, innermost
    first (`AttributeError at bot/telegram/staff.py:372 _reply < bot/telegram/staff.py:355
    staff_button`). Not its message, nor a traceback: either may quote what the update held."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(PACKAGE)]
    shown = [
        f"{Path(f.filename).resolve().relative_to(PACKAGE.parent)}:{f.lineno} {f.name}"
        for f in reversed(ours[-4:])
    ]
    return type(error).__name__ + (" at " + " < ".join(shown) if shown else "")
