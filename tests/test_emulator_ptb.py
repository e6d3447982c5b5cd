"""The real python-telegram-bot Application and Bot against the emulator, over loopback HTTP."""

import asyncio
import datetime as dtm
from contextlib import asynccontextmanager

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.emulator import BotApiEmulator

# PTB 22 itself warns, whenever it builds a RetryAfter, that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Better", callback_data="better"),
            InlineKeyboardButton("Worse", callback_data="worse"),
        ]
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greets, showing the deep-link payload, with a two-button keyboard."""
    await update.message.reply_html(f"<b>Welcome</b>, code {' '.join(context.args)}", reply_markup=KEYBOARD)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers the press and replaces the question with the choice, dropping the keyboard."""
    query = update.callback_query
    await query.answer(f"Noted: {query.data}")
    await query.edit_message_text(f"You said: {query.data}")


def _bot(emu: BotApiEmulator, **request) -> Bot:
    return Bot(
        emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url, request=HTTPXRequest(**request)
    )


@asynccontextmanager
async def polling(emu: BotApiEmulator):
    app = (
        Application.builder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    )
    app.add_handlers(
        [
            CommandHandler("start", start),
            MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
            CallbackQueryHandler(answer),
        ]
    )
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def test_deep_link_reaches_the_command_handler_with_its_args(emulator):
    user = emulator.add_user("Ana")
    async with polling(emulator):
        await emulator.start_deep_link(user, "enrol-42")
        reply = await emulator.wait_for_message(user)
    assert (reply.text, reply.html) == ("Welcome, code enrol-42", "<b>Welcome</b>, code enrol-42")
    assert reply.entities == ({"type": "bold", "offset": 0, "length": 7},)
    assert emulator.last_keyboard(user) == KEYBOARD.to_dict()["inline_keyboard"]


async def test_text_round_trip_and_a_clean_stop(emulator):
    user = emulator.add_user()
    async with polling(emulator):
        await emulator.send_text(user, "my arm aches")
        assert (await emulator.wait_for_message(user)).text == "my arm aches"
    assert emulator.pending_updates == []  # PTB's last getUpdates confirmed everything
    assert [m.text for m in emulator.chat_history(user)] == ["my arm aches", "my arm aches"]


async def test_button_press_is_answered_and_the_message_edited(emulator):
    user = emulator.add_user()
    async with polling(emulator):
        await emulator.send_text(user, "/start")
        question = await emulator.wait_for_message(user)
        query = await emulator.press_button(user, question, "worse")
        await emulator.wait_for_call("editMessageText")
    assert (query.answered, query.answer["text"]) == (True, "Noted: worse")
    assert (question.text, question.keyboard, question.edit_date is not None) == ("You said: worse", [], True)


async def test_pressing_a_button_that_is_not_there_is_a_test_error(emulator):
    user = emulator.add_user()
    async with _bot(emulator) as bot:
        sent = await bot.send_message(user.id, "Pick", reply_markup=KEYBOARD)
    message = emulator.messages_to(user)[0]
    assert message.message_id == sent.message_id
    with pytest.raises(ValueError, match="no callback button 'same'"):
        await emulator.press_button(user, message, "same")
    forged = await emulator.press_button(user, message, "same", forge=True)
    assert emulator.pending_updates[-1]["callback_query"]["data"] == forged.data == "same"


async def test_identical_edit_is_not_modified(emulator):
    user = emulator.add_user()
    async with _bot(emulator) as bot:
        sent = await bot.send_message(user.id, "<b>Same</b>", parse_mode="HTML", reply_markup=KEYBOARD)
        edited = await sent.edit_text("<b>Same</b>", parse_mode="HTML")  # no markup: the keyboard goes
        assert edited.reply_markup is None
        with (
            emulator.expect_violation("message is not modified"),
            pytest.raises(BadRequest, match="(?i)message is not modified: specified new message content"),
        ):
            await edited.edit_text("Same", entities=edited.entities)
        with (
            emulator.expect_violation("message to edit not found"),
            pytest.raises(BadRequest, match="(?i)message to edit not found"),
        ):
            await bot.edit_message_text("x", chat_id=user.id, message_id=999)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"text": "x" * 4097}, "message is too long"),
        ({"text": "<b>" + "x" * 4097 + "</b>", "parse_mode": "HTML"}, "message is too long"),
        (
            {"text": "<p>Hi</p>", "parse_mode": "HTML"},
            'can\'t parse entities: unsupported start tag "p" at byte offset 0',
        ),
        ({"text": "Fish & chips", "parse_mode": "HTML"}, "can't parse entities: unescaped"),
        (
            {
                "text": "x",
                "reply_markup": InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="x" * 65)]]),
            },
            "button_data_invalid",
        ),
    ],
    ids=["too-long", "too-long-html", "bad-tag", "bare-ampersand", "65-byte-callback-data"],
)
async def test_refused_messages_surface_as_bad_request(emulator, kwargs, error):
    user = emulator.add_user()
    async with _bot(emulator) as bot:
        with emulator.expect_violation(400), pytest.raises(BadRequest) as refused:
            await bot.send_message(user.id, **kwargs)
    assert error in str(refused.value).lower()  # PTB strips "Bad Request: " and may change case
    assert emulator.messages_to(user) == []


async def test_blocked_user_is_forbidden(emulator):
    user = emulator.add_user()
    emulator.block(user)
    async with _bot(emulator) as bot:
        with (
            emulator.expect_violation("Forbidden: bot was blocked by the user"),
            pytest.raises(Forbidden, match="bot was blocked by the user"),
        ):
            await bot.send_message(user.id, "Time for your check-in")
        emulator.unblock(user)
        await bot.send_message(user.id, "Time for your check-in")


def _seconds(refused: RetryAfter) -> float:
    retry_after = refused.retry_after
    return retry_after.total_seconds() if isinstance(retry_after, dtm.timedelta) else retry_after


async def test_quick_messages_to_one_chat_raise_retry_after(emulator):
    user = emulator.add_user()
    outcomes = []
    async with _bot(emulator) as bot:  # no AIORateLimiter: nothing paces the bot
        with emulator.expect_violation(429):
            for n in range(5):
                try:
                    await bot.send_message(user.id, f"message {n}")
                    outcomes.append("sent")
                except RetryAfter as refused:
                    outcomes.append(_seconds(refused))
    assert outcomes == ["sent", "sent", "sent", 1, 1]


async def test_group_limit_with_an_injected_clock():
    now = [1_000_000.0]
    async with BotApiEmulator(clock=lambda: now[0]) as emu, _bot(emu) as bot:
        group = emu.add_group("Physio team")
        for _ in range(20):
            await bot.send_message(group.id, "update")
            now[0] += 0.5
        with emu.expect_violation(429), pytest.raises(RetryAfter) as refused:
            await bot.send_message(group.id, "one too many")
        assert _seconds(refused.value) == 50
        now[0] += 50
        await bot.send_message(group.id, "allowed again")
        emu.assert_no_violations()


async def test_raised_limits_let_a_benchmark_fan_out():
    async with BotApiEmulator(rate_limits=None) as emu, _bot(emu) as bot:
        users = [emu.add_user(f"P{i}") for i in range(50)]
        await asyncio.gather(*(bot.send_message(u.id, "hi") for u in users))
        assert all(len(emu.messages_to(u)) == 1 for u in users)


async def test_two_pollers_conflict(emulator):
    async with _bot(emulator, read_timeout=5) as first, _bot(emulator, read_timeout=5) as second:
        waiting = asyncio.create_task(first.get_updates(timeout=3))
        while not emulator.world.updates.polling:
            await asyncio.sleep(0.01)
        newer = asyncio.create_task(second.get_updates(timeout=3))
        async with emulator.expect_violation("Conflict: terminated by other getUpdates request"):
            with pytest.raises(Conflict, match="make sure that only one bot instance is running"):
                await waiting
        await emulator.send_text(emulator.add_user(), "hi")
        assert [u.message.text for u in await newer] == ["hi"]


async def test_injected_server_error_is_a_network_error(emulator):
    user = emulator.add_user()
    emulator.faults.fail_next(1, status=500, methods=["sendMessage"])
    async with _bot(emulator) as bot:
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(user.id, "lost")
        await bot.send_message(user.id, "delivered")
    assert [m.text for m in emulator.messages_to(user)] == ["delivered"]
    assert emulator.calls[-2].injected and emulator.violations == []


async def test_slow_reply_times_out_though_the_message_was_delivered(emulator):
    user = emulator.add_user()
    emulator.faults.delay(1.0, for_methods=["sendMessage"], times=1)
    async with _bot(emulator, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(user.id, "sent twice if retried blindly")
    assert [m.text for m in emulator.messages_to(user)] == ["sent twice if retried blindly"]


async def test_429_storm_raises_retry_after_with_its_value(emulator):
    user = emulator.add_user()
    emulator.faults.storm_429(30, retry_after=7)
    async with _bot(emulator) as bot:
        with pytest.raises(RetryAfter) as refused:
            await bot.send_message(user.id, "hi")
    assert _seconds(refused.value) == 7
    assert emulator.violations == []  # the storm is not the bot's fault


async def test_stale_or_repeated_callback_answers_are_refused():
    now = [1_000_000.0]
    async with BotApiEmulator(clock=lambda: now[0], callback_timeout=15) as emu, _bot(emu) as bot:
        user = emu.add_user()
        await bot.send_message(user.id, "Pick", reply_markup=KEYBOARD)
        question = emu.messages_to(user)[0]
        fresh = await emu.press_button(user, question, text="Better")
        stale = await emu.press_button(user, question, "worse")
        assert await bot.answer_callback_query(fresh.id)
        now[0] += 16
        with emu.expect_violation("query is too old"):
            for query in (fresh, stale):
                with pytest.raises(BadRequest, match="(?i)query is too old and response timeout expired"):
                    await bot.answer_callback_query(query.id)
        emu.assert_no_violations()


async def test_the_record_keeps_every_call_and_decoded_params(emulator):
    user = emulator.add_user()
    async with _bot(emulator) as bot:
        await bot.send_chat_action(user.id, "typing")
        await bot.set_my_commands([("start", "Begin"), ("stop", "Stop reminders")])
        assert [c.command for c in await bot.get_my_commands()] == ["start", "stop"]
        assert (await bot.get_chat(user.id)).first_name == "Ana"
        await bot.send_document(
            user.id, InputFile(b"%PDF-1.4 leaflet", filename="leaflet.pdf"), caption="Leaflet"
        )
        with emulator.expect_violation("wrong parameter action in request"), pytest.raises(BadRequest):
            await bot.send_chat_action(user.id, "dancing")
    methods = [c.method for c in emulator.calls]
    assert methods == [
        "getMe", "sendChatAction", "setMyCommands", "getMyCommands", "getChat", "sendDocument",
        "sendChatAction",
    ]  # fmt: skip
    assert emulator.calls[2].params["commands"][1] == {"command": "stop", "description": "Stop reminders"}
    assert emulator.calls[5].params["document"]["size"] == len(b"%PDF-1.4 leaflet")
    assert emulator.messages_to(user)[0].document.file_name == "leaflet.pdf"
    assert [(v.method, v.status) for v in emulator.violations] == [("sendChatAction", 400)]


async def test_a_user_who_never_pressed_start_cannot_be_reached_as_in_telegram(emulator):
    """Telegram: getChat does not know a user who never wrote to the bot, and sendChatAction
    (like sendMessage) may not start a conversation; a blocked user is known but refuses."""
    stranger = emulator.add_user("Lee", started=False)
    blocker = emulator.add_user("Bo")
    emulator.block(blocker)
    async with _bot(emulator) as bot:
        with (
            emulator.expect_violation("chat not found"),
            pytest.raises(BadRequest, match="(?i)chat not found"),
        ):
            await bot.get_chat(stranger.id)
        with (
            emulator.expect_violation("can't initiate conversation"),
            pytest.raises(Forbidden, match="(?i)bot can't initiate conversation with a user"),
        ):
            await bot.send_chat_action(stranger.id, "typing")
        assert (await bot.get_chat(blocker.id)).first_name == "Bo"
        with emulator.expect_violation("blocked"), pytest.raises(Forbidden, match="(?i)blocked by the user"):
            await bot.send_chat_action(blocker.id, "typing")
        await emulator.send_text(stranger, "/start")
        await bot.send_chat_action(stranger.id, "typing")
        assert (await bot.get_chat(stranger.id)).first_name == "Lee"
    emulator.assert_no_violations()
