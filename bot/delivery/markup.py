"""A stored markup (the JSON of `Outgoing.markup`) as python-telegram-bot's reply markup.

Imports nothing of the bot."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def telegram_markup(markup: dict | None) -> ReplyMarkup | None:
    """An inline keyboard, a reply keyboard (its buttons may ask the user to pick users), or the
    removal of a reply keyboard."""
    if not markup:
        return None
    if "keyboard" in markup:
        return ReplyKeyboardMarkup.de_json(markup, None)
    if markup.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in markup["inline_keyboard"]
        ]
    )
