"""Who the patient is, and an alert that reads in ten seconds (issue 13, points 1 and 2), on the
real Application against the emulator: the clinic's reference from `aftercare enrol` and /enrol,
the phone shared (or not) at consent, the alert's lines, later findings folded into the open
alert by an edit, a graver one as a new message, and another clinic seeing none of it."""

import io
import re

import pytest

from bot.__main__ import main
from bot.clinic.enrolment import EnrolmentError, patient_reference
from bot.services.consent import phone_number

from .test_patient_journey import TAP, consent, session_of, settled, tap, until, write
from .test_staff_telegram import ENROL_LINK, press, shown

SHARE, SKIP = "📞 Share my phone number", "Skip"
PHONE_KEYBOARD = [[{"text": SHARE, "request_contact": True}], [{"text": SKIP}]]
TINGLING = "pins and needles down my leg since the session"
MORE_TINGLING = "my toes have gone numb as well"
CHEST = "now I have chest pain and I can't breathe"


async def share_phone(h, user):
    h.advance(TAP)
    await h.emu.press_reply_button(user, SHARE)
    reply = await h.emu.wait_for_message(user)
    await settled(h)
    return reply


# ---- the clinic's reference, at enrolment


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("A-1234", "A-1234"),
        ("  File 2024/17 \n", "File 2024/17"),
        ("two\nlines\tand  tabs", "two lines and tabs"),
        ("\u202eevil\u200b", "evil"),  # no bidi override nor invisible characters
        ("   ", None),
        (None, None),
        ("x" * 40, "x" * 40),
    ],
)
def test_a_reference_is_kept_on_one_line_trimmed(typed, kept):
    assert patient_reference(typed) == kept


def test_a_reference_too_long_is_refused():
    with pytest.raises(EnrolmentError, match="longer than 40 characters"):
        patient_reference("x" * 41)


@pytest.mark.parametrize(
    "shared, kept",
    [
        ("447700900123", "+447700900123"),  # Telegram's digits get their "+"
        ("+44 7700 900123", "+44 7700 900123"),
        ("(020) 7946-0000", "(020) 7946-0000"),
        ("<b>+44</b>", "+44"),
        ("1" * 40, "+" + "1" * 32),
    ],
)
def test_a_shared_number_is_kept_as_staff_dial_it(shared, kept):
    assert phone_number(shared) == kept


async def test_aftercare_enrol_takes_the_reference_and_keeps_it_out_of_the_link(make_bot, capsys):
    out = io.StringIO()
    h = await make_bot()
    config = str(h.services.config.path)
    argv = ["enrol", "--config", config, "--clinic", "harbour", "--area", "calf", "--intensity", "light"]
    argv += ["--no-qr", "--bot-username", "aftercare_test_bot"]
    assert main([*argv, "--reference", "x" * 41], out=out) == 2
    assert "the patient reference is longer than 40 characters" in capsys.readouterr().err
    assert main([*argv, "--reference", "  File\u200b 2024/17  "], out=out) == 0
    link = out.getvalue().splitlines()[0]
    token = ENROL_LINK.fullmatch(link).group(1)
    assert "2024" not in link and h.store.enrol_token(token)["patient_ref"] == "File 2024/17"

    h.clock.time = max(h.clock(), h.store.enrol_token(token)["treated_at"])  # the CLI's real clock
    ana = h.emu.add_user("Ana")
    await h.emu.start_deep_link(ana, token)
    await tap(h, ana, await h.emu.wait_for_message(ana), "Yes, I agree")
    assert session_of(h, ana)["patient_ref"] == "File 2024/17"
    active = await write(h, h.admin, "/active")
    assert active.text.startswith("Patients in follow-up\nFile 2024/17 · #1 Ana · Calf · 0 h")


async def test_enrol_in_telegram_takes_the_reference_after_the_command(make_bot):
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    refused = await write(h, dana, "/enrol " + "9" * 41)
    assert refused.text.startswith("That reference is too long: at most 40 characters.")
    await emu.send_text(dana, "/enrol  A-1234 <b> ")
    flow = await emu.wait_for_message(dana)
    assert "Patient reference: A-1234 <b>" in flow.text and "Which area did you treat?" in flow.text

    async def tap_step(label, screen):
        h.advance(1)  # one edit a second in a chat
        await press(emu, dana, flow, text=label)
        await shown(screen)

    await tap_step("Calf", lambda: flow.button(text="✓ Calf"))
    await tap_step("Done", lambda: flow.text.startswith("How intense"))
    await tap_step("Light", lambda: flow.text.startswith("Does the patient run"))
    await tap_step("Neither", lambda: flow.text.startswith("Is this the patient's first"))
    await tap_step("No", lambda: flow.keyboard == [])
    assert flow.text.startswith("A-1234 <b> · Calf · Light · No\n\nAll set.")
    token = ENROL_LINK.search(flow.text).group(1)
    assert h.store.enrol_token(token)["patient_ref"] == "A-1234 <b>"
    assert "A-1234" not in ENROL_LINK.search(flow.text).group(0)


# ---- the phone, shared with one tap at consent


async def test_the_patient_shares_their_phone_with_one_tap_at_consent(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana", phone_number="447700900123")
    accepted = await consent(h, ana)
    assert accepted.text.endswith(
        "If you like, share your phone number with one tap so Harbour Physio can call you about "
        "your recovery; it's optional."
    )
    assert h.emu.reply_keyboard(ana) == PHONE_KEYBOARD
    assert session_of(h, ana)["phone_prompt"] == "asked"
    thanks = await share_phone(h, ana)
    assert thanks.text == "Thank you: Harbour Physio has your number for this follow-up."
    assert h.emu.reply_keyboard(ana) == []  # the keyboard went with the answer
    session = session_of(h, ana)
    assert (session["phone"], session["phone_prompt"]) == ("+447700900123", "shared")
    assert h.store.session_answers(session["id"]) == [] and h.store.open_alerts("harbour") == []


async def test_skip_keeps_no_number_and_is_not_read_as_words(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana", language_code="es")
    await h.emu.start_deep_link(ana, h.enrol())
    await tap(h, ana, await h.emu.wait_for_message(ana), "Sí, acepto")
    await h.emu.wait_for_message(ana)  # the confirmation, with the question
    assert [b["text"] for row in h.emu.reply_keyboard(ana) for b in row] == [
        "📞 Compartir mi número",
        "Omitir",
    ]
    h.advance(TAP)
    await h.emu.press_reply_button(ana, "Omitir")
    reply = await h.emu.wait_for_message(ana)
    await settled(h)
    assert reply.text == "De acuerdo: Harbour Physio no recibirá tu número a través de mí."
    session = session_of(h, ana)
    assert (session["phone"], session["phone_prompt"]) == (None, "skipped")
    assert h.emu.reply_keyboard(ana) == []
    assert h.store.session_answers(session["id"]) == [] and h.store.open_alerts("harbour") == []


async def test_a_contact_that_is_not_the_patients_own_is_refused(make_bot):
    h = await make_bot()
    ana, bob = h.emu.add_user("Ana", phone_number="447700900123"), h.emu.add_user("Bob")
    await consent(h, ana)
    for contact in (
        h.emu.send_contact(ana, "+44 20 7946 0999", first_name="Bob", user_id=bob.id),  # a friend's card
        h.emu.send_contact(ana, "447700900123", first_name="Ana"),  # typed in: names no Telegram user
    ):
        h.advance(TAP)
        await contact
        refusal = await h.emu.wait_for_message(ana)
        await settled(h)
        assert refusal.text.startswith("I can only take your own number.")
        assert h.emu.reply_keyboard(ana) == PHONE_KEYBOARD  # offered again
        assert (session_of(h, ana)["phone"], session_of(h, ana)["phone_prompt"]) == (None, "asked")
    await share_phone(h, ana)
    assert session_of(h, ana)["phone"] == "+447700900123"


# ---- the alert


async def test_an_alert_grows_in_place_and_a_graver_finding_is_a_new_message(make_bot):
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    ana = emu.add_user("Ana", phone_number="447700900123")
    await consent(h, ana, patient_ref="A-77")
    await share_phone(h, ana)
    pid = h.store.patient_by_telegram(ana.id)["id"]
    h.advance(3600)
    await write(h, ana, TINGLING)
    h.advance(12 * 60)
    await h.tick()
    alert = await emu.wait_for_message(dana)
    await h.settle()
    assert alert.text.splitlines() == [
        f"🟠 Needs review today · A-77 · Ana #{pid}",
        "🕑 Wrote 11:00 (12 min ago) · 1 h after the session · Calf",
        f"💬 “{TINGLING}”",
        "Why: Pain spreading, or new pain somewhere else; Numbness, tingling or pins and needles",
        "📈 –",
        "📞 +447700900123",
    ]
    assert alert.entities[1]["type"] == "bold" and emu.messages_to(dana) == [alert]

    for count, at in ((1, "11:14"), (2, "11:16")):  # same severity: the open alert is edited
        h.advance(120)
        await write(h, ana, MORE_TINGLING)
        await until(lambda count=count: f"Updated ×{count}" in alert.text)
        assert emu.messages_to(dana) == [alert] and alert.button(text="I'm handling it")
        assert alert.text.endswith(
            f"🔁 Updated ×{count}: latest {at} (just now), 🟠 Needs review today\n💬 “{MORE_TINGLING}”\n"
            "Why: Numbness, tingling or pins and needles"
        )
    assert len(h.store.open_alerts("harbour")) == 1

    h.advance(120)
    await write(h, ana, CHEST)  # graver: a new alert, which notifies (an edit does not)
    await h.tick()
    emergency = await emu.wait_for_message(dana)
    assert emergency.text.startswith(f"🔴 EMERGENCY · A-77 · Ana #{pid}\n🕑 Wrote 11:18 (just now)")
    assert [a["bucket"] for a in h.store.open_alerts("harbour")] == ["contact_practitioner", "emergency"]
    h.advance(120)
    await write(h, ana, MORE_TINGLING)  # milder than the emergency: folded into it, not the older one
    await until(lambda: "Updated ×1" in emergency.text)
    assert "Updated ×2" in alert.text and "×3" not in alert.text

    h.advance(60)
    await press(emu, dana, emergency, text="I'm handling it")
    await until(lambda: emergency.text.endswith("Acknowledged by Dana Reyes at 11:21 GMT."))
    assert "Updated ×1" in emergency.text and emergency.button(text="Seen in clinic")  # taken: close it


async def test_staff_views_show_the_reference_and_phone_to_their_own_clinic_only(make_bot):
    h = await make_bot(second_clinic=True)
    zara = h.emu.add_user("Zara", phone_number="447700900555")
    await consent(h, zara, patient_ref="H-9")
    await share_phone(h, zara)
    h.advance(3600)
    await write(h, zara, TINGLING)
    await h.tick()
    await h.emu.wait_for_message(h.practitioner)
    await h.settle()
    pid = h.store.patient_by_telegram(zara.id)["id"]
    dana, noor = h.practitioner, h.north_practitioner

    active = await write(h, dana, "/active")
    assert f"H-9 · #{pid} Zara · 📞 +447700900555 · Calf · 1 h · 🟠 Needs review today" in active.text
    alerts = await write(h, dana, "/alerts")
    assert (
        f"🟠 Needs review today · H-9 · #{pid} Zara · 📞 +447700900555 · 2026-11-23 11:00 · ×1" in alerts.text
    )
    timeline = await write(h, dana, f"/patient {pid}")
    assert timeline.text.startswith(f"Patient\nH-9 · #{pid} Zara · 📞 +447700900555 · active\n")
    assert re.search(r"→ 🟠 Needs review today \[[A-Z0-9, ]*C10", timeline.text)  # rule ids: the detail view
    link = next(e for e in timeline.entities if e["type"] == "text_link")
    assert link["url"] == f"tg://user?id={zara.id}"  # "message patient": their Telegram profile

    # Zara moves to North, gives no reference there and skips the phone: North sees none of Harbour's.
    await consent(h, zara, clinic="north")
    h.advance(TAP)
    await h.emu.press_reply_button(zara, SKIP)
    await h.emu.wait_for_message(zara)
    await settled(h)
    for command in ("/active", "/alerts", f"/patient {pid}"):
        seen = await write(h, noor, command)
        assert "H-9" not in seen.text and "447700900555" not in seen.text, (command, seen.text)
    assert re.search(rf"#{pid} Zara · Calf", (await write(h, noor, "/active")).text)
    harbour = await write(h, dana, f"/patient {pid}")  # Harbour's own follow-up still shows its own
    assert harbour.text.startswith(f"Patient\nH-9 · #{pid} Zara · 📞 +447700900555\n")
