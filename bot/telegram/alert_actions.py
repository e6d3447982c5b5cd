"""Staff acting on an alert in Telegram: "I'm handling it", an outcome that closes it, a note,
"Message patient", and the staff member's reply to the bot's prompt for a note or a message.

Only staff of the alert's clinic act on it: anyone else, a forged or a stale button read the
same as no alert. A reply to a prompt reaches the bot in a group with privacy mode (a reply to
the bot); in the private chat any text answers the latest prompt for `PROMPT_MINUTES`.
Imports `bot.services`, `bot.render` and `bot.store`'s prompt purposes.
"""

from __future__ import annotations

from typing import Any

from telegram import Chat, Message, Update
from telegram.ext import Application, MessageHandler, filters

from bot.followup.status import MessageKind
from bot.render import alerts as texts
from bot.render import lifecycle
from bot.render.html import Button
from bot.services import alert_lifecycle, alerts
from bot.services.shared import Services
from bot.store.lifecycle import MESSAGE, NOTE
from bot.telegram import parts, replies
from bot.telegram.audience import Audiences
from bot.telegram.context import AftercareContext
from bot.telegram.replies import staff_text

ACTIONS = (texts.ACK, texts.MESSAGE, lifecycle.CLOSE, lifecycle.NOTE)


def register(application: Application, audience: Audiences, services: Services) -> None:
    """Staff's replies to the bot's prompts (before the patient's handlers, which give staff help)."""
    answers = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE & audience.staff
    application.add_handler(MessageHandler(answers & AnswersPrompt(services), prompt_reply))


def open_prompt(services: Services, message: Message) -> dict[str, Any] | None:
    """The sender's prompt this message answers: the one it replies to, or in the private chat
    the latest one asked there within PROMPT_MINUTES."""
    user = message.from_user
    if user is None:
        return None
    store, replied = services.store, message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.is_bot:
        return store.prompt_replied_to(user.id, message.chat.id, replied.message_id)
    if message.chat.type != Chat.PRIVATE:
        return None
    return store.private_prompt(user.id, services.now() - lifecycle.PROMPT_MINUTES * 60)


class AnswersPrompt(filters.MessageFilter):
    """The message answers a prompt of the bot to its sender (read from the store)."""

    def __init__(self, services: Services):
        super().__init__(name="AnswersPrompt")
        self.services = services

    def filter(self, message: Message) -> bool:
        return open_prompt(self.services, message) is not None


async def prompt_reply(update: Update, context: AftercareContext) -> None:
    """A staff member's note or message to the patient, in reply to the bot's prompt."""
    services, message = context.services, parts.message(update)
    prompt = open_prompt(services, message)
    alert = services.store.alert(prompt["alert_id"]) if prompt else None
    user_id = parts.sender(update).id
    if prompt is None or alert is None or not services.clinic(alert["clinic_id"]).is_staff(user_id):
        return  # answered meanwhile, or no longer theirs: the filter let it through a moment ago
    confirmation = await alert_lifecycle.answer(services, prompt, user_id, message.text or "")
    if confirmation is not None:
        session = services.store.session(alert["session_id"]) or {}  # it names the patient: erased with them
        await services.say(
            parts.chat(update).id, MessageKind.STAFF, confirmation, patient_id=session.get("patient_id")
        )


async def press(update: Update, context: AftercareContext, button: Button) -> None:
    """A button of an alert: take it, close it with an outcome, add a note, message the patient."""
    services = context.services
    alert = services.store.alert(button.row_id)
    user_id, chat = parts.sender(update).id, update.effective_chat
    chat_id = chat.id if chat is not None else user_id  # a press with no message: ask in private
    valueless = button.action != lifecycle.CLOSE
    if (
        alert is None
        or (valueless and button.value)
        or not services.clinic(alert["clinic_id"]).is_staff(user_id)
    ):
        # another clinic's alert reads the same as no alert
        stale = staff_text(services, services.staff_clinics(user_id)[0], "stale_button")
        return await replies.reply_kindly(context, update, stale)
    if button.action == texts.ACK:
        reply = await alerts.acknowledge(services, alert["id"], user_id)
    elif button.action == lifecycle.CLOSE:
        reply = await alert_lifecycle.close(services, alert["id"], user_id, button.value, chat_id)
    elif button.action == lifecycle.NOTE:
        reply = await alert_lifecycle.ask(services, alert, user_id, chat_id, NOTE, "alert_note_again_prompt")
    else:
        reply = await alert_lifecycle.ask(services, alert, user_id, chat_id, MESSAGE, "alert_message_prompt")
    if reply is None:
        await replies.answer_press(context, update)
    else:
        await replies.reply_kindly(context, update, reply)
