"""Staff in Telegram, end to end: /enrol with buttons, staff commands, alerts and acknowledgement,
against the real PTB Application and the Bot API emulator."""

import asyncio
import json
import re

import pytest

from bot.render.html import Button

from .harness import START
from .test_staff_alert_rounds import follow_up

ENROL_LINK = re.compile(r"https://t\.me/aftercare_test_bot\?start=([A-Za-z0-9_-]{32})")
STAFF_ONLY = "Sorry, I can't help with that."
STALE = "Sorry, that button is no longer active. Please use the latest message."


async def press(emu, user, message, text=None, data=None, forge=False):
    """Press a button and wait until the bot has answered the press (and done its work)."""
    query = await emu.press_button(user, message, data, text=text, forge=forge)
    await emu.wait_for_call(
        "answerCallbackQuery", lambda call: call.params.get("callback_query_id") == query.id
    )
    return query


async def shown(predicate, timeout=5.0):
    """Wait until the bot's screen shows what `predicate` looks for (edits are paced)."""
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the screen never showed it")


def taken_buttons(message):
    """A taken alert's copy offers the outcomes that close it and "Message patient", not "I'm handling it"."""
    return [b["text"] for row in message.keyboard for b in row] == [
        "Called: self-care",
        "Seen in clinic",
        "Sent to emergency care",
        "No answer",
        "✉️ Message patient",
    ]


async def open_alert(h, bucket="contact_practitioner", practitioner=True, patient_name="Ana"):
    """A patient 49 h into follow-up whose last check-in raised an alert; the alert's id."""
    patient = h.emu.add_user(patient_name)
    session, assessment, _ = follow_up(
        h.services,
        practitioner=h.practitioner.id if practitioner else None,
        first_name=patient_name,
        treated_at=START - 49 * 3600,
        telegram_id=patient.id,
    )
    return h.store.add_alert(session, assessment, "harbour", bucket, h.clock()), patient


# ---- /enrol


async def test_a_practitioner_enrols_a_session_with_buttons_and_the_link_works(make_bot):
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    await emu.send_text(dana, "/enrol")
    flow = await emu.wait_for_message(dana)
    assert flow.text.startswith("New patient follow-up") and "Which area did you treat?" in flow.text

    async def tap(label, screen=None):
        h.advance(1)  # a person's pace, which Telegram's one edit a second per chat allows
        await press(emu, dana, flow, text=label)
        await shown(screen or (lambda: True))

    await tap("Upper back", lambda: flow.button(text="✓ Upper back"))
    for label in ("Calf", "Neck"):  # two quick taps: folded into one edit a second later
        await press(emu, dana, flow, text=label)
    assert not flow.button(text="✓ Calf")
    h.advance(1)
    await shown(lambda: flow.button(text="✓ Neck"))
    assert flow.button(text="✓ Calf")
    await tap("✓ Neck", lambda: flow.button(text="Neck"))  # taken back out
    await tap("Done", lambda: flow.text.startswith("How intense was the session?"))
    await tap("Moderate", lambda: flow.text.startswith("Does the patient run"))
    await tap("Running", lambda: flow.button(text="✓ Running"))
    await tap("Done", lambda: flow.text.startswith("Is this the patient's first dry needling session?"))
    await tap("Yes", lambda: flow.keyboard == [])

    assert flow.text.startswith("Upper back, Calf · Moderate · Running · Yes\n\nAll set.")
    token = ENROL_LINK.search(flow.text).group(1)
    row = h.store.enrol_token(token)
    assert json.loads(row["areas"]) == ["upper_back", "calf"]
    assert (row["intensity"], json.loads(row["activities"]), row["first_session"]) == (
        "moderate",
        ["running"],
        1,
    )
    # eight taps, a second apart; the pacer may move the fake clock on to a paced edit's slot
    assert row["practitioner_id"] == dana.id and START + 8 <= row["treated_at"] < START + 9
    assert row["expires_at"] == row["treated_at"] + 24 * 3600
    qr = await emu.wait_for_message(dana, lambda m: m.photo)
    assert qr.text.endswith(token)
    assert [m.message_id for m in emu.messages_to(dana)] == [
        flow.message_id,
        qr.message_id,
    ]  # one message, edited

    ana = emu.add_user("Ana")
    await emu.start_deep_link(ana, token)
    consent = await emu.wait_for_message(ana)
    assert "Harbour Physio" in consent.text


async def test_enrol_refuses_done_without_an_area_and_old_buttons(make_bot):
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    await emu.send_text(dana, "/enrol")
    first = await emu.wait_for_message(dana)
    await press(emu, dana, first, text="Done")
    notice = [c for c in emu.calls if c.method == "answerCallbackQuery"][-1]
    assert notice.params.get("text", "").startswith("Which area did you treat?")
    assert first.text.startswith("New patient follow-up")  # still asking for areas
    await emu.send_text(dana, "/enrol")  # a new flow makes the first one's buttons stale
    await emu.wait_for_message(dana)
    await press(emu, dana, first, text="Calf")
    assert (await emu.wait_for_message(dana)).text == STALE
    assert h.store.db["enrol_tokens"].count == 0


# ---- strangers


async def test_a_stranger_is_refused_everything_and_learns_nothing(make_bot):
    h = await make_bot()
    alert, patient = await open_alert(h, patient_name="Zoë")
    patient_id = h.store.patient_by_telegram(patient.id)["id"]
    tokens = h.store.db["enrol_tokens"].count
    # three strangers, so no chat gets more than Telegram's burst of replies
    eve, mal, trent = h.emu.add_user("Eve"), h.emu.add_user("Mal"), h.emu.add_user("Trent")
    for user, command in (
        (eve, "/enrol"),
        (eve, "/active"),
        (eve, "/alerts"),
        (mal, f"/patient {patient_id}"),
        (trent, "/alerts"),
    ):
        await h.emu.send_text(user, command)
        assert (await h.emu.wait_for_message(user)).text == STAFF_ONLY
    for user, data in (
        (mal, Button("sa", alert).pack()),
        (mal, Button("sea", 1, "0").pack()),
        (trent, "sa:nonsense"),
    ):
        await press(h.emu, user, h.emu.messages_to(user)[-1], data=data, forge=True)
        assert (await h.emu.wait_for_message(user)).text == STAFF_ONLY
    for user in (eve, mal, trent):
        assert all(m.text == STAFF_ONLY for m in h.emu.messages_to(user))
    assert h.store.alert(alert)["status"] == "open"
    assert h.store.db["enrol_tokens"].count == tokens


# ---- alerts


async def test_an_alert_is_acknowledged_once_and_the_ack_is_shown_everywhere(emulator, make_bot):
    group = emulator.add_group("On call", chat_id=-100_777)
    h = await make_bot(alert_chat_id=group.id)
    emu, dana, sam = h.emu, h.practitioner, h.admin
    group.members.extend([dana, sam])
    alert, _ = await open_alert(h)
    await h.tick()
    to_dana = await emu.wait_for_message(dana)
    in_group = await emu.wait_for_message(group)
    for chat in (dana, group):  # the first round carries the soreness chart too
        assert (await emu.wait_for_message(chat)).photo
    assert to_dana.text == in_group.text and to_dana.text.startswith("🟠 Needs review today · Ana #")
    assert "📈 6h 3 → 24h 5 → 48h 7 (rising)" in to_dana.text
    assert emu.messages_to(sam) == []  # round 0: the session's practitioner and the alert chat

    h.advance(300)
    await press(emu, dana, to_dana, text="I'm handling it")
    row = h.store.alert(alert)
    assert (row["status"], row["acknowledged_by"], row["acknowledged_at"]) == (
        "acknowledged",
        dana.id,
        START + 300,
    )
    for message in (to_dana, in_group):
        assert message.text.endswith("Acknowledged by Dana Reyes at 10:05 GMT.")
        assert taken_buttons(message) and message.text.startswith("🟠 Needs review today · Ana #")

    await press(emu, sam, in_group, data=Button("sa", alert).pack(), forge=True)  # a late press in the group
    notice = [c for c in emu.calls if c.method == "answerCallbackQuery"][-1]
    assert notice.params.get("text") == "Already acknowledged by Dana Reyes at 10:05 GMT."
    await press(emu, dana, to_dana, data=Button("sa", alert).pack(), forge=True)
    assert (await emu.wait_for_message(dana)).text == "Already acknowledged by Dana Reyes at 10:05 GMT."
    assert h.store.alert(alert)["acknowledged_by"] == dana.id

    h.advance(3600)
    await h.tick()
    assert len(emu.messages_to(dana)) == 3 and emu.messages_to(sam) == []  # no more rounds


async def test_an_unacknowledged_alert_is_sent_again_to_the_next_staff_member(make_bot):
    h = await make_bot(alert_renotify_after="30m")
    emu, dana, sam = h.emu, h.practitioner, h.admin
    alert, _ = await open_alert(h)
    await h.tick()
    first = await emu.wait_for_message(dana)
    h.advance(29 * 60)
    await h.tick()
    assert emu.messages_to(sam) == []
    h.advance(60)
    await h.tick()
    reminder = await emu.wait_for_message(sam)
    assert reminder.text == "Reminder: not acknowledged yet.\n\n" + first.text.replace(
        "(59 min ago)", "(1.5 h ago)"
    )
    await press(emu, sam, reminder, text="I'm handling it")
    assert h.store.alert(alert)["acknowledged_by"] == sam.id
    for message in (first, reminder):
        assert message.text.endswith("Acknowledged by Sam Okafor at 10:30 GMT.") and taken_buttons(message)
    assert not reminder.text.startswith("Reminder")


async def test_an_emergency_at_two_in_the_morning_is_sent_at_once(make_bot):
    h = await make_bot(quiet_hours="21:00-08:00")
    h.advance(16 * 3600)  # 02:00 local
    await open_alert(h, bucket="emergency")
    await h.tick()
    message = await h.emu.wait_for_message(h.practitioner)
    assert message.text.startswith("🔴 EMERGENCY · Ana #")


@pytest.mark.parametrize("data", ["sa:{alert_plus}:", "sa:{alert}:x", "sa:1:<script>", "sz:1:"])
async def test_forged_acknowledgements_change_nothing(make_bot, data):
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    alert, _ = await open_alert(h)
    await h.tick()
    message = await emu.wait_for_message(dana)
    assert (await emu.wait_for_message(dana)).photo  # the chart follows the alert
    await press(emu, dana, message, data=data.format(alert=alert, alert_plus=alert + 1000), forge=True)
    assert (await emu.wait_for_message(dana)).text == STALE
    assert h.store.alert(alert)["status"] == "open"
    assert message.button(text="I'm handling it") and not message.text.endswith("GMT.")


# ---- staff commands


async def test_staff_see_patients_alerts_and_a_timeline(make_bot):
    h = await make_bot()
    emu, sam = h.emu, h.admin
    _, patient = await open_alert(h, patient_name="Ana <3")
    patient_id = h.store.patient_by_telegram(patient.id)["id"]

    await emu.send_text(sam, "/active")
    active = await emu.wait_for_message(sam)
    assert (
        active.text
        == f"Patients in follow-up\n#{patient_id} Ana <3 · Upper back, Calf · 49 h · 🟠 Needs review today"
    )

    await emu.send_text(sam, "/alerts")
    alerts = await emu.wait_for_message(sam)
    assert alerts.text == f"Open alerts\n🟠 Needs review today · #{patient_id} Ana <3 · 2026-11-23 10:00 · ×0"

    await emu.send_text(sam, f"/patient {patient_id}")
    timeline = (await emu.wait_for_message(sam)).text
    assert timeline.startswith(
        f"Patient\n#{patient_id} Ana <3 · active\n"
        "Upper back, Calf · Moderate · Running · first session · 2026-11-21 09:00"
    )
    assert "✅ 6 h · 2026-11-21 15:00\n   • soreness: 3/10\n   → 🟢 Normal" in timeline
    assert "“my <b>fingers</b> tingle & feel odd”" in timeline
    assert "→ 🟠 Needs review today [C10, N2]" in timeline and "⏳ 72 h" in timeline

    dana = h.practitioner
    for text, reply in (
        ("/patient", "Send /patient"),
        ("/patient 9999", "No patient with that number"),
        ("/patient x", "Send /patient"),
    ):
        await emu.send_text(dana, text)  # the alert (with its button) may reach Dana meanwhile
        assert (await emu.wait_for_message(dana, lambda m: not m.keyboard and not m.photo)).text.startswith(
            reply
        )


async def test_no_patients_and_no_alerts_say_so(make_bot):
    h = await make_bot()
    for command, reply in (
        ("/active", "Patients in follow-up\nNo patients in follow-up."),
        ("/alerts", "Open alerts\nNo open alerts."),
    ):
        await h.emu.send_text(h.practitioner, command)
        assert (await h.emu.wait_for_message(h.practitioner)).text == reply
