"""The patient's side end to end: the real bot against the emulator, a fake clock, a real store.

Taps are spaced two fake seconds apart and the emulator's flood limits run on that clock (see
`tests/harness.py`), so a test also checks that each answer costs the chat no more than Telegram's
small burst: a patient taps about once a second at most.
"""

import asyncio
import time
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.store.database import Store

from .harness import running_bot

LONDON = ZoneInfo("Europe/London")
TAP = 2.0  # fake seconds between two taps of a patient


async def patient_bot(make_bot, **clinic):
    """The harness's bot (its emulator's flood limits run on the harness's fake clock)."""
    return await make_bot(**clinic)


async def until(predicate, timeout=5.0):
    """Wait for the bot to have done something (it handles updates in its own task)."""
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out waiting for the bot")


def texts(h, user):
    return [m.text for m in h.emu.messages_to(user)]


async def tap(h, user, message, text):
    """Press a button by its label and wait for the bot to answer the press."""
    h.advance(TAP)
    query = await h.emu.press_button(user, message, text=text)
    await until(lambda: query.answered)
    await settled(h)
    return query


async def settled(h):
    """Wait until the bot has handled everything sent to it and its outbox is empty."""
    await h.idle()


async def write(h, user, text):
    h.advance(TAP)
    await h.emu.send_text(user, text)
    reply = await h.emu.wait_for_message(user)
    await settled(h)
    return reply


async def consent(h, user, **enrol):
    """Open a fresh link and agree; returns the confirmation message."""
    token = h.enrol(**enrol)
    await h.emu.start_deep_link(user, token)
    message = await h.emu.wait_for_message(user)
    await tap(h, user, message, "Yes, I agree")
    return await h.emu.wait_for_message(user)


def session_of(h, user):
    patient = h.store.patient_by_telegram(user.id)
    return h.store.current_session(patient["id"]) if patient else None


async def next_checkin(h, user, hours):
    """Move to the check-in due at `hours` after treatment and let the tick send it."""
    session = session_of(h, user)
    h.clock.time = max(h.clock(), session["treated_at"] + hours * 3600 / h.clinic.clock_speed)
    await h.tick()
    return await h.emu.wait_for_message(user)


async def answer_checkin(
    h, user, message, soreness, bruising="No bruising", energy="Normal energy", signs=()
):
    """Tap through a check-in: the signs ticked then "Done", or no sign: "No, none of these"."""
    await tap(h, user, message, str(soreness))
    await tap(h, user, message, bruising)
    await tap(h, user, message, energy)
    for sign in signs:
        message = h.emu.chat(user).messages[message.message_id]
        await tap(h, user, message, sign)
    message = h.emu.chat(user).messages[message.message_id]
    await tap(h, user, message, "Done" if signs else "No, none of these")
    return await h.emu.wait_for_message(user)


# ---- consent


async def test_consent_starts_the_follow_up_at_the_clinic_local_time(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    token = h.enrol()
    await h.emu.start_deep_link(ana, token)
    offer = await h.emu.wait_for_message(ana)
    assert "not an emergency service" in offer.text and "999" in offer.text and "/delete" in offer.text
    assert h.store.patient_by_telegram(ana.id) is None  # nothing kept before consent
    await tap(h, ana, offer, "Yes, I agree")
    done = await h.emu.wait_for_message(ana)
    assert "first check-in is today at 16:00" in done.text  # 10:00 + 6 h, London
    assert offer.keyboard == []  # the consent buttons are gone
    assert h.store.enrol_token(token)["used_at"] is not None
    session = session_of(h, ana)
    checkins = h.store.checkins(session["id"])
    assert [c["hours"] for c in checkins] == [6, 24, 48, 72]
    assert [datetime.fromtimestamp(c["due_at"], LONDON).strftime("%a %H:%M") for c in checkins] == [
        "Mon 16:00",
        "Tue 10:00",
        "Wed 10:00",
        "Thu 10:00",
    ]
    assert h.store.patient_by_telegram(ana.id)["first_name"] == "Ana"


async def test_decline_keeps_nothing_and_the_link_still_works_until_it_expires(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    token = h.enrol()
    await h.emu.start_deep_link(ana, token)
    offer = await h.emu.wait_for_message(ana)
    await tap(h, ana, offer, "No thanks")
    assert offer.text.startswith("No problem. Nothing has been kept") and offer.keyboard == []
    assert h.store.patient_by_telegram(ana.id) is None
    assert h.store.enrol_token(token)["used_at"] is None
    await h.emu.start_deep_link(ana, token)  # changed their mind
    offer = await h.emu.wait_for_message(ana)
    await tap(h, ana, offer, "Yes, I agree")
    assert "all set" in (await h.emu.wait_for_message(ana)).text


@pytest.mark.parametrize("case", ["unknown", "used", "expired"])
async def test_a_bad_link_is_refused(make_bot, case):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    token = "NoSuchToken_123" if case == "unknown" else h.enrol()
    if case == "used":
        h.store.use_enrol_token(token, h.clock())
    if case == "expired":
        h.advance(h.clinic.enrol_token_ttl.total_seconds() + 1)
    await h.emu.start_deep_link(ana, token)
    reply = await h.emu.wait_for_message(ana)
    assert reply.text.startswith("Sorry, this link has expired") and not reply.keyboard
    assert h.store.patient_by_telegram(ana.id) is None


async def test_a_new_link_replaces_a_running_follow_up(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    first = session_of(h, ana)
    reply = await consent(h, ana, areas=("upper_back",))
    assert reply.text.startswith("This link starts a new follow-up")
    assert h.store.session(first["id"])["status"] == "replaced"
    assert {c["status"] for c in h.store.checkins(first["id"])} == {"cancelled"}
    assert session_of(h, ana)["areas"] == '["upper_back"]'


async def test_spanish_speakers_are_answered_in_spanish(make_bot):
    h = await patient_bot(make_bot)
    eva = h.emu.add_user("Eva", language_code="es")
    await h.emu.start_deep_link(eva, h.enrol())
    offer = await h.emu.wait_for_message(eva)
    assert offer.text.startswith("Seguimiento tras tu sesión")
    await tap(h, eva, offer, "Sí, acepto")
    assert "hoy a las 16:00" in (await h.emu.wait_for_message(eva)).text
    checkin = await next_checkin(h, eva, 6)
    assert checkin.text.startswith("Hola, Eva") and checkin.button(text="Sin moretones") is None
    assert checkin.button(text="0") is not None


# ---- check-ins


async def test_a_normal_journey_6_24_48_72(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana, activities=("running",))
    for hours, soreness in ((6, 4), (24, 3), (48, 2), (72, 1)):
        checkin = await next_checkin(h, ana, hours)
        assert checkin.text.startswith(f"Hi Ana, it's about {hours} hours since your session")
        assert "How sore is the treated area" in checkin.text
        outcome = await answer_checkin(h, ana, checkin, soreness)
        assert outcome.text.startswith(
            "Thank you. From what you've told me, this sounds like an expected reaction"
        )
        assert 1 <= outcome.text.count("• ") <= 4
        final = h.emu.chat(ana).messages[checkin.message_id]
        assert final.keyboard == [] and f"{soreness}/10" in final.text and "None of these" in final.text
    assert "That's the end of your 72-hour follow-up" in outcome.text
    session = session_of(h, ana)
    assert [c["status"] for c in h.store.checkins(session["id"])] == ["answered"] * 4
    assessments = h.store.assessments(session["id"])
    assert [(a["hours"], a["bucket"], a["soreness"]) for a in assessments] == [
        (6, "normal", 4),
        (24, "normal", 3),
        (48, "normal", 2),
        (72, "normal", 1),
    ]
    assert h.store.open_alerts(h.clinic.id) == []
    await h.tick()
    assert session_of(h, ana)["status"] == "completed"
    assert h.emu.messages_to(h.practitioner) == []


async def test_free_text_is_triaged_at_any_time(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana, activities=("running",))
    h.advance(3600)
    reply = await write(h, ana, "a bit sore, 3/10")
    assert reply.text.startswith("Thank you. From what you've told me")
    checkin = await next_checkin(h, ana, 6)
    reply = await write(h, ana, "can I go running tomorrow?")
    assert reply.text.startswith("Thank you.")
    running_tip = next(t for t in h.services.guidance("harbour").tips if t.id == "topic_running_early")
    assert reply.text.split("• ")[1].startswith(
        running_tip.text.replace("**", "").split(".")[0]
    )  # asked topic first
    session = session_of(h, ana)
    words = [a for a in h.store.session_answers(session["id"]) if a["question_id"] == "text"]
    open_checkin = h.store.latest_sent_checkin(session["id"])["id"]
    assert [(a["checkin_id"], a["value"]) for a in words] == [
        (None, "a bit sore, 3/10"),
        (open_checkin, "can I go running tomorrow?"),
    ]
    assert [a["bucket"] for a in h.store.assessments(session["id"])] == ["normal", "normal"]
    # the check-in's buttons still work after the words, and its assessment reads them too
    await answer_checkin(h, ana, checkin, 3)
    assert len(h.store.assessments(session["id"])) == 3


SLOW = 2.0  # seconds Telegram holds back the response to one send


@pytest.mark.drill  # waits out an answer Telegram holds back 2 s
async def test_the_next_patient_is_answered_while_an_answer_is_in_flight(make_bot):
    """The bot does not sit idle while Telegram takes an answer: it handles the next update."""
    h = await patient_bot(make_bot)
    ana, ben = h.emu.add_user("Ana"), h.emu.add_user("Ben")
    for user in (ana, ben):
        await consent(h, user)
    h.advance(3600)
    h.emu.faults.delay(SLOW, ["sendMessage"], times=1)
    await h.emu.send_text(ana, "a bit sore, 3/10")
    await h.emu.wait_for_message(ana)  # delivered; the response is held back
    await h.emu.send_text(ben, "a bit sore, 3/10")
    reply = await h.emu.wait_for_message(ben, timeout=SLOW / 2)
    assert reply.text.startswith("Thank you. From what you've told me")
    await settled(h)


@pytest.mark.drill  # waits out an answer Telegram holds back 2 s
async def test_a_patients_next_answer_waits_for_the_one_in_flight(make_bot):
    """One answer in flight per chat keeps a patient's answers in the order of their messages."""
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    h.emu.faults.delay(SLOW, ["sendMessage"], times=1)
    await h.emu.send_text(ana, "my fingers are numb")
    first = await h.emu.wait_for_message(ana)
    held = time.monotonic()
    h.advance(TAP)
    await h.emu.send_text(ana, "a bit sore, 3/10")
    second = await h.emu.wait_for_message(ana, timeout=3 * SLOW)
    assert time.monotonic() - held > SLOW / 2
    assert first.text.startswith("Please contact Harbour Physio")
    assert second.text.startswith("Thanks, noted. What you told me earlier still needs your clinic")
    await settled(h)


@pytest.mark.drill  # waits out an answer Telegram holds back 2 s
async def test_stopping_the_bot_waits_for_the_answers_in_flight(emulator, tmp_path):
    async with running_bot(emulator, tmp_path) as h:
        ana = h.emu.add_user("Ana")
        await consent(h, ana)
        h.advance(3600)
        h.emu.faults.delay(SLOW, ["sendMessage"], times=1)
        await h.emu.send_text(ana, "a bit sore, 3/10")
        await h.emu.wait_for_message(ana)  # in flight when the bot is told to stop
        database = h.services.config.storage.database
    store = Store(database)
    assert store.unsent() == 0
    store.close()


async def test_words_and_their_alert_are_kept_when_answering_them_fails(make_bot):
    """The words are committed before anything is done with them, and the assessment with any
    alert before the answer is built: a failure building it keeps both, the clinic is still
    alerted, and the patient still hears back."""
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    shipped = h.services.guidance("harbour")
    english = {
        **shipped.messages["en"],
        "outcome_contact": shipped.messages["en"]["outcome_contact"] + "{no_such_value}",
    }
    h.services.guidance_by_clinic = {
        "harbour": replace(shipped, messages={**shipped.messages, "en": english})
    }
    h.advance(3600)
    before = len(texts(h, ana))
    await write(h, ana, "pins and needles down my leg since the session")
    assert texts(h, ana)[before:] == [shipped.messages["en"]["error_generic"]]
    session = session_of(h, ana)
    assert [a["value"] for a in h.store.session_answers(session["id"])] == [
        "pins and needles down my leg since the session"
    ]
    assert [a["bucket"] for a in h.store.assessments(session["id"])] == ["contact_practitioner"]
    assert [a["session_id"] for a in h.store.open_alerts("harbour")] == [session["id"]]
    await h.tick()
    alert = await h.emu.wait_for_message(h.practitioner)
    assert "Ana" in alert.text
    h.services.guidance_by_clinic = {"harbour": shipped}
    reply = await write(h, ana, "pins and needles down my leg since the session")
    assert reply.text.startswith("Please contact Harbour Physio today")


async def test_a_red_flag_answer_is_told_at_once_and_the_clinic_alerted(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 24)
    await tap(h, ana, checkin, "3")
    await tap(h, ana, checkin, "Bigger than my palm")
    outcome = await h.emu.wait_for_message(ana)
    assert outcome.text.startswith("Please contact Harbour Physio today on +44 20 7946 0000.")
    assert "What you told me: Bigger than my palm" in outcome.text
    assert "A large, growing or hot bruise" not in outcome.text
    assert "A warning sign was mentioned" not in outcome.text
    assert h.emu.chat(ana).messages[checkin.message_id].keyboard == []
    rest = await h.emu.wait_for_message(ana)  # the remaining questions follow, below the outcome
    assert "How is your energy?" in rest.text
    session = session_of(h, ana)
    [alert] = h.store.open_alerts(h.clinic.id)
    assert (alert["session_id"], alert["bucket"]) == (session["id"], "contact_practitioner")
    await h.tick()
    staff = await h.emu.wait_for_message(h.practitioner)
    assert "Ana" in staff.text and "A large, growing or hot bruise" in staff.text
    done = await answer_checkin_rest(h, ana, rest)
    assert done.text == "Got it, thank you."
    assert len(h.store.open_alerts(h.clinic.id)) == 1  # one alert for the one problem
    assert h.store.latest_sent_checkin(session["id"])["status"] == "answered"


async def answer_checkin_rest(h, user, message):
    await tap(h, user, message, "Normal energy")
    message = h.emu.chat(user).messages[message.message_id]
    await tap(h, user, message, "No, none of these")
    return await h.emu.wait_for_message(user)


async def test_a_contact_case_from_the_answers_creates_an_alert(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    outcome = await answer_checkin(h, ana, checkin, 8)
    assert outcome.text.startswith("Please contact Harbour Physio today")
    assert "What you told me: Soreness 8/10\n" in outcome.text  # the score tapped, not the rule's range
    [alert] = h.store.open_alerts(h.clinic.id)
    assessment = h.store.assessments(alert["session_id"])[-1]
    assert assessment["reasons"][0].startswith("Severe soreness (7/10")  # the staff's reason stays the rule's
    assert (alert["bucket"], assessment["id"], assessment["bucket"]) == (
        "contact_practitioner",
        alert["assessment_id"],
        "contact_practitioner",
    )


async def test_a_red_flag_tick_is_answered_at_once_as_an_emergency(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    await tap(h, ana, checkin, "2")
    await tap(h, ana, checkin, "No bruising")
    await tap(h, ana, checkin, "Normal energy")
    await tap(h, ana, checkin, "Chest pain")  # no "Done" needed
    outcome = await h.emu.wait_for_message(ana)
    assert outcome.text.startswith("Call 999 now")
    assert "Done" in str(h.emu.chat(ana).messages[checkin.message_id].keyboard)  # more signs may follow
    [alert] = h.store.open_alerts(h.clinic.id)
    assert alert["bucket"] == "emergency"
    assert h.store.latest_sent_checkin(session_of(h, ana)["id"])["status"] == "answered"


async def test_an_emergency_at_two_in_the_morning_is_answered_at_once(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana, areas=("upper_back",))
    h.clock.time = datetime(2026, 11, 24, 2, 0, tzinfo=LONDON).timestamp()  # inside quiet hours
    reply = await write(h, ana, "sudden sharp pain in my chest and I can't breathe")
    assert reply.text.startswith("Call 999 now, or go to the nearest emergency department")
    row = h.store._one("SELECT * FROM outbox WHERE chat_id = ? ORDER BY id DESC LIMIT 1", [ana.id])
    assert (row["status"], row["sent_at"]) == ("sent", h.clock())  # not deferred to 08:00
    [alert] = h.store.open_alerts(h.clinic.id)
    assert alert["bucket"] == "emergency"
    await h.tick()
    assert "Ana" in (await h.emu.wait_for_message(h.practitioner)).text


# ---- refused presses

FORGED = [
    ("no such check-in", lambda ids: f"pa:{ids['checkin'] + 1000}:0.3"),
    ("wrong question", lambda ids: f"pa:{ids['checkin']}:2.1"),
    ("off the scale", lambda ids: f"pa:{ids['checkin']}:0.11"),
    ("toggle on a scale", lambda ids: f"pt:{ids['checkin']}:0.1.2"),
    ("not our format", lambda ids: "p;drop table"),
    ("unknown action", lambda ids: f"pz:{ids['checkin']}:0.1"),
    ("someone else's erasure", lambda ids: f"pd:{ids['other_patient']}:y"),
    ("a used consent", lambda ids: f"pc:0:{ids['token']}"),
]


@pytest.mark.parametrize("name,data", FORGED, ids=[name for name, _ in FORGED])
async def test_a_forged_button_is_refused_and_changes_nothing(make_bot, name, data):
    h = await patient_bot(make_bot)
    ana, bob = h.emu.add_user("Ana"), h.emu.add_user("Bob")
    await consent(h, bob)
    token = h.enrol()
    await h.emu.start_deep_link(ana, token)
    await tap(h, ana, await h.emu.wait_for_message(ana), "Yes, I agree")
    await h.emu.wait_for_message(ana)
    checkin = await next_checkin(h, ana, 6)
    session = session_of(h, ana)
    ids = {
        "checkin": h.store.latest_sent_checkin(session["id"])["id"],
        "token": token,
        "other_patient": h.store.patient_by_telegram(bob.id)["id"],
    }
    before = h.store.session_answers(session["id"])
    h.advance(TAP)
    query = await h.emu.press_button(ana, checkin, data(ids), forge=True)
    reply = await h.emu.wait_for_message(ana)
    assert reply.text == "Sorry, that button is no longer active. Please use the latest message."
    assert query.answered
    assert h.store.session_answers(session["id"]) == before
    assert h.store.patient_by_telegram(bob.id) is not None
    assert len(h.store.checkins(session["id"])) == 4


async def test_another_users_button_is_refused(make_bot):
    h = await patient_bot(make_bot)
    ana, bob = h.emu.add_user("Ana"), h.emu.add_user("Bob")
    await consent(h, ana)
    await consent(h, bob)
    checkin = await next_checkin(h, ana, 6)
    await next_checkin(h, bob, 6)
    data = checkin.buttons[3]["callback_data"]
    h.advance(TAP)
    bobs = h.emu.messages_to(bob)[-1]
    await h.emu.press_button(bob, bobs, data, forge=True)
    reply = await h.emu.wait_for_message(bob)
    assert reply.text.startswith("Sorry, that button is no longer active")
    assert h.store.session_answers(session_of(h, ana)["id"]) == []
    # and a press on an older check-in's message, once a newer one is out, is stale too
    await next_checkin(h, ana, 24)
    h.advance(TAP)
    await h.emu.press_button(ana, checkin, text="3")
    assert (await h.emu.wait_for_message(ana)).text.startswith("Sorry, that button is no longer active")


# ---- commands


async def test_status_tips_pause_and_resume(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    await answer_checkin(h, ana, checkin, 4)
    status = await write(h, ana, "/status")
    assert "Next check-in: tomorrow at 10:00" in status.text and "6 h: 4/10 · No bruising" in status.text
    tips = await write(h, ana, "/tips")
    assert tips.text.startswith("Tips for right now") and tips.text.count("• ") >= 1
    assert (await write(h, ana, "/pause")).text.startswith("Check-ins are paused")
    h.advance_hours(20)
    await h.tick()
    assert "paused" in (await write(h, ana, "/status")).text
    assert (await write(h, ana, "/resume")).text.startswith("Welcome back")
    statuses = [c["status"] for c in h.store.checkins(session_of(h, ana)["id"])]
    assert statuses == ["answered", "skipped", "pending", "pending"]  # 24 h fell due while paused
    assert (await write(h, ana, "/help")).text.startswith("I'm your clinic's aftercare assistant")


async def test_commands_without_a_follow_up(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    for command in ("/status", "/tips", "/pause", "/resume", "/stop", "/delete", "/start", "how are you"):
        assert (await write(h, ana, command)).text.startswith("You're not in a follow-up"), command
    assert h.store.patient_by_telegram(ana.id) is None


async def test_staff_free_text_gets_help_not_triage(make_bot):
    h = await patient_bot(make_bot)
    reply = await write(h, h.practitioner, "chest pain and can't breathe")
    assert reply.text.startswith("You're staff of this clinic")
    assert h.store.open_alerts(h.clinic.id) == []


async def test_stop_cancels_check_ins_and_tells_the_clinic(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    session = session_of(h, ana)
    reply = await write(h, ana, "/stop")
    assert reply.text.startswith("Your check-ins have stopped")
    assert h.store.session(session["id"])["status"] == "stopped"
    assert {c["status"] for c in h.store.checkins(session["id"])} == {"cancelled"}
    assert h.store.patient_by_telegram(ana.id)["status"] == "opted_out"
    told = await h.emu.wait_for_message(h.practitioner)
    assert told.text.startswith("Ana can no longer be reached here")
    h.advance_hours(7)
    await h.tick()
    assert len(h.emu.messages_to(ana)) == len(texts(h, ana))
    assert (await write(h, ana, "I feel fine")).text.startswith("You're not in a follow-up")


@pytest.mark.parametrize("stopped_first", [False, True])
async def test_delete_erases_everything_after_confirmation(make_bot, stopped_first):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    await write(h, ana, "a bit sore, 3/10")
    if stopped_first:
        await write(h, ana, "/stop")
    session = session_of(h, ana) or h.store._one("SELECT * FROM sessions")
    ask = await write(h, ana, "/delete")
    assert ask.text.startswith("This will stop your check-ins and permanently erase")
    await tap(h, ana, ask, "No, keep it")
    assert ask.text == "OK, nothing has been erased." and h.store.patient_by_telegram(ana.id) is not None
    ask = await write(h, ana, "/delete")
    await tap(h, ana, ask, "Yes, erase everything")
    assert ask.text.startswith("Done: your data has been erased")
    assert h.store.patient_by_telegram(ana.id) is None
    assert h.store.session(session["id"]) is None and h.store.session_answers(session["id"]) == []
    assert h.store.assessments(session["id"]) == []


async def test_a_blocked_bot_makes_the_patient_unreachable_and_tells_the_clinic(make_bot):
    h = await patient_bot(make_bot)
    h.emu.allow_violations("bot was blocked by the user")
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    session = session_of(h, ana)
    h.emu.block(ana)
    h.advance_hours(6)
    await h.tick()
    assert h.store.patient_by_telegram(ana.id)["status"] == "unreachable"
    assert h.store.session(session["id"])["status"] == "stopped"
    assert [c["status"] for c in h.store.checkins(session["id"])] == [
        "sent",
        "cancelled",
        "cancelled",
        "cancelled",
    ]
    told = await h.emu.wait_for_message(h.practitioner)
    assert told.text.startswith("Ana can no longer be reached here")
    await h.tick()
    assert len(h.emu.messages_to(h.practitioner)) == 1  # told once
