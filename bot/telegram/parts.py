"""The parts of an update a handler relies on: its sender, its chat, its message, its press.

PTB types each as optional, as some updates lack it (a channel post has no sender, a poll no
chat). Every handler here is registered for updates that have the parts it reads (its filters,
its handler class), so these name the part and fail loudly, into the error handler
(`replies.on_error`), on an update without it. Imports nothing of the bot.
"""

from __future__ import annotations

from telegram import CallbackQuery, Chat, Message, Update, User


def sender(update: Update) -> User:
    """Who wrote or pressed."""
    if update.effective_user is None:
        raise ValueError(f"update {update.update_id} names no sender")
    return update.effective_user


def chat(update: Update) -> Chat:
    """The chat the update happened in."""
    if update.effective_chat is None:
        raise ValueError(f"update {update.update_id} names no chat")
    return update.effective_chat


def message(update: Update) -> Message:
    """The message sent or edited (a text, a caption, a photo...)."""
    if update.effective_message is None:
        raise ValueError(f"update {update.update_id} carries no message")
    return update.effective_message


def press(update: Update) -> CallbackQuery:
    """The button press."""
    if update.callback_query is None:
        raise ValueError(f"update {update.update_id} is no button press")
    return update.callback_query
