"""A stored markup (the JSON of `Outgoing.markup`, as bot/render makes it) as python-telegram-bot's
reply markup.

Imports PTB only."""

from __future__ import annotations

from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


def telegram_markup(markup: dict | None) -> ReplyMarkup | None:
    """An inline keyboard, a reply keyboard (its buttons may ask for the user's contact or to pick
    users), the removal of a reply keyboard, or a request to reply (`force_reply`: the reply field
    opens)."""
    if not markup:
        return None
    if "keyboard" in markup:
        return ReplyKeyboardMarkup.de_json(markup, None)
    if markup.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    if markup.get("force_reply"):
        return ForceReply()
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in markup["inline_keyboard"]
        ]
    )
