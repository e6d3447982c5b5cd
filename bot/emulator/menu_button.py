"""setChatMenuButton and getChatMenuButton, checked as the real server checks them.

From tdlib/telegram-bot-api (Client::get_bot_menu_button, process_set_chat_menu_button_query,
JsonBotMenuButton): `menu_button` is JSON of type default, commands or web_app (text and
web_app.url required); `chat_id` names a user (a positive id the bot knows, else "user not
found"); without it the button for every private chat is set. A Web App URL must be https, as
TDLib requires; an empty text is refused (an emulator rule: TDLib refuses it with its own text).
A chat's button is its own, else the one for all chats, else {"type": "default"}.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import bad_request
from .params import Params
from .world import World

DEFAULT = {"type": "default"}


def _parse(params: Params) -> dict[str, Any]:
    raw = params.text("menu_button")
    if not raw:
        return dict(DEFAULT)
    try:
        button = json.loads(raw)
    except ValueError:
        raise bad_request("can't parse menu button JSON object") from None

    def fail(text: str) -> Exception:
        return bad_request(f"can't parse menu button: {text}")

    if not isinstance(button, dict):
        raise fail("MenuButton must be an Object")
    kind = button.get("type")
    if not isinstance(kind, str):
        raise fail('Can\'t find field "type"')
    if kind in ("default", "commands"):
        return {"type": kind}
    if kind != "web_app":
        raise fail("MenuButton has unsupported type")
    text, web_app = button.get("text"), button.get("web_app")
    if not isinstance(text, str):
        raise fail('Can\'t find field "text"')
    if not isinstance(web_app, dict) or not isinstance(web_app.get("url"), str):
        raise fail(
            'Can\'t find field "web_app"' if not isinstance(web_app, dict) else 'Can\'t find field "url"'
        )
    if not text.strip():
        raise bad_request("menu button text must be non-empty (emulator rule)")
    if not web_app["url"].startswith("https://"):
        raise bad_request(
            f"menu button Web App URL '{web_app['url']}' is invalid: Only HTTPS links are allowed"
        )
    return {"type": "web_app", "text": text, "web_app": {"url": web_app["url"]}}


def _user_chat(world: World, params: Params) -> int:
    """0 for every private chat, else the user's id."""
    if params.text("chat_id") is None:
        return 0
    user_id = params.integer("chat_id")
    if user_id <= 0:
        raise bad_request("invalid chat_id specified")
    chat = world.chats.get(user_id)
    if chat is None or chat.user is None:
        raise bad_request("user not found")
    return user_id


async def set_chat_menu_button(world: World, params: Params) -> bool:
    button = _parse(params)
    world.menu_buttons[_user_chat(world, params)] = button
    return True


async def get_chat_menu_button(world: World, params: Params) -> dict[str, Any]:
    chat = _user_chat(world, params)
    return world.menu_buttons.get(chat) or world.menu_buttons.get(0) or dict(DEFAULT)
