"""sendMessage, sendPhoto, sendDocument, editMessage*, deleteMessage.

Checks run in the real server's order: parameters and formatting first, then the chat, then
whether the user can be reached, then the flood limits; a refused call changes nothing.
"""

from __future__ import annotations

from typing import Any

from . import validation
from .errors import NOT_MODIFIED, bad_request
from .html import FormattedText
from .model import Chat, Message
from .params import Params
from .world import World

DELETE_WINDOW = 48 * 3600  # bots may delete messages younger than 48 hours


def _reply_target(chat: Chat, params: Params) -> Message | None:
    reply = params.json("reply_parameters", "can't parse reply parameters JSON object")
    if isinstance(reply, dict):
        message_id, lenient = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
        if message_id is None:
            raise bad_request('can\'t find field "message_id"')
    else:
        message_id, lenient = (
            params.integer("reply_to_message_id"),
            params.flag("allow_sending_without_reply"),
        )
    if not message_id:
        return None
    target = chat.messages.get(int(message_id))
    if target is None or target.deleted:
        if lenient:
            return None
        raise bad_request("message to be replied not found")
    return target


def _format_fields(formatted: FormattedText, params: Params) -> dict[str, Any]:
    mode = params.text("parse_mode")
    source = params.text("text") or params.text("caption")
    return {
        "text": formatted.text or None,
        "entities": formatted.entities,
        "parse_mode": mode,
        "html": source if (mode or "").lower() == "html" else None,
    }


async def _send(world: World, params: Params, formatted: FormattedText, **media: Any) -> dict:
    markup = validation.reply_markup(params)
    chat = world.find_chat(params)
    validation.private_only_buttons(markup, chat.is_group)
    if chat.is_group and validation.requests_users(markup):
        raise bad_request(
            "keyboard buttons requesting users are available in private chats only (emulator wording)"
        )
    world.check_writable(chat)
    reply_to = _reply_target(chat, params)
    files = {kind: world.resolve_file(value, kind) for kind, value in media.items()}
    world.count_message(chat, edit=False)
    world.files.update((f.file_id, f) for f in files.values())
    fields = _format_fields(formatted, params)
    message = world.add_message(chat, world.bot, reply_markup=markup, reply_to=reply_to, **fields, **files)
    await world.announce(message, "sent")
    return message.to_api()


async def send_message(world: World, params: Params) -> dict:
    world.require_chat_id(params)
    return await _send(world, params, validation.message_text(params, strict_html=world.strict_html))


async def _send_media(world: World, params: Params, kind: str) -> dict:
    world.require_chat_id(params)
    media = params.upload(kind)
    if not media:
        raise bad_request(f"there is no {kind} in the request")
    formatted = validation.caption(params, strict_html=world.strict_html)
    return await _send(world, params, formatted, **{kind: media})


async def send_photo(world: World, params: Params) -> dict:
    return await _send_media(world, params, "photo")


async def send_document(world: World, params: Params) -> dict:
    return await _send_media(world, params, "document")


def _message(world: World, params: Params, missing: str) -> Message:
    if params.text("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # the emulator never issues inline messages
    chat = world.find_chat(params)
    message_id = params.integer("message_id")
    if not message_id:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request(missing)
    return message


def _inline_markup(params: Params) -> dict | None:
    markup = validation.reply_markup(params)
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


async def _edit(world: World, params: Params, formatted: FormattedText | None, has_media: bool | None) -> Any:
    """Shared by the three edits; ``formatted`` None keeps the content, as editMessageReplyMarkup does."""
    markup = _inline_markup(params)
    message = _message(world, params, "message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    if has_media is not None and bool(message.photo or message.document) != has_media:
        raise bad_request(f"there is no {'caption' if has_media else 'text'} in the message to edit")
    world.check_writable(message.chat)
    fields = _format_fields(formatted, params) if formatted is not None else {}
    same_content = not fields or (fields["text"], fields["entities"]) == (message.text, message.entities)
    if same_content and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    world.count_message(message.chat, edit=True)
    for name, value in {**fields, "reply_markup": markup}.items():
        setattr(message, name, value)
    message.edit_date = world.now()
    await world.announce(message, "edited")
    return message.to_api()


async def edit_message_text(world: World, params: Params) -> Any:
    formatted = validation.message_text(params, strict_html=world.strict_html)
    return await _edit(world, params, formatted, has_media=False)


async def edit_message_caption(world: World, params: Params) -> Any:
    formatted = validation.caption(params, strict_html=world.strict_html)
    return await _edit(world, params, formatted, has_media=True)


async def edit_message_reply_markup(world: World, params: Params) -> Any:
    return await _edit(world, params, None, has_media=None)


async def delete_message(world: World, params: Params) -> bool:
    message = _message(world, params, "message to delete not found")
    allowed = message.from_bot or not message.chat.is_group  # others' group messages need admin rights
    if not allowed or world.now() - message.date > DELETE_WINDOW:
        raise bad_request("message can't be deleted")
    message.deleted = True
    if message.from_bot:
        await world.announce(message, "deleted")
    return True
