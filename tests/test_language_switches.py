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
    await h.emu.press_reply_button(ana, "Skip")  # no phone offer open either
    await h.emu.wait_for_message(ana)
    before = len(h.emu.messages_to(ana))
    offer = await write(h, ana, "/language")
    await tap(h, ana, offer, "Español")
    assert len(h.emu.messages_to(ana)) == before + 1  # the chooser, edited; nothing else


async def test_language_before_consent_asks_the_consent_again_in_that_language(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")  # Telegram in English
    await h.emu.start_deep_link(ana, h.enrol())
    assert (await h.emu.wait_for_message(ana)).text.startswith("Aftercare check-ins from Harbour Physio")
    offer = await write(h, ana, "/language")
    assert offer.text == "Which language should I write to you in?"
    await tap(h, ana, offer, "Español")
    assert shown(h, ana, offer).text.startswith("Listo: a partir de ahora te escribo en español.")
    asked = await h.emu.wait_for_message(ana)
    assert asked.text.startswith("Seguimiento tras tu sesión en Harbour Physio")
    assert labels(asked)[0] == ["Sí, acepto"]
    assert h.store.patient_by_telegram(ana.id) is None  # nothing is stored before consent
    assert (await write(h, ana, "hola")).text.startswith("Antes de empezar, toca uno de los botones")
    emergency = await write(h, ana, "chest pain and I can't breathe")
    assert emergency.text.startswith("Llama al 999")  # the emergency text in the language chosen
    again = await write(h, ana, "/language")
    assert again.text == "¿En qué idioma quieres que te escriba?" and "✅ Español" in labels(again)[1]
    await tap(h, ana, asked, "Sí, acepto")
    accepted = await h.emu.wait_for_message(ana)
    assert accepted.text.startswith("Gracias")
    assert h.store.patient_by_telegram(ana.id)["language"] == "es"
    checkin = await next_checkin(h, ana, 6)
    assert checkin.text.startswith("Hola, Ana")


async def test_language_with_no_link_says_how_to_start(make_bot, guidance):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    told = guidance.message("not_enrolled", "en").replace("{emergency_number}", "999")
    assert (await write(h, ana, "/language")).text == told


# ---- the phone keyboard of the consent

SHARE_ES, SKIP_ES = "📞 Compartir mi número", "Omitir"


async def test_an_ignored_phone_offer_lapses_after_the_first_check_in(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana", phone_number="447700900123")
    await consent(h, ana)
    assert [b["text"] for row in h.emu.reply_keyboard(ana) for b in row] == [
        "📞 Share my phone number",
        "Skip",
    ]
    checkin = await next_checkin(h, ana, 6)  # a check-in carries its question's buttons, not a removal
    for label in ("2", "No bruising", "Normal energy", "No, none of these"):
        await tap(h, ana, shown(h, ana, checkin), label)
    answer = await h.emu.wait_for_message(ana)
    assert answer.text.startswith("Thank you. From what you've told me")
    assert h.emu.reply_keyboard(ana) == []  # it went with the first message without buttons
    session = session_of(h, ana)
    assert (session["phone"], session["phone_prompt"]) == (None, "skipped")


async def test_words_after_the_first_check_in_take_the_phone_keyboard_away(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    await next_checkin(h, ana, 6)
    await write(h, ana, "about a 2, small bruise, no other problems")
    assert h.emu.reply_keyboard(ana) == []
    assert session_of(h, ana)["phone_prompt"] == "skipped"


async def test_the_phone_offer_is_still_open_before_the_first_check_in(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    await write(h, ana, "/status")  # a message without buttons before any check-in
    assert h.emu.reply_keyboard(ana) != [] and session_of(h, ana)["phone_prompt"] == "asked"


async def test_the_phone_offer_comes_again_in_the_language_chosen(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana", phone_number="447700900123")
    await consent(h, ana)
    await tap(h, ana, await write(h, ana, "/language"), "Español")
    offer = await h.emu.wait_for_message(ana)
    assert offer.text.startswith("Si quieres, comparte tu número de teléfono")
    assert [b["text"] for row in h.emu.reply_keyboard(ana) for b in row] == [SHARE_ES, SKIP_ES]
    h.advance(2)
    await h.emu.press_reply_button(ana, SKIP_ES)  # the Spanish Skip is understood
    assert (await h.emu.wait_for_message(ana)).text.startswith("De acuerdo: Harbour Physio no recibirá")
    assert h.emu.reply_keyboard(ana) == [] and session_of(h, ana)["phone_prompt"] == "skipped"
