"""What the emulator remembers (users, chats, messages, callback queries, files) and its Bot API JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    phone_number: str | None = None  # what a contact-request button shares; never in to_api

    @property
    def chat_id(self) -> int:
        """The private chat with a user has the user's id."""
        return self.id

    def to_api(self) -> dict[str, Any]:
        return _compact(
            {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name,
             "last_name": self.last_name, "username": self.username,
             "language_code": self.language_code}
        )  # fmt: skip


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    size: int
    data: bytes = field(default=b"", repr=False)
    file_name: str | None = None
    mime_type: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": self.size}


@dataclass(eq=False)  # a message is one thing in one chat: identity, not field equality
class Message:
    """One message in a chat as the emulator stores it; the bot's edits change it in place."""

    chat: Chat = field(repr=False)
    message_id: int
    date: int
    sender: User
    text: str | None = None  # the text, or the caption of a photo or document, after parsing
    entities: tuple[dict, ...] = ()
    html: str | None = None  # the source the bot sent, when parse_mode was HTML
    parse_mode: str | None = None
    reply_markup: dict | None = None
    photo: StoredFile | None = None
    document: StoredFile | None = None
    photo_sizes: tuple[StoredFile, ...] = ()  # a user's photo: smaller sizes before ``photo``
    media: dict[str, Any] | None = (
        None  # a user's video, voice, sticker, location, contact... (kind -> object)
    )
    reply_to: Message | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    @property
    def keyboard(self) -> list[list[dict]]:
        """Rows of inline buttons currently attached (empty without an inline keyboard)."""
        return (self.reply_markup or {}).get("inline_keyboard", [])

    @property
    def reply_keyboard(self) -> list[list[dict]] | None:
        """Rows of the reply keyboard this message shows; [] when it removes one; None if neither."""
        markup = self.reply_markup or {}
        if "keyboard" in markup:  # a button given as a String is its text
            return [[{"text": b} if isinstance(b, str) else b for b in row] for row in markup["keyboard"]]
        return [] if markup.get("remove_keyboard") else None

    @property
    def buttons(self) -> list[dict]:
        return [button for row in self.keyboard for button in row]

    def button(self, *, text: str | None = None, callback_data: str | None = None) -> dict | None:
        for candidate in self.buttons:
            if (text is None or candidate.get("text") == text) and (
                callback_data is None or candidate.get("callback_data") == callback_data
            ):
                return candidate
        return None

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        media = self.photo or self.document or self.media
        body: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
            "edit_date": self.edit_date,
        }
        if media is None:
            body.update(text=self.text, entities=list(self.entities) or None)
        else:
            body.update(caption=self.text or None, caption_entities=list(self.entities) or None)
        if self.photo:
            smaller = [
                {**f.to_api(), "width": 90 * 2**i, "height": 67 * 2**i}
                for i, f in enumerate(self.photo_sizes)
            ]
            body["photo"] = [*smaller, {**self.photo.to_api(), "width": 1280, "height": 960}]
        if self.media:
            body.update(self.media)
        if self.document:
            body["document"] = _compact(
                {**self.document.to_api(), "file_name": self.document.file_name,
                 "mime_type": self.document.mime_type}
            )  # fmt: skip
        if with_reply and self.reply_to is not None:
            body["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            body["reply_markup"] = self.reply_markup  # only inline keyboards are echoed back
        return _compact(body)


@dataclass(eq=False)
class Chat:
    id: int
    type: str  # "private" or "group"
    user: User | None = None
    title: str | None = None
    started: bool = True  # a user must message the bot before the bot may write first
    blocked: bool = False
    members: list[User] = field(default_factory=list)
    messages: dict[int, Message] = field(default_factory=dict, repr=False)
    next_message_id: int = 1

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    def to_api(self) -> dict[str, Any]:
        if self.user is not None:
            user = self.user
            return _compact(
                {"id": self.id, "type": self.type, "first_name": user.first_name,
                 "last_name": user.last_name, "username": user.username}
            )  # fmt: skip
        return {"id": self.id, "type": self.type, "title": self.title}

    def to_full_api(self) -> dict[str, Any]:
        """getChat's ChatFullInfo: the fields PTB requires, with Telegram's defaults."""
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            True,
        )
        return {**self.to_api(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


@dataclass
class CallbackQuery:
    id: str
    user: User
    message: Message
    data: str
    pressed_at: float
    answered: bool = False
    answer: dict[str, Any] | None = None  # answerCallbackQuery's text, show_alert, url, cache_time

    def to_api(self, chat_instance: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.user.to_api(),
            "message": self.message.to_api(),
            "chat_instance": chat_instance,
            "data": self.data,
        }
