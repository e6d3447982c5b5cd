"""At start the bot tells Telegram its command menus (patients, staff chats, the alert chat) and
its descriptions, in every language the guidance ships; a refusal is one log line, never a stop.
It polls for the updates its handlers read, named one by one."""

import logging

import pytest
from telegram import Bot, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import BadRequest

from bot.emulator import BotApiEmulator
from bot.render import html as render
from bot.telegram.app import ALLOWED_UPDATES
from bot.telegram.profile import ADMIN_COMMANDS, ALERT_CHAT_COMMANDS, PATIENT_COMMANDS, STAFF_COMMANDS

GROUP = -100500


def expected(guidance, names, language):
    return [(name, render.plain(guidance.message(f"command_{name}", language))) for name in names]


def pairs(commands):
    return [(c.command, c.description) for c in commands]


async def test_after_start_each_audience_finds_its_menu_in_each_language(make_bot, guidance):
    h = await make_bot(alert_chat_id=GROUP)
    bot, private = h.app.bot, BotCommandScopeAllPrivateChats()
    assert len(guidance.messages) > 1  # English and at least one more
    for language in guidance.messages:
        menu = await bot.get_my_commands(private, language_code=language)
        assert pairs(menu) == expected(guidance, PATIENT_COMMANDS, language)
        assert (await bot.get_my_description(language)).description == guidance.message(
            "bot_description", language
        )
        short = (await bot.get_my_short_description(language)).short_description
        assert short == guidance.message("bot_short_description", language)
    # anyone whose language the guidance does not ship reads English
    assert pairs(await bot.get_my_commands(private)) == expected(guidance, PATIENT_COMMANDS, "en")
    assert (await bot.get_my_description()).description == guidance.message("bot_description", "en")
    for member, names in ((h.practitioner, STAFF_COMMANDS), (h.admin, ADMIN_COMMANDS)):  # /settings: admins'
        staff_menu = await bot.get_my_commands(BotCommandScopeChat(member.id))
        assert pairs(staff_menu) == expected(guidance, names, h.clinic.language)
    group_menu = await bot.get_my_commands(BotCommandScopeChat(GROUP))
    assert pairs(group_menu) == expected(guidance, ALERT_CHAT_COMMANDS, h.clinic.language)


async def test_a_refused_call_is_one_log_line_and_the_bot_starts(emulator, make_bot, caplog):
    emulator.faults.fail_next(1, 400, methods=["setMyDescription"], description="Bad Request: not today")
    with caplog.at_level(logging.INFO, logger="bot.telegram.profile"):
        h = await make_bot()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.telegram.profile"]
    assert len(lines) == 1 and lines[0].startswith("bot profile: 1 of ") and "BadRequest" in lines[0]
    assert await h.app.bot.get_my_commands(BotCommandScopeChat(h.practitioner.id))  # the rest was set
    await h.emu.send_text(h.practitioner, "/active")
    assert (await h.emu.wait_for_message(h.practitioner)).text.startswith("Patients in follow-up")


async def test_polling_asks_for_the_updates_the_handlers_read(make_bot):
    h = await make_bot()
    await h.emu.send_text(h.practitioner, "/active")
    await h.emu.wait_for_message(h.practitioner)  # polled by now
    polls = [call for call in h.emu.calls if call.method == "getUpdates"]
    assert polls and all(call.params["allowed_updates"] == ALLOWED_UPDATES for call in polls)
    assert {"message", "edited_message", "callback_query", "my_chat_member"} == set(ALLOWED_UPDATES)


def test_the_shipped_texts_fit_telegram(guidance):
    for language, messages in guidance.messages.items():
        for name in {*PATIENT_COMMANDS, *ADMIN_COMMANDS, *ALERT_CHAT_COMMANDS}:
            assert 1 <= len(render.plain(messages[f"command_{name}"])) <= 256, (language, name)
        assert len(render.plain(messages["bot_description"])) <= 512, language
        assert len(render.plain(messages["bot_short_description"])) <= 120, language


# ---- the emulator checks what Telegram checks


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda bot: bot.set_my_commands([("Help", "x")]), "BOT_COMMAND_INVALID"),
        (lambda bot: bot.set_my_commands([("h" * 33, "x")]), "BOT_COMMAND_INVALID"),
        (lambda bot: bot.set_my_commands([("help", "x" * 257)]), "BOT_COMMAND_DESCRIPTION_INVALID"),
        (lambda bot: bot.set_my_description("x" * 513), "description is too long"),
        (lambda bot: bot.set_my_short_description("x" * 121), "short description is too long"),
    ],
)
async def test_the_emulator_refuses_what_telegram_refuses(call, error):
    async with BotApiEmulator() as emu:
        emu.allow_violations(error)
        async with Bot(emu.token, base_url=emu.base_url) as bot:
            with pytest.raises(BadRequest, match=f"(?i){error}"):
                await call(bot)


async def test_the_emulator_keeps_descriptions_per_language_and_clears_them():
    async with BotApiEmulator() as emu, Bot(emu.token, base_url=emu.base_url) as bot:
        assert await bot.set_my_description("x" * 512) and await bot.set_my_short_description("y" * 120)
        await bot.set_my_description("Hola", language_code="es")
        assert (await bot.get_my_description("es")).description == "Hola"
        assert (await bot.get_my_description()).description == "x" * 512
        assert (await bot.get_my_short_description()).short_description == "y" * 120
        await bot.set_my_description("", language_code="es")
        assert (await bot.get_my_description("es")).description == ""
        await bot.set_my_commands([("help", "What I do")], BotCommandScopeChat(42), "es")
        assert pairs(await bot.get_my_commands(BotCommandScopeChat(42), "es")) == [("help", "What I do")]
        assert await bot.get_my_commands(BotCommandScopeChat(42)) == ()
