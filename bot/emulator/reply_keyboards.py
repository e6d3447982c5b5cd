"""What a user does with a reply keyboard in the emulator: press a text or contact-request button,
send a contact card, pick users for a `request_users` button. A mixin of `BotApiEmulator`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import Chat, Message, User

ChatLike = int | User | Chat | Message


class ReplyKeyboards:
    if TYPE_CHECKING:

        def messages_to(self, chat: ChatLike) -> list[Message]: ...
        def chat(self, which: ChatLike) -> Chat: ...
        async def send_text(self, user: User, text: str) -> Message: ...
        async def _user_message(self, user: User, **fields: Any) -> Message: ...

    async def share_users(self, user: User, message: Message, request_id: int, users: list[User]) -> Message:
        """The user taps the reply keyboard button of `message` that requests users (`request_id`)
        and picks `users`: Telegram sends the bot a `users_shared` message, with the names and
        usernames only if the button asked for them, and only users the button allows."""
        rows = (message.reply_markup or {}).get("keyboard", []) if message.from_bot else []
        found = [
            b["request_users"] for row in rows for b in row if isinstance(b, dict) and "request_users" in b
        ]
        request = next((r for r in found if r["request_id"] == request_id), None)
        if request is None or message.deleted or message.chat is not self.chat(user):
            raise ValueError(f"no button requesting users {request_id} under message {message.message_id}")
        if not 1 <= len(users) <= request.get("max_quantity", 1):
            raise ValueError(f"the button lets the user pick 1-{request.get('max_quantity', 1)} users")
        if "user_is_bot" in request and any(u.is_bot != request["user_is_bot"] for u in users):
            raise ValueError("the picker offers only " + ("bots" if request["user_is_bot"] else "people"))
        shared = []
        for picked in users:
            entry: dict[str, Any] = {"user_id": picked.id}
            if request.get("request_name"):
                entry.update(first_name=picked.first_name, last_name=picked.last_name)
            if request.get("request_username"):
                entry["username"] = picked.username
            shared.append({k: v for k, v in entry.items() if v is not None})
        return await self._user_message(
            user, media={"users_shared": {"request_id": request_id, "users": shared}}
        )

    def reply_keyboard(self, chat: ChatLike) -> list[list[dict]]:
        """The reply keyboard the bot shows in the chat now: the newest one sent, unless a later
        message removed it ([] if none). A one-time keyboard hides after a press but stays a tap
        away, as in Telegram's apps."""
        for message in reversed(self.messages_to(chat)):
            if message.reply_keyboard is not None:
                return message.reply_keyboard
        return []

    async def press_reply_button(self, user: User, text: str) -> Message:
        """The user taps the reply keyboard's button labelled ``text`` in their private chat: a
        text button sends its text; a contact-request button shares the user's own contact (after
        the confirmation Telegram's app asks, taken as given)."""
        button = next((b for row in self.reply_keyboard(user) for b in row if b["text"] == text), None)
        if button is None:
            shown = [b["text"] for row in self.reply_keyboard(user) for b in row]
            raise ValueError(f"no reply keyboard button {text!r} in the chat: {shown}")
        if button.get("request_contact"):
            return await self.send_contact(user, user.phone_number or "", user_id=user.id)
        if any(button.get(r) for r in ("request_location", "request_poll", "request_users", "request_chat")):
            raise ValueError(f"the emulator cannot press {text!r}: only text and contact requests")
        return await self.send_text(user, text)

    async def send_contact(
        self,
        user: User,
        phone_number: str,
        *,
        first_name: str | None = None,
        user_id: int | None = None,
    ) -> Message:
        """The user sends a contact card: their own (``user_id`` = theirs, as the contact-request
        button sends) or anyone's, typed in or picked from their address book (``user_id`` of
        that person when they use Telegram, else none)."""
        own = user_id == user.id
        card = {
            "phone_number": phone_number,
            "first_name": user.first_name if own and first_name is None else first_name or "Someone",
            "last_name": user.last_name if own else None,
            "user_id": user_id,
        }
        return await self._user_message(
            user, media={"contact": {k: v for k, v in card.items() if v is not None}}
        )
