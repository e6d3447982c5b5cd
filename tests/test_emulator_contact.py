"""The emulator's reply keyboards: text and contact-request buttons checked as the Bot API does,
shown until removed, and pressed as Telegram's app does (a text button sends its text; a
contact-request button shares the user's own contact, naming them by user_id)."""

import re

import pytest
from telegram import Bot, KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import BadRequest

SHARE = KeyboardButton("Share my number", request_contact=True)
KEYBOARD = ReplyKeyboardMarkup([[SHARE], ["Skip"]], one_time_keyboard=True)


def _bot(emu) -> Bot:
    return Bot(emu.token, base_url=emu.base_url)


async def test_a_contact_button_shares_the_users_own_contact(emulator):
    ana = emulator.add_user("Ana", last_name="Lopez", phone_number="447700900123")
    async with _bot(emulator) as bot:
        sent = await bot.send_message(ana.id, "Share your number?", reply_markup=KEYBOARD)
        assert sent.reply_markup is None  # Telegram echoes inline keyboards only
        assert emulator.reply_keyboard(ana) == [
            [{"text": "Share my number", "request_contact": True}],
            [{"text": "Skip"}],
        ]
        await emulator.press_reply_button(ana, "Share my number")
        [update] = await bot.get_updates()
    contact = update.message.contact
    assert (contact.phone_number, contact.first_name, contact.last_name, contact.user_id) == (
        "447700900123",
        "Ana",
        "Lopez",
        ana.id,
    )
    assert update.message.text is None and update.message.from_user.id == ana.id


async def test_a_text_button_sends_its_text_and_a_removed_keyboard_is_gone(emulator):
    ana = emulator.add_user("Ana")
    async with _bot(emulator) as bot:
        await bot.send_message(ana.id, "Share your number?", reply_markup=KEYBOARD)
        await bot.send_message(ana.id, "A message without markup keeps the keyboard")
        await emulator.press_reply_button(ana, "Skip")
        [update] = await bot.get_updates()
        assert update.message.text == "Skip"
        await bot.send_message(ana.id, "OK", reply_markup=ReplyKeyboardRemove())
    assert emulator.reply_keyboard(ana) == []
    with pytest.raises(ValueError, match="no reply keyboard button 'Skip'"):
        await emulator.press_reply_button(ana, "Skip")


async def test_a_contact_card_of_someone_else_names_them_or_no_one(emulator):
    ana, bob = emulator.add_user("Ana"), emulator.add_user("Bob")
    async with _bot(emulator) as bot:
        await emulator.send_contact(ana, "+44 20 7946 0999", first_name="Bob", user_id=bob.id)
        await emulator.send_contact(ana, "+44 20 7946 0000", first_name="Plumber")
        first, second = await bot.get_updates()
    assert (first.message.contact.user_id, first.message.contact.first_name) == (bob.id, "Bob")
    assert (second.message.contact.user_id, second.message.contact.first_name) == (None, "Plumber")


@pytest.mark.parametrize(
    "keyboard, error",
    [
        ({"keyboard": [[7]]}, "KeyboardButton must be a String or an Object"),
        ({"keyboard": [[{"request_contact": True}]]}, 'Can\'t find field "text"'),
        (
            {"keyboard": [[{"text": "Share", "request_contact": "yes"}]]},
            'Field "request_contact" must be of type',
        ),
        (
            {"keyboard": [[{"text": "Both", "request_contact": True, "request_location": True}]]},
            "exactly one of request_contact, request_location",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore:Please use 'Bot.sendMessage'")  # raw markup, which sendMessage would fix
async def test_bad_reply_keyboard_buttons_are_refused(emulator, keyboard, error):
    ana = emulator.add_user("Ana")
    async with _bot(emulator) as bot:
        # PTB changes the case of Telegram's error texts
        with (
            emulator.expect_violation("keyboard button"),
            pytest.raises(BadRequest, match=f"(?i){re.escape(error)}"),
        ):
            await bot.do_api_request(
                "sendMessage", api_kwargs={"chat_id": ana.id, "text": "?", "reply_markup": keyboard}
            )
    assert emulator.messages_to(ana) == []


async def test_a_contact_request_is_for_private_chats_only(emulator):
    group = emulator.add_group("On call")
    async with _bot(emulator) as bot:
        with emulator.expect_violation("private chats only"), pytest.raises(BadRequest):
            await bot.send_message(group.id, "Share?", reply_markup=KEYBOARD)
        await bot.send_message(
            group.id, "Plain buttons are fine", reply_markup=ReplyKeyboardMarkup([["Yes"]])
        )
    assert emulator.reply_keyboard(group) == [[{"text": "Yes"}]]
