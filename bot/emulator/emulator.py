"""BotApiEmulator: a local Telegram Bot API server with a scripting API for tests and the demo."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .faults import Faults
from .limits import TELEGRAM_LIMITS, Clock, RateLimiter, RateLimits
from .model import CallbackQuery, Chat, Message, User
from .params import Upload
from .records import Call, ExpectViolation, Pattern, Recorder, Violation
from .reply_keyboards import ChatLike, ReplyKeyboards
from .server import ApiServer
from .world import MessageListener, World

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
# What a user may send besides text and photos, as the Bot API shows it (file ids are added).
MEDIA: dict[str, dict[str, Any]] = {
    "voice": {"duration": 4, "mime_type": "audio/ogg"},
    "video_note": {"length": 240, "duration": 6},
    "video": {"width": 640, "height": 480, "duration": 5},
    "animation": {"width": 320, "height": 240, "duration": 2},
    "audio": {"duration": 30},
    "document": {"file_name": "notes.pdf", "mime_type": "application/pdf"},
    "sticker": {
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "emoji": "👍",
    },
    "location": {"latitude": 51.5072, "longitude": -0.1276},
    "contact": {"phone_number": "+44 20 7946 0999", "first_name": "Someone"},
}


class BotApiEmulator(ReplyKeyboards):
    """``async with BotApiEmulator() as emu:`` serves the Bot API on 127.0.0.1 at ``emu.base_url``."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "aftercare_test_bot",
        bot_first_name: str = "Aftercare",
        *,
        rate_limits: RateLimits | None = TELEGRAM_LIMITS,
        clock: Clock = time.time,
        callback_timeout: float = 15.0,
        strict_html: bool = True,
        privacy_mode: bool = True,
        first_update_id: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        bot_id = token.partition(":")[0]
        self.token = token
        self.bot = User(
            int(bot_id) if bot_id.isdigit() else 1, bot_first_name, username=bot_username, is_bot=True
        )
        self.faults = Faults(clock)
        self.recorder = Recorder()
        self.world = World(
            self.bot,
            clock=clock,
            rate_limits=rate_limits,
            callback_timeout=callback_timeout,
            strict_html=strict_html,
            privacy_mode=privacy_mode,
            first_update_id=first_update_id,
        )
        self._server = ApiServer(self.world, self.recorder, self.faults, token)
        self._runner: web.AppRunner | None = None
        self._host, self._port = host, port
        self._user_ids = itertools.count(700_000_001)
        self._group_ids = itertools.count(900_000_001)
        self._cursors: dict[int, int] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        # handler_cancellation ends a long poll or a delayed reply as soon as its client leaves.
        runner = web.AppRunner(self._server.application(), handler_cancellation=True, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        self.world.updates.close()
        await self.world.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # -- people and chats --------------------------------------------------------------------

    def use_clock(self, clock: Clock) -> None:
        """Run the flood limits, message dates and faults on another clock, such as a test's
        fake one, so instant taps in a test are not 429s from the real clock."""
        self.world.clock = clock
        self.faults.clock = clock
        if self.world.limiter is not None:
            self.world.limiter = RateLimiter(self.world.limiter.limits, clock)

    def add_user(
        self,
        first_name: str = "Ana",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        user_id: int | None = None,
        started: bool = True,
        phone_number: str | None = None,
    ) -> User:
        """A Telegram user and their private chat; ``started=False``: they have not pressed Start
        yet. ``phone_number`` (digits, as Telegram shares it) is what a contact-request button sends."""
        user_id = user_id or next(self._user_ids)
        phone = phone_number or f"44770090{user_id % 10_000:04d}"
        user = User(user_id, first_name, last_name, username, language_code, phone_number=phone)
        self.world.chats[user.id] = Chat(user.id, "private", user=user, started=started)
        return user

    def add_group(self, title: str, *, members: tuple[User, ...] = (), chat_id: int | None = None) -> Chat:
        group = Chat(chat_id or -next(self._group_ids), "group", title=title, members=list(members))
        self.world.chats[group.id] = group
        return group

    def chat(self, which: ChatLike) -> Chat:
        chat_id = which.id if isinstance(which, Chat) else which if isinstance(which, int) else which.chat_id
        if chat_id not in self.world.chats:
            raise ValueError(f"the emulator knows no chat {chat_id}")
        return self.world.chats[chat_id]

    def block(self, user: User) -> None:
        """The user blocks the bot: sends to them get 403 until they unblock or write again."""
        self.chat(user).blocked = True

    def unblock(self, user: User) -> None:
        self.chat(user).blocked = False

    # -- what users do -----------------------------------------------------------------------

    async def send_text(
        self, user: User, text: str, *, chat: ChatLike | None = None, reply_to: Message | None = None
    ) -> Message:
        """The user writes ``text``; a leading /command carries a bot_command entity, as in Telegram."""
        target = self.chat(chat if chat is not None else user)
        if target.is_group and user not in target.members:
            raise ValueError(f"{user.first_name} is not a member of {target.title}")
        if not target.is_group:
            target.started, target.blocked = True, False  # writing to a blocked bot unblocks it
        command = _COMMAND.match(text)
        entities = ({"type": "bot_command", "offset": 0, "length": len(command.group(0))},) if command else ()
        message = self.world.add_message(target, user, text=text, entities=entities, reply_to=reply_to)
        if self._delivered(message, command is not None):
            self.world.updates.push("message", message.to_api())
        return message

    async def send_photo(
        self, user: User, caption: str | None = None, *, data: bytes = b"\xff\xd8 a photo"
    ) -> Message:
        """The user sends a photo (Telegram offers it in three sizes, largest last), with an
        optional caption. Its file_id is known to sendPhoto, as a real one is."""
        sizes = [
            self.world.resolve_file(
                Upload("photo.jpg", "image/jpeg", data[: max(1, len(data) // d)]), "photo"
            )
            for d in (16, 4, 1)
        ]
        self.world.files.update((f.file_id, f) for f in sizes)
        return await self._user_message(user, text=caption, photo=sizes[-1], photo_sizes=tuple(sizes[:-1]))

    async def send_media(self, user: User, kind: str, caption: str | None = None) -> Message:
        """The user sends something other than text or a photo: ``kind`` is one of MEDIA (a
        video, document or animation may carry a caption)."""
        payload = dict(MEDIA[kind])
        if kind not in ("location", "contact"):  # these carry no file
            number = self.world.serial()
            payload.update(file_id=f"{kind.upper()}-{number:06d}-emulated", file_unique_id=f"U{number:06d}")
        return await self._user_message(user, text=caption, media={kind: payload})

    async def edit_text(self, user: User, message: Message, text: str) -> Message:
        """The user edits their message (its text, or a photo's caption): an ``edited_message``."""
        if message.sender is not user:
            raise ValueError("a user can only edit their own messages")
        message.text, message.edit_date = text, self.world.now()
        self.world.changed.notify()
        self.world.updates.push("edited_message", message.to_api())
        return message

    async def _user_message(self, user: User, **fields: Any) -> Message:
        target = self.chat(user)
        target.started, target.blocked = True, False
        message = self.world.add_message(target, user, **fields)
        self.world.updates.push("message", message.to_api())
        return message

    def _delivered(self, message: Message, is_command: bool) -> bool:
        """Privacy mode: in groups a bot sees only commands, replies to it and mentions of it."""
        if not message.chat.is_group or not self.world.privacy_mode or is_command:
            return True
        replied_to_bot = message.reply_to is not None and message.reply_to.from_bot
        return replied_to_bot or f"@{self.bot.username}" in (message.text or "")

    async def start_deep_link(self, user: User, payload: str) -> Message:
        """The user opens t.me/<bot>?start=<payload>; Telegram passes only 1-64 of A-Za-z0-9_-."""
        if not _START_PAYLOAD.fullmatch(payload):
            raise ValueError(f"Telegram would not pass start payload {payload!r}")
        return await self.send_text(user, f"/start {payload}")

    async def press_button(
        self,
        user: User,
        message: Message,
        callback_data: str | None = None,
        *,
        text: str | None = None,
        forge: bool = False,
    ) -> CallbackQuery:
        """The user presses the button with ``callback_data`` (or ``text``) under a bot message.

        The button must be in the message's current keyboard, unless ``forge`` sends data no
        button carries, as a modified client could.
        """
        if forge:
            if callback_data is None:
                raise ValueError("a forged press needs callback_data")
            data = callback_data
        else:
            button = message.button(text=text, callback_data=callback_data)
            if button is None or "callback_data" not in button or message.deleted or not message.from_bot:
                shown = [b.get("callback_data") or b.get("text") for b in message.buttons]
                wanted = callback_data or text
                raise ValueError(f"no callback button {wanted!r} under message {message.message_id}: {shown}")
            data = button["callback_data"]
        query = CallbackQuery(
            str(8_000_000_000_000 + self.world.serial()), user, message, data, self.world.clock()
        )
        self.world.queries[query.id] = query
        self.world.updates.push("callback_query", query.to_api(chat_instance=str(-message.chat_id)))
        return query

    # -- what the bot did --------------------------------------------------------------------

    def messages_to(self, chat: ChatLike) -> list[Message]:
        """The bot's messages in the chat as they stand now, deleted ones left out."""
        return [m for m in self.chat(chat).messages.values() if m.from_bot and not m.deleted]

    def chat_history(self, chat: ChatLike) -> list[Message]:
        """Everything visible in the chat, from the user and from the bot."""
        return [m for m in self.chat(chat).messages.values() if not m.deleted]

    def last_keyboard(self, chat: ChatLike) -> list[list[dict]]:
        """The rows of the newest inline keyboard the bot shows in the chat ([] if none)."""
        shown = [m for m in self.messages_to(chat) if m.keyboard]
        return shown[-1].keyboard if shown else []

    async def wait_for_message(
        self, chat: ChatLike, predicate: Callable[[Message], bool] | None = None, timeout: float = 5.0
    ) -> Message:
        """The bot's next message in the chat after the one this returned last time.

        Messages sent before the call count too, so a reply that came fast is not missed.
        """
        target = self.chat(chat)

        def probe() -> Message | None:
            cursor = self._cursors.get(target.id, 0)
            for message in list(target.messages.values()):
                if (
                    message.from_bot
                    and message.message_id > cursor
                    and (predicate is None or predicate(message))
                ):
                    self._cursors[target.id] = message.message_id
                    return message
            return None

        def describe() -> str:
            texts = [m.text for m in self.messages_to(target)][-5:]
            return (
                f"no new bot message in chat {target.id}; latest: {texts}; calls: {self.recorder.summary()}"
            )

        return await self.world.changed.wait_for(probe, timeout, describe)

    async def wait_for_call(
        self, method: str, predicate: Callable[[Call], bool] | None = None, timeout: float = 5.0
    ) -> Call:
        """The next call of ``method`` (any outcome) after the one this returned last time."""
        return await self.recorder.wait_for_call(method, predicate, timeout)

    def on_bot_message(self, callback: MessageListener) -> MessageListener:
        """Call ``callback(message, event)`` on each accepted "sent", "edited" or "deleted" bot message."""
        self.world.listeners.append(callback)
        return callback

    # -- the record --------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        return self.recorder.calls

    @property
    def violations(self) -> list[Violation]:
        return self.recorder.violations

    @property
    def last_update_id(self) -> int:
        return self.world.updates.last_id

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return self.world.updates.pending

    def expect_violation(self, pattern: Pattern, timeout: float = 5.0) -> ExpectViolation:
        """Mark matching violations (text in the description, or a status) as expected; one must occur."""
        return ExpectViolation(self.recorder, pattern, timeout)

    def allow_violations(self, *patterns: Pattern) -> None:
        """Treat matching violations as expected for the rest of this emulator's life."""
        self.recorder.allow(patterns)

    def assert_no_violations(self) -> None:
        self.recorder.assert_no_violations()
