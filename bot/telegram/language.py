"""/language in the private chat, also before consent: a patient record keeps the choice; before
consent, the link's pending state does (in memory, as the link itself: nothing is stored before
consent), and the consent comes again in the chosen language. Imports `bot.services`."""

from __future__ import annotations

from telegram import Update

from bot.followup.status import MessageKind
from bot.render.html import Button
from bot.render.outgoing import Outgoing
from bot.services import commands, consent
from bot.telegram import parts, replies
from bot.telegram.context import AftercareContext

PENDING_TOKEN = "pending_token"  # user_data: the link opened, until consent is given or refused
PENDING_LANGUAGE = "pending_language"  # user_data: the language chosen before consent


def pending_language(context: AftercareContext) -> str | None:
    return context.user_state.get(PENDING_LANGUAGE)


async def language_command(update: Update, context: AftercareContext) -> None:
    """/language offers the clinic's languages as buttons, at any time of the follow-up or after,
    and before consent to a link opened."""
    services, user = context.services, parts.sender(update)
    pending = consent.valid_token(services, context.user_state.get(PENDING_TOKEN))
    out = commands.language_choice(services, user.id, pending, user.language_code, pending_language(context))
    if out is None:
        return await replies.reply_kindly(context, update, "not_enrolled")
    await services.say(parts.chat(update).id, MessageKind.REPLY, out.text, out.markup)


def language_press(
    context: AftercareContext, update: Update, data: Button, message_id: int
) -> list[Outgoing] | None:
    """A press of /language's buttons; None when stale, foreign or forged. Before consent (the
    buttons carry no patient): the choice is kept with the pending link and the consent is asked
    again in that language."""
    services, user = context.services, parts.sender(update)
    if data.row_id != 0 or services.store.patient_by_telegram(user.id) is not None:
        outs = commands.set_language(services, user.id, data, message_id)
        return outs and [*outs, *consent.phone_offer_again(services, user.id)]
    row = consent.valid_token(services, context.user_state.get(PENDING_TOKEN))
    if row is None or data.value not in services.guidance(row["clinic_id"]).messages:
        return None
    context.user_state[PENDING_LANGUAGE] = data.value
    done = commands.language_set(services, row["clinic_id"], data.value, message_id)
    return [done, consent.consent(services, row, user.id, user.language_code, data.value)]
