"""Telegram's user picker in the emulator: a reply keyboard button with request_users
(KeyboardButtonRequestUsers) is checked as the Bot API documents it, offered in private chats
only, and a pick comes back to the bot as a `users_shared` message, with names only if asked."""

import json

import pytest
from telegram import Bot, KeyboardButton, KeyboardButtonRequestUsers, ReplyKeyboardMarkup
from telegram.error import BadRequest

from bot.emulator import User
from bot.emulator.errors import ApiError
from bot.emulator.params import Params
from bot.emulator.validation import reply_markup


def _picker(**request):
    return {"keyboard": [[{"text": "Pick", "request_users": {"request_id": 7, **request}}]]}


def _markup(value):
    return reply_markup(Params({"reply_markup": json.dumps(value)}))


@pytest.mark.parametrize(
    "markup",
    [
        _picker(),
        _picker(max_quantity=10, request_name=True, request_username=True, user_is_bot=False),
        _picker(request_id=-(2**31)),
    ],
)
def test_a_valid_picker_is_kept(markup):
    assert _markup(markup) == markup


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ({"keyboard": [[{"text": "Pick", "request_users": 7}]]}, "request_users must be an Object"),
        (_picker(request_id="7"), "request_id must be a signed 32-bit Integer"),
        (_picker(request_id=2**31), "request_id must be a signed 32-bit Integer"),
        (_picker(max_quantity=0), "max_quantity must be 1-10"),
        (_picker(max_quantity=11), "max_quantity must be 1-10"),
        (_picker(request_name="yes"), 'Field "request_users.request_name" must be of type Boolean'),
        ({"keyboard": [[{"request_users": {"request_id": 1}}]]}, 'Can\'t find field "text"'),
        (
            {"keyboard": [[{"text": "A", "request_users": {"request_id": 1}}] * 2]},
            "request_id must be unique",
        ),
    ],
)
def test_an_invalid_picker_is_refused(markup, error):
    with pytest.raises(ApiError) as refused:
        _markup(markup)
    assert refused.value.status == 400 and error in refused.value.description


def _keyboard(request_name: bool) -> ReplyKeyboardMarkup:
    request = KeyboardButtonRequestUsers(request_id=41, user_is_bot=False, request_name=request_name)
    return ReplyKeyboardMarkup([[KeyboardButton("Pick someone", request_users=request)]])


async def test_a_pick_comes_back_as_users_shared_with_the_names_asked_for(emulator):
    admin, dana = emulator.add_user("Sam"), emulator.add_user("Dana", last_name="Reyes")
    bot = Bot(emulator.token, base_url=emulator.base_url)
    async with bot:
        await emulator.send_text(admin, "hello")  # a user writes first
        sent = await bot.send_message(admin.id, "Who?", reply_markup=_keyboard(request_name=True))
        message = emulator.chat(admin).messages[sent.message_id]
        await emulator.share_users(admin, message, 41, [dana])
        updates = await bot.get_updates()
        shared = updates[-1].message.users_shared
        assert (shared.request_id, [u.user_id for u in shared.users]) == (41, [dana.id])
        assert (shared.users[0].first_name, shared.users[0].last_name) == ("Dana", "Reyes")

        plain = await bot.send_message(admin.id, "Who?", reply_markup=_keyboard(request_name=False))
        await emulator.share_users(admin, emulator.chat(admin).messages[plain.message_id], 41, [dana])
        user = (await bot.get_updates(offset=updates[-1].update_id + 1))[-1].message.users_shared.users[0]
        assert (user.user_id, user.first_name) == (dana.id, None)  # no name unless the button asks


async def test_a_picker_is_not_offered_where_telegram_would_not(emulator):
    admin, dana = emulator.add_user("Sam"), emulator.add_user("Dana")
    group = emulator.add_group("Clinic", members=(admin,))
    bot = Bot(emulator.token, base_url=emulator.base_url)
    async with bot:
        with (
            emulator.expect_violation("private chats only"),
            pytest.raises(BadRequest, match="private chats only"),
        ):
            await bot.send_message(group.id, "Who?", reply_markup=_keyboard(request_name=True))
        await emulator.send_text(admin, "hello")
        sent = await bot.send_message(admin.id, "Who?", reply_markup=_keyboard(request_name=True))
    message = emulator.chat(admin).messages[sent.message_id]
    with pytest.raises(ValueError, match="no button requesting users 99"):
        await emulator.share_users(admin, message, 99, [dana])  # no such button
    with pytest.raises(ValueError, match="pick 1-1 users"):
        await emulator.share_users(admin, message, 41, [dana, admin])  # one at most by default
    with pytest.raises(ValueError, match="no button requesting users"):
        await emulator.share_users(dana, message, 41, [admin])  # someone else's chat
    with pytest.raises(ValueError, match="only people"):
        await emulator.share_users(admin, message, 41, [User(999, "Helper", is_bot=True)])
