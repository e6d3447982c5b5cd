"""/language at any moment, on the real bot against the emulator: the open check-in (and its
reminder) is redrawn in the new language, /language works before consent (the consent comes
again in the chosen language), and the phone keyboard follows the language and goes away."""

from .test_one_tap_answers import labels, shown
from .test_patient_journey import consent, next_checkin, session_of, tap, write

HOUR = 3600


async def test_the_open_check_in_and_its_reminder_are_redrawn_in_the_new_language(make_bot):
    h = await make_bot(quiet_hours=None)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    h.advance(2 * HOUR + 60)
    await h.tick()
    reminder = await h.emu.wait_for_message(ana)
    await tap(h, ana, checkin, "2")
    await tap(h, ana, await write(h, ana, "/language"), "Español")
    redrawn = shown(h, ana, checkin)
    assert redrawn.text.startswith("Hola, Ana") and "¿Tienes algún moretón" in redrawn.text
    assert labels(redrawn)[0] == ["Sin moretones"]
    assert "recordatorio" in shown(h, ana, reminder).text.lower()
    assert labels(shown(h, ana, reminder))[0] == ["Sin moretones"]
    await tap(h, ana, redrawn, "Sin moretones")  # the redrawn buttons answer as before
    cid = h.store.latest_sent_checkin(session_of(h, ana)["id"])["id"]
    assert h.store.checkin_answers(cid) == {"soreness": 2, "bruising": "none"}
    assert "¿Cómo está tu energía?" in shown(h, ana, checkin).text


async def test_language_without_an_open_check_in_redraws_nothing(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    before = len(h.emu.messages_to(ana))
    offer = await write(h, ana, "/language")
    await tap(h, ana, offer, "Español")
    assert len(h.emu.messages_to(ana)) == before + 1  # the chooser, edited; nothing else
