"""An outbox row's markup (a plain dict, as bot/render makes it) as PTB's reply markup.

Imports PTB only."""

from __future__ import annotations

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup


def telegram_markup(markup: dict | None) -> InlineKeyboardMarkup | ForceReply | None:
    """An inline keyboard, or a request to reply (`force_reply`: the reply field opens)."""
    if not markup:
        return None
    if markup.get("force_reply"):
        return ForceReply()
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in markup["inline_keyboard"]
        ]
    )
