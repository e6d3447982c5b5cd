"""What a patient tester found in the conversation, tried as a patient would on the real bot
against the emulator with Telegram's limits on: nothing reassures after an escalation, words
close their check-in like buttons do, "no" answers the signs checklist, thanks get a short
acknowledgement (the call to make after an emergency), and a milder edit is noted.
"""

from .test_conversation_safety import agree
from .test_patient_journey import consent, next_checkin, session_of, tap, texts, write

GUIDANCE_ID = "harbour"
STANDS_EN = "Thanks, noted. What you told me earlier still needs your clinic"
STANDS_ES = "Gracias, anotado. Lo que me contaste antes sigue necesitando a tu clínica"
NUMB_ES = (
    "creo que un 3, aunque esta mañana al levantarme tenía la pierna dormida y no podía mover bien el pie"
)
THANKS_EN = "You're welcome. If anything changes, just tell me here.\n\nIn an emergency, call 999."
THANKS_DE = "Gern geschehen."
NOTED_EN = "Noted. If anything changes, just tell me here.\n\nIn an emergency, call 999."


def held_back_tips(h, lang):
    """The first sentence of every tip that clears more activity, as the patient reads it."""
    return [
        t.texts[lang].replace("**", "").split(".")[0]
        for t in h.services.guidance(GUIDANCE_ID).tips
        if not t.after_escalation
    ]


def current(h, user, message):
    return h.emu.chat(user).messages[message.message_id]


def open_alerts(h):
    return h.store.open_alerts(h.clinic.id)


# ---- item 2: nothing reassures after an escalation


async def test_after_contact_today_a_gym_question_keeps_the_advice_and_never_clears_training(make_bot):
    h = await make_bot()
    eva = h.emu.add_user("Eva", language_code="es")
    await agree(h, eva, "Sí, acepto")
    await next_checkin(h, eva, 24)
    assert (await write(h, eva, NUMB_ES)).text.startswith("Contacta hoy")
    reply = await write(h, eva, "¿puedo ir al gimnasio mañana?")
    assert reply.text.startswith(STANDS_ES)
    assert "esperable" not in reply.text
    assert not any(sentence in reply.text for sentence in held_back_tips(h, "es"))
    buckets = [a["bucket"] for a in h.store.assessments(session_of(h, eva)["id"])]
    assert buckets == ["contact_practitioner", "normal"]  # judged normal, told as the advice standing


async def test_after_an_escalation_the_next_check_in_answered_normal_is_no_expected_reaction(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana, activities=("running",))
    h.advance(3600)
    assert (await write(h, ana, "7/10, it really hurts")).text.startswith("Please contact Harbour Physio")
    checkin = await next_checkin(h, ana, 6)
    # the first check-in after an alert asks first whether the patient reached the clinic
    for label in ("No, not yet", "3", "No bruising", "Normal energy"):
        await tap(h, ana, current(h, ana, checkin), label)
    await tap(h, ana, current(h, ana, checkin), "No, none of these")
    told = texts(h, ana)[-1]
    assert told.startswith(STANDS_EN) and "expected reaction" not in told
    assert not any(sentence in told for sentence in held_back_tips(h, "en"))
    run = await write(h, ana, "can I go for a run tomorrow?")
    assert run.text.startswith(STANDS_EN) and "expected reaction" not in run.text


async def test_without_an_escalation_a_normal_reply_is_still_an_expected_reaction(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    assert "expected reaction" in (await write(h, ana, "a bit sore, 3/10")).text


# ---- item 3: words close their check-in


async def test_an_answer_in_words_closes_the_check_in_shows_in_status_and_the_last_says_goodbye(make_bot):
    h = await make_bot()
    eva = h.emu.add_user("Eva", language_code="es")
    await agree(h, eva, "Sí, acepto")
    checkin = await next_checkin(h, eva, 24)
    assert checkin.buttons
    reply = await write(h, eva, "me duele un 4 más o menos")
    assert "esperable" in reply.text
    shown = current(h, eva, checkin)
    assert shown.buttons == [] and shown.text.endswith("✓ Respondido con tus palabras.")
    session = session_of(h, eva)
    [row] = [c for c in h.store.checkins(session["id"]) if c["hours"] == 24]
    assert row["status"] == "answered"
    status = await write(h, eva, "/status")
    assert "24 h: respondido con tus palabras" in status.text
    thumbs = await write(h, eva, "👍")  # no check-in open: an acknowledgement, not the greeting again
    assert thumbs.text.startswith("Anotado.") and "Soy el asistente" not in thumbs.text
    assert thumbs.buttons == []
    await next_checkin(h, eva, 48)
    last = await next_checkin(h, eva, 72)
    goodbye = await write(h, eva, "0, ya estoy perfecta")
    assert "Aquí termina tu seguimiento de 72 horas" in goodbye.text
    assert current(h, eva, last).buttons == []
    assert open_alerts(h) == []


async def test_words_with_a_sign_keep_the_check_in_open_for_the_checklist(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 24)
    assert (await write(h, ana, "my fingers are numb")).text.startswith("Please contact Harbour Physio")
    assert current(h, ana, checkin).buttons  # the checklist may still find an emergency
    await tap(h, ana, current(h, ana, checkin), "4")
    assert "✓" in current(h, ana, checkin).text


async def test_a_question_alone_does_not_close_the_check_in(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana, activities=("running",))
    checkin = await next_checkin(h, ana, 6)
    await write(h, ana, "can I go running tomorrow?")
    assert current(h, ana, checkin).buttons


# ---- item 4: "no" answers the checklist; "?" gets help, not an alert


async def test_no_while_the_signs_checklist_is_open_is_none_of_these(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    for label in ("3", "No bruising", "Normal energy"):
        await tap(h, ana, current(h, ana, checkin), label)
    reply = await write(h, ana, "no")
    assert reply.text.startswith("Thank you. From what you've told me")
    assert current(h, ana, checkin).buttons == []
    session = session_of(h, ana)
    [row] = [c for c in h.store.checkins(session["id"]) if c["hours"] == 6]
    assert h.store.checkin_answers(row["id"])["warning_signs"] == ["none"]
    assert open_alerts(h) == []


async def test_no_ninguno_in_spanish_answers_the_checklist(make_bot):
    h = await make_bot()
    eva = h.emu.add_user("Eva", language_code="es")
    await agree(h, eva, "Sí, acepto")
    checkin = await next_checkin(h, eva, 6)
    for label in ("3", "Sin moretones", "Energía normal"):
        await tap(h, eva, current(h, eva, checkin), label)
    reply = await write(h, eva, "no, ninguno")
    assert "esperable" in reply.text and open_alerts(h) == []
    assert current(h, eva, checkin).buttons == []


async def test_nein_in_german_answers_the_checklist(make_bot):
    h = await make_bot()
    jan = h.emu.add_user("Jan", language_code="de")
    await agree(h, jan, "Ja, einverstanden")
    checkin = await next_checkin(h, jan, 6)
    for label in ("3", "Keine blauen Flecken", "Energie wie immer"):
        await tap(h, jan, current(h, jan, checkin), label)
    reply = await write(h, jan, "nein, nichts davon")
    assert "normalen Reaktion" in reply.text and open_alerts(h) == []
    assert current(h, jan, checkin).buttons == []


async def test_no_to_the_soreness_question_gets_the_question_again_not_an_alert(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    await next_checkin(h, ana, 6)
    reply = await write(h, ana, "none")
    assert "How sore is the treated area" in reply.text and reply.buttons
    assert open_alerts(h) == [] and h.store.assessments(session_of(h, ana)["id"]) == []


async def test_a_question_mark_before_any_check_in_gets_help_and_no_alert(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(600)
    reply = await write(h, ana, "?")
    assert "aftercare assistant of Harbour Physio" in reply.text
    assert reply.text.rstrip().endswith("In an emergency, call 999.")
    assert open_alerts(h) == []


async def test_angry_faces_cannot_be_read_so_the_clinic_reads_them(make_bot):
    """U1: text that says nothing readable may hide pain; the spec sends it to a practitioner."""
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(600)
    reply = await write(h, ana, "😡😡😡")
    assert reply.text.startswith("Sorry, I couldn't quite understand that")
    assert [a["bucket"] for a in open_alerts(h)] == ["contact_practitioner"]


# ---- item 5: thanks and acknowledgements


async def test_thanks_get_a_short_acknowledgement_not_the_greeting(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(600)
    assert (await write(h, ana, "thanks")).text == THANKS_EN
    for words in ("👍", "ok"):
        assert (await write(h, ana, words)).text == NOTED_EN
    eva = h.emu.add_user("Eva", language_code="es")
    await agree(h, eva, "Sí, acepto")
    reply = await write(h, eva, "gracias!! 😊")
    assert reply.text.startswith("De nada.") and "Soy el asistente" not in reply.text
    jan = h.emu.add_user("Jan", language_code="de")
    await agree(h, jan, "Ja, einverstanden")
    reply = await write(h, jan, "Danke schön!")
    assert reply.text.startswith(THANKS_DE) and "Nachsorge-Assistent" not in reply.text
    assert open_alerts(h) == []


async def test_after_an_emergency_vale_gets_the_call_to_make_now(make_bot):
    h = await make_bot()
    eva = h.emu.add_user("Eva", language_code="es")
    await agree(h, eva, "Sí, acepto")
    h.advance(600)
    emergency = await write(h, eva, "me duele mucho el pecho y no puedo respirar")
    assert emergency.text.startswith("Llama al 999 ahora")
    reply = await write(h, eva, "vale")
    assert reply.text.startswith("Si aún no lo has hecho, llama ya al 999")
    assert "Soy el asistente" not in reply.text


# ---- item 6: a milder edit is noted


async def test_an_edit_to_a_milder_score_is_noted_and_the_alert_stays(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    sent = await h.emu.send_text(ana, "7")
    first = await h.emu.wait_for_message(ana)
    assert first.text.startswith("Please contact Harbour Physio")
    h.advance(2)
    await h.emu.edit_text(ana, sent, "2")
    noted = await h.emu.wait_for_message(ana)
    assert noted.text.startswith(
        "I've noted 2/10. What you told me before has already gone to Harbour Physio"
    )
    assert [a["bucket"] for a in open_alerts(h)] == ["contact_practitioner"]
