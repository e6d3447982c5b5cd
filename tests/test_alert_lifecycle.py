"""An alert's life after it reaches staff (issue 13, points 3 and 5), end to end against the
emulator with Telegram's limits on: taken, the patient told in their language, closed with an
outcome and a note, the patient written to, every copy showing who took it (also one still in
flight), another clinic's staff refused, and the follow-up after an escalation."""

import asyncio
import io
import re

import pytest

from bot.__main__ import main
from bot.render.html import Button

from .test_patient_journey import answer_checkin, consent, next_checkin, session_of, tap
from .test_staff_telegram import STALE, open_alert, press, shown, taken_buttons

HANDLING = "I'm handling it"


async def alert_to_dana(h, **patient):
    """An open alert about Ana, its first copy in Dana's chat (the chart behind it); (id, Ana, copy)."""
    alert, ana = await open_alert(h, **patient)
    await h.tick()
    copy = await h.emu.wait_for_message(h.practitioner)
    assert (await h.emu.wait_for_message(h.practitioner)).photo
    return alert, ana, copy


def keyboard_texts(message):
    return [b["text"] for row in message.keyboard for b in row]


async def test_taking_an_alert_tells_a_spanish_patient_in_spanish(make_bot):
    h = await make_bot()
    alert, ana, copy = await alert_to_dana(h)
    h.store.db["patients"].update(h.store.patient_by_telegram(ana.id)["id"], {"language": "es"})
    assert keyboard_texts(copy) == [HANDLING, "✉️ Message patient"]
    h.advance(120)
    await press(h.emu, h.practitioner, copy, text=HANDLING)
    told = await h.emu.wait_for_message(ana)
    assert told.text.startswith("Harbour Physio ha visto tu mensaje. Alguien del equipo lo está revisando")
    assert "llama ahora al 999" in told.text
    await shown(lambda: taken_buttons(copy))
    assert copy.text.endswith("Acknowledged by Dana Reyes at 10:02 GMT.")

    await press(h.emu, h.admin, copy, data=Button("sa", alert).pack(), forge=True)  # twice: harmless
    await h.idle()
    assert len(h.emu.messages_to(ana)) == 1  # told once
    assert h.store.alert(alert)["acknowledged_by"] == h.practitioner.id


async def test_closing_with_an_outcome_and_a_note_shows_in_the_report_and_the_timeline(make_bot, tmp_path):
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    alert, _, copy = await alert_to_dana(h)
    await press(emu, dana, copy, text=HANDLING)
    await shown(lambda: taken_buttons(copy))
    h.advance(600)
    await press(emu, dana, copy, text="Seen in clinic")
    await shown(lambda: "Closed by Dana Reyes at 10:10 GMT: Seen in clinic." in copy.text)
    assert keyboard_texts(copy) == ["📝 Add a note", "✉️ Message patient"]
    prompt = await emu.wait_for_message(dana, lambda m: m.text.startswith("📝"))
    assert prompt.reply_markup["force_reply"] is True
    assert "closed as “Seen in clinic”" in prompt.text

    await emu.send_text(dana, "Checked <in person>; no pneumothorax", reply_to=prompt)
    saved = await emu.wait_for_message(dana, lambda m: m.text.startswith("📝 Note saved"))
    patient_id = h.store.session(h.store.alert(alert)["session_id"])["patient_id"]
    assert saved.text == f"📝 Note saved on the alert about Ana (#{patient_id})."
    row = h.store.alert(alert)
    assert (row["status"], row["outcome"], row["closed_by"], row["note"]) == (
        "closed",
        "seen_in_clinic",
        dana.id,
        "Checked <in person>; no pneumothorax",
    )
    await press(emu, h.admin, copy, data=Button("sc", alert, "no_answer").pack(), forge=True)  # closed once
    assert h.store.alert(alert)["outcome"] == "seen_in_clinic"

    await emu.send_text(dana, f"/patient {patient_id}")
    timeline = await emu.wait_for_message(dana, lambda m: m.text.startswith("Patient\n"))
    assert "2026-11-23 10:00 ✋ Dana Reyes is handling the alert" in timeline.text
    assert "2026-11-23 10:10 ✅ Alert closed by Dana Reyes: Seen in clinic" in timeline.text
    assert "📝 Checked <in person>; no pneumothorax" in timeline.text

    out = io.StringIO()
    config = str(tmp_path / "clinic.toml")
    csv_path = tmp_path / "report.csv"
    args = ["report", "--config", config, "--clinic", "harbour", "--since", "400d", "--csv", str(csv_path)]
    assert main(args, out=out) == 0
    assert "Closed alerts: 1 (seen_in_clinic 1)" in out.getvalue()
    assert ",seen_in_clinic" in csv_path.read_text(encoding="utf-8")


async def test_message_patient_from_a_group_reaches_the_patient_signed(emulator, make_bot):
    group = emulator.add_group("On call", chat_id=-100_777)
    h = await make_bot(alert_chat_id=group.id)
    emu, dana = h.emu, h.practitioner
    group.members.extend([dana, h.admin])
    alert, ana = await open_alert(h)
    await h.tick()
    in_group = await emu.wait_for_message(group)
    await press(emu, dana, in_group, text="✉️ Message patient")
    prompt = await emu.wait_for_message(group, lambda m: m.text.startswith("✉️ Your message to Ana"))
    assert "signed “Dana Reyes, Harbour Physio”" in prompt.text and prompt.reply_markup["force_reply"]
    await emu.send_text(dana, "Unrelated chatter in the group", chat=group)  # privacy mode: not seen
    await emu.send_text(dana, "Please call us on 020 7946 0000 <today>", chat=group, reply_to=prompt)
    message = await emu.wait_for_message(ana)
    assert (
        message.text == "Message from Dana Reyes, Harbour Physio:\n\nPlease call us on 020 7946 0000 <today>"
    )
    sent = await emu.wait_for_message(group, lambda m: m.text.startswith("✉️ Sent to Ana"))
    assert sent.text.endswith("Please call us on 020 7946 0000 <today>")
    [stored] = h.store.staff_messages(h.store.alert(alert)["session_id"])
    assert (stored["staff_id"], stored["text"]) == (dana.id, "Please call us on 020 7946 0000 <today>")
    await emu.send_text(dana, "A second reply to the same prompt", chat=group, reply_to=prompt)
    await h.idle()
    assert len(emu.messages_to(ana)) == 1  # a prompt is answered once

    # In the private chat a plain message answers the latest prompt (for PROMPT_MINUTES).
    copy = await emu.wait_for_message(dana)
    await press(emu, dana, copy, text="✉️ Message patient")
    await emu.wait_for_message(dana, lambda m: m.text.startswith("✉️ Your message to Ana"))
    await emu.send_text(dana, "See you tomorrow at 9.")
    assert (await emu.wait_for_message(ana)).text.endswith("See you tomorrow at 9.")
    h.advance(31 * 60)
    await emu.send_text(dana, "Too late to be a message to the patient")
    await h.idle()
    assert len(emu.messages_to(ana)) == 2 and not emu.messages_to(dana)[-1].text.startswith("✉️ Sent")


async def test_a_copy_in_flight_when_the_alert_is_taken_shows_who_took_it(emulator, make_bot):
    group = emulator.add_group("On call", chat_id=-100_777)
    h = await make_bot(alert_chat_id=group.id, alert_renotify_after="30m")
    emu, dana, sam = h.emu, h.practitioner, h.admin
    group.members.extend([dana, sam])
    alert, _, first = await alert_to_dana(h)
    await emu.wait_for_message(group)
    h.advance(30 * 60)
    emu.faults.delay(1.5, for_methods=["sendMessage"])  # Telegram delivers, and answers 1.5 s late
    round_1 = asyncio.create_task(h.tick())  # the reminder round: Sam and the group again
    to_sam = await emu.wait_for_message(sam)
    again = await emu.wait_for_message(group, lambda m: m.text.startswith("Reminder"))
    assert h.store.db["outbox"].count_where("kind = 'alert' AND status = 'sending'") == 2
    await press(emu, sam, to_sam, text=HANDLING)  # on a copy whose send has not completed yet
    await round_1
    emu.faults.clear()
    await h.tick()  # the edits queued when the late answers arrived
    for copy in (first, to_sam, again):
        await shown(lambda copy=copy: taken_buttons(copy))
        assert copy.text.endswith("Acknowledged by Sam Okafor at 10:30 GMT.")
        assert not copy.text.startswith("Reminder")
    assert h.store.alert(alert)["acknowledged_by"] == sam.id


@pytest.mark.parametrize("action", ["sa:{alert}:", "sc:{alert}:self_care", "sn:{alert}:", "sm:{alert}:"])
async def test_another_clinics_staff_cannot_act_on_an_alert(make_bot, action):
    h = await make_bot(second_clinic=True)
    emu, noor = h.emu, h.north_practitioner
    alert, ana, copy = await alert_to_dana(h)
    await press(emu, h.practitioner, copy, text=HANDLING)
    before = dict(h.store.alert(alert))
    await emu.send_text(noor, "/help")  # a bot message in Noor's chat to press a forged button under
    help_message = await emu.wait_for_message(noor)
    await press(emu, noor, help_message, data=action.format(alert=alert), forge=True)
    assert (await emu.wait_for_message(noor)).text == STALE
    assert dict(h.store.alert(alert)) == before
    assert h.store.db["staff_prompts"].count == 0
    await emu.send_text(noor, "Hello patient")
    await h.idle()
    assert [m.text for m in emu.messages_to(ana)][-1].startswith("Harbour Physio has seen your message")


@pytest.mark.parametrize("data", ["sc:{alert}:made_up", "sc:{alert}:", "sm:{alert}:x", "sn:{plus}:"])
async def test_forged_and_stale_lifecycle_buttons_are_refused(make_bot, data):
    h = await make_bot()
    alert, _, copy = await alert_to_dana(h)
    await press(h.emu, h.practitioner, copy, text=HANDLING)
    await press(h.emu, h.practitioner, copy, data=data.format(alert=alert, plus=alert + 99), forge=True)
    assert (await h.emu.wait_for_message(h.practitioner, lambda m: not m.photo)).text == STALE
    assert h.store.alert(alert)["status"] == "acknowledged"


async def test_closing_before_taking_asks_to_take_it_first(make_bot):
    h = await make_bot()
    alert, _, copy = await alert_to_dana(h)
    await press(h.emu, h.practitioner, copy, data=Button("sc", alert, "self_care").pack(), forge=True)
    reply = await h.emu.wait_for_message(h.practitioner, lambda m: not m.photo)
    assert reply.text == "Please press “I'm handling it” first."
    assert h.store.alert(alert)["status"] == "open"


async def test_after_an_emergency_the_next_checkin_asks_if_the_clinic_was_reached(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    await tap(h, ana, checkin, "2")
    await tap(h, ana, checkin, "No bruising")
    await tap(h, ana, checkin, "Normal energy")
    await tap(h, ana, checkin, "Chest pain")
    assert (await h.emu.wait_for_message(ana)).text.startswith("Call 999 now")

    checkin = await next_checkin(h, ana, 24)
    assert "were you able to speak to the clinic or be seen?" in checkin.text
    assert keyboard_texts(checkin) == [
        "Yes, I spoke to them",
        "Yes, I was seen",
        "I went to emergency care",
        "No, not yet",
    ]
    await tap(h, ana, checkin, "Yes, I was seen")
    outcome = await answer_checkin(h, ana, h.emu.chat(ana).messages[checkin.message_id], 2)
    assert "expected reaction" not in outcome.text
    assert outcome.text.startswith("Thanks, noted. What you told me earlier still needs your clinic")
    session = session_of(h, ana)
    answers = h.store.checkin_answers(h.store.latest_sent_checkin(session["id"])["id"])
    assert answers["clinic_contact"] == "seen"

    await h.emu.send_text(h.practitioner, f"/patient {session['patient_id']}")
    timeline = await h.emu.wait_for_message(h.practitioner, lambda m: m.text.startswith("Patient\n"))
    assert "clinic contact: Yes, I was seen" in timeline.text

    later = await next_checkin(h, ana, 48)
    assert "speak to the clinic" not in later.text  # asked at the first check-in after the alert only
    assert re.search(r"How sore", later.text)
