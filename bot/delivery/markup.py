"""A stored markup (a plain dict, as `bot.render` builds it) as the PTB object sent with a message."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def telegram_markup(markup: dict | None) -> ReplyMarkup | None:
    """A stored markup as PTB's: an inline keyboard, a reply keyboard (text and contact-request
    buttons) or the removal of one."""
    if not markup:
        return None
    if markup.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    if "keyboard" in markup:
        return ReplyKeyboardMarkup(
            [
                [KeyboardButton(b["text"], request_contact=b.get("request_contact")) for b in row]
                for row in markup["keyboard"]
            ],
            resize_keyboard=markup.get("resize_keyboard"),
            one_time_keyboard=markup.get("one_time_keyboard"),
        )
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in markup["inline_keyboard"]
        ]
    )
