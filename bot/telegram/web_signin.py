"""/web and /web logout: a staff member's one-time sign-in link to the web worklist, and
signing out of every browser. In a private chat only: a link is for its holder alone.

Imports `bot.services` and the shared Telegram helpers."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.followup.status import MessageKind
from bot.services import web_access
from bot.telegram import parts
from bot.telegram.audience import PRIVATE, Audiences
from bot.telegram.context import AftercareContext
from bot.telegram.replies import staff_text


def register(application: Application, audience: Audiences) -> None:
    """Staff in their private chat get a link; staff elsewhere are told where to ask."""
    application.add_handler(CommandHandler("web", web_command, filters=PRIVATE & audience.staff))
    application.add_handler(CommandHandler("web", web_elsewhere, filters=audience.staff))


async def web_command(update: Update, context: AftercareContext) -> None:
    """`/web`: a sign-in link; `/web logout`: every session of the sender ends."""
    services, chat_id = context.services, parts.chat(update).id
    user_id = parts.sender(update).id
    clinic = services.staff_clinics(user_id)[0]
    if context.args and context.args[0].lower() == "logout":
        count = web_access.revoke(services, user_id)
        text = staff_text(services, clinic, "web_logged_out", count=count)
    elif not services.config.web.enabled:
        text = staff_text(services, clinic, "web_off")
    else:
        link = web_access.issue_link(services, user_id)
        row = await services.say(
            chat_id, MessageKind.STAFF, staff_text(services, clinic, "web_link", url=link)
        )
        # The store keeps hashes of sign-in tokens only: the sent copy loses its link.
        services.store.redact_sent(row, staff_text(services, clinic, "web_link", url="…"))
        return
    await services.say(chat_id, MessageKind.STAFF, text)


async def web_elsewhere(update: Update, context: AftercareContext) -> None:
    """/web in a group: the link would be everyone's; say where to ask instead."""
    services = context.services
    clinic = services.staff_clinics(parts.sender(update).id)[0]
    await services.say(
        parts.chat(update).id, MessageKind.STAFF, staff_text(services, clinic, "web_private_only")
    )
