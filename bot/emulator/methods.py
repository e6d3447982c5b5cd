"""The Bot API methods the emulator implements, by canonical name, and the ones besides messaging."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from . import menu_button, messaging, validation
from .errors import CHAT_NOT_FOUND, QUERY_TOO_OLD, WEBHOOK_ACTIVE, ApiError, bad_request
from .params import Params
from .world import World

Handler = Callable[[World, Params], Awaitable[Any]]

CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
)  # fmt: skip


async def get_me(world: World, params: Params) -> dict:
    return {
        **world.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": not world.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(world: World, params: Params) -> list[dict]:
    if world.webhook.active:
        raise ApiError(409, WEBHOOK_ACTIVE)
    allowed = params.json("allowed_updates", "can't parse allowed_updates JSON object")
    if isinstance(allowed, list):
        world.updates.set_allowed([str(kind) for kind in allowed])
    return await world.updates.get_updates(
        params.integer("offset"), params.integer("limit", 100), params.integer("timeout")
    )


async def set_webhook(world: World, params: Params) -> bool:
    url = params.text("url") or ""
    if params.flag("drop_pending_updates"):
        world.updates.drop_pending()
    if not url:  # Telegram: an empty url removes the webhook
        await world.webhook.delete()
        return True
    allowed = params.json("allowed_updates", "can't parse allowed_updates JSON object")
    kinds = [str(kind) for kind in allowed] if isinstance(allowed, list) else None
    world.webhook.set(url, params.text("secret_token"), params.integer("max_connections"), kinds)
    return True


async def delete_webhook(world: World, params: Params) -> bool:
    if params.flag("drop_pending_updates"):
        world.updates.drop_pending()
    await world.webhook.delete()
    return True


async def get_webhook_info(world: World, params: Params) -> dict:
    return world.webhook.info()


async def answer_callback_query(world: World, params: Params) -> bool:
    query = world.queries.get(params.text("callback_query_id") or "")
    # Telegram gives the same answer for an unknown, a stale and an already answered query.
    if query is None or query.answered or world.clock() - query.pressed_at > world.callback_timeout:
        raise bad_request(QUERY_TOO_OLD)
    query.answered = True
    query.answer = {
        "text": params.text("text"),
        "show_alert": params.flag("show_alert"),
        "url": params.text("url"),
        "cache_time": params.integer("cache_time"),
    }
    return True


async def send_chat_action(world: World, params: Params) -> bool:
    world.require_chat_id(params)
    if params.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.check_writable(world.find_chat(params))
    return True


async def get_chat(world: World, params: Params) -> dict:
    """A user who never wrote to the bot is unknown to it: Telegram answers "chat not found",
    as for an id that exists nowhere (a user who blocked the bot is still known)."""
    chat = world.find_chat(params)
    if not chat.is_group and not chat.started:
        raise bad_request(CHAT_NOT_FOUND)
    return chat.to_full_api()


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.json("scope", "can't parse BotCommandScope JSON object") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), params.text("language_code") or ""


async def set_my_commands(world: World, params: Params) -> bool:
    world.commands[_commands_key(params)] = validation.bot_commands(params)
    return True


async def get_my_commands(world: World, params: Params) -> list[dict]:
    return world.commands.get(_commands_key(params), [])


async def delete_my_commands(world: World, params: Params) -> bool:
    world.commands.pop(_commands_key(params), None)
    return True


async def set_my_description(world: World, params: Params) -> bool:
    text = validation.bot_description(params, "description", validation.DESCRIPTION_LIMIT)
    _set_or_clear(world.descriptions, params.text("language_code") or "", text)
    return True


async def get_my_description(world: World, params: Params) -> dict:
    return {"description": world.descriptions.get(params.text("language_code") or "", "")}


async def set_my_short_description(world: World, params: Params) -> bool:
    text = validation.bot_description(params, "short_description", validation.SHORT_DESCRIPTION_LIMIT)
    _set_or_clear(world.short_descriptions, params.text("language_code") or "", text)
    return True


async def get_my_short_description(world: World, params: Params) -> dict:
    return {"short_description": world.short_descriptions.get(params.text("language_code") or "", "")}


def _set_or_clear(texts: dict[str, str], language: str, text: str) -> None:
    """An empty text removes the language's own one, as Telegram does."""
    if text:
        texts[language] = text
    else:
        texts.pop(language, None)


async def get_file(world: World, params: Params) -> dict:
    stored = world.files.get(params.text("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return {**stored.to_api(), "file_path": stored.file_path}


METHODS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "sendMessage": messaging.send_message,
    "sendPhoto": messaging.send_photo,
    "sendDocument": messaging.send_document,
    "editMessageText": messaging.edit_message_text,
    "editMessageCaption": messaging.edit_message_caption,
    "editMessageReplyMarkup": messaging.edit_message_reply_markup,
    "deleteMessage": messaging.delete_message,
    "answerCallbackQuery": answer_callback_query,
    "sendChatAction": send_chat_action,
    "getChat": get_chat,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setMyDescription": set_my_description,
    "getMyDescription": get_my_description,
    "setMyShortDescription": set_my_short_description,
    "getMyShortDescription": get_my_short_description,
    "getFile": get_file,
    "setChatMenuButton": menu_button.set_chat_menu_button,
    "getChatMenuButton": menu_button.get_chat_menu_button,
}
# The real server ignores the case of method names.
BY_LOWER_NAME = {name.lower(): name for name in METHODS}
