"""Every button press is answered, and a press or message that fails gets the kind reply, with one
line in the log and no traceback (issue 12, point 13)."""

import io
import logging
import re

import pytest

from bot.emulator import CallbackQuery
from bot.privacy.logs import configure
from bot.telegram.staff import STAFF_BUTTON

from .test_patient_journey import consent, until
from .test_staff_telegram import open_alert

STALE = "Sorry, that button is no longer active. Please use the latest message."
ERROR = "Sorry, something went wrong on my side. Please try again in a minute."
STAFF_ONLY = "Sorry, I can't help with that."


@pytest.fixture
def log():
    stream = io.StringIO()
    handler = configure(logging.DEBUG, stream)
    yield stream
    logging.getLogger().removeHandler(handler)


async def people(h):
    """A patient in follow-up (and the message their buttons go under), staff, a stranger."""
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    return {"patient": ana, "staff": h.practitioner, "stranger": h.emu.add_user("Eve")}


# Data no handler of ours made, or knows, and what each presser hears back.
@pytest.mark.parametrize("data", ["zz:1:", "x" * 64, "zz", "p", "pzz:1:", "s", "sa:99:", "s:1:"])
@pytest.mark.parametrize("who", ["patient", "staff", "stranger"])
async def test_a_press_with_data_no_handler_knows_is_answered(make_bot, log, data, who):
    h = await make_bot()
    user = (await people(h))[who]
    await h.emu.send_text(user, "/help")  # something of the bot's to press under
    await h.idle()
    query = await h.emu.press_button(user, h.emu.messages_to(user)[-1], data, forge=True)
    await until(lambda: query.answered)
    await h.idle()
    # a staff button's data pressed by anyone else says less
    expected = STAFF_ONLY if who != "staff" and re.match(STAFF_BUTTON, data) else STALE
    assert h.emu.messages_to(user)[-1].text == expected
    assert str(user.id) not in log.getvalue() and "Traceback" not in log.getvalue()


@pytest.mark.parametrize("data", ["zz:1:", "pa:1:0.3", "sa:1:", "sea:1:0"])
async def test_a_press_with_no_message_behind_it_is_answered_with_a_notice(make_bot, log, data):
    """Telegram sends no message with a press on an inline message (or on one too old to pass)."""
    h = await make_bot()
    who = h.practitioner if data.startswith("s") else (await people(h))["patient"]
    await h.emu.send_text(who, "/help")
    await h.idle()
    query = CallbackQuery(
        str(9_000_000_000_000 + h.emu.world.serial()),
        who,
        h.emu.messages_to(who)[-1],
        data,
        h.emu.world.clock(),
    )
    h.emu.world.queries[query.id] = query
    h.emu.world.updates.push(
        "callback_query",
        {
            "id": query.id,
            "from": who.to_api(),
            "chat_instance": "1",
            "inline_message_id": "AAAA-inline",
            "data": data,
        },
    )
    await until(lambda: query.answered)
    await h.idle()
    assert query.answer["text"] == STALE
    assert "Traceback" not in log.getvalue() and "failed" not in log.getvalue()


async def test_a_staff_press_that_fails_is_answered_kindly_and_logged_in_one_line(make_bot, log, monkeypatch):
    h = await make_bot()
    alert, _ = await open_alert(h)
    await h.tick()
    message = await h.emu.wait_for_message(h.practitioner)
    await h.idle()

    def broken(alert_id):
        raise KeyError("Ana's words")  # an error whose message holds private data

    monkeypatch.setattr(h.store, "acknowledge_alert", lambda *args: broken(args[0]))
    query = await h.emu.press_button(h.practitioner, message, text="I'm handling it")
    await until(lambda: query.answered)
    await h.idle()
    assert h.emu.messages_to(h.practitioner)[-1].text == ERROR
    failure = [line for line in log.getvalue().splitlines() if "handler failed" in line]
    assert (
        len(failure) == 1
        and "KeyError at bot/services/alerts.py:" in failure[0]
        and "staff_button" in failure[0]
    )
    assert "Traceback" not in log.getvalue() and "Ana's words" not in log.getvalue()


@pytest.mark.parametrize(
    "broken, action", [("checkin", "press"), ("add_answer", "write"), ("open_alerts", "/alerts")]
)
async def test_a_failure_anywhere_gets_the_kind_reply_and_no_traceback(
    make_bot, log, monkeypatch, broken, action
):
    h = await make_bot()
    ana = (await people(h))["patient"]
    h.advance_hours(6)
    await h.tick()
    checkin = await h.emu.wait_for_message(ana)
    await h.idle()

    def fail(*_args):
        raise RuntimeError("private")

    monkeypatch.setattr(h.store, broken, fail)
    if action == "press":
        query = await h.emu.press_button(ana, checkin, checkin.buttons[0]["callback_data"])
        await until(lambda: query.answered)
    elif action == "write":
        await h.emu.send_text(ana, "my calf aches")
    else:
        await h.emu.send_text(h.practitioner, action)
    await h.idle()
    who = h.practitioner if action.startswith("/") else ana
    assert h.emu.messages_to(who)[-1].text.startswith(ERROR)
    assert "RuntimeError at bot/" in log.getvalue()
    assert "Traceback" not in log.getvalue() and "private" not in log.getvalue()
