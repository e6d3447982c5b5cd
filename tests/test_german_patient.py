"""A German-speaking patient (Telegram language_code "de") reads German from consent to outcome,
and a German clinic's staff read their alert in German: the real bot against the emulator."""

import re
from pathlib import Path

from .test_patient_journey import next_checkin, settled, tap, texts

CLINIC = {"name": "Praxis am Hafen", "timezone": "Europe/Berlin", "emergency_number": "112"}
PHONE = "+44 20 7946 0000"  # the harness's clinic phone
AREAS = Path(__file__).parent.parent / "guidance" / "areas.toml"


async def german_patient(h, **enrol):
    """Ana, whose Telegram is in German, opens a fresh link and agrees; returns the confirmation."""
    ana = h.emu.add_user("Ana", language_code="de")
    await h.emu.start_deep_link(ana, h.enrol(**enrol))
    offer = await h.emu.wait_for_message(ana)
    assert offer.text.startswith("Nachsorge nach deiner Behandlung bei Praxis am Hafen")
    assert "Ich bin kein Notdienst" in offer.text and "ruf den Notruf 112 an" in offer.text
    assert "/stop" in offer.text and "/delete" in offer.text
    await tap(h, ana, offer, "Ja, einverstanden")
    return ana, await h.emu.wait_for_message(ana)


def plain_tip(text: str) -> str:
    """A tip's Markdown as the patient reads it: the bold marks gone."""
    return re.sub(r"\*\*|_", "", text)


async def test_consent_and_a_normal_check_in_are_in_german(make_bot):
    h = await make_bot(**CLINIC)
    ana, done = await german_patient(h, intensity="heavy", activities=("running",))
    assert "Deine erste Nachfrage kommt heute um 17:00" in done.text  # 10:00 London is 11:00 Berlin, + 6 h
    assert h.store.patient_by_telegram(ana.id)["language"] == "de"
    checkin = await next_checkin(h, ana, 6)
    assert checkin.text.startswith("Hallo Ana, deine Behandlung ist jetzt etwa 6 Stunden her")
    assert "Wie stark schmerzt die behandelte Stelle gerade?" in checkin.text
    await tap(h, ana, checkin, "3")
    await tap(h, ana, checkin, "Keine blauen Flecken")
    await tap(h, ana, checkin, "Energie wie immer")
    signs = h.emu.chat(ana).messages[checkin.message_id]
    labels = [b["text"] for b in signs.buttons]
    assert "Brustschmerzen" in labels and "Atemnot" in labels and labels[-1] == "Nein, nichts davon"
    await tap(h, ana, signs, "Nein, nichts davon")
    outcome = await h.emu.wait_for_message(ana)
    assert outcome.text.startswith("Danke. Nach dem, was du mir erzählst, klingt das nach einer normalen")
    # the tailored tip a heavy session's runner needs, and every tip listed, in German
    assert "Nach einer intensiven Behandlung mach 24 bis 48 Stunden Trainingspause." in outcome.text
    german_tips = {plain_tip(tip.texts["de"]) for tip in h.services.guidance(h.clinic.id).tips}
    listed = [line[2:] for line in outcome.text.splitlines() if line.startswith("• ")]
    assert listed and set(listed) <= german_tips
    answered = h.emu.chat(ana).messages[checkin.message_id].text
    assert "3/10" in answered and "Keine blauen Flecken" in answered and "Nichts davon" in answered
    assert h.store.open_alerts(h.clinic.id) == []


async def test_a_chest_pain_tick_tells_a_german_patient_to_call_the_emergency_number_now(make_bot):
    h = await make_bot(language="de", **CLINIC)
    ana, _ = await german_patient(h)
    checkin = await next_checkin(h, ana, 6)
    await tap(h, ana, checkin, "2")
    await tap(h, ana, checkin, "Keine blauen Flecken")
    await tap(h, ana, checkin, "Energie wie immer")
    await tap(h, ana, checkin, "Brustschmerzen")
    outcome = await h.emu.wait_for_message(ana)
    assert outcome.text.startswith(
        "Ruf jetzt den Notruf 112 an oder geh in die nächste Notaufnahme. Fahr nicht selbst."
    )
    assert "Was du mir gesagt hast: Schmerzen in der Brust" in outcome.text
    assert "Ich habe Praxis am Hafen alarmiert, aber warte bitte nicht auf deren Rückruf." in outcome.text
    [alert] = h.store.open_alerts(h.clinic.id)
    assert alert["bucket"] == "emergency"
    await h.tick()
    staff = await h.emu.wait_for_message(h.practitioner)  # the clinic's language is German too
    assert staff.text.startswith("🔴 NOTFALL") and "Ana" in staff.text and "\nGrund: " in staff.text
    assert [b["text"] for b in staff.buttons] == ["Ich kümmere mich", "✉️ Patient anschreiben"]


async def test_a_high_score_asks_a_german_patient_to_call_the_clinic_today(make_bot):
    h = await make_bot(**CLINIC)
    ana, _ = await german_patient(h)
    checkin = await next_checkin(h, ana, 6)
    await tap(h, ana, checkin, "8")
    await tap(h, ana, checkin, "Keine blauen Flecken")
    await tap(h, ana, checkin, "Energie wie immer")
    await tap(h, ana, h.emu.chat(ana).messages[checkin.message_id], "Nein, nichts davon")
    outcome = await h.emu.wait_for_message(ana)
    assert outcome.text.startswith(f"Bitte melde dich heute bei Praxis am Hafen unter {PHONE}.")
    assert "Was du mir gesagt hast: Schmerz 8/10" in outcome.text
    assert "ruf sofort den Notruf 112 an" in outcome.text


async def test_a_german_patients_commands_answer_in_german(make_bot):
    h = await make_bot(**CLINIC)
    ana, _ = await german_patient(h)
    for command, start in (
        ("/help", "Ich bin der Nachsorge-Assistent deiner Praxis."),
        ("/status", "Nächste Nachfrage: heute um 17:00"),
        ("/pause", "Die Nachfragen sind pausiert."),
        ("/resume", "Schön, dass du wieder da bist"),
    ):
        h.advance(2)
        await h.emu.send_text(ana, command)
        await h.emu.wait_for_message(ana)
        await settled(h)
        assert texts(h, ana)[-1].startswith(start), command


# ---- the shipped German, file by file (what the patient above may meet anywhere)


def test_every_message_has_its_german_text_with_the_same_placeholders_and_tags(guidance):
    english, german = guidance.messages["en"], guidance.messages["de"]
    assert set(german) == set(english)
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", german[key])) == set(re.findall(r"\{\w+\}", text)), key
        assert sorted(re.findall(r"</?\w+>", german[key])) == sorted(re.findall(r"</?\w+>", text)), key
        assert len(german[key]) < 1000, key


def test_every_question_area_rule_chart_label_and_tip_has_its_german_text(guidance):
    for question in guidance.questions:
        assert question.texts.get("de"), question.id
        for option in question.options:
            assert option.labels.get("de") and len(option.labels["de"]) <= 24, (question.id, option.id)
            if "en" in option.shorts:
                assert 0 < len(option.shorts.get("de", "")) <= 18, (question.id, option.id)
    for rule in guidance.rules:
        assert rule.reasons.get("de"), rule.id
    assert set(guidance.course.labels["de"]) == set(guidance.course.labels["en"])
    for tip in guidance.tips:
        assert tip.texts.get("de"), tip.id
    german_areas = AREAS.read_text(encoding="utf-8").count("\nlabel_de = ")
    assert german_areas == len(guidance.areas)
