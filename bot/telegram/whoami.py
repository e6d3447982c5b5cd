"""/whoami for anyone (patients, strangers, staff; in private or in a group): their Telegram id,
the group's chat id, and how to give them to the clinic's admin, which is how a new staff member
or alert group joins. And a staff member who writes to the bot in private is reachable again
(bot/services/reachability.py). Imports `bot.services` and `bot.render`."""

from __future__ import annotations

from telegram import Chat, Update
from telegram.ext import Application, CommandHandler, MessageHandler

from bot.followup.status import MessageKind
from bot.render import html as render
from bot.services import reachability, session
from bot.telegram import parts
from bot.telegram.audience import PRIVATE, Audiences
from bot.telegram.context import AftercareContext

REACHED_GROUP = -1  # before every other handler, which it lets run as well


def register(application: Application, audience: Audiences) -> None:
    """/whoami before every other handler (a patient's and staff's alike); the reach mark first."""
    application.add_handler(MessageHandler(PRIVATE & audience.staff, staff_wrote), group=REACHED_GROUP)
    application.add_handler(CommandHandler("whoami", whoami_command))


async def whoami_command(update: Update, context: AftercareContext) -> None:
    """Anyone's Telegram id (and the group's chat id in a group), in their language."""
    services, user, chat = context.services, parts.sender(update), parts.chat(update)
    guidance, clinic = session.default_guidance(services, user.id)
    code = (user.language_code or "")[:2]
    lang = code if code in guidance.messages else clinic.language
    if chat.type == Chat.PRIVATE:
        text = render.message(guidance, "whoami", lang, user_id=user.id)
    else:
        text = render.message(guidance, "whoami_group", lang, user_id=user.id, chat_id=chat.id)
    await services.say(chat.id, MessageKind.REPLY, text)


async def staff_wrote(update: Update, context: AftercareContext) -> None:
    """A staff member's private message: the bot may write to them again."""
    reachability.reached(context.services, parts.sender(update).id)
