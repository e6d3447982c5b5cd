"""The whole conversation is as safe as the triage (issue 10), tried as a patient would, on the
real bot against the emulator with Telegram's limits on: every input is read (edits, captions,
photos, voice notes, stickers), small talk is never "an expected reaction", distress gets the
clinic's phone, an emergency answer is never late behind a chat's other answers, a burst gets
one answer, and after /stop, /delete or a blocked bot nothing reaches a clinic the patient left.
"""

import asyncio
import time

import pytest

from .test_patient_journey import TAP, consent, next_checkin, session_of, settled, tap, texts, until, write

CHEST = "now I have chest pain and I can't breathe"
EXPECTED = "expected reaction"
PHONE, EMERGENCY = "+44 20 7946 0000", "Call 999 now"


def rows(h):
    """Everything kept about patients' words and what was made of them."""
    return {
        table: h.store._one(f"SELECT COUNT(*) AS n FROM {table}")["n"]
        for table in ("answers", "assessments", "alerts", "photos", "sessions", "patients")
    }


async def agree(h, user, button):
    """Open a fresh link and agree with the consent's button in the user's language."""
    await h.emu.start_deep_link(user, h.enrol())
    await tap(h, user, await h.emu.wait_for_message(user), button)
    return await h.emu.wait_for_message(user)


async def answered(h, user, count=1):
    """The bot's next `count` messages to `user`, once it has handled everything sent to it."""
    replies = [await h.emu.wait_for_message(user) for _ in range(count)]
    await settled(h)
    return replies


# ---- 1. every input is read


async def test_an_edit_into_a_red_flag_acts_at_once_and_a_milder_one_is_noted_taking_nothing_back(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    sent = await h.emu.send_text(ana, "a bit sore, 3/10")
    [first] = await answered(h, ana)
    assert EXPECTED in first.text
    h.advance(TAP)
    await h.emu.edit_text(ana, sent, "actually I have chest pain and can't breathe")
    [emergency] = await answered(h, ana)
    assert emergency.text.startswith(EMERGENCY)
    session = session_of(h, ana)
    [alert] = h.store.open_alerts(h.clinic.id)
    assert (alert["session_id"], alert["bucket"]) == (session["id"], "emergency")
    await h.tick()
    assert "EMERGENCY" in (await h.emu.wait_for_message(h.practitioner)).text
    h.advance(TAP)
    await h.emu.edit_text(ana, sent, "sorry, typo: just a bit sore")
    [noted] = await answered(h, ana)  # kept, judged, and answered: nothing is taken back
    assert noted.text.startswith("I've noted your change. What you told me before has already gone to")
    assert EXPECTED not in noted.text
    assert [a["status"] for a in h.store.session_alerts(session["id"])] == ["open"]
    assert [a["bucket"] for a in h.store.assessments(session["id"])] == ["normal", "emergency", "normal"]


async def test_a_red_flag_caption_alerts_and_the_photo_goes_to_the_practitioner(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    photo = await h.emu.send_photo(ana, "my arm is hot, red and swollen and I have a fever of 39")
    [reply] = await answered(h, ana)
    assert reply.text.startswith(f"Please contact Harbour Physio today on {PHONE}")
    assert "couldn't" not in reply.text
    session = session_of(h, ana)
    [kept] = h.store.photos(session["id"])
    assert kept["file_id"] == photo.photo.file_id  # the largest size, by Telegram's id: no bytes kept
    [alert] = h.store.open_alerts(h.clinic.id)
    await h.tick()
    text = await h.emu.wait_for_message(h.practitioner)
    assert "Ana" in text.text and "fever" in text.text
    picture = await h.emu.wait_for_message(h.practitioner, lambda m: m.photo is not None)
    assert picture.photo.file_id == photo.photo.file_id and picture.text == "📷 Photo from Ana"
    await h.tick()
    assert len([m for m in h.emu.messages_to(h.practitioner) if m.photo]) == 1  # forwarded once


async def test_a_photo_without_words_is_asked_about_kept_and_shown_to_staff(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    await next_checkin(h, ana, 6)
    photo = await h.emu.send_photo(ana)
    [reply] = await answered(h, ana)
    assert "What does it show?" in reply.text and "call 999" in reply.text and EXPECTED not in reply.text
    session = session_of(h, ana)
    assert h.store.assessments(session["id"]) == [] and h.store.open_alerts(h.clinic.id) == []
    assert h.store.checkin(h.store.latest_sent_checkin(session["id"])["id"])["status"] == "sent"
    await write(h, h.practitioner, f"/patient {session['patient_id']}")
    timeline = h.emu.messages_to(h.practitioner)[-1]
    assert "📷" in timeline.text
    shown = await h.emu.wait_for_message(h.practitioner, lambda m: m.photo is not None)
    assert shown.photo.file_id == photo.photo.file_id
    # the photo then rides with the follow-up's first alert
    await write(h, ana, "my fingers are numb")
    await h.tick()
    await h.emu.wait_for_message(h.practitioner, lambda m: "Ana" in (m.text or "") and m.photo is None)
    await h.tick()  # the alert's text took the staff chat's last token: the photo goes at the next tick
    await h.emu.wait_for_message(
        h.practitioner, lambda m: m.photo is not None and m.photo.file_id == photo.photo.file_id
    )


async def test_an_edited_caption_is_read_and_its_photo_kept_once(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    photo = await h.emu.send_photo(ana, "the needle spot")
    await answered(h, ana)
    h.advance(TAP)
    await h.emu.edit_text(ana, photo, CHEST)
    [reply] = await answered(h, ana)
    assert reply.text.startswith(EMERGENCY)
    assert len(h.store.photos(session_of(h, ana)["id"])) == 1


async def test_a_photo_sent_after_the_alert_went_out_follows_it_at_once(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    await write(h, ana, "my fingers are numb")
    await h.tick()
    await h.emu.wait_for_message(h.practitioner)
    photo = await h.emu.send_photo(ana)
    await h.emu.wait_for_message(ana)
    await h.tick()  # it is queued for the practitioner with the answer; the tick sends it
    forwarded = await h.emu.wait_for_message(h.practitioner, lambda m: m.photo is not None)
    assert forwarded.photo.file_id == photo.photo.file_id


# A contact card is the phone question's answer: tests/test_patient_identity.py
@pytest.mark.parametrize("kind", ["voice", "sticker", "location", "video_note", "audio"])
async def test_what_i_cannot_read_gets_a_reply_that_says_what_i_can(make_bot, kind):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    before = rows(h)
    h.advance(TAP)
    await h.emu.send_media(ana, kind)
    [reply] = await answered(h, ana)
    assert "I can read text messages, and photos with a caption" in reply.text and "call 999" in reply.text
    assert rows(h) == before


async def test_a_video_caption_is_read_as_the_patients_words(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    h.advance(TAP)
    await h.emu.send_media(ana, "video", caption=CHEST)
    [reply] = await answered(h, ana)
    assert reply.text.startswith(EMERGENCY)


# ---- 2. "normal" needs evidence: small talk is not an assessment


@pytest.mark.parametrize("words", ["hola??", "hi", "who are you?", "?", "🤔"])
async def test_small_talk_is_answered_with_the_check_in_again_and_the_emergency_number(make_bot, words):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    reply = await write(h, ana, words)
    assert EXPECTED not in reply.text and "couldn't" not in reply.text
    assert "aftercare assistant of Harbour Physio" in reply.text
    assert reply.text.rstrip().endswith("In an emergency, call 999.")
    assert "How sore is the treated area" in reply.text
    assert [b["text"] for b in reply.buttons][:3] == ["0", "1", "2"]  # the open question's buttons, again
    session = session_of(h, ana)
    assert h.store.assessments(session["id"]) == [] and h.store.open_alerts(h.clinic.id) == []
    assert h.store.checkin(h.store.latest_sent_checkin(session["id"])["id"])["status"] == "sent"
    await tap(h, ana, reply, "3")  # its buttons answer the check-in
    assert "✓" in h.emu.chat(ana).messages[reply.message_id].text
    await tap(h, ana, checkin, "4")  # the first one's are stale now
    assert texts(h, ana)[-1].startswith("Sorry, that button is no longer active")


async def test_small_talk_in_spanish_without_an_open_check_in(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana", language_code="es")
    await agree(h, ana, "Sí, acepto")
    h.advance(3600)
    reply = await write(h, ana, "hola??")
    assert reply.text.startswith("¡Hola! Soy el asistente de seguimiento de Harbour Physio")
    assert reply.text.endswith("En una emergencia, llama al 999.") and "esperable" not in reply.text
    assert reply.buttons == []


async def test_ok_after_an_answered_check_in_is_not_another_assessment(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    await next_checkin(h, ana, 6)
    assert EXPECTED in (await write(h, ana, "a bit sore, 3/10")).text
    reply = await write(h, ana, "ok thanks")
    assert EXPECTED not in reply.text
    assert len(h.store.assessments(session_of(h, ana)["id"])) == 1


# ---- 3. distress


@pytest.mark.parametrize(
    "language, words, phone_line",
    [
        ("en", "I'm scared", f"Please contact Harbour Physio today on {PHONE}"),
        ("en", "something's not right", f"Please contact Harbour Physio today on {PHONE}"),
        ("es", "me encuentro fatal", f"Contacta hoy con Harbour Physio en el {PHONE}"),
    ],
)
async def test_distress_is_answered_kindly_with_the_clinic_phone(make_bot, language, words, phone_line):
    h = await make_bot()
    ana = h.emu.add_user("Ana", language_code=language)
    await agree(h, ana, "Sí, acepto" if language == "es" else "Yes, I agree")
    h.advance(3600)
    reply = await write(h, ana, words)
    assert phone_line in reply.text and "999" in reply.text
    assert "couldn't" not in reply.text and "no he entendido" not in reply.text
    [alert] = h.store.open_alerts(h.clinic.id)
    assert alert["bucket"] == "contact_practitioner"


async def test_a_vague_chest_feeling_is_contact_with_the_breathing_watch_line(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    reply = await write(h, ana, "strange feeling in my chest")
    assert reply.text.startswith(f"Please contact Harbour Physio today on {PHONE}")
    assert reply.text.endswith(
        "If it gets harder or your chest starts to hurt, call 999 now: "
        "don't wait for the clinic to call back."
    )
    assert EXPECTED not in reply.text
    assert [a["bucket"] for a in h.store.open_alerts(h.clinic.id)] == ["contact_practitioner"]


# ---- 4. emergency first in a chat; a burst gets one answer

FLOOD = 200


@pytest.mark.drill  # 200 messages on the real clock
async def test_a_red_flag_after_a_flood_is_answered_within_two_seconds(make_bot):
    h = await make_bot(real_time=True, quiet_hours=None)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    before = len(h.emu.messages_to(ana))
    for _ in range(FLOOD):
        await h.emu.send_text(ana, "still a bit sore, 3/10")
    await h.emu.send_text(ana, CHEST)
    written = time.monotonic()
    emergency = await h.emu.wait_for_message(ana, lambda m: m.text.startswith(EMERGENCY), timeout=10)
    took = time.monotonic() - written
    await until(lambda: h.processed[0] >= h.emu.last_update_id and not h.store.unsent(), timeout=30)
    await asyncio.sleep(1.5)  # anything stale would go out now
    answers = h.emu.messages_to(ana)[before:]
    assert took < 2.0, f"the emergency text took {took:.2f} s"
    assert answers[-1] is emergency, "an answer went out after the emergency"
    assert len(answers) <= 10, f"{len(answers)} answers to {FLOOD} messages"
    assert not [c for c in h.emu.calls if c.status == 429]
    superseded = h.store._one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'superseded'")["n"]
    assert superseded >= FLOOD - 10


SLOW = 2.0  # seconds Telegram holds back the response to one send


@pytest.mark.drill  # waits out an answer Telegram holds back 2 s
async def test_a_burst_gets_one_answer_and_the_worst_finding_decides(make_bot):
    """Messages written while the chat's last answer is still with Telegram are answered once,
    after it, with the worst of them: a contact finding is not lost under a later "thanks"."""
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    before = len(texts(h, ana))
    h.emu.faults.delay(SLOW, ["sendMessage"], times=1)
    await h.emu.send_text(ana, "a bit sore, 3/10")
    await h.emu.wait_for_message(ana)  # delivered; the response is held back
    for words in ("still sore 3/10", "my fingers are numb", "thanks", "3/10"):
        h.advance(0.2)
        await h.emu.send_text(ana, words)
    await h.idle(timeout=3 * SLOW)
    replies = texts(h, ana)[before:]
    assert len(replies) == 2, replies
    assert EXPECTED in replies[0] and replies[1].startswith("Please contact Harbour Physio today")
    assert h.store._one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'superseded'")["n"] == 3


@pytest.mark.drill  # waits out an answer Telegram holds back 2 s
async def test_an_emergency_does_not_wait_for_the_answer_in_flight(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    h.emu.faults.delay(SLOW, ["sendMessage"], times=1)
    await h.emu.send_text(ana, "a bit sore, 3/10")
    await h.emu.wait_for_message(ana)  # delivered; the response is held back
    h.advance(TAP)
    await h.emu.send_text(ana, CHEST)
    written = time.monotonic()
    emergency = await h.emu.wait_for_message(ana, timeout=SLOW)
    assert emergency.text.startswith(EMERGENCY) and time.monotonic() - written < SLOW / 2
    await h.idle(timeout=3 * SLOW)


# ---- 6. opt-out is honoured everywhere


async def leave(h, user, how):
    if how == "stop":
        await write(h, user, "/stop")
    elif how == "delete":
        ask = await write(h, user, "/delete")
        await tap(h, user, ask, "Yes, erase everything")
    else:  # blocks the bot, which finds out at the next send, then writes again
        h.emu.block(user)
        h.advance_hours(16)  # past the first check-in, which quiet hours may have moved to 08:00
        await h.tick()
        await settled(h)
        assert h.store.patient_by_telegram(user.id)["status"] == "unreachable"


@pytest.mark.parametrize("how", ["stop", "delete", "blocked"])
async def test_after_leaving_a_red_flag_gets_the_emergency_text_and_nothing_else(make_bot, how):
    h = await make_bot(second_clinic=True)
    h.emu.allow_violations("bot was blocked by the user")
    ana = h.emu.add_user("Ana")
    # an older follow-up at another clinic, finished, then one at Harbour
    await consent(h, ana, clinic="north")
    h.advance_hours(80)
    await h.tick()
    await h.emu.wait_for_message(ana)  # its last check-in
    await settled(h)
    assert session_of(h, ana)["status"] == "completed"
    await consent(h, ana)
    await leave(h, ana, how)
    staff_before = [len(h.emu.messages_to(p)) for p in (h.practitioner, h.north_practitioner)]
    before = rows(h)
    reply = await write(h, ana, CHEST)
    assert reply.text.startswith(EMERGENCY)  # Harbour's number: the clinic Ana last belonged to
    assert "no one at your clinic has been told" in reply.text
    assert rows(h) == before
    assert h.store.open_alerts(h.clinic.id) == [] and h.store.open_alerts("north") == []
    await h.tick()
    assert [len(h.emu.messages_to(p)) for p in (h.practitioner, h.north_practitioner)] == staff_before
    calm = await write(h, ana, "I feel fine")
    assert calm.text.startswith("You're not in a follow-up") and "call 999" in calm.text
    assert rows(h) == before


async def test_someone_never_enrolled_gets_the_first_clinics_emergency_number(make_bot):
    h = await make_bot(second_clinic=True)
    ben = h.emu.add_user("Ben")
    reply = await write(h, ben, "I can't breathe")
    assert reply.text.startswith(EMERGENCY)
    assert rows(h)["answers"] == 0 and h.store.patient_by_telegram(ben.id) is None
