"""The emulated Telegram: chats, messages, files, callback queries, and the rules for reaching a chat."""

from __future__ import annotations

import inspect
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import BLOCKED, CANT_INITIATE, CHAT_NOT_FOUND, bad_request, forbidden
from .limits import Clock, RateLimiter, RateLimits
from .model import CallbackQuery, Chat, Message, StoredFile, User
from .params import Params, Upload
from .polling import UpdateQueue
from .signals import Signal
from .webhook import Webhook

_log = logging.getLogger(__name__)

MessageListener = Callable[[Message, str], Awaitable[None] | None]


class World:
    def __init__(
        self,
        bot: User,
        *,
        clock: Clock,
        rate_limits: RateLimits | None,
        callback_timeout: float,
        strict_html: bool,
        privacy_mode: bool,
        first_update_id: int,
    ):
        self.bot = bot
        self.clock = clock
        self.callback_timeout = callback_timeout
        self.strict_html = strict_html
        self.privacy_mode = privacy_mode
        self.limiter = RateLimiter(rate_limits, clock) if rate_limits else None
        self.updates = UpdateQueue(first_update_id)
        self.webhook = Webhook(self.updates, lambda: self.clock())  # the clock a test may swap
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.queries: dict[str, CallbackQuery] = {}
        self.commands: dict[tuple[str, str], list[dict]] = {}  # by (scope as JSON, language code)
        self.descriptions: dict[str, str] = {}  # by language code ("" for everyone else)
        self.short_descriptions: dict[str, str] = {}
        self.menu_buttons: dict[int, dict[str, Any]] = {}  # by user id; 0: every private chat
        self.changed = Signal()
        self.listeners: list[MessageListener] = []
        self._serial = itertools.count(1)

    def now(self) -> int:
        return int(self.clock())

    def serial(self) -> int:
        return next(self._serial)

    def require_chat_id(self, params: Params) -> None:
        if not params.text("chat_id"):
            raise bad_request("chat_id is empty")

    def find_chat(self, params: Params) -> Chat:
        self.require_chat_id(params)
        reference = (params.text("chat_id") or "").strip()
        if reference.startswith("@"):
            for chat in self.chats.values():
                if chat.user and chat.user.username and f"@{chat.user.username}" == reference:
                    return chat
        elif reference.lstrip("-").isdigit() and int(reference) in self.chats:
            return self.chats[int(reference)]
        raise bad_request(CHAT_NOT_FOUND)

    def check_writable(self, chat: Chat) -> None:
        if chat.blocked:
            raise forbidden(BLOCKED)
        if not chat.started:
            raise forbidden(CANT_INITIATE)

    def count_message(self, chat: Chat, *, edit: bool) -> None:
        """Charge a send (overall and per chat) or an edit (per chat) to the flood limits."""
        if self.limiter is not None:
            self.limiter.check(chat.id, is_group=chat.is_group, counts_overall=not edit)

    def add_message(self, chat: Chat, sender: User, **fields: Any) -> Message:
        message = Message(chat, chat.next_message_id, self.now(), sender, **fields)
        chat.messages[message.message_id] = message
        chat.next_message_id += 1
        self.changed.notify()
        return message

    async def announce(self, message: Message, event: str) -> None:
        """Tell on_bot_message listeners that the bot sent, edited or deleted ``message``."""
        self.changed.notify()
        for listener in self.listeners:
            try:
                outcome = listener(message, event)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:  # a broken display must not break the Bot API
                _log.exception("on_bot_message listener failed")

    def resolve_file(self, media: Upload | str, kind: str) -> StoredFile:
        """The file a send refers to: a known file_id, or a new (not yet stored) upload or HTTP URL."""
        name: str | None  # an upload may come without a file name
        if isinstance(media, str):
            if media in self.files:
                return self.files[media]
            if not media.startswith(("http://", "https://")):
                raise bad_request("wrong file identifier/HTTP URL specified")
            data, name, mime = b"", media.rsplit("/", 1)[-1], None
        else:
            if not media.data:
                raise bad_request("file must be non-empty")
            data, name, mime = media.data, media.filename, media.content_type
        number = self.serial()
        extension = name.rpartition(".")[2] if name and "." in name else "bin"
        return StoredFile(
            file_id=f"{kind.upper()}-{number:06d}-emulated",
            file_unique_id=f"U{number:06d}",
            file_path=f"{kind}s/file_{number}.{extension}",
            size=len(data),
            data=data,
            file_name=name,
            mime_type=mime,
        )
