"""Checks on what the bot sends: message text, reply markup, callback data, commands, descriptions.

Error texts are the real server's (tdlib/telegram-bot-api Client.cpp and tdlib), with the Bot
API's lower-cased first letter. Three checks are stricter than Telegram and say so in their
text: a bare "&" in HTML, a button with two actions, and more than 8 buttons in a row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .errors import bad_request
from .html import FormattedText, HtmlError, parse_html, utf16_len
from .params import Params

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
RAW_TEXT_LIMIT = 1 << 15  # bytes before parsing (Client::get_formatted_text)
CALLBACK_DATA_LIMIT = 64  # bytes
MAX_BUTTONS = 100
MAX_ROW = 8
DESCRIPTION_LIMIT = 512  # characters of the bot's description (the empty chat's text)
SHORT_DESCRIPTION_LIMIT = 120  # characters of its short description (profile page, shared links)
_TRIM = " \t\r\n\v\f"
_ACTIONS = (
    "url", "callback_data", "callback_game", "pay", "switch_inline_query",
    "switch_inline_query_chosen_chat", "switch_inline_query_current_chat", "login_url",
    "web_app", "copy_text",
)  # fmt: skip
_REQUESTS = (
    "request_contact", "request_location", "request_poll", "request_users", "request_chat", "web_app",
)  # fmt: skip
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def _trim(formatted: FormattedText) -> FormattedText:
    """Strip outer whitespace as tdlib does before sending, moving entities with the text."""
    text = formatted.text.strip(_TRIM)
    if text == formatted.text:
        return formatted
    shift = utf16_len(formatted.text[: len(formatted.text) - len(formatted.text.lstrip(_TRIM))])
    end = utf16_len(text)
    entities = []
    for entity in formatted.entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            entities.append({**entity, "offset": start, "length": stop - start})
    return FormattedText(text, tuple(entities))


def _format(raw: str, params: Params, entities_field: str, strict_html: bool) -> FormattedText:
    if len(raw.encode()) > RAW_TEXT_LIMIT:
        raise bad_request("text is too long")
    mode = (params.text("parse_mode") or "").lower()
    if mode == "html":
        try:
            return _trim(parse_html(raw, strict_ampersand=strict_html))
        except HtmlError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    if mode not in ("", "none", "markdown", "markdownv2"):
        raise bad_request("unsupported parse_mode")
    # Markdown is stored unparsed: the bot formats in HTML, the emulator only reads HTML.
    entities = params.json(entities_field, f"can't parse {entities_field} JSON object")
    valid = tuple(e for e in entities or () if isinstance(e, dict))
    return _trim(FormattedText(raw, valid))


def message_text(params: Params, *, strict_html: bool) -> FormattedText:
    raw = params.text("text")
    if not raw:
        raise bad_request("message text is empty")
    formatted = _format(raw, params, "entities", strict_html)
    if not formatted.text:
        raise bad_request("text must be non-empty")
    if len(formatted.text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return formatted


def caption(params: Params, *, strict_html: bool) -> FormattedText:
    raw = params.text("caption")
    if not raw:
        return FormattedText("")
    formatted = _format(raw, params, "caption_entities", strict_html)
    if len(formatted.text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return formatted


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https", "tg", "ton"):
        raise bad_request(f"{where} URL '{url}' is invalid: Unsupported URL protocol")
    if parts.scheme in ("http", "https") and "." not in (parts.hostname or ""):
        raise bad_request(f"{where} URL '{url}' is invalid: Wrong HTTP URL")


def _inline_button(button: Any) -> dict:
    def fail(text: str) -> Exception:
        return bad_request(f"can't parse inline keyboard button: {text}")

    if not isinstance(button, dict):
        raise fail("InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise fail('Can\'t find field "text"')
    for name in ("text", "url", "callback_data"):
        if name in button and not isinstance(button[name], str):
            raise fail(f'Field "{name}" must be of type String')
    # Telegram treats an empty url or callback_data as absent.
    actions = [a for a in _ACTIONS if a in button and button[a] != ""]
    if not actions:
        raise fail("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise fail(f"exactly one of {', '.join(actions)} must be used (emulator rule)")
    if "callback_data" in button and len(button["callback_data"].encode()) > CALLBACK_DATA_LIMIT:
        raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        _check_url(button["url"], "inline keyboard button")
    web_app = button.get("web_app")
    if isinstance(web_app, dict) and not str(web_app.get("url", "")).startswith("https://"):
        raise bad_request(
            f"inline keyboard button Web App URL '{web_app.get('url', '')}' is invalid: "
            "Only HTTPS links are allowed"
        )
    return button


def _keyboard_button(button: Any) -> dict | None:
    """A reply keyboard's button: a String (its text) or an Object with a "text" and at most
    one request (contact, location, poll, users, chat, web app). Its request_users, if any, is
    checked as the Bot API documents it (a signed 32-bit request_id, max_quantity 1-10, booleans
    for the rest) and returned."""

    def fail(text: str) -> Exception:
        return bad_request(f"can't parse keyboard button: {text}")

    if isinstance(button, str):
        return None
    if not isinstance(button, dict):
        raise fail("KeyboardButton must be a String or an Object")
    if not isinstance(button.get("text"), str):
        raise fail(
            'Can\'t find field "text"' if "text" not in button else 'Field "text" must be of type String'
        )
    for name in ("request_contact", "request_location"):
        if name in button and not isinstance(button[name], bool):
            raise fail(f'Field "{name}" must be of type Boolean')
    requests = [r for r in _REQUESTS if button.get(r)]
    if len(requests) > 1:
        raise fail(f"exactly one of {', '.join(requests)} must be used (emulator rule)")
    return _users_request(button.get("request_users"), fail)


def _users_request(request: Any, fail: Callable[[str], Exception]) -> dict | None:
    if request is None:
        return None
    if not isinstance(request, dict):
        raise fail("request_users must be an Object (emulator wording)")
    request_id = request.get("request_id")
    if not isinstance(request_id, int) or isinstance(request_id, bool) or not -(2**31) <= request_id < 2**31:
        raise fail("request_users.request_id must be a signed 32-bit Integer (emulator wording)")
    quantity = request.get("max_quantity", 1)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 10:
        raise fail("request_users.max_quantity must be 1-10 (emulator wording)")
    for name in ("user_is_bot", "user_is_premium", "request_name", "request_username", "request_photo"):
        if name in request and not isinstance(request[name], bool):
            raise fail(f'Field "request_users.{name}" must be of type Boolean (emulator wording)')
    return request


def _inline_keyboard(rows: Any) -> list[list[dict]]:
    if not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" must be of type Array')
    if not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    keyboard = [[_inline_button(button) for button in row] for row in rows]
    if sum(map(len, keyboard)) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    if any(len(row) > MAX_ROW for row in keyboard):
        raise bad_request(f"reply markup is too long: more than {MAX_ROW} buttons in a row (emulator rule)")
    return keyboard


def reply_markup(params: Params) -> dict | None:
    """The markup as sent, after the server's checks; None when there is none."""
    markup = params.json("reply_markup", "can't parse reply keyboard markup JSON object")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    for name in ("remove_keyboard", "force_reply", "selective", "resize_keyboard", "one_time_keyboard"):
        if name in markup and not isinstance(markup[name], bool):
            raise bad_request(f'field "{name}" must be of type Boolean')
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list):
            raise bad_request('field "keyboard" must be of type Array')
        if not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" must be an Array of Arrays')
        requests = [_keyboard_button(button) for row in rows for button in row]
        ids = [request["request_id"] for request in requests if request is not None]
        if len(ids) != len(set(ids)):
            raise bad_request(
                "keyboard button request_id must be unique within the message (emulator wording)"
            )
        if rows:
            return markup
    if "inline_keyboard" in markup:
        keyboard = _inline_keyboard(markup["inline_keyboard"])
        if keyboard:
            return {"inline_keyboard": keyboard}
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    return None


def private_only_buttons(markup: dict | None, is_group: bool) -> None:
    """Contact and location requests work in private chats only (Bot API, KeyboardButton)."""
    rows = (markup or {}).get("keyboard", [])
    requests = [b for row in rows for b in row if isinstance(b, dict)]
    if is_group and any(b.get("request_contact") or b.get("request_location") for b in requests):
        raise bad_request("contact and location requests are for private chats only (emulator wording)")


def requests_users(markup: dict | None) -> bool:
    """The markup has a button asking the user to pick users: Telegram offers it in private chats only."""
    rows = (markup or {}).get("keyboard", [])
    return any(isinstance(b, dict) and "request_users" in b for row in rows for b in row)


def bot_commands(params: Params) -> list[dict]:
    commands = params.json("commands", "can't parse commands JSON object")
    if commands is None:
        return []
    if not isinstance(commands, list):
        raise bad_request("expected an Array of BotCommand")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand: expected an Object")
        for name in ("command", "description"):
            if not isinstance(command.get(name), str):
                raise bad_request(f"can't parse BotCommand: Can't find field \"{name}\"")
        if not _COMMAND.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"]) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return [{"command": c["command"], "description": c["description"]} for c in commands]


def bot_description(params: Params, field: str, limit: int) -> str:
    """A description or short description: 0 to `limit` characters (empty clears it). The error
    text is the emulator's wording."""
    text = params.text(field) or ""
    if len(text) > limit:
        what = field.replace("_", " ")
        raise bad_request(f"{what} is too long (at most {limit} characters; emulator wording)")
    return text
