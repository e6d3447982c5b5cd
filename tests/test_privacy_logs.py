"""A whole follow-up, logged as `aftercare run` logs it, leaves no patient words, names or
tokens in the log."""

import io
import logging

import pytest

from bot.privacy.logs import configure

from .test_patient_journey import tap, until, write

SECRETS_TYPED = ["zebra-striped ache", "my fingers are numb since the gym", "/delete"]


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG], ids=["info", "debug"])
async def test_the_log_of_a_full_journey_holds_nothing_private(make_bot, level):
    stream = io.StringIO()
    handler = configure(level, stream)
    logging.getLogger("httpx").setLevel(logging.INFO)  # prove the filter too, not only the quieting
    try:
        h = await make_bot()
        zeb = h.emu.add_user("Zebedee", last_name="Quillfeather")
        token = h.enrol(areas=("forearm",))
        await h.emu.start_deep_link(zeb, token)
        await tap(h, zeb, await h.emu.wait_for_message(zeb), "Yes, I agree")
        await h.emu.wait_for_message(zeb)
        yol = h.emu.add_user("Yolanda")  # blocks the bot: her check-in finds her chat unreachable
        await h.emu.start_deep_link(yol, h.enrol())
        await tap(h, yol, await h.emu.wait_for_message(yol), "Yes, I agree")
        h.emu.block(yol)
        h.emu.allow_violations("bot was blocked by the user")
        h.advance_hours(6)
        await h.tick()
        await h.idle()
        assert h.store.patient_by_telegram(yol.id)["status"] == "unreachable"
        stranger = h.emu.add_user("Xavier")
        for who in (zeb, stranger, h.admin):  # stale or forged presses, from a patient, a stranger, staff
            if who is not zeb:
                await write(h, who, "/help")
            query = await h.emu.press_button(who, h.emu.messages_to(who)[-1], "pa:999999:0.3", forge=True)
            await until(lambda query=query: query.answered)
            await h.emu.wait_for_message(who)  # "no longer active"
        for text in SECRETS_TYPED[:2]:
            await write(h, zeb, text)
        await h.tick()
        alert = await h.emu.wait_for_message(h.practitioner, lambda m: m.keyboard)
        await tap(h, h.practitioner, alert, "I'm handling it")
        await write(h, zeb, "/delete")
        confirm = h.emu.messages_to(zeb)[-1]  # after the answers to the 6 h check-in the words joined
        await tap(h, zeb, confirm, confirm.buttons[0]["text"])
    finally:
        logging.getLogger().removeHandler(handler)
    log = stream.getvalue()
    assert "logger=bot." in log  # the journey was logged at all
    assert "its chat is unreachable" in log and "stale or foreign button from patient" in log
    private = [
        token,
        h.emu.token,
        "Zebedee",
        "Quillfeather",
        "Dana Reyes",
        *SECRETS_TYPED[:2],
        "zebra",
        "numb",
        str(zeb.id),
        str(yol.id),
        str(stranger.id),
        str(h.admin.id),
        "Yolanda",
        "Xavier",
    ]
    assert [word for word in private if word in log] == []


def test_a_token_in_a_message_is_masked():
    stream = io.StringIO()
    handler = configure(logging.INFO, stream)
    try:
        logging.getLogger("anything").info(
            "POST https://api.telegram.org/bot123456789:AAH-example_token_value_0123/getMe"
        )
    finally:
        logging.getLogger().removeHandler(handler)
    assert "AAH-example" not in stream.getvalue() and "bot<token>/getMe" in stream.getvalue()


def test_a_token_in_a_traceback_is_masked():
    stream = io.StringIO()
    handler = configure(logging.INFO, stream)
    try:
        try:
            raise ValueError("POST https://api.telegram.org/bot123456789:AAH-example_token_value_0123/getMe")
        except ValueError:
            logging.getLogger("anything").exception("request failed")
    finally:
        logging.getLogger().removeHandler(handler)
    assert "AAH-example" not in stream.getvalue() and "bot<token>/getMe" in stream.getvalue()
