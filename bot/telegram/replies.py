"""Every button press is answered, and whatever cannot be handled gets a kind reply.

Telegram shows a spinner on a pressed button until the bot answers the press (answerCallbackQuery),
and takes one answer per press: a second is refused. Handlers answer through `answer_press`,
which remembers the presses answered, so a failure after the answer does not answer twice.

A refusal or an apology (`stale_button`, `staff_only`, `error_generic`) goes to the person in
their words: a staff member's clinic and its language; anyone else, the clinic they last
belonged to and their language. To a press in a private chat it is a message; in a group, or
when no message is behind the press (an inline message, one too old for Telegram to pass), it is
the notice Telegram shows on the presser's screen alone.
"""

from __future__ import annotations

import traceback
from collections import OrderedDict
from pathlib import Path

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.render import checkin as cr
from bot.services import followup
from bot.render import html as render
from bot.services.shared import Services

ANSWERED = "answered_presses"  # bot_data: the ids of the presses answered lately
REMEMBERED = 4096  # a press is answered within seconds; older ids can be forgotten
NOTICE_LIMIT = 200  # characters Telegram shows in a press's notice
PACKAGE = Path(__file__).resolve().parents[1]  # the bot package: frames outside it are libraries


async def answer_press(context: ContextTypes.DEFAULT_TYPE, update: Update, notice: str | None = None) -> None:
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
    guidance, clinic = followup.default_guidance(services, user.id if user else None)
    patient = services.store.patient_by_telegram(user.id) if user else None
    lang = patient["language"] if patient and patient["language"] else \
        cr.language_for(guidance, user.language_code if user else None)
    return render.message(guidance, key, lang, emergency_number=clinic.emergency_number)


async def reply_kindly(context: ContextTypes.DEFAULT_TYPE, update: Update, what: str | render.Safe) -> None:
    """Answer with `what`: a message key, or a rendered message. A press is always answered."""
    services: Services = context.bot_data["services"]
    text = what if isinstance(what, render.Safe) else kind_text(services, update, what)
    chat = update.effective_chat
    if update.callback_query is not None and (chat is None or chat.type != "private"):
        return await answer_press(context, update, render.plain(text))
    await answer_press(context, update)
    if chat is not None:
        staff = update.effective_user is not None and services.staff_clinics(update.effective_user.id)
        await services.say(chat.id, "staff" if staff else "reply", text)


def describe(error: BaseException) -> str:
    """An error for the log in one line: its type and where in our code it happened, innermost
    first (`AttributeError at bot/telegram/staff.py:372 _reply < bot/telegram/staff.py:355 staff_button`). Not its
    message, nor a traceback: either may quote what the update held."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(PACKAGE)]
    shown = [f"{Path(f.filename).resolve().relative_to(PACKAGE.parent)}:{f.lineno} {f.name}"
             for f in reversed(ours[-4:])]
    return type(error).__name__ + (" at " + " < ".join(shown) if shown else "")
