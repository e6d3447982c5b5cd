"""/language: the patient picks their language with buttons, at any time; every later message is in
it, a new link keeps it, and a stale, foreign or forged press changes nothing and says so."""

from telegram import BotCommandScopeAllPrivateChats

from .test_patient_journey import consent, next_checkin, patient_bot, tap, write

CHOOSE_EN = "Which language should I write to you in?"
CHOOSE_ES = "¿En qué idioma quieres que te escriba?"
STALE = "Sorry, that button is no longer active. Please use the latest message."


def language_of(h, user):
    return h.store.patient_by_telegram(user.id)["language"]


def names(message):
    """The /language buttons' labels: English and Spanish first, then any other language shipped."""
    return [b["text"] for b in message.buttons][:2]


async def test_a_patient_switches_to_spanish_and_back(make_bot, guidance):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")  # Telegram in English
    await consent(h, ana)
    offer = await write(h, ana, "/language")
    assert offer.text == CHOOSE_EN
    assert names(offer) == ["✅ English", "Español"] and len(offer.buttons) == len(guidance.messages)
    await tap(h, ana, offer, "Español")
    assert (
        h.emu.chat(ana).messages[offer.message_id].text == "Listo: a partir de ahora te escribo en español."
    )
    assert h.emu.chat(ana).messages[offer.message_id].buttons == []
    assert language_of(h, ana) == "es"
    phone = await h.emu.wait_for_message(ana)  # the phone offer still open, with its keyboard in Spanish
    assert phone.text.startswith("Si quieres, comparte tu número")
    checkin = await next_checkin(h, ana, 6)
    assert checkin.text.startswith("Hola, Ana")
    # the help line under the question, translated, is shown too
    assert "También puedes escribir un número del 0 al 10." in checkin.text
    assert "/language – elegir idioma" in (await write(h, ana, "/help")).text
    again = await write(h, ana, "/language")
    assert again.text == CHOOSE_ES and names(again) == ["English", "✅ Español"]
    await tap(h, ana, again, "English")
    assert (
        h.emu.chat(ana).messages[again.message_id].text == "Done: from now on I'll write to you in English."
    )
    assert (await write(h, ana, "/help")).text.startswith("I'm your clinic's aftercare assistant")


async def test_a_chosen_language_outlasts_a_new_link(make_bot):
    h = await patient_bot(make_bot)
    eva = h.emu.add_user("Eva", language_code="es")
    await h.emu.start_deep_link(eva, h.enrol())
    await tap(h, eva, await h.emu.wait_for_message(eva), "Sí, acepto")
    await h.emu.wait_for_message(eva)
    await tap(h, eva, await write(h, eva, "/language"), "English")
    assert language_of(h, eva) == "en"
    assert (await h.emu.wait_for_message(eva)).text.startswith("If you like, share your phone number")
    await h.emu.start_deep_link(eva, h.enrol())
    await tap(h, eva, await h.emu.wait_for_message(eva), "Yes, I agree")
    accepted = await h.emu.wait_for_message(eva)
    assert language_of(h, eva) == "en" and "Thank you, you're all set" in accepted.text


async def test_without_a_patient_record_there_is_nothing_to_choose_for(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    assert (await write(h, ana, "/language")).text.startswith("You're not in a follow-up")
    assert h.store.patient_by_telegram(ana.id) is None


async def test_a_forged_or_foreign_language_press_changes_nothing(make_bot):
    h = await patient_bot(make_bot)
    ana, bob = h.emu.add_user("Ana"), h.emu.add_user("Bob")
    await consent(h, ana)
    await consent(h, bob)
    offer = await write(h, ana, "/language")
    ana_id = h.store.patient_by_telegram(ana.id)["id"]
    # Bob presses a button carrying Ana's id
    bobs = await write(h, bob, "/language")
    await h.emu.press_button(bob, bobs, f"pl:{ana_id}:es", forge=True)
    assert (await h.emu.wait_for_message(bob)).text == STALE
    # a language the clinic does not ship
    await h.emu.press_button(ana, offer, f"pl:{ana_id}:xx", forge=True)
    unknown = await h.emu.wait_for_message(ana)
    assert unknown.text == "That language isn't available. Send /language to see the choices."
    assert (language_of(h, ana), language_of(h, bob)) == ("en", "en")
    # her own button still works
    await tap(h, ana, offer, "Español")
    assert language_of(h, ana) == "es"


async def test_the_command_menu_offers_language_in_each_language(make_bot):
    h = await patient_bot(make_bot)
    private = BotCommandScopeAllPrivateChats()
    for language, description in (("en", "Choose your language"), ("es", "Elegir idioma")):
        menu = await h.app.bot.get_my_commands(private, language_code=language)
        assert ("language", description) in [(c.command, c.description) for c in menu]


async def test_staff_of_a_spanish_clinic_read_body_areas_in_spanish(make_bot):
    h = await patient_bot(make_bot, language="es")
    ana = h.emu.add_user("Ana")
    await consent(h, ana, areas=("upper_back", "calf"))
    active = await write(h, h.admin, "/active")
    assert active.text.startswith("Pacientes en seguimiento") and "Espalda alta, Pantorrilla" in active.text
