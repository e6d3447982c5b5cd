"""Both sides together: a patient's words reach the practitioner, and the real scheduler runs
a whole follow-up compressed into seconds."""

import time

import pytest

from bot.render.html import unpack

from .test_patient_journey import consent, settled, tap, until, write


async def test_a_patients_warning_sign_reaches_the_practitioner_who_acknowledges_it(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana, areas=("forearm",))
    reply = await write(h, ana, "feeling ok but my fingers keep tingling 😬")
    assert reply.text.startswith("Please contact Harbour Physio today")
    assert "What you told me: “feeling ok but my fingers keep tingling 😬”" in reply.text

    await h.tick()
    alert = await h.emu.wait_for_message(h.practitioner)
    assert alert.text.startswith("🟠 Needs review today · Ana #")
    assert "Numbness, tingling or pins and needles" in alert.text  # the staff read the rule's reason
    assert "fingers keep tingling" in alert.text and "C10" not in alert.text  # ids: /patient's
    assert h.emu.messages_to(h.admin) == []

    alert_id = unpack(alert.reply_markup["inline_keyboard"][0][0]["callback_data"]).row_id
    h.advance(120)
    await tap(h, h.practitioner, alert, "I'm handling it")
    row = h.store.alert(alert_id)
    assert (row["status"], row["acknowledged_by"]) == ("acknowledged", h.practitioner.id)
    assert "Acknowledged by Dana Reyes" in alert.text

    h.advance(3600)  # acknowledged: nobody is alerted again
    await h.tick()
    assert h.emu.messages_to(h.admin) == [] and len(h.emu.messages_to(h.practitioner)) == 1


@pytest.mark.drill  # the real scheduler and clock: about 15 s
async def test_a_follow_up_runs_on_the_real_scheduler_in_seconds(make_bot):
    """clock_speed 18000: 6 h pass in 1.2 s, the 72 h check-in comes 14.4 s after treatment. Not
    faster: the consent, its edit and the welcome use the chat's burst (one send of it is kept for
    an emergency answer), so the welcome waits a second for Telegram's pace, and so would the
    6 h check-in behind it."""
    h = await make_bot(real_time=True, clock_speed=18000, quiet_hours=None, reminder_after="12h")
    ana = h.emu.add_user("Ana")
    token = h.enrol(treated_at=time.time())
    await h.emu.start_deep_link(ana, token)
    await tap(h, ana, await h.emu.wait_for_message(ana), "Yes, I agree")
    for hours in (6, 24, 48, 72):
        checkin = await h.emu.wait_for_message(ana, lambda m: m.keyboard, timeout=10)
        assert f"{hours} hours" in checkin.text
        await h.emu.send_text(ana, "all good, about a 1")
        outcome = await h.emu.wait_for_message(ana, lambda m: not m.keyboard)
        assert "Please contact" not in outcome.text
    await settled(h)
    session = h.store.current_session(h.store.patient_by_telegram(ana.id)["id"])
    await until(lambda: h.store.session(session["id"])["status"] == "completed")
    assert [c["status"] for c in h.store.checkins(session["id"])] == ["answered"] * 4
